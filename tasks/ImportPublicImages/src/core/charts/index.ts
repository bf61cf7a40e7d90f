// An HTTP Helm repository's index.yaml: the entry of one chart version (its archive's URLs and
// sha256 digest), or, when the index does not have that version, the nearest few it has. Parsed
// with the yaml package, aliases bounded; the index's size is bounded where it is downloaded
// (registry/helmRepository.ts). Pure.
import { parse } from 'yaml';

/** index.yaml: the biggest public indexes are a few tens of MiB (Bitnami's, before OCI). */
export const MAX_INDEX_BYTES = 32 * 1024 * 1024;

export interface IndexEntry {
  /** The archive's URL, resolved against the repository URL. */
  url: string;
  /** `sha256:<hex>` as the index writes it, when it does. */
  digest?: string;
  appVersion?: string;
}

export type IndexLookup = { ok: true; entry: IndexEntry } | { ok: false; message: string };

/** The `nearest` versions of `versions` to `wanted`: same major and minor first, then closest. */
export function nearestVersions(
  wanted: string,
  versions: readonly string[],
  nearest = 5,
): string[] {
  const nums = (v: string): number[] =>
    (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v)?.slice(1) ?? []).map(Number);
  const [a = 0, b = 0, c = 0] = nums(wanted);
  const distance = (v: string): number => {
    const [x = 0, y = 0, z = 0] = nums(v);
    return Math.abs(x - a) * 1e8 + Math.abs(y - b) * 1e4 + Math.abs(z - c);
  };
  return [...new Set(versions)]
    .map((v) => ({ v, d: distance(v) }))
    .sort((p, q) => p.d - q.d || (p.v < q.v ? 1 : -1))
    .slice(0, nearest)
    .map((p) => p.v);
}

/**
 * The entry of `name` at `version` in the index text of the repository at `repositoryUrl`. An
 * archive URL must be https (relative URLs are resolved against the repository URL).
 */
export function findChartVersion(
  indexText: string,
  repositoryUrl: string,
  name: string,
  version: string,
): IndexLookup {
  const fail = (message: string): IndexLookup => ({ ok: false, message });
  const where = `${repositoryUrl}/index.yaml`;
  let doc: unknown;
  try {
    doc = parse(indexText, { schema: 'failsafe', maxAliasCount: 100 });
  } catch (err) {
    return fail(`${where} is not YAML (${(err as Error).message.split('\n')[0] ?? ''})`);
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (!entries || typeof entries !== 'object' || Array.isArray(entries)) {
    return fail(`${where} is not a Helm repository index (it has no entries)`);
  }
  const list = (entries as Record<string, unknown>)[name];
  if (!Array.isArray(list)) return fail(`${where} has no chart named ${name}`);
  const versions = list
    .map((e: { version?: unknown }) =>
      e && typeof e.version !== 'object' ? String(e.version) : '',
    )
    .filter((v) => v !== '');
  const found = list.find((e: { version?: unknown }) => e && String(e.version) === version) as
    { urls?: unknown; digest?: unknown; appVersion?: unknown } | undefined;
  if (!found) {
    const near = nearestVersions(version, versions);
    return fail(
      `${where} has no version ${version} of ${name}` +
        (near.length > 0 ? `; the nearest it has: ${near.join(', ')}` : ''),
    );
  }
  const first = Array.isArray(found.urls)
    ? found.urls.find((u) => typeof u === 'string')
    : undefined;
  if (typeof first !== 'string') return fail(`${where} gives no URL for ${name} ${version}`);
  let url: URL;
  try {
    url = new URL(first, `${repositoryUrl}/`);
  } catch {
    return fail(`${where} gives ${name} ${version} an invalid URL`);
  }
  if (url.protocol !== 'https:') {
    return fail(
      `${where} puts ${name} ${version} at ${url.protocol}//${url.host}, which is not https`,
    );
  }
  const entry: IndexEntry = { url: url.toString() };
  if (typeof found.digest === 'string' && found.digest !== '') {
    const hex = found.digest.replace(/^sha256:/, '').toLowerCase();
    if (!/^[a-f0-9]{64}$/.test(hex))
      return fail(`${where} gives ${name} ${version} a digest that is not sha256`);
    entry.digest = `sha256:${hex}`;
  }
  if (typeof found.appVersion === 'string') entry.appVersion = found.appVersion;
  return { ok: true, entry };
}
