// The types of an item's one Outcome and the events on its way there (core/run/scheduler.ts runs
// items to it). Pure.
import type { Failure } from './retry';

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
