// The check step: source digests (manifest HEAD upstream, the line's own credentials) and
// target digests (ACR data plane). A side that cannot be read is recorded, not fatal: the
// decision then imports without comparing (see core/plan.ts decide()).
import {
  credentialFor,
  needsCheck,
  type CheckResult,
  type Decision,
  type ImportMode,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan';
import type { AcrDataPlane } from '../registry/acrData';
import { describeError } from '../registry/http';
import type { RateLimit, SourceRegistries } from '../registry/manifest';

export interface CheckDeps {
  sources: Pick<SourceRegistries, 'head'>;
  acr: Pick<AcrDataPlane, 'digest' | 'reachable'>;
  credentials: SourceCredentials;
  concurrency: number;
  signal?: AbortSignal;
}

export interface CheckOutput {
  checks: CheckResult[];
  /** The lowest Docker Hub rate limit seen, when docker.io answered with one. */
  dockerHub?: RateLimit;
  /** Why the ACR data plane could not be used at all (then every line is unverified). */
  acrUnreachable?: string;
}

/** Runs fn over items with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function checkItems(
  items: readonly PlanItem[],
  mode: ImportMode,
  deps: CheckDeps,
): Promise<CheckOutput> {
  const need = needsCheck(mode);
  const result: CheckOutput = { checks: items.map(() => ({})) };
  if (!need.source && !need.target) return result;
  if (need.target) result.acrUnreachable = await deps.acr.reachable(deps.signal);

  const seeLimit = (rl: RateLimit | undefined): void => {
    if (rl && (!result.dockerHub || rl.remaining < result.dockerHub.remaining))
      result.dockerHub = rl;
  };

  // The user's concurrency bounds the digest checks too: a gentle setting stays gentle.
  result.checks = await mapLimit(items, deps.concurrency, async (item) => {
    const check: CheckResult = {};
    const work: Promise<void>[] = [];
    if (need.source && !item.source.digest) {
      work.push(
        deps.sources
          .head(
            item.source.registry,
            item.source.repository,
            item.source.tag ?? 'latest',
            credentialFor(item.credentialKey, deps.credentials),
            deps.signal,
          )
          .then((h) => {
            if (item.source.registry === 'docker.io') seeLimit(h.rateLimit);
            if (h.digest) check.sourceDigest = h.digest;
            else {
              check.sourceNotFound = true;
              check.sourceError = `${item.sourceText} was not found upstream (the registry answered 404).`;
            }
          })
          .catch((err: unknown) => void (check.sourceError = describeError(err))),
      );
    }
    if (need.target) {
      if (result.acrUnreachable) check.targetError = result.acrUnreachable;
      else {
        work.push(
          (async () => {
            const targets: Record<string, string | null> = {};
            const digest = item.source.digest;
            if (item.targetTags.length === 0) {
              targets[''] = digest
                ? await deps.acr.digest(item.targetRepository, digest, deps.signal)
                : null;
            }
            for (const tag of item.targetTags) {
              targets[tag] = await deps.acr.digest(item.targetRepository, tag, deps.signal);
            }
            check.targets = targets;
          })().catch((err: unknown) => void (check.targetError = describeError(err))),
        );
      }
    }
    await Promise.all(work);
    return check;
  });
  return result;
}

/**
 * Docker Hub's remaining pulls when the check did not see them (force and missing modes send no
 * source HEADs, nor does sync for digest-pinned lines): one manifest HEAD for one docker.io item,
 * with that item's credentials (the limit is per account). HEADs do not count as pulls.
 * Undefined when there is no docker.io item, or Docker Hub does not answer with the headers.
 */
export async function probeDockerHub(
  items: readonly PlanItem[],
  deps: Pick<CheckDeps, 'sources' | 'credentials' | 'signal'>,
): Promise<RateLimit | undefined> {
  const item = items.find((i) => i.source.registry === 'docker.io');
  if (!item || deps.signal?.aborted) return undefined;
  try {
    const head = await deps.sources.head(
      item.source.registry,
      item.source.repository,
      item.source.digest ?? item.source.tag ?? 'latest',
      credentialFor(item.credentialKey, deps.credentials),
      deps.signal,
    );
    return head.rateLimit;
  } catch {
    return undefined; // Docker Hub unreachable: nothing to compare, the imports will tell
  }
}

/**
 * Whether every target of a job now holds its source's digest (read again now, not from the
 * check): how a refused NoForce retry tells that an earlier attempt of this run made the tag.
 */
export async function landed(
  job: { item: PlanItem; decision: Decision },
  deps: Pick<CheckDeps, 'sources' | 'acr' | 'credentials'>,
  signal?: AbortSignal,
): Promise<boolean> {
  const { item } = job;
  const source =
    item.source.digest ??
    (
      await deps.sources.head(
        item.source.registry,
        item.source.repository,
        item.source.tag ?? 'latest',
        credentialFor(item.credentialKey, deps.credentials),
        signal,
      )
    ).digest;
  if (!source) return false;
  const refs = job.decision.untagged ? [source] : job.decision.tags;
  for (const ref of refs) {
    if ((await deps.acr.digest(item.targetRepository, ref, signal)) !== source) return false;
  }
  return refs.length > 0;
}
