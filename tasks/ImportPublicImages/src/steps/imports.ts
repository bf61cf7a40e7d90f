// The import step: one ARM importImage per line that needs it, handed to the scheduler (bounded
// concurrency, shared throttle gate, retries, timeout, cancellation) as soon as the line is
// decided, with a log line per state change and progress. Each line's outcome is set on its record.
import type { ImportImageParameters } from '@azure/arm-containerregistry';
import { toFailure, type AcrTarget } from '../azure/acr';
import type { Arm, ImportState } from '../azure/arm';
import type { ChartPusher } from '../core/charts/oci';
import {
  credentialFor,
  isHttpChart,
  targetNames,
  type LineRecord,
  type SourceCredentials,
} from '../core/plan/decisions';
import { importSource } from '../core/list/reference';
import { formatDuration } from '../core/results/report';
import type { Reporter } from '../core/results/reporter';
import { ALREADY_PRESENT_NOTE, alreadyPresent } from '../core/results/imageResult';
import { isAlreadyExists } from '../core/run/retry';
import type { AcrDataPlane } from '../registry/acrDataPlane';
import { headSource, type SourceRegistries } from '../registry/sourceRegistries';
import type { ImportConcurrency } from '../core/run/concurrency';
import { brief } from '../core/results/logText';
import type { Slots } from '../core/run/lineStages';
import type { Clock } from '../core/run/clock';
import type { ScheduleEvent } from '../core/run/outcome';
import type { ThrottleGate } from '../core/run/throttleGate';
import { runOptions, Scheduler } from '../core/run/scheduler';

/** What an import needs to know of its line. */
export type ImportJob = Pick<LineRecord, 'item' | 'decision'>;

export interface ImportDeps {
  arm: Pick<Arm, 'importImage'>;
  acr: AcrTarget;
  credentials: SourceCredentials;
  concurrency: number;
  /**
   * The imports' slots when the run adjusts them (a chosen default backs off on ARM 429s,
   * core/run/concurrency.ts); else `concurrency` fixed.
   */
  adaptive?: Pick<ImportConcurrency, 'limiter' | 'throttled'>;
  /** A line's own share of the slots (core/run/lineStages.ts LineSlots): its image and what is
   * carried with it import at once in one slot. */
  slotsFor?: (record: LineRecord) => Slots;
  retries: number;
  timeoutMs: number;
  signal: AbortSignal;
  out: Reporter;
  clock?: Clock;
  /** The run's throttle gate, shared with the ARM reads before the imports. */
  gate?: ThrottleGate;
  /**
   * Where to read digests again when a NoForce retry is refused with "already exists" after an
   * earlier attempt of this run reached ARM (see landed()). Without it such a line stays skipped.
   */
  registries?: LandedDeps;
  /** HTTP Helm repository charts: pushed into the ACR (steps/charts.ts), not imported by ARM. */
  charts?: Pick<ChartPusher, 'push'>;
}

export interface LandedDeps {
  sources: Pick<SourceRegistries, 'head'>;
  acr: Pick<AcrDataPlane, 'digest'>;
  credentials: SourceCredentials;
}

/**
 * Whether every target of a job now holds its source's digest (read again now, not from the
 * check): how a refused NoForce retry tells that an earlier attempt of this run made the tag,
 * so the line is imported, not skipped.
 */
export async function landed(
  job: ImportJob,
  deps: LandedDeps,
  signal?: AbortSignal,
): Promise<boolean> {
  const source = await importedDigest(job, deps, signal);
  if (!source) return false;
  const refs = job.decision.untagged ? [source] : job.decision.tags;
  for (const ref of refs) {
    if ((await deps.acr.digest(job.item.targetRepository, ref, signal)) !== source) return false;
  }
  return refs.length > 0;
}

/** The digest a job imports: the one decided (or verified), else the line's, else read now. */
async function importedDigest(
  job: ImportJob,
  deps: LandedDeps,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { item } = job;
  return (
    job.decision.pin ??
    item.source.digest ??
    (await headSource(deps.sources, item, deps.credentials, signal)).digest ??
    undefined
  );
}

/**
 * allowUpdates false (`keepTargets`): after ARM refused a NoForce import because a target tag
 * exists, the error that says which target another writer made meanwhile and what it holds, or
 * undefined when every existing target holds the digest this line imports (then the refusal is
 * what it says: already present).
 */
export async function targetTaken(
  job: ImportJob,
  deps: LandedDeps,
  loginServer: string,
  signal?: AbortSignal,
): Promise<Error | undefined> {
  const source = await importedDigest(job, deps, signal);
  const { targetRepository } = job.item;
  for (const tag of job.decision.tags) {
    const held = await deps.acr.digest(targetRepository, tag, signal);
    if (held === null || held === source) continue;
    const message =
      `another writer made ${loginServer}/${targetRepository}:${tag} after the check: it holds ` +
      `${held}, and ${job.item.sourceText} points at ${source ?? 'an unknown digest'}; ` +
      'allowUpdates is false, so it was not overwritten: pin the line to the digest it holds to ' +
      'keep it, or set allowUpdates to true to import the new digest.';
    return Object.assign(new Error(message), { code: 'TargetTagTaken' });
  }
  return undefined;
}

/** The `repository:tag` names an import writes (the repository alone when untagged). */
export function importTargets(job: ImportJob): string[] {
  return targetNames({
    targetRepository: job.item.targetRepository,
    targetTags: job.decision.tags,
  });
}

