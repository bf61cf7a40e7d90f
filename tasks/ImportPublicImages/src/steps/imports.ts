// The import step: one ARM importImage per item that needs it, through the scheduler
// (bounded concurrency, shared throttle gate, retries, timeout, cancellation), with a log
// line per state change and progress.
import type { ImportImageParameters } from '@azure/arm-containerregistry';
import type { TaskOutput } from '../ado/output';
import { toFailure, type AcrTarget } from '../azure/acr';
import type { Arm, ImportState } from '../azure/arm';
import { credentialFor, type Decision, type PlanItem, type SourceCredentials } from '../core/plan';
import { armSource } from '../core/reference';
import { formatDuration } from '../core/report';
import { hintFor, isAlreadyExists } from '../core/retry';
import {
  runScheduled,
  systemClock,
  type Clock,
  type Outcome,
  type ThrottleGate,
} from '../core/schedule';

export interface ImportJob {
  item: PlanItem;
  decision: Decision;
}

export interface ImportDeps {
  arm: Pick<Arm, 'importImage'>;
  acr: AcrTarget;
  credentials: SourceCredentials;
  concurrency: number;
  retries: number;
  timeoutMs: number;
  signal: AbortSignal;
  out: TaskOutput;
  clock?: Clock;
  /** The run's throttle gate, shared with the ARM reads before the imports. */
  gate?: ThrottleGate;
  /**
   * Whether the job's target now holds its source's digest. Asked when a NoForce retry is refused
   * with "already exists" after an earlier attempt of this run reached ARM: then that attempt
   * made the tag, and the line is imported, not skipped.
   */
  landed?: (job: ImportJob, signal: AbortSignal) => Promise<boolean>;
}

export const ALREADY_PRESENT_NOTE = 'already present (NoForce import refused to overwrite)';

/**
 * A NoForce import of a single target refused because the target exists: what missing mode
 * wanted, so it ends skipped. With several target tags the refusal says nothing about which
 * exist (NoForce copies none of them), so it stays a failure.
 */
export function alreadyPresent(decision: Decision, outcome: Outcome<unknown>): boolean {
  return (
    outcome.status === 'failed' &&
    decision.armMode === 'NoForce' &&
    (decision.untagged || decision.tags.length === 1) &&
    outcome.failure !== undefined &&
    isAlreadyExists(outcome.failure)
  );
}

export function importParameters(
  job: ImportJob,
  credentials: SourceCredentials,
): ImportImageParameters {
  const { item, decision } = job;
  const cred = credentialFor(item.credentialKey, credentials);
  const params: ImportImageParameters = {
    source: {
      ...armSource(item.source),
      ...(cred ? { credentials: { username: cred.username, password: cred.password } } : {}),
    },
    mode: decision.armMode ?? 'NoForce',
  };
  if (decision.untagged) params.untaggedTargetRepositories = [item.targetRepository];
  else params.targetTags = decision.tags.map((t) => `${item.targetRepository}:${t}`);
  return params;
}

export async function runImports(
  jobs: readonly ImportJob[],
  deps: ImportDeps,
): Promise<Outcome<void>[]> {
  const { out } = deps;
  let ended = 0;
  const label = (i: number): string => {
    const job = jobs[i] as ImportJob;
    return `line ${job.item.line}: ${job.item.sourceText}`;
  };
  out.progress(0, jobs.length, 'importing');
  const states = new Map(jobs.map((job) => [job, { sent: false } as ImportState]));
  const work = async (job: ImportJob, signal: AbortSignal): Promise<void> => {
    const state = states.get(job) as ImportState;
    const sentBefore = state.sent;
    const resumed = state.operationUrl !== undefined;
    if (resumed) out.log(`${label(jobs.indexOf(job))} polling the import ARM already accepted`);
    try {
      await deps.arm.importImage(deps.acr, importParameters(job, deps.credentials), state, signal);
    } catch (err) {
      const refusedAsPresent =
        sentBefore &&
        !resumed &&
        job.decision.armMode === 'NoForce' &&
        isAlreadyExists(toFailure(err)) &&
        (await deps.landed?.(job, signal).catch(() => false));
      if (!refusedAsPresent) throw err;
      out.log(
        `${label(jobs.indexOf(job))} the target holds the source's digest: an earlier attempt of this run imported it`,
      );
    }
  };
  const outcomes = await runScheduled(jobs, (job, ctx) => work(job, ctx.signal), toFailure, {
    concurrency: deps.concurrency,
    retries: deps.retries,
    timeoutMs: deps.timeoutMs,
    clock: deps.clock ?? systemClock,
    random: Math.random,
    signal: deps.signal,
    gate: deps.gate,
    onEvent: (e) => {
      if (e.type === 'start') {
        const job = jobs[e.index] as ImportJob;
        const targets = job.decision.untagged
          ? job.item.targetRepository
          : job.decision.tags.map((t) => `${job.item.targetRepository}:${t}`).join(', ');
        out.log(
          `${label(e.index)} importing -> ${targets} (${job.decision.armMode}${e.attempt > 1 ? `, attempt ${e.attempt}` : ''})`,
        );
      } else if (e.type === 'retry') {
        const wait = formatDuration(e.delayMs);
        out.log(
          `${label(e.index)} attempt ${e.attempt} failed: ${e.failure.message}; ` +
            (e.throttled
              ? `ARM is throttling: every import waits ${wait} (Retry-After)`
              : `retrying in ${wait}`),
        );
      } else {
        ended++;
        const o = e.outcome;
        const text =
          o.status === 'done'
            ? `imported in ${formatDuration(o.durationMs)}${o.attempts > 1 ? ` after ${o.attempts} attempts` : ''}`
            : alreadyPresent((jobs[e.index] as ImportJob).decision, o)
              ? `skipped: ${ALREADY_PRESENT_NOTE}`
              : `${o.status}: ${o.failure?.message ?? ''}`;
        out.log(`${label(e.index)} ${text}`);
        out.progress(ended, jobs.length, `${ended}/${jobs.length} imports finished`);
      }
    },
  });
  return outcomes;
}

/** The user-facing error of a failed outcome: the failure plus what to do about it. */
export function errorText(
  job: ImportJob,
  o: Outcome<void>,
  ctx: { acr: AcrTarget; credentials: SourceCredentials },
): string | null {
  if (!o.failure) return null;
  const hint =
    o.status === 'failed'
      ? hintFor(o.failure, {
          sourceRegistry: job.item.source.registry,
          sourceRepository: job.item.source.repository,
          sourceText: job.item.text,
          hasCredentials: credentialFor(job.item.credentialKey, ctx.credentials) !== undefined,
          acrName: ctx.acr.name,
          resourceGroup: ctx.acr.resourceGroup,
        })
      : undefined;
  const code =
    o.failure.code && !o.failure.message.includes(o.failure.code) ? `${o.failure.code}: ` : '';
  return `${code}${o.failure.message}${hint ? ` ${hint}` : ''}`;
}
