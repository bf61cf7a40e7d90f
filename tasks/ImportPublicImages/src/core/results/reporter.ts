// What the steps may tell the pipeline, as an interface: ado/output.ts implements it with
// task-lib; tests with an array. The steps never see task-lib.
import type { ListAnnotation } from '../list/listFile';
import type { RunResult } from './report';
import type { Markdown } from './safeText';

export interface Reporter {
  /** A log line (the implementation prefixes the elapsed time). */
  log(text: string): void;
  /** A warning annotation. */
  warn(text: string): void;
  /** The task's progress, `done` of `total`. */
  progress(done: number, total: number, what: string): void;
  /** Masks a value in every later log line. */
  secret(value: string): void;
}

/** Everything a run tells the pipeline: the steps' Reporter, and how a run ends. */
export interface RunReporter extends Reporter {
  /** Milliseconds since the run started. */
  elapsed(): number;
  /** A plain line, already prefixed by the caller. */
  raw(text: string): void;
  /** Annotates the list's problems, each on its file line. */
  listProblems(file: string, annotations: readonly ListAnnotation[]): void;
  /** Ends a run whose list names no image: a warning, zero counts, succeeded. */
  nothingToImport(warning: string): void;
  /** Fails the task before any result was written; counts stay zero but `failedCount`. */
  fail(message: string, failedCount?: number): void;
  /** The reason fail() gave, when the run failed before any report. */
  readonly failedBeforeReport: string | undefined;
  /** Output variables, the summary tab (markdown) and the JSON result. */
  publish(result: RunResult, resultPath: string, summary: Markdown): void;
  /** The task result, by the failure policy. */
  finish(result: RunResult, policy: 'fail' | 'warn'): void;
}
