// The retry of registry reads (registry/readRetry.ts): a fake HTTP layer (the `send` callback)
// and a fake clock, so no test sleeps for real.
import assert from 'node:assert/strict';
import type { HttpResponse } from '../../tasks/ImportPublicImages/src/registry/http';
import { answered } from '../../tasks/ImportPublicImages/src/registry/http';
import {
  READ_ATTEMPTS,
  withReadRetries,
  type ReadRetryDeps,
} from '../../tasks/ImportPublicImages/src/registry/readRetry';
import { FakeClock, fixedRandom } from './fakeClock';

function answer(status: number, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, body: '' };
}

function transportError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A fake HTTP layer: each call takes the next script entry (an answer, or an error to throw). */
function script(...steps: (HttpResponse | Error)[]): {
  send: () => Promise<HttpResponse>;
  calls: number[];
} {
  const calls: number[] = [];
  let i = 0;
  return {
    calls,
    send: async () => {
      const step = steps[Math.min(i++, steps.length - 1)];
      calls.push(i);
      if (!step) throw new Error('empty script');
      if (step instanceof Error) throw step;
      return step;
    },
  };
}

function deps(clock: FakeClock): ReadRetryDeps {
  return { clock, random: fixedRandom(0) };
}

describe('registry/readRetry: registry reads tried again', () => {
  it('503 then 200: one answer, two calls', async () => {
    const clock = new FakeClock();
    const s = script(answer(503), answer(200));
    const res = await clock.run(withReadRetries(s.send, undefined, deps(clock)));
    assert.equal(res.status, 200);
    assert.equal(s.calls.length, 2);
    assert.equal(res.attempts, 2);
  });

  it('429 with Retry-After 2 waits 2 s before the next attempt', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const s = script(answer(429, { 'retry-after': '2' }), answer(200));
    const send = (): Promise<HttpResponse> => {
      at.push(clock.now());
      return s.send();
    };
    const res = await clock.run(withReadRetries(send, undefined, deps(clock)));
    assert.equal(res.status, 200);
    assert.deepEqual(at, [0, 2000]);
  });

  it('without Retry-After: a short backoff (at most 0.5 s, then 1 s)', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const s = script(answer(502), answer(504), answer(200));
    const send = (): Promise<HttpResponse> => {
      at.push(clock.now());
      return s.send();
    };
    const res = await clock.run(
      withReadRetries(send, undefined, { clock, random: fixedRandom(0.999) }),
    );
    assert.equal(res.status, 200);
    assert.equal(at.length, 3);
    const [a = 0, b = 0, c = 0] = at;
    assert.ok(b - a > 0 && b - a <= 500, `first wait ${b - a} ms`);
    assert.ok(c - b > 0 && c - b <= 1000, `second wait ${c - b} ms`);
  });

  for (const status of [200, 301, 400, 401, 403, 404, 405, 501]) {
    it(`${status} is returned at once (not tried again)`, async () => {
      const clock = new FakeClock();
      const s = script(answer(status), answer(200));
      const res = await clock.run(withReadRetries(s.send, undefined, deps(clock)));
      assert.equal(res.status, status);
      assert.equal(s.calls.length, 1);
      assert.equal(res.attempts, undefined);
      assert.equal(clock.now(), 0);
    });
  }

  for (const status of [429, 500, 502, 503, 504]) {
    it(`${status} is tried again`, async () => {
      const clock = new FakeClock();
      const s = script(answer(status), answer(200));
      const res = await clock.run(withReadRetries(s.send, undefined, deps(clock)));
      assert.equal(res.status, 200);
      assert.equal(s.calls.length, 2);
    });
  }

  it('a reset, a dropped connection and a time-out are tried again', async () => {
    const clock = new FakeClock();
    const s = script(
      transportError('ECONNRESET', 'read ECONNRESET'),
      new Error('socket hang up'),
      answer(200),
    );
    const res = await clock.run(withReadRetries(s.send, undefined, deps(clock)));
    assert.equal(res.status, 200);
    assert.equal(s.calls.length, 3);
  });

  it(`${READ_ATTEMPTS} failed attempts: the last answer, saying how many attempts it took`, async () => {
    const clock = new FakeClock();
    const s = script(answer(503));
    const res = await clock.run(withReadRetries(s.send, undefined, deps(clock)));
    assert.equal(s.calls.length, 3);
    assert.equal(res.status, 503);
    assert.equal(answered(res), 'answered 503 (3 attempts)');
    assert.equal(answered(answer(503)), 'answered 503');
  });

  it(`${READ_ATTEMPTS} lost attempts: the last error, its message naming the attempts`, async () => {
    const clock = new FakeClock();
    const s = script(
      transportError('ECONNRESET', 'read ECONNRESET'),
      transportError('ECONNRESET', 'read ECONNRESET'),
      transportError('ETIMEDOUT', 'request to quay.io timed out'),
    );
    await assert.rejects(clock.run(withReadRetries(s.send, undefined, deps(clock))), (err) => {
      assert.equal((err as Error).message, 'request to quay.io timed out (3 attempts)');
      assert.equal((err as { code?: string }).code, 'ETIMEDOUT');
      return true;
    });
    assert.equal(s.calls.length, 3);
  });

  it('an error that is no transport failure is thrown at once', async () => {
    const clock = new FakeClock();
    const s = script(new Error('certificate has expired'), answer(200));
    await assert.rejects(
      clock.run(withReadRetries(s.send, undefined, deps(clock))),
      /^Error: certificate has expired$/,
    );
    assert.equal(s.calls.length, 1);
  });

  it('a Retry-After longer than 10 s is not waited for', async () => {
    const clock = new FakeClock();
    const s = script(answer(429, { 'retry-after': '60' }), answer(200));
    const res = await clock.run(withReadRetries(s.send, undefined, deps(clock)));
    assert.equal(res.status, 429);
    assert.equal(s.calls.length, 1);
    assert.equal(clock.now(), 0);
  });

  it('a read that timed out after 30 s is not sent again (one time-out, not three)', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const send = async (): Promise<HttpResponse> => {
      calls++;
      await clock.sleep(30000);
      throw transportError('ETIMEDOUT', 'request to quay.io timed out');
    };
    await assert.rejects(
      clock.run(withReadRetries(send, undefined, deps(clock))),
      /^Error: request to quay.io timed out$/,
    );
    assert.equal(calls, 1);
  });

  it('an abort during the wait rejects at once, without another attempt', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    let sleeping: () => void = () => undefined;
    const asleep = new Promise<void>((r) => (sleeping = r));
    const watched: ReadRetryDeps = {
      random: fixedRandom(0),
      clock: {
        now: () => clock.now(),
        sleep: (ms, signal) => {
          sleeping();
          return clock.sleep(ms, signal);
        },
      },
    };
    const s = script(answer(503), answer(200));
    const read = withReadRetries(s.send, ac.signal, watched);
    await asleep; // nobody moves the fake clock: only the abort can end this wait
    ac.abort();
    await assert.rejects(read, { name: 'AbortError' });
    assert.equal(s.calls.length, 1);
    assert.equal(clock.now(), 0);
  });

  it('nothing is tried again once the signal aborted (an aborted request is not a lost one)', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const aborted = Object.assign(new Error('The operation was aborted'), {
      name: 'AbortError',
      code: 'ABORT_ERR',
    });
    const s = script(aborted, answer(200));
    ac.abort();
    await assert.rejects(clock.run(withReadRetries(s.send, ac.signal, deps(clock))), {
      name: 'AbortError',
    });
    const t = script(answer(503), answer(200));
    const res = await clock.run(withReadRetries(t.send, ac.signal, deps(clock)));
    assert.equal(res.status, 503);
    assert.equal(s.calls.length + t.calls.length, 2);
  });
});
