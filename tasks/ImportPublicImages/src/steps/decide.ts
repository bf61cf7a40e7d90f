// The decide step: what to do with each line, from its check (core/plan/decisions.ts decide),
// logged per line as soon as its check is done; and whether Docker Hub's remaining pulls cover the
// docker.io imports decided (said before the first docker.io import).
import { isDockerHub } from '../core/list/identity';
import {
  planRecords,
  type CheckResult,
  type ImportMode,
  type LineRecord,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan/decisions';
import { brief } from '../core/results/logText';
import { Countdown } from '../core/run/lineStages';
import { holdUpdates } from '../core/plan/policy';
import type { Reporter } from '../core/results/reporter';
import type { RateLimit } from '../registry/manifests';
import { headSource, type SourceRegistries } from '../registry/sourceRegistries';

export interface DecideDeps {
  mode: ImportMode;
  sources: Pick<SourceRegistries, 'head'>;
  credentials: SourceCredentials;
  out: Reporter;
  signal?: AbortSignal;
  /**
   * false: a target tag holding another digest is not overwritten (core/plan/policy.ts
   * holdUpdates).
   */
  allowUpdates?: boolean;
  /** The registry's login server, as a refused update names its target. */
  loginServer?: string;
  /** false: a line to import is logged by the import step when it starts, not here. */
  dryRun?: boolean;
}

/**
 * The line's decision from its check (core/plan/decisions.ts decide; allowUpdates), logged on its
 * line.
 */
export function decideLine(item: PlanItem, check: CheckResult, deps: DecideDeps): LineRecord {
  // A check canceled with the run failed for the cancel's sake, not the registry's.
  const planned = planRecords([item], deps.mode, [check], deps.signal?.aborted ?? false);
  const held =
    deps.allowUpdates === false
      ? holdUpdates(planned, deps.loginServer ?? 'the registry')
      : planned;
  const record = held[0] as LineRecord; // one item in, one record out
  // What lands is what was decided: a line whose source digest was read imports that digest
  // (`repo@digest`, its target tags unchanged), even if the tag moves upstream meanwhile.
  if (record.decision.armMode !== undefined && check.sourceDigest !== undefined)
    record.decision.pin = check.sourceDigest;
  // One line per event: a line that goes on to import says so when its import starts
  // (`importing -> ...`); the others (skip, none, refused, a dry run's plan) say it here.
  const { decision } = record;
  if (decision.armMode !== undefined && deps.dryRun === false) return record;
  const note = decision.note ? ` (${brief(decision.note)})` : '';
  const refused = decision.refused ? ` refused: ${brief(decision.refused)}` : '';
  deps.out.log(`line ${item.line}: ${item.sourceText} ${decision.action}${note}${refused}`);
  return record;
}

/**
 * Whether Docker Hub's remaining pulls cover the docker.io imports decided, said once before the
 * first docker.io import: a per-line stage where every docker.io line arrives once decided and a
 * docker.io import waits until all of them have (then the warning, when short, is logged). Other
 * lines pass at once. The limit is the lowest the checks saw, or one probe HEAD when they saw none.
 * When the first docker.io line to import shows that no warning can come (the limit covers every
 * docker.io line, or Docker Hub sent none), no docker.io line waits.
 */
export function dockerHubBudget(
  items: readonly PlanItem[],
  checks: { dockerHub(): RateLimit | undefined },
  deps: DecideDeps,
): (record: LineRecord) => Promise<void> {
  const decided: LineRecord[] = [];
  const hubLines = items.filter((i) => isDockerHub(i.source.registry)).length;
  let goneEarly: boolean | undefined; // judged once, on the first docker.io line to import
  const allDecided = new Countdown(hubLines, async () => {
    const hubJobs = decided.filter((r) => r.decision.armMode !== undefined);
    if (hubJobs.length === 0 || goneEarly) return; // gone early: there was nothing to say
    // (later HEADs would see the pulls of this run's own imports, not a shortfall)
    const hub =
      checks.dockerHub() ??
      (await probeDockerHub(
        hubJobs.map((r) => r.item),
        deps,
      ));
    if (hub && hubJobs.length > hub.remaining) {
      deps.out.warn(
        `Docker Hub allows ${hub.remaining} more pull(s) (limit ${hub.limit}) but this run needs at least ${hubJobs.length}: some docker.io imports may fail with toomanyrequests.`,
      );
    }
  });
  // No warning can come: the limit seen covers every docker.io line, or Docker Hub answered this
  // line's HEAD without a limit. Then a docker.io line goes on as soon as it is decided.
  const nothingToSay = (record: LineRecord): boolean => {
    const hub = checks.dockerHub();
    return hub ? hub.remaining >= hubLines : record.check.sourceDigest !== undefined;
  };
  return async (record) => {
    if (!isDockerHub(record.item.source.registry)) return;
    decided.push(record);
    allDecided.arrive();
    if (record.decision.armMode === undefined) return;
    goneEarly ??= nothingToSay(record);
    if (!goneEarly) await allDecided.wait();
  };
}

/**
 * Docker Hub's remaining pulls when the check did not see them (force and missing modes send no
 * source HEADs, nor does sync for digest-pinned lines): one manifest HEAD for one docker.io item,
 * with that item's credentials (the limit is per account). HEADs do not count as pulls.
 * Undefined when there is no docker.io item, or Docker Hub does not answer with the headers.
 */
export async function probeDockerHub(
  items: readonly PlanItem[],
  deps: Pick<DecideDeps, 'sources' | 'credentials' | 'signal'>,
): Promise<RateLimit | undefined> {
  const item = items.find((i) => isDockerHub(i.source.registry));
  if (!item || deps.signal?.aborted) return undefined;
  try {
    return (await headSource(deps.sources, item, deps.credentials, deps.signal)).rateLimit;
  } catch {
    return undefined; // Docker Hub unreachable: nothing to compare, the imports will tell
  }
}
