// The referrers step (copyReferrers): after a line's image is imported or found up to date,
// what refers to it in the source registry (cosign tags, OCI referrers) is imported into the
// same target repository through ARM importImage, always by the digest discovery saw (and, for
// a verified line's `.sig`, the digest verification read): cosign tags under their own tag name
// (so `cosign verify` against the ACR finds them), referrers untagged (so the ACR's referrers API
// lists them under the image). allowUpdates false: a cosign tag never moves (NoForce; a tag the
// ACR holds at another digest fails the line, not imported). What the ACR already holds at the same digest is
// skipped, so a re-run imports nothing. The imports go through the run's scheduler pieces (the
// shared throttle gate, retries, the per-import timeout, cancellation, the import slots). A line's
// discovery starts as soon as it is decided, and its imports run beside its image's import, in
// the same import slot (carryStages): no second wave of imports after the images'.
import type { ImportImageParameters } from '@azure/arm-containerregistry';
import { toFailure, type AcrTarget } from '../azure/acr';
import type { Arm, ImportState } from '../azure/arm';
import {
  credentialFor,
  goesToImport,
  isHttpChart,
  type LineRecord,
  type SourceCredentials,
} from '../core/plan/decisions';
import { importSource } from '../core/list/reference';
import { BoundExceeded, deadline, readsTimedOut } from '../core/registry/bounds';
import { brief } from '../core/results/logText';
import {
  cosignTag,
  countReferrers,
  referrersProblem,
  type CopyReferrers,
  type ReferrerResult,
  type ReferrerStatus,
} from '../core/signatures/referrerPolicy';
import type { Reporter } from '../core/results/reporter';
import type { RunContext } from '../core/run/runContext';
import { alreadyPresent } from '../core/results/imageResult';
import { isAlreadyExists } from '../core/run/retry';
import { limitedStage, type LineStage, type Slots } from '../core/run/lineStages';
import { runOptions, runScheduled } from '../core/run/scheduler';
import type { AcrDataPlane } from '../registry/acrDataPlane';
import type { AcrListings } from '../registry/acrListing';
import { describeError } from '../registry/http';
import { discoverReferrers, type Found, type ReferrerSources } from '../registry/referrerDiscovery';
import { ReferrersApis } from '../registry/referrersApi';
import { headSource, type SourceRegistries } from '../registry/sourceRegistries';

/** What writes: ARM and the target registry (the ARM resource); never handed to a dry run. */
export interface CarryWrites {
  arm: Pick<Arm, 'importImage'>;
  registry: AcrTarget;
}

export interface CarryDeps {
  copyReferrers: CopyReferrers;
  sources: ReferrerSources & Pick<SourceRegistries, 'head'>;
  /** What the ACR holds already (its data plane). */
  dataPlane: Pick<AcrDataPlane, 'digest'>;
  /** The ACR's tag listings (steps/check.ts acrReads): a cosign tag they hold at its digest needs no HEAD. */
  listing: Pick<AcrListings, 'held' | 'claim'>;
  /** ARM and the target; undefined in a dry run (nothing is written: referrers are `planned`). */
  writes: CarryWrites | undefined;
  credentials: SourceCredentials;
  retries: number;
  timeoutMs: number;
  dryRun: boolean;
  /**
   * A line's share of the run's import slots (LineSlots over ImportConcurrency's limiter): its
   * referrers ride its image's slot, and the run never has more importImage in flight than them.
   */
  slotsFor: (record: LineRecord) => Slots;
  /** An ARM 429 paused the imports for delayMs (a chosen concurrency backs off, core/run/concurrency.ts). */
  onThrottled: (delayMs: number) => void;
  /** false: no cosign tag in the ACR moves (NoForce; one held at another digest is refused). */
  allowUpdates: boolean;
}

/** Whether the line's image is in the ACR (imported now, or found there), so its referrers go too. */
export function carriesLine(r: LineRecord, dryRun: boolean): boolean {
  if (r.hold !== undefined || r.decision.action === 'none') return false;
  if (isHttpChart(r.item)) return false; // pushed from an HTTP repository: no registry to refer to it
  if (r.decision.action === 'skip') return true;
  if (dryRun) return goesToImport(r);
  const o = r.outcome;
  return o !== undefined && (o.status === 'done' || alreadyPresent(r.decision, o));
}

/**
 * Whether the line's image will be in the ACR unless its import fails: found there, or to be
 * imported (not held back: refused, of the wrong kind, failed verification). Its referrers start
 * then, beside its import.
 */
export function carriesBeforeImport(r: LineRecord): boolean {
  if (r.hold !== undefined || r.decision.action === 'none') return false;
  if (r.decision.action === 'skip') return true;
  return goesToImport(r); // imported now, or planned in a dry run
}

