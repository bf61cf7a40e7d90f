// Bounds on what a registry or Azure sends (core/registry/bounds.ts, registry/body.ts, the ARM read
// retry): a body is read up to the limit of its kind and no further (a declared length past it is
// refused before a byte is read), an error body is cut there, a request and a line's reads end at
// their deadline with the reason named. Streams and timers are real; nothing sleeps: each test
// waits for the event it asserts.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
} from '@azure/core-rest-pipeline';
import { boundedArmClient } from '../../tasks/ImportPublicImages/src/azure/armBody';
import {
  BODY_LIMITS,
  BoundExceeded,
  deadline,
  readsTimedOut,
  sizeText,
  withDeadline,
} from '../../tasks/ImportPublicImages/src/core/registry/bounds';
import { systemClock } from '../../tasks/ImportPublicImages/src/core/run/clock';
import { ThrottleGate } from '../../tasks/ImportPublicImages/src/core/run/throttleGate';
import { RetriesExhausted } from '../../tasks/ImportPublicImages/src/core/run/retryLoop';
import { readBody, startDeadline } from '../../tasks/ImportPublicImages/src/registry/body';
import { armReadRetry } from '../../tasks/ImportPublicImages/src/steps/connect';

/** An answer stream, as http.IncomingMessage is: status, headers, body. */
function answer(status: number, headers: Record<string, string> = {}) {
  return Object.assign(new PassThrough(), { statusCode: status, headers });
}

describe('registry/body: a body read up to the limit of its kind', () => {
  it('a body within the limit is read whole', async () => {
    const res = answer(200);
    const read = readBody(res, 'token', 'the token answer');
    res.end('{"token":"t"}');
    const { bytes, truncated } = await read;
    assert.equal(bytes.toString(), '{"token":"t"}');
    assert.equal(truncated, undefined);
  });

  it('a Content-Length past the limit is refused before a byte is read, and the stream destroyed', async () => {
    const res = answer(200, { 'content-length': String(520 * 1024 * 1024) });
    let read = 0;
    res.on('data', (c: Buffer) => (read += c.length));
    await assert.rejects(
      readBody(res, 'manifest', 'the manifest'),
      (err: unknown) =>
        err instanceof BoundExceeded &&
        err.bound === 'manifest body size' &&
        /the manifest is larger than 4 MiB \(the bound on a manifest answer\)/.test(err.message),
    );
    assert.equal(res.destroyed, true);
    assert.equal(read, 0);
  });

  it('a body without a length is read to limit + 1 bytes, then the stream is destroyed', async () => {
    const res = answer(200);
    const limit = BODY_LIMITS.signaturePayload;
    const refused = assert.rejects(
      readBody(res, 'signaturePayload', 'the payload'),
      /larger than 256 KiB \(the bound on a signature payload\)/,
    );
    let written = 0;
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    // The writer stops when the reader has gone: what it wrote is what the reader let in.
    while (!res.destroyed && written < 10 * limit) {
      res.write(chunk);
      written += chunk.length;
      await new Promise((next) => setImmediate(next)); // the reader's turn
    }
    await refused;
    assert.equal(res.destroyed, true);
    assert.ok(written <= limit + chunk.length, `wrote ${written}`);
  });

  it("an error answer's body is cut at the limit of `other` (64 KiB), not failed: its status is the answer", async () => {
    const res = answer(503);
    const read = readBody(res, 'manifest', 'the manifest');
    res.write(Buffer.alloc(BODY_LIMITS.other, 0x61));
    res.write(Buffer.alloc(10, 0x62));
    const { bytes, truncated } = await read;
    assert.equal(truncated, true);
    assert.equal(bytes.length, BODY_LIMITS.other);
    assert.equal(res.destroyed, true);
  });

  it('sizes read as people write them', () => {
    assert.deepEqual([4 * 1024 * 1024, 256 * 1024, 100].map(sizeText), [
      '4 MiB',
      '256 KiB',
      '100 bytes',
    ]);
  });
});

