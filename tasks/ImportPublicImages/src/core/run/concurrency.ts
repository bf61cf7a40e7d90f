// How many imports (and digest checks) run at once: the `concurrency` input exactly when it is
// set; otherwise a default that grows with the list, within ARM's write budget, and is halved on
// the first ARM 429 of each throttle pause. Pure: time from a Clock, the log through a callback.
import { Limiter } from './lineStages';
import type { Clock } from './clock';

/** The default for short lists (what the task always used before it grew with the list). */
export const DEFAULT_CONCURRENCY = 8;
/** The input's own maximum, and the most the default grows to. */
export const MAX_CONCURRENCY = 32;
/** The default grows so that a list takes at most about this many rounds of imports. */
export const DEFAULT_ROUNDS = 8;

export interface ConcurrencyChoice {
  /** Imports at once (ARM importImage, each a write and its polls). */
  imports: number;
  /** Registry reads at once (digest checks, signature reads, referrer discovery): the input when
   * set; for a chosen default twice the imports (cheap reads), at most 32. */
  checks: number;
  /** Chosen by the task (the input was empty): it backs off on 429s. */
  auto: boolean;
  /** The log line that says what was chosen and why. */
  line: string;
}

/**
 * The input when set (honoured exactly); else ⌈lines / 8⌉ within [8, 32]. 32 is the input's
 * maximum and stays inside ARM's write budget (a token bucket of 200 writes per subscription and
 * principal, refilled at 10 a second): a burst of 32 importImage POSTs spends 32 of the 200 and,
 * since an import takes seconds, 32 at once send well under 10 writes a second after it.
 */
export function chooseConcurrency(input: number | undefined, lines: number): ConcurrencyChoice {
  const checks = (imports: number): number => Math.min(MAX_CONCURRENCY, imports * 2);
  // A set input bounds the registry reads too: a gentle setting stays gentle.
  if (input !== undefined) {
    return {
      imports: input,
      checks: input,
      auto: false,
      line: `concurrency ${input} (the concurrency input: imports and registry reads)`,
    };
  }
  const imports = Math.min(
    MAX_CONCURRENCY,
    Math.max(DEFAULT_CONCURRENCY, Math.ceil(lines / DEFAULT_ROUNDS)),
  );
  return {
    imports,
    checks: checks(imports),
    auto: true,
    line:
      `concurrency ${imports} (default for ${lines} line(s)` +
      (imports > DEFAULT_CONCURRENCY
        ? `, halved down to ${DEFAULT_CONCURRENCY} if ARM throttles the imports`
        : '') +
      `; set the concurrency input to fix it)`,
  };
}

/**
 * The import concurrency while the run goes: a chosen default is halved on the first ARM 429 of
 * each throttle pause (the 429s answered while that pause runs are the same storm), never below
 * 8, the fixed default the task had before (a list it served is never made slower than it was by a
 * throttle that the shared Retry-After pause already waits out). An input value is never changed:
 * every worker still waits out each Retry-After (core/run/throttleGate.ts).
 */
export class ImportConcurrency {
  private pauseEnds = -Infinity;
  private readonly floor: number;
  /** The imports' slots (core/run/lineStages.ts). */
  readonly limiter: Limiter;

  constructor(
    private readonly choice: ConcurrencyChoice,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
  ) {
    this.limiter = new Limiter(choice.imports);
    this.floor = Math.min(choice.imports, DEFAULT_CONCURRENCY);
  }

  /** An import was answered 429 and every worker now waits delayMs. */
  throttled(delayMs: number): void {
    const now = this.clock.now();
    const newPause = now >= this.pauseEnds;
    this.pauseEnds = Math.max(this.pauseEnds, now + delayMs);
    if (!this.choice.auto || !newPause) return;
    const before = this.limiter.limit;
    const after = Math.max(this.floor, Math.ceil(before / 2));
    if (after >= before) return;
    this.limiter.setLimit(after);
    this.log(
      `concurrency ${before} -> ${after}: ARM is throttling the imports (429); set the concurrency input to fix it`,
    );
  }
}
