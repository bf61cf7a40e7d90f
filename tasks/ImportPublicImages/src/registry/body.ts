// Reading a registry answer within bounds (core/registry/bounds.ts): its body up to the limit of
// its kind (a Content-Length past it is refused before a byte is read; a body that grows past it is
// stopped at limit + 1 bytes and its socket destroyed), and the whole request within a total
// deadline (headers and every byte of the body, not only the socket's idle time). Kept apart from
// how http.ts makes its connections.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { BODY_LIMITS, bodyTooLarge, durationText, type BodyKind } from '../core/registry/bounds';

/** An answer being read: its status, headers and body stream (an http.IncomingMessage). */
export type AnswerStream = Readable & { statusCode?: number; headers: IncomingHttpHeaders };

export interface BodyRead {
  bytes: Buffer;
  /** An error body cut at its limit (its status is the answer; the rest was not read). */
  truncated?: boolean;
}

/**
 * The body of `res`, at most the limit of `kind` (the limit of `other` for an answer that is not
 * a 2xx: an error's body is cut there, not failed). A 2xx body past the limit rejects with
 * BoundExceeded and destroys the stream (and with it the socket): nothing more is read.
 */
export function readBody(res: AnswerStream, kind: BodyKind, what: string): Promise<BodyRead> {
  const status = res.statusCode ?? 0;
  const success = status >= 200 && status < 300;
  const limit = success ? BODY_LIMITS[kind] : Math.min(BODY_LIMITS[kind], BODY_LIMITS.other);
  const declared = Number(res.headers['content-length']);
  return readCapped(res, limit, Number.isFinite(declared) ? declared : undefined).then((read) => {
    if (!read.over) return { bytes: read.bytes };
    if (success) throw bodyTooLarge(kind, what);
    return { bytes: read.bytes, truncated: true };
  });
}

/**
 * Reads `stream` up to `limit` bytes: past it (or when `declared` is past it, before a byte is
 * read) the stream is destroyed and `over` is true, with the first `limit` bytes.
 */
export function readCapped(
  stream: Readable,
  limit: number,
  declared?: number,
): Promise<{ bytes: Buffer; over: boolean }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    const stop = (read: Buffer): void => {
      stream.destroy();
      finish(() => resolve({ bytes: read.subarray(0, limit), over: true }));
    };
    if (declared !== undefined && declared > limit) return stop(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer | string) => {
      if (settled) return;
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      size += b.length;
      chunks.push(b);
      if (size > limit) stop(Buffer.concat(chunks));
    });
    stream.on('error', (err) => finish(() => reject(err)));
    stream.on('end', () => finish(() => resolve({ bytes: Buffer.concat(chunks), over: false })));
  });
}

/**
 * Starts the total deadline of one request: after `ms`, `destroy` is called with an ETIMEDOUT
 * error naming the host and the deadline (a transport failure: a read is tried again within its
 * budget, registry/readRetry.ts). Returns the function that stops the timer once the body is read.
 */
export function startDeadline(ms: number, host: string, destroy: (err: Error) => void): () => void {
  const timer = setTimeout(() => {
    destroy(
      Object.assign(
        new Error(
          `${host} did not send its whole answer within ${durationText(ms)} (the deadline on one registry request)`,
        ),
        { code: 'ETIMEDOUT' },
      ),
    );
  }, ms);
  timer.unref?.();
  return () => clearTimeout(timer);
}
