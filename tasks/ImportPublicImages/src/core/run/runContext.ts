// What every step of one run shares, passed as one object instead of a copy in each step's
// dependencies: where the step tells the pipeline (output), the run's cancel (signal), time
// (clock) and the throttle gate every ARM request waits at. Pure: types only.
import type { Reporter } from '../results/reporter';
import type { Clock } from './clock';
import type { ThrottleGate } from './throttleGate';

export interface RunContext<O extends Reporter = Reporter> {
  /** Log lines, warnings, progress, secrets (ado/output.ts TaskOutput; a test records them). */
  out: O;
  /** The run's cancel (SIGINT/SIGTERM): a step stops starting work, and what waits ends. */
  signal: AbortSignal;
  clock: Clock;
  /** One per run: an ARM 429's Retry-After pauses every ARM request, reads and imports alike. */
  gate: ThrottleGate;
}
