// Retries with backoff, a throttle gate shared by every worker, a bounded worker pool, and the
// types of an item's one Outcome (core/scheduler.ts runs items to it). Pure: time comes from a
// Clock, randomness from a function, I/O from the `work` callback.
import { backoffMs, classify, type BackoffOptions, type Failure } from './retry';

export interface Clock {
  now(): number;
  /** Resolves after ms, or rejects (with an AbortError-like error) when signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export function abortError(): Error {
  const err = new Error('aborted');
  err.name = 'AbortError';
  return err;
}

/**
 * When one worker is told to slow down (ARM 429 + Retry-After), every worker waits for that
 * Retry-After, each with a small jitter of its own so that they do not all send in the same ms.
 */
export class ThrottleGate {
  /** When the pause in force ends, its jitter included (0: none yet). */
  private until = 0;
  constructor(
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Shuts the gate for `ms` (a Retry-After) plus one jitter of at most 10 % (capped at 1 s),
   * drawn once for the pause and shared by every worker: they all start together when it ends
   * (a round of sends meets the next 429 together, so a storm costs one pause a round), at a
   * moment that is not the Retry-After's exact boundary. A pause that would end sooner than the
   * one in force changes nothing.
   */
  pause(ms: number): void {
    const end = this.clock.now() + ms;
    if (end <= this.until) return;
    this.until = end + Math.round(this.random() * Math.min(1000, ms / 10));
  }

  /** Shut now: a pause is running (checked synchronously, right before an attempt starts). */
  shut(): boolean {
    return this.until > this.clock.now();
  }

  /** Until the pause in force ends; resolves at once when open. True when it waited. */
  async wait(signal?: AbortSignal): Promise<boolean> {
    let waited = false;
    for (let left = this.until - this.clock.now(); left > 0; left = this.until - this.clock.now()) {
      waited = true;
      await this.clock.sleep(left, signal);
    }
    return waited;
  }

  /**
   * Starts an attempt (`start`) once the gate is open, and returns what it returns. Strict: the
   * gate is checked in the same synchronous run that calls `start`, never before an await. A wait
   * ends in a later microtask: when another worker's 429 shut the gate meanwhile, this waits that
   * pause too, as often as that happens. Storms are not serialised: the workers of a pause all
   * start when its one shared jitter ends.
   */
  async admit<R>(start: () => R, signal?: AbortSignal): Promise<R> {
    do await this.wait(signal);
    while (this.shut());
    return start();
  }
}

export type OutcomeStatus = 'done' | 'failed' | 'timed-out' | 'canceled';

export interface Outcome<R> {
  status: OutcomeStatus;
  value?: R;
  failure?: Failure;
  attempts: number;
  durationMs: number;
}

export type ScheduleEvent =
  | { type: 'start'; index: number; attempt: number }
  | {
      type: 'retry';
      index: number;
      attempt: number;
      delayMs: number;
      failure: Failure;
      throttled: boolean;
    }
  | { type: 'end'; index: number; outcome: Outcome<unknown> };

export interface ScheduleOptions {
  concurrency: number;
  /**
   * Retries of transient failures after the first attempt (0 = try once). ARM throttling
   * (429 + Retry-After) is not a failure of the item: those waits do not use this budget and
   * are bounded by timeoutMs instead.
   */
  retries: number;
  /** Per item, from its first attempt to its end, retries and waits included. */
  timeoutMs: number;
  clock: Clock;
  random: () => number;
  signal?: AbortSignal;
  backoff?: BackoffOptions;
  gate?: ThrottleGate;
  onEvent?: (event: ScheduleEvent) => void;
}

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

/**
 * The one worker pool: runs fn over items with at most `limit` at once, in order of index, and
 * keeps the results in that order. Once `signal` aborts, no new item starts (its result stays
 * undefined).
 */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<(R | undefined)[]> {
  // Filled, not sparse: map() skips holes, and an item never started must still be mapped.
  const out: (R | undefined)[] = Array.from(items, () => undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