/**
 * Discovers and carries one line's referrers, then logs what was carried (logCarried); sets
 * record.referrers (or referrersError). `early`: started beside the line's image import
 * (carriesBeforeImport), not after it.
 */
export async function carryReferrers(
  record: LineRecord,
  deps: CarryDeps,
  ctx: RunContext,
  early = false,
  /** What the run learnt of its source registries' referrers API (carryStages keeps one). */
  apis = new ReferrersApis(),
): Promise<void> {
  await findAndCarry(record, deps, ctx, early, apis);
  logCarried(record, ctx.out);
}

/** carryReferrers but its log line of what was carried: carryStages logs it after the import. */
async function findAndCarry(
  record: LineRecord,
  deps: CarryDeps,
  ctx: RunContext,
  early: boolean,
  apis: ReferrersApis,
): Promise<void> {
  const carries = early ? carriesBeforeImport(record) : carriesLine(record, deps.dryRun);
  if (deps.copyReferrers === 'none' || !carries) return;
  const { item } = record;
  const label = `line ${item.line}: ${item.sourceText}`;
  const credential = credentialFor(item.credentialKey, deps.credentials);
  const repo = { registry: item.source.registry, repository: item.source.repository, credential };
  let found: Found[];
  // Discovery's reads end within the import timeout, whatever the registry sends (core/registry/bounds.ts).
  const reads = deadline(ctx.signal, deps.timeoutMs);
  try {
    const { sources, copyReferrers } = deps;
    const digest =
      item.source.digest ??
      record.check.sourceDigest ??
      (await headSource(sources, item, deps.credentials, reads.signal)).digest;
    if (!digest) throw new Error('the source digest could not be read (404)');
    found = await discoverReferrers(sources, repo, digest, copyReferrers, reads.signal, apis);
  } catch (caught) {
    if (ctx.signal.aborted) return;
    const err = reads.expired ? readsTimedOut(deps.timeoutMs) : caught;
    if (err instanceof BoundExceeded) {
      // Past a bound, the registry is not merely unreachable: the line fails closed (failurePolicy).
      record.referrersFailure = `signatures and referrers not carried: ${err.message}`;
      ctx.out.log(`${label} failed: ${record.referrersFailure}`);
      return;
    }
    // As a digest check that cannot read the source: said (a warning and the line's note), not
    // fatal: the image is in the registry; what refers to it could not be read, not refused.
    record.referrersError = `signatures and referrers not carried: the source registry could not be read (${describeError(err)})`;
    ctx.out.warn(`${label}: ${record.referrersError}`);
    return;
  } finally {
    reads.clear();
  }
  // A verified line's `.sig` is carried at the digest verification read, whatever the tag holds now.
  const verifiedSig = record.signatureManifest;
  const sigTag = verifiedSig && cosignTag(record.decision.pin ?? '', 'sig');
  const results: ReferrerResult[] = found.map((f) => ({
    ...f,
    ...(verifiedSig && f.tag === sigTag ? { digest: verifiedSig } : {}),
    status: 'planned',
  }));
  const keepTags = deps.allowUpdates === false;
  // What the ACR holds already, each looked up at once. The listing, read before this run's
  // imports, is trusted when it holds the tag at its digest; anything else is asked with a HEAD.
  const { targetRepository } = item;
  const listed = (tag: string) => deps.listing.held(targetRepository, tag, ctx.signal);
  await Promise.all(
    results.map(async (r) => {
      try {
        const inListing = r.tag ? await listed(r.tag) : undefined;
        const held =
          inListing === r.digest
            ? r.digest
            : await deps.dataPlane.digest(targetRepository, r.tag ?? r.digest, ctx.signal);
        if (r.tag ? held === r.digest : held !== null) r.status = 'skipped';
        else if (r.tag && held !== null && keepTags) {
          r.status = 'failed';
          r.error = `the registry's ${r.tag} holds ${held} and the source's ${r.digest}; allowUpdates is false, so it is not overwritten (set allowUpdates to true to carry the new one)`;
        }
      } catch {
        // the ACR could not be read: import (by digest; NoForce under allowUpdates false)
      }
    }),
  );
  const toImport = results.filter((r) => r.status === 'planned');
  record.referrers = results;
  if (deps.dryRun || !deps.writes || toImport.length === 0) return;
  for (const r of toImport) if (r.tag) deps.listing.claim(targetRepository, r.tag);
  const { arm, registry } = deps.writes;
  const states = new Map(toImport.map((r) => [r, { sent: false } as ImportState]));
  const outcomes = await runScheduled(
    toImport,
    (r, ctx) =>
      arm.importImage(
        registry,
        referrerImport(r, record, credential, keepTags ? 'NoForce' : 'Force'),
        states.get(r) as ImportState,
        ctx.signal,
      ),
    toFailure,
    {
      ...runOptions(deps, ctx),
      concurrency: 1,
      // The run's import slots: a referrer waits for one before its timeout starts, as an image.
      limiter: deps.slotsFor(record),
      onEvent: (e) => {
        if (e.type === 'retry' && e.throttled) deps.onThrottled(e.delayMs);
      },
    },
  );
  toImport.forEach((r, i) => {
    const o = outcomes[i];
    const status: ReferrerStatus =
      o?.status === 'done' ? 'imported' : o?.status === 'canceled' ? 'canceled' : 'failed';
    r.status = status;
    if (status !== 'imported' && o?.failure) r.error = o.failure.message;
    if (keepTags && r.tag && o?.failure && isAlreadyExists(o.failure)) {
      r.error = `another writer made ${r.tag} in the registry after it was read; allowUpdates is false, so it was not overwritten`;
    }
  });
}

