// The needs step: what the cluster will be asked to pull (manifests from manifestPaths; chart
// lines' images, see core/needs/chartImages.ts), and how each stands against the list and the
// ACR. Discovery is pure and runs before any request (a file that is not YAML fails the run like
// an invalid line). Judging reuses what the check read: it adds at most one digest read per
// needed reference the check did not read (the tag's digest upstream, or the ACR's tag).
import type { ImageEntry } from '../core/list/imageList';
import { Limiter } from '../core/run/lineStages';
import {
  credentialKeyFor,
  type CheckResult,
  type PlanItem,
  type SourceCredentials,
  credentialFor,
} from '../core/plan/decisions';
import type { ImageReference } from '../core/list/reference';
import { manifestImages } from '../core/needs/manifests';
import {
  digestsToRead,
  matchNeeds,
  normalise,
  sourcesToPin,
  type Known,
  type NeedResult,
} from '../core/needs/match';
import type { NeededImage } from '../core/needs/needed';
import { readYaml, type FileProblem } from '../core/needs/yamlDocs';
import type { AcrDataPlane } from '../registry/acrDataPlane';
import type { SourceRegistries } from '../registry/sourceRegistries';

/** One file as read by the ado edge. */
export interface NeedsFile {
  file: string;
  bytes: Uint8Array;
}

/** The images the manifests need, or the problems of the files that could not be read. */
export function findManifestNeeds(files: readonly NeedsFile[]): {
  needs: NeededImage[];
  problems: FileProblem[];
} {
  const needs: NeededImage[] = [];
  const problems: FileProblem[] = [];
  for (const f of files) {
    const r = readYaml(f.file, f.bytes);
    if (r.ok) needs.push(...manifestImages(r.yaml));
    else problems.push(r.problem);
  }
  return { needs, problems };
}

export interface JudgeDeps {
  entries: readonly ImageEntry[];
  /** The plan items and what the check read for each (same order). */
  items: readonly PlanItem[];
  checks: readonly CheckResult[];
  /** prefetch: the tokens of the digest reads, batched, asked before them (fakes may leave it out). */
  sources: Pick<SourceRegistries, 'head'> & Partial<Pick<SourceRegistries, 'prefetch'>>;
  acr: Pick<AcrDataPlane, 'digest'>;
  credentials: SourceCredentials;
  loginServer: string;
  /** manifestPaths was set: list lines nothing needs are reported. */
  reportUnused: boolean;
  concurrency: number;
  signal?: AbortSignal;
}

const key = (r: ImageReference): string => `${r.registry}/${r.repository}:${r.tag ?? 'latest'}`;

/**
 * The upstream repositories whose digests the needs will be read from, with the credentials each
 * gets: their tokens join the check's batches (known before it: manifests), or are asked in one
 * batch per registry before the reads (found after it: charts).
 */
export function neededSources(
  needs: readonly NeededImage[],
  loginServer: string,
  credentials: SourceCredentials,
): Pick<PlanItem, 'source' | 'credentialKey'>[] {
  return refsWithCredentials(digestsToRead(needs, loginServer), credentials);
}

function refsWithCredentials(
  refs: readonly ImageReference[],
  credentials: SourceCredentials,
): Pick<PlanItem, 'source' | 'credentialKey'>[] {
  return refs.map((source) => {
    const credentialKey = credentialKeyFor(source.registry, credentials);
    return { source, ...(credentialKey !== undefined ? { credentialKey } : {}) };
  });
}

/** Each needed image against the list and the ACR; `reads`: the registry reads it added. */
export async function judgeNeeds(
  needs: readonly NeededImage[],
  deps: JudgeDeps,
): Promise<{ results: NeedResult[]; reads: number }> {
  // What the check already read: source digests of tags, and what the ACR's target tags hold.
  const upstream = new Map<string, string | null>();
  const acrHeld = new Map<string, string | null>();
  deps.items.forEach((item, i) => {
    const check = deps.checks[i];
    if (!check) return;
    if (!item.source.digest && check.sourceDigest)
      upstream.set(key(item.source), check.sourceDigest);
    if (!item.source.digest && check.sourceNotFound) upstream.set(key(item.source), null);
    for (const [tag, digest] of Object.entries(check.targets ?? {}))
      if (tag !== '') acrHeld.set(`${item.targetRepository}:${tag}`, digest);
  });
  const limiter = new Limiter(Math.max(1, deps.concurrency));
  let reads = 0;
  const toRead = digestsToRead(needs, deps.loginServer).filter((r) => !upstream.has(key(r)));
  const acrToRead = needs
    .map((n) => (n.unresolved ? undefined : normalise(n.text)))
    .filter((r): r is ImageReference => r?.registry === deps.loginServer)
    .map((r) => `${r.repository}${r.digest ? `@${r.digest}` : `:${r.tag ?? 'latest'}`}`)
    .filter((k, i, all) => all.indexOf(k) === i && !acrHeld.has(k));
  const readUpstream = (ref: ImageReference): Promise<void> =>
    limiter
      .run(async () => {
        reads++;
        const key0 = credentialKeyFor(ref.registry, deps.credentials);
        const credential = credentialFor(key0, deps.credentials);
        const tag = ref.tag ?? 'latest';
        const h = await deps.sources.head(
          ref.registry,
          ref.repository,
          tag,
          credential,
          deps.signal,
        );
        upstream.set(key(ref), h.digest ?? null);
      }, deps.signal)
      .catch(() => undefined); // not read: the line to add goes without a pin, and says so
  const readAcr = (k: string): Promise<void> =>
    limiter
      .run(async () => {
        reads++;
        const at = k.includes('@') ? k.indexOf('@') : k.lastIndexOf(':');
        acrHeld.set(k, await deps.acr.digest(k.slice(0, at), k.slice(at + 1), deps.signal));
      }, deps.signal)
      .catch(() => undefined); // not read: not claimed as held
  // Their tokens in one batch per registry and identity (none asked for what is cached already).
  const warm = (refs: readonly ImageReference[]): void => {
    if (refs.length === 0) return;
    const opts = { concurrency: Math.max(1, deps.concurrency), signal: deps.signal };
    const batch = refsWithCredentials(refs, deps.credentials);
    // Best effort: a HEAD that meets a 401 asks its own token.
    void deps.sources.prefetch?.(batch, deps.credentials, opts)?.catch(() => undefined);
  };
  warm(toRead);
  await Promise.all([...toRead.map(readUpstream), ...acrToRead.map(readAcr)]);
  const known: Known = {
    sourceDigest: (ref) => upstream.get(key(ref)),
    acrHas: (repository, at) => {
      const held = acrHeld.get(`${repository}${at.includes(':') ? `@${at}` : `:${at}`}`);
      return held === undefined ? undefined : held !== null;
    },
  };
  // An ACR reference nothing imports and the ACR lacks: its likely source, pinned (one read).
  const pins = sourcesToPin(needs, deps.entries, deps.loginServer, known);
  const toPin = pins.filter((r) => !upstream.has(key(r)));
  warm(toPin);
  await Promise.all(toPin.map(readUpstream));
  const results = matchNeeds(
    {
      needs,
      entries: deps.entries,
      loginServer: deps.loginServer,
      reportUnused: deps.reportUnused,
    },
    known,
  );
  return { results, reads };
}
