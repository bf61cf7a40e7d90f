// An OCI chart's archive, read for the needed-images analysis (docs/needed-images.md): the chart's
// manifest (a GET, bounded as a manifest; by the digest the check read when it read one), then its
// one content layer (`application/vnd.cncf.helm.chart.content.v1.tar+gzip`), bounded as an HTTP
// chart's archive (refused by the manifest's declared size before any byte is asked, or as soon as
// the bytes pass the bound) and checked against its digest. The line's own credentials and the
// run's batched tokens (SourceRegistries.get). What a registry sends is checked where it enters: a
// manifest that is not a chart, a layer digest that is not a sha256, bytes that are not the digest.
import { BODY_LIMITS } from '../core/registry/bounds';
import { HELM_CHART_LAYER, manifestKind, sha256 } from '../core/charts/oci';
import type { Credential } from '../core/plan/decisions';
import { answered } from './http';
import { MANIFEST_MEDIA_TYPES } from './manifests';
import type { SourceRegistries } from './sourceRegistries';

const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** Which chart to read: its registry and repository, and a tag or a digest. */
export interface OciChartRef {
  registry: string;
  repository: string;
  /** A tag, or `sha256:<hex>` (then the manifest's bytes must have that digest). */
  reference: string;
}

/** The chart's layer descriptor in its manifest, or why there is none to read. */
export function chartLayerOf(
  manifestText: string,
): { ok: true; digest: string; size: number } | { ok: false; message: string } {
  if (manifestKind(manifestText) !== 'chart') {
    return { ok: false, message: "its manifest is not a Helm chart's" };
  }
  const layers = (JSON.parse(manifestText) as { layers?: unknown }).layers;
  const found = (Array.isArray(layers) ? layers : []).filter(
    (l): l is { mediaType: string; digest?: unknown; size?: unknown } =>
      typeof l === 'object' &&
      l !== null &&
      (l as { mediaType?: unknown }).mediaType === HELM_CHART_LAYER,
  );
  const layer = found[0];
  if (!layer || found.length > 1) {
    return {
      ok: false,
      message: `its manifest has ${found.length} ${HELM_CHART_LAYER} layers, not one`,
    };
  }
  if (typeof layer.digest !== 'string' || !SHA256.test(layer.digest)) {
    return { ok: false, message: 'its chart layer has no sha256 digest' };
  }
  const limit = BODY_LIMITS.chartArchive;
  if (typeof layer.size !== 'number' || !Number.isSafeInteger(layer.size) || layer.size < 0) {
    return { ok: false, message: 'its chart layer has no size' };
  }
  if (layer.size > limit) {
    return {
      ok: false,
      message: `its chart layer is ${layer.size} bytes, over ${limit}: refused before the download`,
    };
  }
  return { ok: true, digest: layer.digest, size: layer.size };
}

/** The chart's archive (.tgz) bytes; throws an Error saying what went wrong. */
export async function fetchOciChartArchive(
  sources: Pick<SourceRegistries, 'get'>,
  ref: OciChartRef,
  credential: Credential | undefined,
  signal?: AbortSignal,
): Promise<Buffer> {
  const name = `${ref.registry}/${ref.repository}`;
  const m = await sources.get(
    ref.registry,
    ref.repository,
    `manifests/${ref.reference}`,
    credential,
    MANIFEST_MEDIA_TYPES.join(', '),
    signal,
  );
  if (m.status !== 200) throw new Error(`the manifest of ${name} ${answered(m)}`);
  const manifest = m.bytes ?? Buffer.from(m.body, 'utf8');
  if (SHA256.test(ref.reference) && sha256(manifest) !== ref.reference) {
    throw new Error(`the manifest ${name} sent is not ${ref.reference}`);
  }
  const layer = chartLayerOf(manifest.toString('utf8'));
  if (!layer.ok) throw new Error(`${name}: ${layer.message}`);
  const b = await sources.get(
    ref.registry,
    ref.repository,
    `blobs/${layer.digest}`,
    credential,
    '*/*',
    signal,
    'chartArchive',
  );
  if (b.status !== 200) throw new Error(`the chart layer of ${name} ${answered(b)}`);
  const bytes = b.bytes ?? Buffer.from(b.body, 'utf8');
  if (sha256(bytes) !== layer.digest) {
    throw new Error(`the chart layer of ${name} is not its digest ${layer.digest}`);
  }
  return bytes;
}
