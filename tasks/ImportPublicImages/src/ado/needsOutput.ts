// The needed images on the agent: each file problem annotated on its file and line, each gap a
// warning (an error when unlistedImages is fail) on the manifest line that needs it, and the
// neededGapCount output variable. Messages come from core/needs/needsReport.ts (neutralised).
import * as tl from 'azure-pipelines-task-lib/task';
import { GAP_STATUSES, type NeedResult } from '../core/needs/match';
import { gapMessage, logText, neededCounts, type UnlistedImages } from '../core/needs/needsReport';
import type { FileProblem } from '../core/needs/yamlDocs';

/** At most this many gaps get an annotation of their own; the plan lists them all. */
export const MAX_GAP_ANNOTATIONS = 50;

export function annotateNeedsProblems(problems: readonly FileProblem[]): void {
  for (const p of problems.slice(0, MAX_GAP_ANNOTATIONS))
    tl.logIssue(tl.IssueType.Error, logText(p.message), logText(p.file), p.line);
}

/** Annotates the gaps and sets neededGapCount. */
export function publishNeeds(results: readonly NeedResult[], policy: UnlistedImages): void {
  const gaps = results.filter((r) => GAP_STATUSES.includes(r.status));
  const type = policy === 'fail' ? tl.IssueType.Error : tl.IssueType.Warning;
  for (const r of gaps.slice(0, MAX_GAP_ANNOTATIONS))
    tl.logIssue(
      type,
      gapMessage(r),
      r.file === undefined ? undefined : logText(r.file),
      r.fileLine,
    );
  if (gaps.length > MAX_GAP_ANNOTATIONS)
    tl.logIssue(type, `${gaps.length - MAX_GAP_ANNOTATIONS} more gap(s): see the plan.`);
  tl.setVariable('neededGapCount', String(neededCounts(results).gaps), false, true);
}
