// The decide step: what to do with each line, from its check (core/plan.ts decide), logged per
// line; and whether Docker Hub's remaining pulls cover the docker.io imports decided.
import {
  planRecords,
  type CheckResult,
  type ImportMode,
  type LineRecord,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan';
import { holdUpdates } from '../core/policy';
import type { Reporter } from '../core/reporter';
import { headSource, type RateLimit, type SourceRegistries } from '../registry/sourceRegistries';

export interface DecideDeps {
  mode: ImportMode;
  sources: Pick<SourceRegistries, 'head'>;
  credentials: SourceCredentials;
  out: Reporter;
  signal?: AbortSignal;
  /** false: a target tag holding another digest is not overwritten (core/policy.ts holdUpdates). */
  allowUpdates?: boolean;
  /** The registry's login server, as a refused update names its target. */
  loginServer?: string;
}

export async function decideImports(
  items: readonly PlanItem[],
  checked: { checks: readonly CheckResult[]; dockerHub?: RateLimit; canceled: boolean },
  deps: DecideDeps,
): Promise<LineRecord[]> {
  const planned = planRecords(items, deps.mode, checked.checks, checked.canceled);
  const records =
    deps.allowUpdates === false
      ? holdUpdates(planned, deps.loginServer ?? 'the registry')
      : planned;
  for (const r of records) {
    const note = r.decision.note ? ` (${r.decision.note})` : '';
    const refused = r.decision.refused ? ` refused: ${r.decision.refused}` : '';
    deps.out.log(`line ${r.item.line}: ${r.item.sourceText} ${r.decision.action}${note}${refused}`);
  }
  const hubJobs = records.filter(
    (r) => r.decision.armMode !== undefined && r.item.source.registry === 'docker.io',
  );
  const hub =
    hubJobs.length > 0
      ? (checked.dockerHub ??
        (await probeDockerHub(
          hubJobs.map((r) => r.item),
          deps,
        )))
      : undefined;
  if (hub && hubJobs.length > hub.remaining) {
    deps.out.warn(
      `Docker Hub allows ${hub.remaining} more pull(s) (limit ${hub.limit}) but this run needs at least ${hubJobs.length}: some docker.io imports may fail with toomanyrequests.`,
    );
  }
  return records;
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
  const item = items.find((i) => i.source.registry === 'docker.io');
  if (!item || deps.signal?.aborted) return undefined;
  try {
    return (await headSource(deps.sources, item, deps.credentials, deps.signal)).rateLimit;
  } catch {
    return undefined; // Docker Hub unreachable: nothing to compare, the imports will tell
  }
}
