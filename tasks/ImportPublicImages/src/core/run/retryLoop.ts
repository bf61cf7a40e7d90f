// Retries with backoff through the shared throttle gate: one call's retry loop (core/run/
// scheduler.ts runs items with it; the ARM reads call it directly). Pure: time comes from a Clock,
// randomness from a function, I/O from the `work` callback.
import type { Clock } from './clock';
import { backoffMs, classify, type BackoffOptions, type Failure } from './retry';
import type { ThrottleGate } from './throttleGate';

export interface WorkContext {
  attempt: number;
  /** Aborted when the item times out or the run is canceled: stop waiting, stop polling. */
  signal: AbortSignal;
}

/** Thrown by withRetries when the failure is permanent or the retry budget is spent. */
export class RetriesExhausted extends Error {
  constructor(
    readonly failure: Failure,
    readonly attempts: number,
  ) {
    super(failure.message);
  }
}

export interface RetryOptions {
  retries: number;
  clock: Clock;
  random: () => number;
  gate: ThrottleGate;
  backoff?: BackoffOptions;
  signal?: AbortSignal;
  onAttempt?: (attempt: number) => void;
  onRetry?: (r: { attempt: number; delayMs: number; failure: Failure; throttled: boolean }) => void;
  /**
   * For callers without a timeout race of their own (the ARM reads): no wait may end after this
   * many ms from the first attempt; the failure then ends it (a 429 storm cannot hold it forever).
   */
  deadlineMs?: number;
}

/**
 * Calls `work` until it succeeds, fails for good or has used `retries` retries of transient
 * failures. An ARM 429 pauses the shared gate for its Retry-After (every caller waits, the
 * retry budget is not used); a Retry-After on any other transient failure is the wait;
 * without one, exponential backoff. An abort (timeout, cancel) ends it with the abort error.
 */
export async function withRetries<R>(
  work: (ctx: WorkContext) => Promise<R>,
  toFailure: (err: unknown) => Failure,
  opts: RetryOptions,
): Promise<R> {
  const { gate, clock, signal } = opts;
  const aborted = signal ?? new AbortController().signal;
  let retriesUsed = 0; // retries of transient failures: the budget, and backoff's exponent
  let throttles = 0; // 429s: no budget; their own exponent when one comes without Retry-After
  const started = clock.now();
  const pastDeadline = (delayMs: number): boolean =>
    opts.deadlineMs !== undefined && clock.now() + delayMs - started > opts.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await gate.admit(() => {
        opts.onAttempt?.(attempt);
        return work({ attempt, signal: aborted });
      }, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      const failure = toFailure(err);
      const c = classify(failure);
      if (!c.transient || (!c.throttle && ++retriesUsed > opts.retries)) {
        throw new RetriesExhausted(failure, attempt);
      }
      if (c.throttle) {
        // Everyone (this caller included) waits out the gate, each with its own small jitter.
        throttles++;
        const delayMs =
          c.retryAfterMs ?? backoffMs(throttles, opts.random, undefined, opts.backoff);
        if (pastDeadline(delayMs)) throw new RetriesExhausted(failure, attempt);
        gate.pause(delayMs);
        opts.onRetry?.({ attempt, delayMs, failure, throttled: true });
      } else {
        // The exponent counts this item's failures of this kind, not its 429s: a 500 after a
        // throttle storm waits 0.5-1 s, not the 60 s cap.
        const delayMs = backoffMs(retriesUsed, opts.random, c.retryAfterMs, opts.backoff);
        if (pastDeadline(delayMs)) throw new RetriesExhausted(failure, attempt);
        opts.onRetry?.({ attempt, delayMs, failure, throttled: false });
        await clock.sleep(delayMs, signal);
      }
    }
  }
}
