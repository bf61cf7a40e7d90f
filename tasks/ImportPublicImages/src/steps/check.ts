// The check step: source digests (manifest HEAD upstream, the line's own credentials) and
// target digests (ACR data plane). A side that cannot be read is recorded, not fatal: the
// decision then imports without comparing (see core/plan/decisions.ts decide()).
import { isDockerHub } from '../core/list/identity';
import type { ChartReader } from '../core/charts/oci';
import {
  isHttpChart,
  needsCheck,
  type CheckResult,
  type ImportMode,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan/decisions';
import { deadline, readsTimedOut } from '../core/registry/bounds';
import type { Reporter } from '../core/results/reporter';
import { Limiter } from '../core/run/lineStages';
import { listedRepositories } from '../core/registry/acrListing';
import type { AcrDataPlane } from '../registry/acrDataPlane';
import { AcrListings } from '../registry/acrListing';
import { describeError } from '../registry/http';
import type { RateLimit } from '../registry/manifests';
import { headSource, type SourceRegistries } from '../registry/sourceRegistries';

export interface CheckDeps {
  /** prefetch: the tokens of the HEADs, batched, asked before them (fakes may leave it out). */
  sources: Pick<SourceRegistries, 'head'> & Partial<Pick<SourceRegistries, 'prefetch'>>;
  dataPlane: Pick<AcrDataPlane, 'digest' | 'reachable'> & Partial<Pick<AcrDataPlane, 'prefetch'>>;
  credentials: SourceCredentials;
  /** At most this many lines' digests read at once (the user's concurrency bounds them too). */
  readConcurrency: number;
  /** The reads' signal: the run's, bounded per line by its deadline (set by startChecks). */
  signal?: AbortSignal;
  /** Read the source digest of unpinned lines in every mode: their error offers it as the pin. */
  requireDigests?: boolean;
  /**
   * Lines whose source digest is read in every mode (force and missing do not need it to
   * decide): those verified against a cosign key, and those whose referrers are carried.
   */
  readSource?: (item: PlanItem) => boolean;
  /** The longest a line's digest reads may take (importTimeoutMinutes); unbounded when absent. */
  timeoutMs?: number;
  /** HTTP Helm repository charts: read (index, archive, layout) to know the digest that lands. */
  charts?: ChartReader;
  /** Sources read after the check (the needed images' digests): their tokens join its batches. */
  alsoPrefetch?: readonly Pick<PlanItem, 'source' | 'credentialKey'>[];
}

/** The checks of a run, as main.ts builds them: every choice required. */
export interface CheckRunDeps extends CheckDeps {
  requireDigests: boolean;
  readSource: (item: PlanItem) => boolean;
  timeoutMs: number;
  charts: ChartReader;
  /** The registry's login server, as the warning about an unreadable registry names it. */
  loginServer: string;
  dryRun: boolean;
  alsoPrefetch: readonly Pick<PlanItem, 'source' | 'credentialKey'>[];
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

/** The run's digest checks, line by line (see startChecks). */
export interface Checks {
  /** The line's check (once per item): waits for a slot among the checks, then reads both sides. */
  line(item: PlanItem): Promise<CheckResult>;
  /** Every line's check, for what needs them all (requireDigests, checkItems). */
  all(): Promise<CheckOutput>;
  /** The lowest Docker Hub rate limit seen so far. */
  dockerHub(): RateLimit | undefined;
}

/**
 * Starts the digest checks the mode needs: asks the tokens up front (batched, not awaited: a
 * line's HEAD waits for its own batch only), finds whether the ACR data plane can be read at all
 * (warns when it cannot), and returns the per-line check. A line goes on to its decision and its
 * import as soon as its own check is done (no barrier); at most `concurrency` lines are checked at
 * once.
 */
export async function startChecks(
  items: readonly PlanItem[],
  mode: ImportMode,
  deps: CheckDeps & { loginServer?: string; dryRun?: boolean },
  ctx: { out?: Reporter; signal?: AbortSignal } = {},
): Promise<Checks> {
  const need = needsCheck(mode, deps.dryRun ?? false);
  if (deps.requireDigests) need.source = true; // core/plan/policy.ts unpinnedProblems
  const { signal } = ctx;
  const opts = { concurrency: deps.readConcurrency, signal };
  // An HTTP chart is always read: its push needs the archive, and its digest is the layout's.
  const readsSource = (item: PlanItem): boolean =>
    isHttpChart(item) ||
    (!item.source.digest && (need.source || (deps.readSource?.(item) ?? false)));
  const sourceItems = items.filter((i) => readsSource(i) && !isHttpChart(i));
  const some = sourceItems.length > 0 || need.target;
  // Best effort: a batch that fails is asked again by the HEAD that meets a 401.
  const warm = [...sourceItems, ...(deps.alsoPrefetch ?? [])];
  if (some || warm.length > 0)
    void deps.sources.prefetch?.(warm, deps.credentials, opts)?.catch(() => {});
  const acrUnreachable = need.target ? await deps.dataPlane.reachable(signal) : undefined;
  // A cancel makes every read fail with "aborted": that says nothing about the ACR.
  if (acrUnreachable && !signal?.aborted) {
    ctx.out?.warn(
      `Could not read ${deps.loginServer ?? 'the registry'} (${acrUnreachable}); every line is imported without comparing digests.`,
    );
  }
  const targets = need.target && !acrUnreachable ? items.map((i) => i.targetRepository) : [];
  if (some) void deps.dataPlane.prefetch?.(targets, opts)?.catch(() => {});
  let dockerHub: RateLimit | undefined;
  const seeLimit = (rl: RateLimit | undefined): void => {
    if (rl && (!dockerHub || rl.remaining < dockerHub.remaining)) dockerHub = rl;
  };
  // The user's concurrency bounds the digest checks too: a gentle setting stays gentle.
  const limiter = new Limiter(deps.readConcurrency);
  const check = async (item: PlanItem): Promise<CheckResult> => {
    const result: CheckResult = {};
    if (!some) return result;
    await limiter
      .run(async () => {
        // The line's reads end within the timeout, whatever a registry sends (core/registry/bounds.ts).
        const ms = deps.timeoutMs;
        const reads = ms === undefined ? undefined : deadline(signal, ms);
        const line = { ...deps, signal: reads?.signal ?? signal };
        await Promise.all([
          readsSource(item) ? checkSource(item, result, line, seeLimit) : undefined,
          need.target ? checkTargets(item, result, line, acrUnreachable) : undefined,
        ]).finally(() => reads?.clear());
        if (reads?.expired) {
          const why = readsTimedOut(ms ?? 0).message;
          if (result.sourceError !== undefined) result.sourceError = why;
          if (result.targetError !== undefined) result.targetError = why;
        }
      }, signal)
      .catch(() => undefined); // canceled before it started: nothing read
    return result;
  };
  const started = new Map<PlanItem, Promise<CheckResult>>();
  const line = (item: PlanItem): Promise<CheckResult> => {
    let p = started.get(item);
    if (!p) started.set(item, (p = check(item)));
    return p;
  };
  return {
    line,
    dockerHub: () => dockerHub,
    all: async () => {
      const checks = await Promise.all(items.map(line));
      const out: CheckOutput = { checks, canceled: signal?.aborted ?? false };
      if (dockerHub) out.dockerHub = dockerHub;
      if (acrUnreachable) out.acrUnreachable = acrUnreachable;
      return out;
    },
  };
}

/**
 * The ACR as the check (and the carry step) reads it: a repository read twice or more in the run
 * (several target tags, or a tag and the cosign tags carried) is read with one tag listing, the
 * others with a manifest HEAD per tag (core/registry/acrListing.ts, registry/acrListing.ts).
 */
export function acrReads(
  items: readonly PlanItem[],
  run: { mode: ImportMode; dryRun: boolean; carriesReferrers: boolean },
  dataPlane: Pick<AcrDataPlane, 'digest' | 'reachable' | 'prefetch' | 'tags'>,
): AcrListings {
  const { target } = needsCheck(run.mode, run.dryRun);
  const carries = (item: PlanItem): boolean => run.carriesReferrers && !isHttpChart(item);
  return new AcrListings(dataPlane, listedRepositories(items, target, carries));
}

/** Checks every item's digests, as the mode needs (a plan reads both sides in every mode). */
export async function checkItems(
  items: readonly PlanItem[],
  mode: ImportMode,
  deps: CheckDeps,
  plan = false,
): Promise<CheckOutput> {
  return (await startChecks(items, mode, { ...deps, dryRun: plan }, { signal: deps.signal })).all();
}

async function checkSource(
  item: PlanItem,
  check: CheckResult,
  deps: CheckDeps,
  seeLimit: (rl: RateLimit | undefined) => void,
): Promise<void> {
  if (isHttpChart(item)) return checkChart(item, check, deps);
  try {
    const h = await headSource(deps.sources, item, deps.credentials, deps.signal);
    if (isDockerHub(item.source.registry)) seeLimit(h.rateLimit);
    if (h.mediaType) check.sourceMediaType = h.mediaType;
    if (h.digest) check.sourceDigest = h.digest;
    else {
      check.sourceNotFound = true;
      check.sourceError = `${item.sourceText} was not found upstream (the registry answered 404).`;
    }
  } catch (err) {
    check.sourceError = describeError(err);
  }
}

/** An HTTP chart's source: the manifest digest of the layout its archive makes. */
async function checkChart(item: PlanItem, check: CheckResult, deps: CheckDeps): Promise<void> {
  if (!deps.charts) {
    check.chartError = 'HTTP chart lines are not read in this run';
    return;
  }
  const read = await deps.charts.read(item, deps.signal);
  if (!read.ok) {
    check.chartError = read.message;
    check.sourceError = read.message;
    return;
  }
  check.sourceDigest = read.artifact.manifestDigest;
  check.archiveDigest = read.artifact.archiveDigest;
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
        ? await deps.dataPlane.digest(item.targetRepository, digest, deps.signal)
        : null;
    }
    for (const tag of item.targetTags) {
      targets[tag] = await deps.dataPlane.digest(item.targetRepository, tag, deps.signal);
    }
    check.targets = targets;
  } catch (err) {
    check.targetError = describeError(err);
  }
}
