// Everything the task shows the pipeline: log lines with elapsed time, progress, list
// annotations, the markdown summary, the JSON result, output variables and the result.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import { formatProblem, type ListProblem } from '../core/imageList';
import { elapsedPrefix, markdownSummary, verdict, type RunResult } from '../core/report';

/** Whether a run's counts were already published (a later failure must not zero them). */
let countsPublished = false;

function setCounts(imported: number, skipped: number, failed: number): void {
  tl.setVariable('importedCount', String(imported), false, true);
  tl.setVariable('skippedCount', String(skipped), false, true);
  tl.setVariable('failedCount', String(failed), false, true);
}

export class TaskOutput {
  constructor(private readonly started: number = Date.now()) {}

  elapsed(): number {
    return Date.now() - this.started;
  }

  log(text: string): void {
    console.log(`${elapsedPrefix(this.elapsed())} ${text}`);
  }

  /** Plain line, already prefixed by the caller. */
  raw(text: string): void {
    console.log(text);
  }

  warn(text: string): void {
    tl.warning(text);
  }

  progress(done: number, total: number, what: string): void {
    tl.setProgress(total === 0 ? 100 : Math.floor((done / total) * 100), what);
  }

  /** Annotates each problem on its file line (errors fail the task; warnings do not). */
  listProblems(file: string, errors: ListProblem[], warnings: ListProblem[]): void {
    for (const p of warnings)
      tl.logIssue(tl.IssueType.Warning, formatProblem(file, p), file, p.line);
    for (const p of errors) tl.logIssue(tl.IssueType.Error, formatProblem(file, p), file, p.line);
  }

  /** Writes the JSON result, attaches the summary and sets the output variables. */
  publish(result: RunResult, resultPath: string): void {
    fs.mkdirSync(path.dirname(resultPath), { recursive: true });
    fs.writeFileSync(resultPath, `${JSON.stringify(result, null, 2)}\n`);
    const summaryPath = path.join(
      path.dirname(resultPath),
      `${path.basename(resultPath, '.json')}.summary.md`,
    );
    fs.writeFileSync(summaryPath, markdownSummary(result));
    tl.addAttachment('Distributedtask.Core.Summary', 'Import public images', summaryPath);
    setCounts(result.counts.imported, result.counts.skipped, result.counts.failed);
    tl.setVariable('resultPath', resultPath, false, true);
    countsPublished = true;
    this.log(`result: ${resultPath}`);
    this.log(`summary: ${summaryPath}`);
  }

  finish(result: RunResult, policy: 'fail' | 'warn'): void {
    const v = verdict(result, policy);
    tl.setResult(tl.TaskResult[v.result], v.message);
  }

  /**
   * Fails the task before any result file was written (invalid list, registry not found, auth):
   * the output variables still say what happened, nothing imported; resultPath stays unset.
   */
  fail(message: string, failedCount = 0): void {
    if (!countsPublished) setCounts(0, 0, failedCount);
    tl.setResult(tl.TaskResult.Failed, message);
  }
}
