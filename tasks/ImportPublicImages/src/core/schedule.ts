// Bounded-concurrency runner: retries with backoff, a throttle gate shared by every worker,
// a timeout per item, cancellation. Every item ends in exactly one Outcome. Pure: time comes
// from a Clock, randomness from a function, I/O from the `work` callback.
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

/** When one worker is told to slow down (ARM 429 + Retry-After), every worker waits. */
export class ThrottleGate {
  private until = 0;
  constructor(private readonly clock: Clock) {}

  pause(ms: number): void {
    this.until = Math.max(this.until, this.clock.now() + ms);
  }

  async wait(signal?: AbortSignal): Promise<void> {
    for (let left = this.until - this.clock.now(); left > 0; left = this.until - this.clock.now()) {
      await this.clock.sleep(left, signal);
    }
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

class Finished {
  constructor(readonly outcome: Omit<Outcome<never>, 'durationMs'>) {}
}

export async function runScheduled<T, R>(
  items: readonly T[],
  work: (item: T, ctx: WorkContext) => Promise<R>,
  toFailure: (err: unknown) => Failure,
  opts: ScheduleOptions,
): Promise<Outcome<R>[]> {
  const { clock } = opts;
  const gate = opts.gate ?? new ThrottleGate(clock);
  const outcomes: (Outcome<R> | undefined)[] = items.map(() => undefined);
  const emit = opts.onEvent ?? (() => undefined);
  let next = 0;

  const finish = (index: number, outcome: Outcome<R>): void => {
    if (outcomes[index] !== undefined) return;
    outcomes[index] = outcome;
    emit({ type: 'end', index, outcome });
  };

  const runItem = async (index: number, item: T): Promise<void> => {
    const itemAbort = new AbortController();
    const onCancel = (): void => itemAbort.abort();
    opts.signal?.addEventListener('abort', onCancel, { once: true });
    let attempts = 0;
    let retriesUsed = 0;
    let lastFailure: Failure | undefined;
    let started = clock.now();
    try {
      await gate.wait(itemAbort.signal);
      started = clock.now();
      const attemptsLoop = async (): Promise<R> => {
        for (;;) {
          await gate.wait(itemAbort.signal);
          attempts++;
          emit({ type: 'start', index, attempt: attempts });
          try {
            return await work(item, { attempt: attempts, signal: itemAbort.signal });
          } catch (err) {
            if (itemAbort.signal.aborted) throw err;
            const failure = toFailure(err);
            lastFailure = failure;
            const c = classify(failure);
            if (!c.transient || (!c.throttle && ++retriesUsed > opts.retries)) {
              throw new Finished({ status: 'failed', failure, attempts });
            }
            const delayMs = backoffMs(attempts, opts.random, c.retryAfterMs, opts.backoff);
            if (c.throttle) gate.pause(c.retryAfterMs ?? delayMs);
            emit({
              type: 'retry',
              index,
              attempt: attempts,
              delayMs,
              failure,
              throttled: c.throttle,
            });
            await clock.sleep(delayMs, itemAbort.signal);
          }
        }
      };
      const timeout = clock.sleep(opts.timeoutMs, itemAbort.signal).then(() => {
        throw new Finished({
          status: 'timed-out',
          attempts,
          failure: {
            message: `abandoned after ${formatMinutes(opts.timeoutMs)} (importTimeoutMinutes); an import already started may still complete in Azure${lastFailure ? `; last error: ${lastFailure.message}` : ''}`,
          },
        });
      });
      const value = await Promise.race([attemptsLoop(), timeout]);
      finish(index, { status: 'done', value, attempts, durationMs: clock.now() - started });
    } catch (err) {
      const durationMs = attempts === 0 ? 0 : clock.now() - started;
      if (err instanceof Finished) {
        finish(index, { ...err.outcome, durationMs });
      } else if (opts.signal?.aborted) {
        finish(index, {
          status: 'canceled',
          attempts,
          durationMs,
          failure: {
            message:
              attempts > 0
                ? 'run canceled while importing; the import may still complete in Azure'
                : 'run canceled before this import started',
          },
        });
      } else {
        finish(index, { status: 'failed', attempts, durationMs, failure: toFailure(err) });
      }
    } finally {
      itemAbort.abort(); // stops the losing side of the race (timer or polling)
      opts.signal?.removeEventListener('abort', onCancel);
    }
  };

  const worker = async (): Promise<void> => {
    while (next < items.length && !opts.signal?.aborted) {
      const index = next++;
      await runItem(index, items[index] as T);
    }
  };
  const workers = Math.max(1, Math.min(opts.concurrency, items.length));
  await Promise.all(Array.from({ length: workers }, worker));

  return outcomes.map(
    (o) =>
      o ?? {
        status: 'canceled',
        attempts: 0,
        durationMs: 0,
        failure: { message: 'run canceled before this import started' },
      },
  );
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60000;
  return minutes >= 1 ? `${+minutes.toFixed(2)} min` : `${Math.round(ms / 1000)} s`;
}
