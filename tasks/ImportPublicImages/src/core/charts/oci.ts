// A Helm chart as an OCI artifact, the way `helm push` lays it out: the config is Chart.yaml's
// metadata as JSON with Helm's field names (Go's json.Marshal of helm's chart.Metadata: its field
// order, omitempty, HTML-safe escaping), one layer holding the .tgz's exact bytes, and Helm's
// manifest annotations, without `org.opencontainers.image.created`: no timestamp, so the same
// archive always gives the same manifest digest and a re-run finds it in the ACR. Pure.
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { ChartSource } from './line';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
export const HELM_PROVENANCE_LAYER = 'application/vnd.cncf.helm.chart.provenance.v1.prov';
/** Chart.yaml is small; a bigger one is refused before it is parsed. */
export const MAX_CHART_YAML_BYTES = 1024 * 1024;

export const sha256 = (bytes: Uint8Array): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** What a manifest is: a Helm chart (its config media type), an image, or not a manifest. */
export function manifestKind(text: string): 'chart' | 'image' | 'unknown' {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return 'unknown';
  }
  const config = (m as { config?: { mediaType?: unknown } } | null)?.config;
  if (typeof config?.mediaType !== 'string') {
    // An index (several platforms) is an image; a chart is never one.
    return Array.isArray((m as { manifests?: unknown } | null)?.manifests) ? 'image' : 'unknown';
  }
  return config.mediaType === HELM_CONFIG ? 'chart' : 'image';
}

interface Maintainer {
  name?: string;
  email?: string;
  url?: string;
}
interface Dependency {
  name: string;
  version?: string;
  repository: string;
  condition?: string;
  tags?: string[];
  enabled?: boolean;
  'import-values'?: unknown[];
  alias?: string;
}

/** Chart.yaml's fields, in the order helm's chart.Metadata marshals them. */
export interface ChartMetadata {
  name: string;
  home?: string;
  sources?: string[];
  version: string;
  description?: string;
  keywords?: string[];
  maintainers?: Maintainer[];
  icon?: string;
  apiVersion?: string;
  condition?: string;
  tags?: string;
  appVersion?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  kubeVersion?: string;
  dependencies?: Dependency[];
  type?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strs = (v: unknown): string[] | undefined => {
  const list = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return list.length > 0 ? list : undefined;
};
const bool = (v: unknown): boolean | undefined => (v === 'true' ? true : undefined);

/** Drops the undefined fields (Go's omitempty), keeping the order of `fields`. */
function ordered<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Chart.yaml's metadata. Scalars are read as written (YAML's failsafe schema: `version: 1.10`
 * stays "1.10"), aliases are bounded; a Chart.yaml without name or version is refused.
 */
export function chartMetadata(
  text: string,
): { ok: true; meta: ChartMetadata } | { ok: false; message: string } {
  if (text.length > MAX_CHART_YAML_BYTES) {
    return { ok: false, message: `Chart.yaml is over ${MAX_CHART_YAML_BYTES} bytes` };
  }
  let doc: unknown;
  try {
    doc = parse(text, { schema: 'failsafe', maxAliasCount: 50, uniqueKeys: true });
  } catch (err) {
    return {
      ok: false,
      message: `Chart.yaml is not valid YAML (${(err as Error).message.split('\n')[0] ?? ''})`,
    };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, message: 'Chart.yaml is not a mapping' };
  }
  const y = doc as Record<string, unknown>;
  const name = str(y.name);
  const version = str(y.version);
  if (!name || !version) return { ok: false, message: 'Chart.yaml has no name or no version' };
  const annotations =
    y.annotations && typeof y.annotations === 'object' && !Array.isArray(y.annotations)
      ? Object.fromEntries(
          Object.entries(y.annotations).filter(
            (e): e is [string, string] => typeof e[1] === 'string',
          ),
        )
      : undefined;
  const maintainers = Array.isArray(y.maintainers)
    ? y.maintainers.map((m: Record<string, unknown>) =>
        ordered({ name: str(m?.name), email: str(m?.email), url: str(m?.url) }),
      )
    : undefined;
  const dependencies = Array.isArray(y.dependencies)
    ? y.dependencies.map((d: Record<string, unknown>) =>
        ordered({
          name: typeof d?.name === 'string' ? d.name : '',
          version: str(d?.version),
          repository: typeof d?.repository === 'string' ? d.repository : '',
          condition: str(d?.condition),
          tags: strs(d?.tags),
          enabled: bool(d?.enabled),
          'import-values':
            Array.isArray(d?.['import-values']) && d['import-values'].length > 0
              ? (d['import-values'] as unknown[])
              : undefined,
          alias: str(d?.alias),
        }),
      )
    : undefined;
  const meta = ordered<ChartMetadata>({
    name,
    home: str(y.home),
    sources: strs(y.sources),
    version,
    description: str(y.description),
    keywords: strs(y.keywords),
    maintainers: maintainers && maintainers.length > 0 ? maintainers : undefined,
    icon: str(y.icon),
    apiVersion: str(y.apiVersion),
    condition: str(y.condition),
    tags: str(y.tags),
    appVersion: str(y.appVersion),
    deprecated: bool(y.deprecated),
    annotations:
      annotations && Object.keys(annotations).length > 0 ? sortKeys(annotations) : undefined,
    kubeVersion: str(y.kubeVersion),
    dependencies: dependencies && dependencies.length > 0 ? dependencies : undefined,
    type: str(y.type),
  });
  return { ok: true, meta };
}

function sortKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Helm's manifest annotations for a chart (helm's generateOCIAnnotations), without `created`. */
export function helmAnnotations(meta: ChartMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (key: string, value: string | undefined): void => {
    if (value !== undefined && value.trim() !== '') out[key] = value;
  };
  add('org.opencontainers.image.description', meta.description);
  add('org.opencontainers.image.title', meta.name);
  add('org.opencontainers.image.version', meta.version);
  add('org.opencontainers.image.url', meta.home);
  add('org.opencontainers.image.source', meta.sources?.[0]);
  const authors = (meta.maintainers ?? [])
    .map((m) => `${m.name ?? ''}${m.email ? ` (${m.email})` : ''}`)
    .join(', ');
  add('org.opencontainers.image.authors', authors);
  const fixed = new Set(['org.opencontainers.image.version', 'org.opencontainers.image.title']);
  for (const [k, v] of Object.entries(meta.annotations ?? {})) if (!fixed.has(k)) out[k] = v;
  return sortKeys(out);
}

/** The chart as the blobs and the manifest to push, with their digests. */
export interface ChartArtifact {
  config: Uint8Array;
  configDigest: string;
  archive: Uint8Array;
  archiveDigest: string;
  manifest: Uint8Array;
  manifestDigest: string;
}

/** The OCI layout of a chart archive whose Chart.yaml is `meta`: deterministic bytes. */
export function chartArtifact(meta: ChartMetadata, archive: Uint8Array): ChartArtifact {
  const config = Buffer.from(goJson(meta), 'utf8');
  const configDigest = sha256(config);
  const archiveDigest = sha256(archive);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: HELM_CONFIG, digest: configDigest, size: config.length },
    layers: [{ mediaType: HELM_CHART_LAYER, digest: archiveDigest, size: archive.length }],
    annotations: helmAnnotations(meta),
  };
  const manifest = Buffer.from(goJson(manifestJson), 'utf8');
  return {
    config,
    configDigest,
    archive,
    archiveDigest,
    manifest,
    manifestDigest: sha256(manifest),
  };
}

/** An HTTP chart read and checked: what would land, or why it cannot. */
export type ChartRead = { ok: true; artifact: ChartArtifact } | { ok: false; message: string };

/** The line a chart is read for: its number (a read is kept per line) and its chart source. */
export interface ChartLine {
  line: number;
  chart?: ChartSource;
}

/** What the check and the import steps ask of the charts step (steps/charts.ts HttpCharts). */
export interface ChartReader {
  /** The line's chart, read once per run. */
  read(item: ChartLine, signal?: AbortSignal): Promise<ChartRead>;
}
export interface ChartPusher extends ChartReader {
  /** Pushes the line's chart (read first) into `repository` under `tags`. */
  push(
    item: ChartLine,
    repository: string,
    tags: readonly string[],
    signal?: AbortSignal,
  ): Promise<void>;
}
