// Bounded-concurrency runner: retries with backoff, a throttle gate shared by every worker,
// a timeout per item, cancellation. Every item ends in exactly one Outcome. Pure: time comes
// from a Clock, randomness from a function, I/O from the `work` callback.
import { Limiter } from './pipeline';
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
  private until = 0;
  private jitterSpanMs = 0;
  constructor(
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  pause(ms: number): void {
    const until = this.clock.now() + ms;
    if (until <= this.until) return;
    this.until = until;
    this.jitterSpanMs = Math.min(1000, ms / 10);
  }

  /** Until the pause ends (plus a jitter when there was one); resolves at once when open. */
  async wait(signal?: AbortSignal): Promise<void> {
    let waited = false;
    for (let left = this.until - this.clock.now(); left > 0; left = this.until - this.clock.now()) {
      waited = true;
      await this.clock.sleep(left, signal);
    }
    if (waited) await this.clock.sleep(Math.round(this.random() * this.jitterSpanMs), signal);
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
    await gate.wait(signal);
    opts.onAttempt?.(attempt);
    try {
      return await work({ attempt, signal: aborted });
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

class Finished {
  constructor(readonly outcome: Omit<Outcome<never>, 'durationMs'>) {}
}

/**
 * Runs items one call at a time, as they come (a line is handed over when its check and decision
 * are done): each waits for a slot of the limiter (at most its limit at once, in the order they
 * came), then runs to its one Outcome (retries, the shared gate, its timeout), then emits its end
 * event. Once `signal` aborts, an item still waiting ends canceled without starting.
 */
export class Scheduler<T, R> {
  private readonly gate: ThrottleGate;
  private readonly emit: (e: ScheduleEvent) => void;
  readonly limiter: Limiter;

  constructor(
    private readonly work: (item: T, ctx: WorkContext) => Promise<R>,
    private readonly toFailure: (err: unknown) => Failure,
    private readonly opts: ScheduleOptions & { limiter?: Limiter },
  ) {
    this.gate = opts.gate ?? new ThrottleGate(opts.clock, opts.random);
    this.emit = opts.onEvent ?? (() => undefined);
    this.limiter = opts.limiter ?? new Limiter(opts.concurrency);
  }

  async run(item: T, index: number): Promise<Outcome<R>> {
    let release: () => void;
    try {
      release = await this.limiter.acquire(this.opts.signal);
    } catch {
      const outcome: Outcome<R> = {
        status: 'canceled',
        attempts: 0,
        durationMs: 0,
        failure: { message: 'run canceled before this import started' },
      };
      this.emit({ type: 'end', index, outcome }); // its log line too: every line ends in one state
      return outcome;
    }
    try {
      const outcome = await runItem(index, (ctx) => this.work(item, ctx), this.toFailure, {
        ...this.opts,
        gate: this.gate,
        emit: this.emit,
      });
      this.emit({ type: 'end', index, outcome });
      return outcome;
    } finally {
      release();
    }
  }
}

/** Every item through one Scheduler, all handed over at once: outcomes in the items' order. */
export async function runScheduled<T, R>(
  items: readonly T[],
  work: (item: T, ctx: WorkContext) => Promise<R>,
  toFailure: (err: unknown) => Failure,
  opts: ScheduleOptions & { limiter?: Limiter },
): Promise<Outcome<R>[]> {
  const scheduler = new Scheduler(work, toFailure, opts);
  return Promise.all(items.map((item, index) => scheduler.run(item, index)));
}

/**
 * One item from its first attempt to its one Outcome: its attempts (withRetries) raced against
 * its timeout; a cancel or the timeout aborts the attempt in flight.
 */
async function runItem<R>(
  index: number,
  work: (ctx: WorkContext) => Promise<R>,
  toFailure: (err: unknown) => Failure,
  opts: ScheduleOptions & { gate: ThrottleGate; emit: (e: ScheduleEvent) => void },
): Promise<Outcome<R>> {
  const { clock, gate, emit } = opts;
  const itemAbort = new AbortController();
  const onCancel = (): void => itemAbort.abort();
  opts.signal?.addEventListener('abort', onCancel, { once: true });
  let attempts = 0;
  let lastFailure: Failure | undefined;
  let started = clock.now();
  try {
    await gate.wait(itemAbort.signal);
    started = clock.now();
    const attemptsLoop = withRetries(work, toFailure, {
      ...opts,
      signal: itemAbort.signal,
      onAttempt: (attempt) => {
        attempts = attempt;
        emit({ type: 'start', index, attempt });
      },
      onRetry: (r) => {
        lastFailure = r.failure;
        emit({ type: 'retry', index, ...r });
      },
    }).catch((err: unknown) => {
      if (err instanceof RetriesExhausted)
        throw new Finished({ status: 'failed', failure: err.failure, attempts });
      throw err;
    });
    const timeout = clock.sleep(opts.timeoutMs, itemAbort.signal).then(() => {
      throw new Finished({
        status: 'timed-out',
        attempts,
        failure: {
          message: `abandoned after ${formatMinutes(opts.timeoutMs)} (importTimeoutMinutes); an import already started may still complete in Azure${lastFailure ? `; last error: ${lastFailure.message}` : ''}`,
        },
      });
    });
    const value = await Promise.race([attemptsLoop, timeout]);
    return { status: 'done', value, attempts, durationMs: clock.now() - started };
  } catch (err) {
    const durationMs = attempts === 0 ? 0 : clock.now() - started;
    if (err instanceof Finished) return { ...err.outcome, durationMs };
    if (opts.signal?.aborted) {
      const message =
        attempts > 0
          ? 'run canceled while importing; the import may still complete in Azure'
          : 'run canceled before this import started';
      return { status: 'canceled', attempts, durationMs, failure: { message } };
    }
    return { status: 'failed', attempts, durationMs, failure: toFailure(err) };
  } finally {
    itemAbort.abort(); // stops the losing side of the race (timer or polling)
    opts.signal?.removeEventListener('abort', onCancel);
  }
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60000;
  return minutes >= 1 ? `${+minutes.toFixed(2)} min` : `${Math.round(ms / 1000)} s`;
}
