// The chart lines' needs (docs/needed-images.md): after the check, before any import, each chart
// line of the list is read and analysed statically with the team's values (core/needs/
// chartLineNeeds.ts). An HTTP-repository chart's archive is the one the check already read and
// checked (HttpCharts, no second download); an OCI chart's is one download of its content layer
// (registry/ociChart.ts), by the digest the check read, with the line's credentials and the run's
// tokens, within the line's time-out. A chart that cannot be read needs "unresolved, check by hand".
import { deadline, readsTimedOut } from '../core/registry/bounds';
import type { ChartReader } from '../core/charts/oci';
import {
  chartLineNeeds,
  type ChartArchiveRead,
  type ChartValuesLine,
  type ListPlace,
} from '../core/needs/chartLineNeeds';
import type { NeededImage } from '../core/needs/needed';
import { Limiter } from '../core/run/lineStages';
import {
  credentialFor,
  type CheckResult,
  type PlanItem,
  type SourceCredentials,
} from '../core/plan/decisions';
import { describeError } from '../registry/http';
import { fetchOciChartArchive } from '../registry/ociChart';
import type { SourceRegistries } from '../registry/sourceRegistries';

export interface ChartNeedsDeps {
  /** HTTP-repository charts, as the check read them (memoised per line: no second download). */
  charts: ChartReader;
  sources: Pick<SourceRegistries, 'get'>;
  credentials: SourceCredentials;
  chartValues: readonly ChartValuesLine[];
  list: ListPlace;
  concurrency: number;
  /** The longest one chart's reads may take (importTimeoutMinutes); unbounded when absent. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What the chart lines need, and how many OCI chart archives were downloaded for it. */
export interface ChartNeeds {
  needs: NeededImage[];
  charts: number;
  downloads: number;
}

/** Each chart line of `items` (checked: `checks` in the same order), read and analysed. */
export async function findChartNeeds(
  items: readonly PlanItem[],
  checks: readonly (CheckResult | undefined)[],
  deps: ChartNeedsDeps,
): Promise<ChartNeeds> {
  const limiter = new Limiter(Math.max(1, deps.concurrency));
  let downloads = 0;
  const read = async (
    item: PlanItem,
    check: CheckResult | undefined,
  ): Promise<ChartArchiveRead> => {
    if (item.chart?.kind === 'http') {
      const r = await deps.charts.read(item, deps.signal);
      return r.ok ? { ok: true, bytes: r.artifact.archive } : r;
    }
    // The chart the check read (and ARM will import): its digest, else the line's pin or tag.
    const reference = item.source.digest ?? check?.sourceDigest ?? item.source.tag ?? 'latest';
    return limiter.run(async () => {
      const reads =
        deps.timeoutMs === undefined ? undefined : deadline(deps.signal, deps.timeoutMs);
      try {
        downloads++;
        const bytes = await fetchOciChartArchive(
          deps.sources,
          { registry: item.source.registry, repository: item.source.repository, reference },
          credentialFor(item.credentialKey, deps.credentials),
          reads?.signal ?? deps.signal,
        );
        return { ok: true, bytes };
      } catch (err) {
        const why = reads?.expired ? readsTimedOut(deps.timeoutMs ?? 0).message : undefined;
        return { ok: false, message: why ?? describeError(err) };
      } finally {
        reads?.clear();
      }
    }, deps.signal);
  };
  const lines = items.flatMap((item, i) => (item.chart ? [{ item, check: checks[i] }] : []));
  const found = await Promise.all(
    lines.map(async ({ item, check }) => {
      const archive = await read(item, check).catch((err: unknown): ChartArchiveRead => ({
        ok: false,
        message: describeError(err),
      }));
      return chartLineNeeds(item, archive, deps.chartValues, deps.list);
    }),
  );
  return { needs: found.flat(), charts: lines.length, downloads };
}