describe('deadlines: a request, a line, an ARM read', () => {
  it("a request's deadline destroys it with ETIMEDOUT, naming the host and the deadline", async () => {
    const err = await new Promise<Error>((resolve) => startDeadline(20, 'quay.io', resolve));
    assert.equal((err as { code?: string }).code, 'ETIMEDOUT');
    assert.match(err.message, /quay\.io did not send its whole answer within 0\.02 s/);
  });

  it('a stopped deadline never fires', async () => {
    let fired = false;
    const stop = startDeadline(5, 'quay.io', () => (fired = true));
    stop();
    // A later deadline's firing proves the first one's time has passed.
    await new Promise<Error>((resolve) => startDeadline(30, 'x', resolve));
    assert.equal(fired, false);
  });

  it("a line's deadline aborts its reads and says so; the run's cancel is a cancel, not a deadline", async () => {
    const d = deadline(undefined, 20);
    await new Promise((resolve) => d.signal.addEventListener('abort', resolve));
    assert.equal(d.expired, true);
    const run = new AbortController();
    const c = deadline(run.signal, 60000);
    run.abort();
    assert.equal(c.signal.aborted, true);
    assert.equal(c.expired, false);
    c.clear();
    assert.match(readsTimedOut(6000).message, /within 6 s \(importTimeoutMinutes/);
  });

  it('withDeadline: work that outlives its deadline rejects with the deadline error, else its own', async () => {
    const never = (signal: AbortSignal): Promise<never> =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    await assert.rejects(
      withDeadline(undefined, 20, never, () => new Error('past the deadline')),
      /past the deadline/,
    );
    await assert.rejects(
      withDeadline(
        undefined,
        60000,
        async () => Promise.reject(new Error('its own')),
        () => new Error('no'),
      ),
      /its own/,
    );
  });

  it('an ARM read that never answers ends at its deadline as a transport failure (ETIMEDOUT), not when the run ends', async () => {
    const logs: string[] = [];
    const out = { log: (t: string) => logs.push(t) } as unknown as Parameters<
      typeof armReadRetry
    >[0]['out'];
    const retry = armReadRetry(
      {
        retries: 0,
        clock: systemClock,
        gate: new ThrottleGate(systemClock),
        signal: new AbortController().signal,
        importTimeoutMs: 60000,
        out,
      },
      20,
    );
    const never = (signal: AbortSignal): Promise<never> =>
      new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('The operation was aborted.'))),
      );
    await assert.rejects(retry(never), (err: unknown) => {
      assert.ok(err instanceof RetriesExhausted);
      assert.equal(err.failure.code, 'ETIMEDOUT');
      assert.match(
        err.failure.message,
        /ARM did not answer within 0\.02 s \(the deadline on one ARM request\)/,
      );
      return true;
    });
  });
});

describe('azure/armBody: ARM answers read within ARM_BODY_LIMIT', () => {
  /** An HttpClient that answers with `body` streamed, as the SDK's does when asked to stream. */
  function inner(body: PassThrough, headers: Record<string, string> = {}): HttpClient {
    return {
      async sendRequest(request) {
        assert.ok(request.streamResponseStatusCodes?.has(Number.POSITIVE_INFINITY));
        return {
          request,
          status: 200,
          headers: createHttpHeaders(headers),
          readableStreamBody: body,
        };
      },
    };
  }
  const get = () =>
    createPipelineRequest({
      url: 'https://management.example/subscriptions/s/registries',
      method: 'GET',
    });

  it('an answer within the limit becomes bodyAsText, as the SDK expects', async () => {
    const body = new PassThrough();
    body.end('{"value":[]}');
    const res = await boundedArmClient(inner(body), 1024).sendRequest(get());
    assert.equal(res.bodyAsText, '{"value":[]}');
    assert.equal(res.readableStreamBody, undefined);
  });

  it('an answer past the limit fails with the bound named, and its stream is destroyed', async () => {
    const declared = new PassThrough();
    await assert.rejects(
      boundedArmClient(inner(declared, { 'content-length': '4096' }), 1024).sendRequest(get()),
      (err: unknown) =>
        err instanceof BoundExceeded &&
        err.bound === 'ARM body size' &&
        /ARM's answer to GET \/subscriptions\/s\/registries is larger than 1 KiB/.test(err.message),
    );
    assert.equal(declared.destroyed, true);
    const streamed = new PassThrough();
    const refused = assert.rejects(
      boundedArmClient(inner(streamed), 1024).sendRequest(get()),
      /larger than 1 KiB \(the bound on an ARM answer\)/,
    );
    while (!streamed.destroyed) {
      streamed.write(Buffer.alloc(512, 0x20));
      await new Promise((next) => setImmediate(next)); // the reader's turn
    }
    await refused;
  });
});
