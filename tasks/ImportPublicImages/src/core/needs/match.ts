// What the cluster needs against what the list and the ACR hold. A needed image is covered when
// a list line's source is that image (normalised as the grammar does: `nginx` is
// docker.io/library/nginx:latest; a digest matches a tag only when the tag points at that digest
// now), or when it points at the ACR and a list line imports that target or the ACR holds it.
// Everything else is a gap: not listed (with the line to add, pinned to the digest the tag points
// at now, its destination by the list's rule for that registry), or a manifest that pulls from a
// public registry (with the ACR reference to use instead). Listed images that nothing needs are
// information. Pure: the digests it needs come in as `Known`.
import type { ImageEntry } from '../list/imageList';
import { formatReference, parseReference, type ImageReference } from '../list/reference';
import { destinationRule, likelySource } from './destination';
import type { NeededImage } from './needed';

export type NeedStatus =
  'covered' | 'not-listed' | 'public' | 'not-in-acr' | 'unresolved' | 'not-needed';
export const GAP_STATUSES: readonly NeedStatus[] = ['not-listed', 'public', 'not-in-acr'];

export interface NeedResult {
  /** The normalised reference (as written, when it is not one). */
  reference: string;
  /** Who needs it (each manifest line or chart values path). */
  neededBy: string[];
  status: NeedStatus;
  /** The list line to add (not-listed, public, not-in-acr when its source is known), or the line that covers it. */
  line?: string;
  /** For a manifest pulling from a public registry: the ACR reference to write instead. */
  acrReference?: string;
  /** Why: the covering line, the destination rule, what could not be read. */
  note?: string;
  /** The first manifest file and line that needs it, for an annotation. */
  file?: string;
  fileLine?: number;
}

/** What the run read: current digests of tags upstream and what the ACR holds. */
export interface Known {
  /** The digest `registry/repository:tag` points at now; null: not found; undefined: not read. */
  sourceDigest(ref: ImageReference): string | null | undefined;
  /** Whether the ACR holds `repository` at a tag or digest; undefined: not read. */
  acrHas(repository: string, tagOrDigest: string): boolean | undefined;
}

/** The needed image normalised: a tagless, digestless reference means :latest. */
export function normalise(text: string): ImageReference | undefined {
  const r = parseReference(text);
  if (!r.ok) return undefined;
  return r.ref.tag === undefined && r.ref.digest === undefined
    ? { ...r.ref, tag: 'latest' }
    : r.ref;
}

interface Group {
  ref?: ImageReference;
  text: string;
  needs: NeededImage[];
}