export function importParameters(
  job: ImportJob,
  credentials: SourceCredentials,
): ImportImageParameters {
  const { item, decision } = job;
  const cred = credentialFor(item.credentialKey, credentials);
  const params: ImportImageParameters = {
    // A verified line imports the digest verified (`repo@digest`), the target tags unchanged.
    source: importSource(
      decision.pin ? { ...item.source, digest: decision.pin } : item.source,
      cred,
    ),
    mode: decision.armMode ?? 'NoForce',
  };
  if (decision.untagged) params.untaggedTargetRepositories = [item.targetRepository];
  else params.targetTags = importTargets(job);
  return params;
}

const label = (job: ImportJob): string => `line ${job.item.line}: ${job.item.sourceText}`;

/**
 * The import stage of the per-line pipeline: a line whose decision has an ARM mode is handed to
 * the scheduler (bounded concurrency, shared throttle gate, retries, timeout, cancellation) the
 * moment it is decided; its outcome is set on its record. Other lines pass at once.
 */
export function lineImporter(
  deps: ImportDeps & { /** Every line of the list, for the progress. */ lines: number },
): (record: LineRecord) => Promise<void> {
  const { out } = deps;
  const jobs: LineRecord[] = [];
  const states = new Map<LineRecord, ImportState>();
  const attempt = async (job: LineRecord, signal: AbortSignal): Promise<void> => {
    if (isHttpChart(job.item)) {
      if (!deps.charts) throw new Error('HTTP chart lines cannot be pushed in this run');
      return deps.charts.push(job.item, job.item.targetRepository, job.decision.tags, signal);
    }
    const state = states.get(job) as ImportState;
    const sentBefore = state.sent;
    const resumed = state.operationUrl !== undefined;
    if (resumed) out.log(`${label(job)} polling the import ARM already accepted`);
    try {
      await deps.arm.importImage(deps.acr, importParameters(job, deps.credentials), state, signal);
    } catch (err) {
      const refused = job.decision.armMode === 'NoForce' && isAlreadyExists(toFailure(err));
      const refusedAsPresent =
        sentBefore &&
        !resumed &&
        refused &&
        deps.registries !== undefined &&
        (await landed(job, deps.registries, signal).catch(() => false));
      if (!refusedAsPresent) {
        // allowUpdates false: a target made by another writer since the check is said as such.
        if (refused && job.decision.keepTargets && deps.registries !== undefined) {
          const taken = await targetTaken(job, deps.registries, deps.acr.loginServer, signal).catch(
            () => undefined,
          );
          if (taken) throw taken;
        }
        throw err;
      }
      out.log(
        `${label(job)} the target holds the source's digest: an earlier attempt of this run imported it`,
      );
    }
  };
  const scheduler = new Scheduler((job: LineRecord, ctx) => attempt(job, ctx.signal), toFailure, {
    ...runOptions(deps),
    concurrency: deps.concurrency,
    limiter: deps.adaptive?.limiter,
    ...(deps.slotsFor ? { slotsFor: deps.slotsFor } : {}),
    onEvent: importLogger(jobs, out, (ms) => deps.adaptive?.throttled(ms)),
  });
  const lineDone = lineProgress(out, deps.lines);
  return async (record) => {
    // Decided after a cancel: never handed over (its line ends canceled, as before the pipeline).
    if (record.decision.armMode === undefined || deps.signal.aborted) return lineDone();
    states.set(record, { sent: false });
    const index = jobs.push(record) - 1;
    record.outcome = await scheduler.run(record, index);
    lineDone();
  };
}

/**
 * The run's progress: lines through the import stage (imported, skipped, failed) over every line
 * of the list, so it only goes up while lines are still being checked; shown at each new percent.
 */
function lineProgress(out: Reporter, lines: number): () => void {
  let done = 0;
  let shown = -1;
  return () => {
    done++;
    const percent = Math.floor((done * 100) / Math.max(1, lines));
    if (percent === shown) return;
    shown = percent;
    out.progress(done, lines, `${done}/${lines} lines done`);
  };
}

/** A log line per start, retry and end of an import. */
function importLogger(
  jobs: readonly ImportJob[],
  out: Reporter,
  onThrottled?: (delayMs: number) => void,
): (e: ScheduleEvent) => void {
  return (e) => {
    const job = jobs[e.index] as ImportJob;
    // The line's decision to import is this line (logged once its slot is held): decide logs
    // only the lines that do not come here.
    if (e.type === 'start') {
      const pushed = isHttpChart(job.item); // an HTTP chart: pushed, no ARM mode
      const detail: string[] = [];
      if (!pushed && job.decision.armMode) detail.push(job.decision.armMode);
      if (e.attempt > 1) detail.push(`attempt ${e.attempt}`);
      out.log(
        `${label(job)} ${pushed ? 'pushing the chart' : 'importing'} -> ${importTargets(job).join(', ')}` +
          (detail.length > 0 ? ` (${detail.join(', ')})` : ''),
      );
    } else if (e.type === 'retry') {
      const wait = formatDuration(e.delayMs);
      out.log(
        `${label(job)} attempt ${e.attempt} failed: ${brief(e.failure.message)}; ` +
          (e.throttled
            ? `ARM is throttling: every import waits ${wait} (Retry-After)`
            : `retrying in ${wait}`),
      );
      if (e.throttled) onThrottled?.(e.delayMs);
    } else {
      const o = e.outcome;
      const text =
        o.status === 'done'
          ? `imported in ${formatDuration(o.durationMs)}${o.attempts > 1 ? ` after ${o.attempts} attempts` : ''}`
          : alreadyPresent(job.decision, o)
            ? `skipped: ${ALREADY_PRESENT_NOTE}`
            : `${o.status}: ${brief(o.failure?.message ?? '')}`;
      out.log(`${label(job)} ${text}`);
    }
  };
}
