// The needed images on the agent: each file problem annotated on its file and line, each gap a
// warning (an error when unlistedImages is fail) on the manifest line that needs it, through
// ado/output.ts's door (listProblems neutralises the message); and the neededGapCount output
// variable.
import * as tl from 'azure-pipelines-task-lib/task';
import type { ListAnnotation } from '../core/list/listFile';
import { GAP_STATUSES, type NeedResult } from '../core/needs/match';
import { gapMessage, neededCounts, type UnlistedImages } from '../core/needs/needsReport';
import type { FileProblem } from '../core/needs/yamlDocs';
import type { RunReporter } from '../core/results/reporter';

/** At most this many problems or gaps get an annotation of their own; the plan lists them all. */
export const MAX_GAP_ANNOTATIONS = 50;

type Annotator = Pick<RunReporter, 'listProblems' | 'warn'>;

function annotate(out: Annotator, items: { file?: string; a: ListAnnotation }[]): void {
  for (const { file, a } of items.slice(0, MAX_GAP_ANNOTATIONS)) {
    if (file !== undefined) out.listProblems(file, [a]);
    else out.warn(a.message);
  }
  if (items.length > MAX_GAP_ANNOTATIONS)
    out.warn(`${items.length - MAX_GAP_ANNOTATIONS} more: see the plan and the log.`);
}

export function annotateNeedsProblems(problems: readonly FileProblem[], out: Annotator): void {
  annotate(
    out,
    problems.map((p) => ({
      file: p.file,
      a: { type: 'error', message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) },
    })),
  );
}

/** Annotates the gaps and sets neededGapCount. */
export function publishNeeds(
  results: readonly NeedResult[],
  policy: UnlistedImages,
  out: Annotator,
): void {
  const type = policy === 'fail' ? 'error' : 'warning';
  const gaps = results.filter((r) => GAP_STATUSES.includes(r.status));
  annotate(
    out,
    gaps.map((r) => ({
      ...(r.file !== undefined ? { file: r.file } : {}),
      a: {
        type,
        message: gapMessage(r),
        ...(r.fileLine !== undefined ? { line: r.fileLine } : {}),
      },
    })),
  );
  tl.setVariable('neededGapCount', String(neededCounts(results).gaps), false, true);
}
