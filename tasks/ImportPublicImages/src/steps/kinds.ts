// The kind step: a line that will be imported is what it says it is. An `oci://` line (kind
// chart) must name a Helm chart (its manifest's config media type is Helm's), and an image line
// must not name one (a chart imported as an image would land where no `helm install` looks for
// it). One manifest GET per line to import: a chart line always; an image line only when its HEAD
// answered a single OCI manifest (an index is never a chart) and it is not on Docker Hub (where a
// GET spends a pull). A line skipped, refused or pushed from an HTTP repository is not read. A line
// of the wrong kind fails, nothing imported, with the line to write instead.
import { manifestKind, OCI_MANIFEST } from '../core/charts/oci';
import { OCI_SCHEME } from '../core/charts/line';
import { Limiter } from '../core/run/lineStages';
import {
  credentialFor,
  isHttpChart,
  type LineRecord,
  type SourceCredentials,
} from '../core/plan/decisions';
import type { Reporter } from '../core/results/reporter';
import { describeError } from '../registry/http';
import { MANIFEST_MEDIA_TYPES } from '../registry/manifests';
import type { SourceRegistries } from '../registry/sourceRegistries';

export interface KindDeps {
  sources: Pick<SourceRegistries, 'get'>;
  credentials: SourceCredentials;
  out: Reporter;
  concurrency: number;
  signal?: AbortSignal;
}

/** Whether the line's manifest is read to confirm its kind. */
export function readsKind(record: LineRecord): boolean {
  const { item, decision, check } = record;
  if (decision.armMode === undefined || isHttpChart(item)) return false;
  if (item.chart?.kind === 'oci') return true;
  return check.sourceMediaType === OCI_MANIFEST && item.source.registry !== 'docker.io';
}

/** Why the line is of the wrong kind, or undefined when it is what it says. */
export async function kindProblem(record: LineRecord, deps: KindDeps): Promise<string | undefined> {
  const { item, decision } = record;
  const chartLine = item.chart?.kind === 'oci';
  const reference = decision.pin ?? item.source.digest ?? item.source.tag ?? 'latest';
  const credential = credentialFor(item.credentialKey, deps.credentials);
  let kind: ReturnType<typeof manifestKind>;
  try {
    const res = await deps.sources.get(
      item.source.registry,
      item.source.repository,
      `manifests/${reference}`,
      credential,
      MANIFEST_MEDIA_TYPES.join(', '),
      deps.signal,
    );
    if (res.status !== 200) throw new Error(`the manifest GET answered ${res.status}`);
    kind = manifestKind(res.body);
  } catch (err) {
    // A chart line fails closed (ARM is not asked to import what may not be a chart); an image
    // line is imported as before.
    return chartLine
      ? `could not read ${item.sourceText}'s manifest to confirm it is a Helm chart (${describeError(err)})`
      : undefined;
  }
  if (chartLine && kind !== 'chart') {
    return (
      `${item.sourceText} is not a Helm chart (its manifest's config media type is not ` +
      `application/vnd.cncf.helm.config.v1+json): remove ${OCI_SCHEME} to import it as an image`
    );
  }
  if (!chartLine && kind === 'chart') {
    return `${item.sourceText} is a Helm chart: write the line as ${OCI_SCHEME}${item.text.trim()}`;
  }
  return undefined;
}

/**
 * The kind stage of the per-line pipeline: each line to import whose kind is read (readsKind), at
 * most `concurrency` at once; a line of the wrong kind loses its import and fails with the reason.
 */
export function kindStage(deps: KindDeps): (record: LineRecord) => Promise<void> {
  const slots = new Limiter(deps.concurrency);
  return async (record) => {
    if (!readsKind(record) || deps.signal?.aborted) return;
    const problem = await slots
      .run(() => kindProblem(record, deps), deps.signal)
      .catch(() => undefined);
    if (problem === undefined) return;
    delete record.decision.armMode;
    record.decision.refused = problem;
    deps.out.log(`line ${record.item.line}: ${record.item.sourceText} refused: ${problem}`);
  };
}
