// Everything the task shows the pipeline: log lines with elapsed time, progress, list
// annotations, the markdown summary, the JSON result, output variables and the result. The one
// door to the agent's output: every line, annotation, progress text and result message goes
// through core/results/safeText.ts logText (no logging command, line break or control from data),
// and the summary is Markdown (data escaped where it was built). Lint keeps console and task-lib's
// logging functions out of every other module.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { summaryPath as summaryFileIn } from '../core/list/paths';
import type { ListAnnotation } from '../core/list/listFile';
import type { RunReporter } from '../core/results/reporter';
import { elapsedPrefix, verdict, type RunResult } from '../core/results/report';
import { logText, type Markdown } from '../core/results/safeText';
import { resultPathError, writeOutputFile } from './files';

/** Whether a run's counts were already published (a later failure must not zero them). */
let countsPublished = false;

/** Exits once stdout is flushed (a pipe on Windows is asynchronous). */
export const exitFlushed = (): void => void process.stdout.write('', () => process.exit());

/** A warning annotation, neutralised: for the ado/ modules that warn before a TaskOutput exists. */
export function warning(text: string): void {
  tl.warning(logText(text));
}

/** One stdout line, neutralised (core/results/safeText.ts logText). */
function line(text: string): void {
  console.log(logText(text));
}

function setCounts(imported: number, skipped: number, failed: number): void {
  tl.setVariable('importedCount', String(imported), false, true);
  tl.setVariable('skippedCount', String(skipped), false, true);
  tl.setVariable('failedCount', String(failed), false, true);
}

export class TaskOutput implements RunReporter {
  /** Set when the JSON result could not be written at the end: finish() then fails the task. */
  private resultError: string | undefined;

  constructor(private readonly started: number = Date.now()) {}

  elapsed(): number {
    return Date.now() - this.started;
  }

  log(text: string): void {
    line(`${elapsedPrefix(this.elapsed())} ${text}`);
  }

  /** Plain line, already prefixed by the caller. */
  raw(text: string): void {
    line(text);
  }

  warn(text: string): void {
    warning(text);
  }

  /** Masks a value in every later log line (the agent's setsecret). */
  secret(value: string): void {
    tl.setSecret(value);
  }

  progress(done: number, total: number, what: string): void {
    tl.setProgress(total === 0 ? 100 : Math.floor((done / total) * 100), logText(what));
  }

  /** Annotates the list's problems (see core/list/listFile reviewList), each on its file line. */
  listProblems(file: string, annotations: readonly ListAnnotation[]): void {
    for (const a of annotations) {
      const type = a.type === 'error' ? tl.IssueType.Error : tl.IssueType.Warning;
      tl.logIssue(type, logText(a.message), file, a.line); // file: a property, task-lib escapes it
    }
  }

  /**
   * Sets the output variables, attaches the summary and writes the JSON result, each on its own:
   * a result file that cannot be written (its folder removed or locked during the run) still
   * leaves the counts and the summary (then written to the agent's temp folder), and finish()
   * reports the write as the task's failure.
   */
  publish(result: RunResult, resultPath: string, summary: Markdown): void {
    setCounts(result.counts.imported, result.counts.skipped, result.counts.failed);
    countsPublished = true;
    this.attachSummary(summary, resultPath);
    try {
      fs.mkdirSync(path.dirname(resultPath), { recursive: true });
      writeOutputFile(resultPath, `${JSON.stringify(result, null, 2)}\n`); // never through a symlink
    } catch (err) {
      this.resultError = resultPathError(resultPath, err);
      this.log(`result: not written (${this.resultError})`);
      return;
    }
    tl.setVariable('resultPath', resultPath, false, true);
    this.log(`result: ${resultPath}`);
  }

  private attachSummary(summary: Markdown, resultPath: string): void {
    const temp = tl.getVariable('Agent.TempDirectory') ?? os.tmpdir();
    for (const dir of [path.dirname(resultPath), temp]) {
      const summaryPath = summaryFileIn(path, resultPath, dir);
      try {
        fs.mkdirSync(dir, { recursive: true });
        writeOutputFile(summaryPath, summary.text);
      } catch {
        continue; // the result folder is gone or locked: the next one
      }
      tl.addAttachment('Distributedtask.Core.Summary', 'Import public images', summaryPath);
      this.log(`summary: ${summaryPath}`);
      return;
    }
    this.warn(`The summary could not be written to ${path.dirname(resultPath)} nor ${temp}.`);
  }

  finish(result: RunResult, policy: 'fail' | 'warn'): void {
    const v = verdict(result, policy);
    if (this.resultError !== undefined) {
      tl.setResult(tl.TaskResult.Failed, logText(`${v.message}; ${this.resultError}`));
      return;
    }
    tl.setResult(tl.TaskResult[v.result], logText(v.message));
  }

  /**
   * Ends a run whose list names no image: a warning, zero counts, succeeded; no Azure request
   * was made and no result file is written.
   */
  nothingToImport(warning: string): void {
    this.warn(warning);
    setCounts(0, 0, 0);
    countsPublished = true;
    tl.setResult(tl.TaskResult.Succeeded, 'Nothing to import: the image list names no image.');
  }

  /**
   * Fails the task before any result file was written (invalid list, registry not found, auth):
   * the output variables still say what happened, nothing imported; resultPath stays unset.
   */
  fail(message: string, failedCount = 0): void {
    if (!countsPublished) setCounts(0, 0, failedCount);
    this.failedBeforeReport = message;
    tl.setResult(tl.TaskResult.Failed, logText(message));
  }

  /** Why the run failed before any report (an invalid list, a policy, Azure), if it did. */
  failedBeforeReport: string | undefined;

  /** Why the JSON result could not be written at the end, if it could not (finish() fails). */
  get resultNotWritten(): string | undefined {
    return this.resultError;
  }
}