/**
 * The importImage of one referrer, always from its digest (`repo@digest`: what was discovered and
 * reported lands, even if the tag is moved upstream meanwhile): a cosign tag under its own tag, a
 * referrer untagged. `tagMode` for a cosign tag: Force (a cosign tag moves when a signature is
 * added, and the ACR follows), or NoForce under allowUpdates false (no tag moves). An untagged
 * import moves no tag: Force.
 */
export function referrerImport(
  r: Pick<ReferrerResult, 'digest' | 'tag'>,
  record: Pick<LineRecord, 'item'>,
  credential: { username: string; password: string } | undefined,
  tagMode: 'Force' | 'NoForce' = 'Force',
): ImportImageParameters {
  const { item } = record;
  const { registry, repository } = item.source;
  const source = importSource({ registry, repository, digest: r.digest }, credential);
  return r.tag
    ? { source, targetTags: [`${item.targetRepository}:${r.tag}`], mode: tagMode }
    : { source, untaggedTargetRepositories: [item.targetRepository], mode: 'Force' };
}

/**
 * One line for what was carried with a line (nothing when nothing refers to its image, or nothing
 * was found): the counts by status and what they are, the first failure's reason briefly; each
 * referrer's name and digest are in the JSON result and the summary.
 */
function logCarried(record: LineRecord, out: Reporter): void {
  const results = record.referrers ?? [];
  if (results.length === 0) return;
  const label = `line ${record.item.line}: ${record.item.sourceText}`;
  const counts = countReferrers([results]);
  const parts = (['imported', 'planned', 'skipped', 'failed', 'canceled'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s === 'skipped' ? 'already present' : s}`);
  const kinds = [...new Set(results.map((r) => r.kind))].join(', ');
  out.log(`${label} signatures and referrers: ${parts.join(', ')} (${kinds})`);
  // The line's own closing line, with the reason once: a referrer that failed fails the line
  // (core/results/imageResult.ts), whose full reason is in the JSON result and the summary.
  const problem = referrersProblem(results);
  if (problem) out.log(`${label} failed: ${brief(problem)}`);
}

/**
 * The carry stages of the per-line pipeline (core/run/lineStages.ts), around the import stage: `start`
 * begins a line's discovery as soon as it is decided (at most `concurrency` lines discovering at
 * once) and its imports as soon as they are known, beside the image's import and in its slot
 * (slotsFor); `finish` waits for them and logs what was carried, after the image's import ended.
 * A cosign tag or a referrer landing before its image is harmless: the ACR keeps a tag or a
 * manifest with a `subject` whether or not the image is there yet, and a reader finds them once
 * it is. If the image's import then fails, what was carried is
 * in the ACR and reported on its line. Nothing after a cancel.
 */
export function carryStages(
  deps: CarryDeps & { readConcurrency: number },
  ctx: RunContext,
): {
  start: LineStage<LineRecord>;
  finish: LineStage<LineRecord>;
} {
  const apis = new ReferrersApis();
  const started = new Map<LineRecord, Promise<void>>();
  const carry = limitedStage<LineRecord>({
    limit: deps.readConcurrency,
    signal: ctx.signal,
    applies: carriesBeforeImport,
    work: (record) => findAndCarry(record, deps, ctx, true, apis),
    failClosed: (record, err) => {
      // Anything unforeseen is said on its line (as a source that cannot be read); the run goes on.
      record.referrersError = `signatures and referrers not carried: ${describeError(err)}`;
      ctx.out.warn(`line ${record.item.line}: ${record.item.sourceText}: ${record.referrersError}`);
    },
  });
  return {
    // Not awaited: the line goes on to its import while its referrers are found.
    start: (record) => {
      if (!ctx.signal.aborted) started.set(record, carry(record));
      return Promise.resolve();
    },
    // Logged now, after the image's import ended: a line's events keep their order in the log
    // (docs/results.md, "The log"), however soon its referrers were carried.
    finish: async (record) => {
      const running = started.get(record);
      started.delete(record);
      await running;
      if (running) logCarried(record, ctx.out);
    },
  };
}
