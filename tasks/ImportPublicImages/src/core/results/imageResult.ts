// The result of each line, from what was planned, checked, decided and done: the rows of the
// report (log, summary, JSON). Pure.
import type { ListProblem } from '../list/imageList';
import {
  credentialFor,
  targetNames,
  type CheckResult,
  type Decision,
  type LineRecord,
  type SourceCredentials,
} from '../plan/decisions';
import type { ChartResult, ImageResult, ImageStatus } from './report';
import { failureText, hintFor } from './hints';
import { isAlreadyExists } from '../run/retry';
import { referrersProblem, signatureFailed, VERIFY_FAILED } from '../signatures/referrerPolicy';
import type { Outcome } from '../run/outcome';

/** The registry the lines go to, as the results name it. */
export interface TargetRegistry {
  name: string;
  loginServer: string;
  resourceGroup: string;
}

export const ALREADY_PRESENT_NOTE = 'already present (NoForce import refused to overwrite)';

/**
 * A NoForce import of a single target refused because the target exists: what missing mode
 * wanted, so it ends skipped. With several target tags the refusal says nothing about which
 * exist (NoForce copies none of them), so it stays a failure.
 */
export function alreadyPresent(decision: Decision, outcome: Outcome<unknown>): boolean {
  return (
    outcome.status === 'failed' &&
    decision.armMode === 'NoForce' &&
    (decision.untagged || decision.tags.length === 1) &&
    outcome.failure !== undefined &&
    isAlreadyExists(outcome.failure)
  );
}

/** The user-facing error of a failed outcome: the failure plus what to do about it. */
export function errorText(
  job: Pick<LineRecord, 'item' | 'decision'>,
  o: Outcome<void>,
  ctx: { acr: TargetRegistry; credentials: SourceCredentials },
): string | null {
  if (!o.failure) return null;
  const hint =
    o.status === 'failed'
      ? hintFor(o.failure, {
          sourceRegistry: job.item.source.registry,
          sourceRepository: job.item.source.repository,
          sourceText: job.item.text,
          hasCredentials: credentialFor(job.item.credentialKey, ctx.credentials) !== undefined,
          acrName: ctx.acr.name,
          resourceGroup: ctx.acr.resourceGroup,
          ...(job.item.chart ? { chart: job.item.chart.kind } : {}),
        })
      : undefined;
  return failureText(o.failure, hint);
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
  r: LineRecord,
  ctx: { acr: TargetRegistry; credentials: SourceCredentials; dryRun: boolean },
): ImageResult {
  const { item, decision, outcome } = r;
  let status: ImageStatus;
  let error: string | null = null;
  let note = decision.note;
  if (signatureFailed(r.signature)) {
    status = 'failed'; // verifySignatures refused it before any import (also in a dry run)
    error = `${VERIFY_FAILED}: ${r.signature?.reason ?? ''}`;
  } else if (decision.action === 'skip') status = 'skipped';
  else if (decision.action === 'none' && decision.refused === undefined) {
    // Known before importing: the source does not exist upstream.
    status = 'failed';
    error = errorText({ item, decision }, notFoundOutcome(r.check), ctx);
  } else if (decision.refused !== undefined) {
    status = 'failed'; // a policy refused it before any import (also in a dry run)
    error = decision.refused;
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
  // The image is in the ACR, but what refers to it is not all there: the line fails (failurePolicy).
  const carried = r.referrersFailure ?? referrersProblem(r.referrers);
  if (r.referrersError) note = note ? `${note}; ${r.referrersError}` : r.referrersError;
  if (carried && (status === 'imported' || status === 'skipped' || status === 'planned')) {
    status = 'failed';
    error = carried;
  }
  return {
    line: item.line,
    source: item.sourceText,
    registry: item.source.registry,
    repository: item.source.repository,
    tag: item.source.tag ?? (item.source.digest ? null : 'latest'),
    digest: item.source.digest ?? r.check.sourceDigest ?? null,
    ...previousDigest(r),
    targets: targetNames(item).map((t) => `${ctx.acr.loginServer}/${t}`),
    action: decision.action,
    status,
    attempts: outcome?.attempts ?? 0,
    durationMs: outcome?.durationMs ?? 0,
    error,
    ...(note ? { note } : {}),
    ...(r.signature ? { signature: r.signature } : {}),
    ...(r.referrers ? { referrers: r.referrers } : {}),
    ...chartFields(r),
  };
}

/** A chart line's kind and chart (name, version, repository, archive digest); {} for an image. */
function chartFields(r: LineRecord): Pick<ImageResult, 'kind' | 'chart'> {
  const chart = r.item.chart;
  if (!chart) return {};
  if (chart.kind === 'oci') {
    const oci: ChartResult = { name: chart.name, source: 'oci' };
    if (chart.version !== undefined) oci.version = chart.version;
    return { kind: 'chart', chart: oci };
  }
  const http: ChartResult = {
    name: chart.name,
    version: chart.version,
    repositoryUrl: chart.repositoryUrl,
    source: 'http',
  };
  const archive = r.check.archiveDigest ?? chart.archiveDigest;
  if (archive !== undefined) http.archiveDigest = archive;
  return { kind: 'chart', chart: http };
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
    const found = w.duplicateOf === undefined ? undefined : byLine.get(w.duplicateOf);
    if (!found) continue;
    const { referrers: _carriedByTwin, ...twin } = found; // carried (and counted) once, by the twin
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

/** What the line's first target held before this run, when the check read the registry. */
function previousDigest(r: LineRecord): { previousDigest?: string | null } {
  const targets = r.check.targets;
  if (!targets) return {};
  const first = r.item.targetTags[0] ?? '';
  const held = targets[first];
  return held === undefined ? {} : { previousDigest: held };
}
