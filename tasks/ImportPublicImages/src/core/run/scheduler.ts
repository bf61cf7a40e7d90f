// Bounded-concurrency runner: each item waits for a slot of a Limiter, then runs to exactly one
// Outcome (retries with backoff, the throttle gate shared by every worker, a timeout per item,
// cancellation). Pure: time comes from a Clock, randomness from a function, I/O from `work`.
import { Limiter, type Slots } from './lineStages';
import type { BackoffOptions, Failure } from './retry';
import { RetriesExhausted, withRetries, type WorkContext } from './retryLoop';
import { systemClock, type Clock } from './clock';
import { ThrottleGate } from './throttleGate';
import type { Outcome, ScheduleEvent } from './outcome';

class Finished {
  constructor(readonly outcome: Omit<Outcome<never>, 'durationMs'>) {}
}

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

/**
 * Runs items one call at a time, as they come (a line is handed over when its check and decision
 * are done): each waits for a slot of the limiter (at most its limit at once, in the order they
 * came), then runs to its one Outcome (retries, the shared gate, its timeout), then emits its end
 * event. Once `signal` aborts, an item still waiting ends canceled without starting.
 */
export class Scheduler<T, R> {
  private readonly gate: ThrottleGate;
  private readonly emit: (e: ScheduleEvent) => void;
  readonly limiter: Slots;

  constructor(
    private readonly work: (item: T, ctx: WorkContext) => Promise<R>,
    private readonly toFailure: (err: unknown) => Failure,
    private readonly opts: ScheduleOptions & {
      limiter?: Slots;
      /** An item's own slots (a line's, shared with what is carried with it), else `limiter`'s. */
      slotsFor?: (item: T) => Slots;
    },
  ) {
    this.gate = opts.gate ?? new ThrottleGate(opts.clock, opts.random);
    this.emit = opts.onEvent ?? (() => undefined);
    this.limiter = opts.limiter ?? new Limiter(opts.concurrency);
  }

  async run(item: T, index: number): Promise<Outcome<R>> {
    let release: () => void;
    try {
      const slots = this.opts.slotsFor?.(item) ?? this.limiter;
      release = await slots.acquire(this.opts.signal);
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
  opts: ScheduleOptions & { limiter?: Slots },
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

/** What every import of a run shares (retries, timeout, clock, cancel, the throttle gate), from a step's deps. */
export function runOptions(d: {
  retries: number;
  timeoutMs: number;
  clock?: Clock;
  signal?: AbortSignal;
  gate?: ThrottleGate;
}): Omit<ScheduleOptions, 'concurrency'> {
  const { retries, timeoutMs, signal, gate } = d;
  return { retries, timeoutMs, clock: d.clock ?? systemClock, random: Math.random, signal, gate };
}
