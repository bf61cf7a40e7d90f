// The report step: every line's result (the duplicates too), the run's counts, the closing log
// lines, the summary (the plan, for a dry run or a pull-request build), output variables and the
// JSON result. The task result is set by main, after the plan may have gone to the pull request.
import type { BuildRecord, ListRecord } from '../core/results/audit';
import type { ParsedList } from '../core/list/imageList';
import type { LineRecord, SourceCredentials } from '../core/plan/decisions';
import { planMarkdown, type Plan } from '../core/results/reviewPlan';
import { closingLines, countImages, markdownSummary, type RunResult } from '../core/results/report';
import type { CopyReferrers, VerifySignatures } from '../core/signatures/referrerPolicy';
import type { RunReporter } from '../core/results/reporter';
import { mdJoin, trusted } from '../core/results/safeText';
import type { NeedResult } from '../core/needs/match';
import {
  neededCounts,
  neededJson,
  neededLogLines,
  neededMarkdown,
  type UnlistedImages,
} from '../core/needs/needsReport';
import { imageResult, withDuplicates, type TargetRegistry } from '../core/results/imageResult';
import { TASK_VERSION } from '../version';

export interface ReportInputs {
  mode: RunResult['mode'];
  dryRun: boolean;
  credentials: SourceCredentials;
  failurePolicy: 'fail' | 'warn';
  resultPath: string;
  pullRequest: boolean;
  copyReferrers?: CopyReferrers;
  verifySignatures?: VerifySignatures;
}

export function report(
  records: readonly LineRecord[],
  list: ParsedList,
  run: {
    inputs: ReportInputs;
    acr: TargetRegistry;
    canceled: boolean;
    startedAt: Date;
    /** The audit record: the build (agent variables) and the list read (core/results/audit.ts). */
    audit?: { run: BuildRecord; list: ListRecord };
    /** The needed images, judged (steps/needs.ts), with the unlistedImages policy. */
    needed?: { results: readonly NeedResult[]; policy: UnlistedImages };
  },
  out: RunReporter,
): { result: RunResult; plan?: Plan } {
  const { inputs, acr } = run;
  const ctx = { acr, credentials: inputs.credentials, dryRun: inputs.dryRun };
  const images = withDuplicates(
    records.map((r) => imageResult(r, ctx)),
    list.warnings,
  );
  const result: RunResult = {
    version: 1,
    taskVersion: TASK_VERSION,
    ...run.audit,
    acr: { name: acr.name, loginServer: acr.loginServer, resourceGroup: acr.resourceGroup },
    mode: inputs.mode,
    dryRun: inputs.dryRun,
    canceled: run.canceled,
    startedAt: run.startedAt.toISOString(),
    durationMs: out.elapsed(),
    counts: countImages(images, {
      referrers: (inputs.copyReferrers ?? 'none') !== 'none',
      signatures: (inputs.verifySignatures ?? 'off') !== 'off',
    }),
    images,
  };
  const needed = run.needed;
  if (needed) {
    result.counts.needed = neededCounts(needed.results);
    result.needed = neededJson(needed.results);
  }
  for (const line of closingLines(result, inputs.failurePolicy)) out.raw(line);
  for (const line of needed ? neededLogLines(needed.results) : []) out.raw(`  ${line}`);
  const section = needed ? neededMarkdown(needed.results, needed.policy) : trusted('');
  // A dry run (and a pull-request build) shows the plan, leading with what would change.
  const base = result.dryRun
    ? planMarkdown(result, { pullRequest: inputs.pullRequest })
    : undefined;
  const plan = base && { ...base, markdown: mdJoin([base.markdown, section], '') };
  const summary = plan?.markdown ?? mdJoin([markdownSummary(result), section], '');
  out.publish(result, inputs.resultPath, summary);
  return { result, ...(plan ? { plan } : {}) };
}