function groupNeeds(needs: readonly NeededImage[]): Group[] {
  const groups = new Map<string, Group>();
  for (const n of needs) {
    const ref = n.unresolved ? undefined : normalise(n.text);
    const key = ref ? formatReference(ref) : `?${n.text}\n${n.neededBy}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { text: ref ? key : n.text, needs: [], ...(ref ? { ref } : {}) }));
    g.needs.push(n);
  }
  return [...groups.values()];
}

/** The references whose upstream digest matching needs: tags to pin, and tags to compare. */
export function digestsToRead(
  needs: readonly NeededImage[],
  loginServer: string,
): ImageReference[] {
  return groupNeeds(needs)
    .flatMap((g) =>
      g.ref && g.ref.registry !== loginServer && g.ref.tag !== undefined
        ? [{ ...g.ref, digest: undefined }]
        : [],
    )
    .map(({ registry, repository, tag }) => ({ registry, repository, ...(tag ? { tag } : {}) }));
}

/**
 * The upstream references to pin for ACR references no list line imports and the ACR does not
 * hold: their likely source by the list's rules (read after the ACR, only for these).
 */
export function sourcesToPin(
  needs: readonly NeededImage[],
  entries: readonly ImageEntry[],
  loginServer: string,
  known: Pick<Known, 'acrHas'>,
): ImageReference[] {
  return groupNeeds(needs).flatMap((g) => {
    const ref = g.ref;
    if (!ref || ref.registry !== loginServer || ref.digest !== undefined) return [];
    const tag = ref.tag ?? 'latest';
    if (entries.some((e) => e.targetRepository === ref.repository && e.targetTags.includes(tag)))
      return [];
    if (known.acrHas(ref.repository, tag) === true) return [];
    const src = likelySource(entries, ref.repository);
    return src ? [{ ...src, tag }] : [];
  });
}

const sameName = (a: ImageReference, b: ImageReference): boolean =>
  a.registry === b.registry && a.repository === b.repository;

/** Whether `entry` imports exactly the image `ref` names (the digest rule above). */
function entryCovers(entry: ImageEntry, ref: ImageReference, known: Known): boolean {
  const src = entry.source;
  if (!sameName(src, ref)) return false;
  if (ref.digest !== undefined) {
    if (src.digest !== undefined) return src.digest === ref.digest;
    return known.sourceDigest({ ...src, tag: src.tag ?? 'latest' }) === ref.digest;
  }
  const tag = ref.tag ?? 'latest';
  if (src.tag !== undefined || src.digest === undefined) return (src.tag ?? 'latest') === tag;
  return known.sourceDigest(ref) === src.digest; // a digest-only line covers the tag now on it
}

/** Whether a list line imports `repository:tagOrDigest` into the ACR. */
function entryImports(
  entry: ImageEntry,
  repository: string,
  ref: ImageReference,
  known: Known,
): boolean {
  if (entry.targetRepository !== repository) return false;
  if (ref.digest !== undefined) {
    const src = entry.source;
    return (src.digest ?? known.sourceDigest({ ...src, tag: src.tag ?? 'latest' })) === ref.digest;
  }
  return entry.targetTags.includes(ref.tag ?? 'latest');
}

function lineToAdd(
  ref: ImageReference,
  entries: readonly ImageEntry[],
  known: Known,
): { line: string; note: string } {
  const rule = destinationRule(entries, ref.registry);
  const name = `${ref.registry}/${ref.repository}`;
  const digest = ref.digest ?? known.sourceDigest(ref) ?? undefined;
  const source = formatReference({ ...ref, ...(digest ? { digest } : {}) });
  const pin = digest
    ? ref.digest
      ? ''
      : ` Pinned to the digest ${ref.tag ?? 'latest'} points at now.`
    : ` The digest of ${name}:${ref.tag ?? 'latest'} could not be read: check that the image exists.`;
  return {
    line: `${source} => ${rule.prefix}${ref.repository}`,
    note: `Destination: ${rule.text}.${pin}`,
  };
}

export interface MatchInput {
  needs: readonly NeededImage[];
  entries: readonly ImageEntry[];
  loginServer: string;
  /** manifestPaths was set: list lines nothing needs are reported (as information). */
  reportUnused: boolean;
}

/** Every needed image with its status, gaps first; then the listed images nothing needs. */
export function matchNeeds(input: MatchInput, known: Known): NeedResult[] {
  const { entries, loginServer } = input;
  const used = new Set<ImageEntry>();
  const results: NeedResult[] = [];
  for (const g of groupNeeds(input.needs)) {
    const first = g.needs.find((n) => n.line !== undefined);
    const base = {
      reference: g.text,
      neededBy: g.needs.map((n) => n.neededBy),
      ...(first
        ? { file: first.file, ...(first.line !== undefined ? { fileLine: first.line } : {}) }
        : {}),
    };
    const ref = g.ref;
    if (!ref) {
      const why = g.needs[0]?.unresolved ?? 'not an image reference';
      results.push({ ...base, status: 'unresolved', note: `${why}; check by hand` });
      continue;
    }
    if (ref.registry === loginServer) {
      const entry = entries.find((e) => entryImports(e, ref.repository, ref, known));
      if (entry) used.add(entry);
      const at = ref.digest ?? ref.tag ?? 'latest';
      if (entry)
        results.push({
          ...base,
          status: 'covered',
          line: entry.text,
          note: `imported by line ${entry.line}`,
        });
      else if (known.acrHas(ref.repository, at) === true)
        results.push({
          ...base,
          status: 'covered',
          note: `the registry holds ${ref.repository}:${at}`,
        });
      else {
        const src = likelySource(entries, ref.repository);
        const add = src ? lineToAdd({ ...ref, ...src }, entries, known) : undefined;
        const unknown =
          known.acrHas(ref.repository, at) === undefined ? ' (the registry could not be read)' : '';
        results.push({
          ...base,
          status: 'not-in-acr',
          ...(add ? { line: add.line } : {}),
          note: `no list line imports ${ref.repository}:${at} and the registry does not hold it${unknown}.${src ? ` Its source, by the list's lines of ${src.registry}: ${src.registry}/${src.repository}.` : ' Add the line that imports it.'}`,
        });
      }
      continue;
    }
    const entry = entries.find((e) => entryCovers(e, ref, known));
    if (entry) used.add(entry);
    const manifest = g.needs.some((n) => n.fromManifest);
    if (entry && !manifest) {
      results.push({
        ...base,
        status: 'covered',
        line: entry.text,
        note: `listed at line ${entry.line}`,
      });
      continue;
    }
    const add = entry
      ? { line: entry.text, note: `listed at line ${entry.line}` }
      : lineToAdd(ref, entries, known);
    if (manifest) {
      const target = entry ? entry.targetRepository : (add.line.split('=>')[1] ?? '').trim();
      const tag = entry ? (entry.targetTags[0] ?? ref.tag) : ref.tag;
      const acrReference = `${loginServer}/${target}${ref.digest ? `@${ref.digest}` : `:${tag ?? 'latest'}`}`;
      results.push({
        ...base,
        status: 'public',
        line: add.line,
        acrReference,
        note: `pulls from ${ref.registry}, which a private cluster cannot reach: write ${acrReference}. ${add.note}`,
      });
    } else results.push({ ...base, status: 'not-listed', line: add.line, note: add.note });
  }
  const order = (s: NeedStatus): number =>
    GAP_STATUSES.includes(s) ? 0 : s === 'unresolved' ? 1 : 2;
  results.sort((a, b) => order(a.status) - order(b.status));
  if (input.reportUnused) {
    for (const e of entries) {
      if (used.has(e)) continue;
      results.push({
        reference: formatReference(e.source),
        neededBy: [],
        status: 'not-needed',
        line: e.text,
        note: `line ${e.line}: no manifest or chart read here needs it`,
      });
    }
  }
  return results;
}

/** How many results are gaps. */
export function countGaps(results: readonly NeedResult[]): number {
  return results.filter((r) => GAP_STATUSES.includes(r.status)).length;
}
