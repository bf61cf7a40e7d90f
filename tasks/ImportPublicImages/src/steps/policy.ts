// The policy step, in two places of the flow: allowedSources right after the list is parsed (before
// any request), requireDigests right after the check (which read the digest each unpinned tag
// points at now). A line a policy refuses is an error annotated on its line, as an invalid line
// is, and the task fails with nothing imported. allowUpdates is applied by the decide step.
import { compilePatterns, sourceViolations } from '../core/plan/allowedSources';
import type { ParsedList, ListProblem } from '../core/list/imageList';
import { capped, clip, MAX_ECHO } from '../core/list/listFile';
import type { CheckResult, PlanItem } from '../core/plan/decisions';
import { unpinnedProblems } from '../core/plan/policy';
import type { RunReporter } from '../core/results/reporter';

/** The list file: as the input names it (in messages), and as annotations name it. */
interface ListFile {
  imageListInput: string;
  /** The list's path in annotations (relative to the repository when inside it), as parse's. */
  imageListAnnotationPath: string;
}

/** Annotates the problems on their lines and fails the task; false when there were any. */
function refuse(
  list: ListFile,
  problems: readonly ListProblem[],
  what: string,
  out: RunReporter,
  exampleMax?: number,
): boolean {
  const first = problems[0];
  if (first === undefined) return true;
  const file = list.imageListInput;
  out.listProblems(list.imageListAnnotationPath, capped(file, 'error', problems, exampleMax));
  out.fail(
    clip(
      `${problems.length} ${what} in ${file}, nothing was imported; line ${first.line}: ${first.message}`,
      MAX_ECHO * 2,
    ),
    problems.length,
  );
  return false;
}

/**
 * allowedSources: every line's `registry/repository` must match a pattern. False (the task has
 * failed, each line outside the patterns annotated) when one does not.
 */
export function checkAllowedSources(
  list: ParsedList,
  inputs: ListFile & { allowedSources: readonly string[] },
  out: RunReporter,
): boolean {
  const problems = sourceViolations(list.entries, compilePatterns(inputs.allowedSources));
  return refuse(inputs, problems, 'line(s) outside allowedSources', out);
}

/**
 * requireDigests: every source must carry a digest. False (the task has failed, each unpinned
 * line annotated with itself pinned to the digest its tag points at now) when one does not. A run
 * canceled during the check goes on to its report (nothing is imported).
 */
export function checkPinned(
  items: readonly PlanItem[],
  checked: { checks: readonly CheckResult[]; canceled: boolean },
  inputs: ListFile & { requireDigests: boolean },
  out: RunReporter,
): boolean {
  if (!inputs.requireDigests || checked.canceled) return true;
  const problems = unpinnedProblems(items, checked.checks);
  // The fix is the whole line pinned: shown whole, to be pasted.
  return refuse(inputs, problems, 'unpinned line(s)', out, MAX_ECHO * 4);
}
