// The check step: source digests (manifest HEAD upstream, the line's own credentials) and
// target digests (ACR data plane). A side that cannot be read is recorded, not fatal: the
// decision then imports without comparing (see core/plan.ts decide()).
import {
  needsCheck,
  type CheckResult,
  type ImportMode,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan';
import type { Reporter } from '../core/reporter';
import { pool } from '../core/schedule';
import type { AcrDataPlane } from '../registry/acrDataPlane';
import { describeError } from '../registry/http';
import { headSource, type RateLimit, type SourceRegistries } from '../registry/sourceRegistries';

export interface CheckDeps {
  /** prefetch: the tokens of the HEADs, batched, asked before them (fakes may leave it out). */
  sources: Pick<SourceRegistries, 'head'> & Partial<Pick<SourceRegistries, 'prefetch'>>;
  acr: Pick<AcrDataPlane, 'digest' | 'reachable'> & Partial<Pick<AcrDataPlane, 'prefetch'>>;
  credentials: SourceCredentials;
  concurrency: number;
  signal?: AbortSignal;
  /** Read the source digest of unpinned lines in every mode: their error offers it as the pin. */
  requireDigests?: boolean;
  /**
   * Lines whose source digest is read in every mode (force and missing do not need it to
   * decide): those verified against a cosign key, and those whose referrers are carried.
   */
  readSource?: (item: PlanItem) => boolean;
}

export interface CheckOutput {
  checks: CheckResult[];
  /** The lowest Docker Hub rate limit seen, when docker.io answered with one. */
  dockerHub?: RateLimit;
  /** Why the ACR data plane could not be used at all (then every line is unverified). */
  acrUnreachable?: string;
  /** The run was canceled during the check: its read failures are the cancel's. */
  canceled: boolean;
}

/** Checks every item's digests, as the mode needs; warns when the ACR cannot be read at all. */
export async function checkDigests(
  items: readonly PlanItem[],
  mode: ImportMode,
  deps: CheckDeps & { out: Reporter; loginServer: string; dryRun: boolean },
): Promise<CheckOutput> {
  const checked = await checkItems(items, mode, deps, deps.dryRun);
  // A cancel during the check makes every read fail with "aborted": that says nothing about the ACR.
  if (checked.acrUnreachable && !checked.canceled) {
    deps.out.warn(
      `Could not read ${deps.loginServer} (${checked.acrUnreachable}); every line is imported without comparing digests.`,
    );
  }
  return checked;
}

export async function checkItems(
  items: readonly PlanItem[],
  mode: ImportMode,
  deps: CheckDeps,
  plan = false,
): Promise<CheckOutput> {
  const need = needsCheck(mode, plan);
  if (deps.requireDigests) need.source = true; // core/policy.ts unpinnedProblems
  const readsSource = (item: PlanItem): boolean =>
    !item.source.digest && (need.source || (deps.readSource?.(item) ?? false));
  const result: CheckOutput = { checks: items.map(() => ({})), canceled: false };
  const sourceItems = items.filter(readsSource);
  if (sourceItems.length === 0 && !need.target) return result;
  const opts = { concurrency: deps.concurrency, signal: deps.signal };
  const warmSources = deps.sources.prefetch?.(sourceItems, deps.credentials, opts); // meanwhile:
  if (need.target) result.acrUnreachable = await deps.acr.reachable(deps.signal);
  const targets = need.target && !result.acrUnreachable ? items.map((i) => i.targetRepository) : [];
  await Promise.all([warmSources, deps.acr.prefetch?.(targets, opts)]); // a token per batch
  const seeLimit = (rl: RateLimit | undefined): void => {
    if (rl && (!result.dockerHub || rl.remaining < result.dockerHub.remaining))
      result.dockerHub = rl;
  };
  // The user's concurrency bounds the digest checks too: a gentle setting stays gentle.
  const checks = await pool(items, deps.concurrency, async (item) => {
    const check: CheckResult = {};
    await Promise.all([
      readsSource(item) ? checkSource(item, check, deps, seeLimit) : undefined,
      need.target ? checkTargets(item, check, deps, result.acrUnreachable) : undefined,
    ]);
    return check;
  });
  result.checks = checks.map((c) => c ?? {});
  result.canceled = deps.signal?.aborted ?? false;
  return result;
}

async function checkSource(
  item: PlanItem,
  check: CheckResult,
  deps: CheckDeps,
  seeLimit: (rl: RateLimit | undefined) => void,
): Promise<void> {
  try {
    const h = await headSource(deps.sources, item, deps.credentials, deps.signal);
    if (item.source.registry === 'docker.io') seeLimit(h.rateLimit);
    if (h.digest) check.sourceDigest = h.digest;
    else {
      check.sourceNotFound = true;
      check.sourceError = `${item.sourceText} was not found upstream (the registry answered 404).`;
    }
  } catch (err) {
    check.sourceError = describeError(err);
  }
}

async function checkTargets(
  item: PlanItem,
  check: CheckResult,
  deps: CheckDeps,
  acrUnreachable: string | undefined,
): Promise<void> {
  if (acrUnreachable) {
    check.targetError = acrUnreachable;
    return;
  }
  try {
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
  } catch (err) {
    check.targetError = describeError(err);
  }
}
