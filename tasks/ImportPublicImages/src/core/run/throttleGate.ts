// The throttle gate shared by every worker: one ARM 429 + Retry-After pauses them all. Pure: time
// comes from a Clock, randomness from a function.
import type { Clock } from './clock';

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
