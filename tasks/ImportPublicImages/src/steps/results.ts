// Turns plan, checks, decisions and outcomes into the per-image results of the report.
import type { ListProblem } from '../core/imageList';
import type { CheckResult, Decision, ImportMode, PlanItem, SourceCredentials } from '../core/plan';
import { decide, targetNames } from '../core/plan';
import type { ImageResult, ImageStatus } from '../core/report';
import type { Outcome } from '../core/schedule';
import type { AcrTarget } from '../azure/acr';
import { ALREADY_PRESENT_NOTE, alreadyPresent, errorText } from './imports';

export interface ItemRecord {
  item: PlanItem;
  check: CheckResult;
  decision: Decision;
  /** Undefined when no import ran (skipped, or dry run). */
  outcome?: Outcome<void>;
}

/**
 * The decision for each item from its check. When the run was canceled during the check, the
 * check's failures are the cancel's, not the registry's: no "could not read, importing with
 * Force" note (nothing is imported either).
 */
export function planRecords(
  items: readonly PlanItem[],
  mode: ImportMode,
  checks: readonly CheckResult[],
  canceled: boolean,
): ItemRecord[] {
  return items.map((item, i) => {
    const check = checks[i] ?? {};
    const decision = decide(item, mode, check);
    if (canceled && decision.action === 'unverified') delete decision.note;
    return { item, check, decision };
  });
}

function notFoundOutcome(check: CheckResult): Outcome<void> {
  const message = check.sourceError ?? 'the source was not found upstream';
  return {
    status: 'failed',
    attempts: 0,
    durationMs: 0,
    failure: { message, statusCode: 404, code: 'MANIFEST_UNKNOWN' },
  };
}

export function imageResult(
  r: ItemRecord,
  ctx: { acr: AcrTarget; credentials: SourceCredentials; dryRun: boolean },
): ImageResult {
  const { item, decision, outcome } = r;
  let status: ImageStatus;
  let error: string | null = null;
  let note = decision.note;
  if (decision.action === 'skip') status = 'skipped';
  else if (decision.action === 'none') {
    // Known before importing: the source does not exist upstream.
    status = 'failed';
    error = errorText({ item, decision }, notFoundOutcome(r.check), ctx);
  } else if (ctx.dryRun) status = 'planned';
  else if (!outcome) status = 'canceled';
  else if (outcome.status === 'done') status = 'imported';
  else if (alreadyPresent(decision, outcome)) {
    // missing mode imported without a check (or raced): the tag exists, which is what we wanted.
    status = 'skipped';
    note = ALREADY_PRESENT_NOTE;
  } else {
    status = outcome.status;
    error = errorText({ item, decision }, outcome, ctx);
  }
  return {
    line: item.line,
    source: item.sourceText,
    registry: item.source.registry,
    repository: item.source.repository,
    tag: item.source.tag ?? (item.source.digest ? null : 'latest'),
    digest: item.source.digest ?? r.check.sourceDigest ?? null,
    targets: targetNames(item).map((t) => `${ctx.acr.loginServer}/${t}`),
    action: decision.action,
    status,
    attempts: outcome?.attempts ?? 0,
    durationMs: outcome?.durationMs ?? 0,
    error,
    ...(note ? { note } : {}),
  };
}

/**
 * Adds a `skipped` result for each exact duplicate line (a list warning, left out of the
 * plan), a copy of the line it repeats, so that every line of the list is reported; in line order.
 */
export function withDuplicates(
  images: readonly ImageResult[],
  warnings: readonly ListProblem[],
): ImageResult[] {
  const byLine = new Map(images.map((i) => [i.line, i]));
  const duplicates: ImageResult[] = [];
  for (const w of warnings) {
    const twin = w.duplicateOf === undefined ? undefined : byLine.get(w.duplicateOf);
    if (!twin) continue;
    duplicates.push({
      ...twin,
      line: w.line,
      action: 'skip',
      status: 'skipped',
      attempts: 0,
      durationMs: 0,
      error: null,
      note: `duplicate of line ${twin.line}`,
    });
  }
  return [...images, ...duplicates].sort((a, b) => a.line - b.line);
}
