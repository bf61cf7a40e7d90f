// A small, bounded retry for registry reads (manifest HEADs and GETs, blobs, token requests): a
// 429, a 500/502/503/504 or a transport failure (a reset, a dropped connection, a timeout: core/
// retry.ts's isTransport) is tried again, at most READ_ATTEMPTS times in all, after a short
// exponential backoff with jitter or the answer's Retry-After (up to RETRY_AFTER_CAP_MS). Any other
// answer (200, 401, 404 ...) is returned at once, and nothing is tried again once the run's signal
// aborted. Silent: the caller sees the last answer, with `attempts` when there were several.
import { backoffMs, isTransport, parseRetryAfter, type BackoffOptions } from '../core/run/retry';
import { systemClock, type Clock } from '../core/run/clock';
import type { HttpResponse } from './http';

/** Attempts in all, the first one included. */
export const READ_ATTEMPTS = 3;
/** 0.25-0.5 s before the second attempt, 0.5-1 s before the third. */
export const READ_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 2000 };
/** A longer Retry-After is not waited for: the read fails at once, saying so. */
export const RETRY_AFTER_CAP_MS = 10000;
/**
 * No attempt starts later than this after the first one: a registry that lets a request time out
 * (30 s) costs one time-out, not three.
 */
export const READ_BUDGET_MS = 30000;

const RETRIED_STATUS = new Set([429, 500, 502, 503, 504]);

export interface ReadRetryDeps {
  clock: Clock;
  random: () => number;
}

export const systemReadRetry: ReadRetryDeps = { clock: systemClock, random: Math.random };

/** " (3 attempts)" after a read that was tried more than once, else "". */
export function attemptsNote(attempts: number | undefined): string {
  return attempts !== undefined && attempts > 1 ? ` (${attempts} attempts)` : '';
}

/** The wait before the next attempt, or undefined when this outcome is not tried again. */
function waitFor(
  outcome: { res: HttpResponse } | { err: unknown },
  retry: number,
  deps: ReadRetryDeps,
): number | undefined {
  if ('err' in outcome) {
    const err = outcome.err;
    const failure =
      err instanceof Error
        ? { message: err.message, code: (err as { code?: string }).code }
        : { message: String(err) };
    // An abort is the run's cancel (or a line's timeout), not the registry's: never retried.
    const name = (err as { name?: string } | undefined)?.name;
    if (name === 'AbortError') return undefined;
    // A bound passed (core/registry/bounds.ts): the same answer again would pass it again.
    if (name === 'BoundExceeded') return undefined;
    return isTransport(failure)
      ? backoffMs(retry, deps.random, undefined, READ_BACKOFF)
      : undefined;
  }
  const { res } = outcome;
  if (!RETRIED_STATUS.has(res.status)) return undefined;
  const value = res.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(Array.isArray(value) ? value[0] : value, deps.clock.now());
  if (retryAfterMs !== undefined && retryAfterMs > RETRY_AFTER_CAP_MS) return undefined;
  return backoffMs(retry, deps.random, retryAfterMs, READ_BACKOFF);
}

/**
 * Runs `send` until it gives an answer worth keeping, at most READ_ATTEMPTS times: the last
 * answer is returned (with `attempts` when more than one was made), the last error thrown (its
 * message ending "(N attempts)" when more than one was made). The wait between attempts ends at
 * once, rejecting, when `signal` aborts.
 */
export async function withReadRetries(
  send: () => Promise<HttpResponse>,
  signal?: AbortSignal,
  deps: ReadRetryDeps = systemReadRetry,
): Promise<HttpResponse> {
  const started = deps.clock.now();
  for (let attempt = 1; ; attempt++) {
    let outcome: { res: HttpResponse } | { err: unknown };
    try {
      outcome = { res: await send() };
    } catch (err) {
      outcome = { err };
    }
    const wait =
      attempt < READ_ATTEMPTS && !signal?.aborted ? waitFor(outcome, attempt, deps) : undefined;
    if (wait === undefined || deps.clock.now() + wait - started > READ_BUDGET_MS) {
      if ('res' in outcome)
        return attempt > 1 ? { ...outcome.res, attempts: attempt } : outcome.res;
      const err = outcome.err;
      if (attempt > 1 && err instanceof Error) err.message += attemptsNote(attempt);
      throw err;
    }
    await deps.clock.sleep(wait, signal);
  }
}
