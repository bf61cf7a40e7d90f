// The needed images in the flow (docs/needed-images.md): found in manifestPaths before any request,
// and from chart lines after their check; judged against the list and the ACR before any import
// (a barrier), so that unlistedImages: fail writes nothing. Used by flow.ts, on its interfaces.
import type { NeedsInputs } from './ado/needsInputs';
import { unusedChartValues } from './core/needs/chartLineNeeds';
import type { NeedResult } from './core/needs/match';
import type { NeededImage } from './core/needs/needed';
import type { UnlistedImages } from './core/needs/needsReport';
import type { FileProblem } from './core/needs/yamlDocs';
import type { ChartReader } from './core/charts/oci';
import type { ImageEntry } from './core/list/imageList';
import type { CheckResult, PlanItem, SourceCredentials } from './core/plan/decisions';
import type { RunReporter } from './core/results/reporter';
import type { AcrDataPlane } from './registry/acrDataPlane';
import type { SourceRegistries } from './registry/sourceRegistries';
import { findChartNeeds } from './steps/chartNeeds';
import { findManifestNeeds, judgeNeeds, type NeedsFile } from './steps/needs';

/** The manifest files of manifestPaths, read by the platform. */
export type ReadManifestFiles = (
  patterns: readonly string[],
  root: string,
) => { files: NeedsFile[]; warnings: string[]; problems: FileProblem[] };

/** The images manifestPaths need, or undefined when a file failed the run (annotated). */
export function discoverNeeds(
  n: NeedsInputs,
  platform: {
    readManifestFiles: ReadManifestFiles;
    annotateNeedsProblems(problems: readonly FileProblem[]): void;
  },
  out: RunReporter,
): NeededImage[] | undefined {
  if (n.unlistedImages === 'off' || n.manifestPaths.length === 0) return [];
  const files = platform.readManifestFiles(n.manifestPaths, n.root);
  for (const w of files.warnings) out.warn(w);
  const found = findManifestNeeds(files.files);
  const problems = [...files.problems, ...found.problems];
  if (problems.length === 0) {
    out.log(`${found.needs.length} image reference(s) in ${files.files.length} manifest file(s)`);
    return found.needs;
  }
  platform.annotateNeedsProblems(problems);
  out.fail(
    `${problems.length} manifest file(s) of manifestPaths cannot be read (first: ${problems[0]?.message}); nothing was imported.`,
  );
  return undefined;
}

/** A warning for each chartValues line no chart line of the list uses. */
export function warnUnusedChartValues(
  n: NeedsInputs,
  items: readonly PlanItem[],
  listInput: string,
  out: RunReporter,
): void {
  if (n.unlistedImages === 'off') return;
  for (const p of unusedChartValues(n.chartValues, items))
    out.warn(
      `chartValues: ${p} matches no chart line of ${listInput}: its values files are not used.`,
    );
}

export interface RunNeedsDeps {
  needsInputs: NeedsInputs;
  entries: readonly ImageEntry[];
  items: readonly PlanItem[];
  /** Every line's check (the barrier). */
  checks: () => Promise<readonly CheckResult[]>;
  sources: Pick<SourceRegistries, 'head' | 'get' | 'prefetch'>;
  dataPlane: Pick<AcrDataPlane, 'digest'>;
  charts: ChartReader;
  credentials: SourceCredentials;
  loginServer: string;
  /** The list's annotation path (chart lines' needs are annotated on it). */
  listFile: string;
  readConcurrency: number;
  timeoutMs: number;
}

/** The needed images judged (manifests' and chart lines'), or undefined when none are read. */
export async function judgeRunNeeds(
  manifestNeeds: readonly NeededImage[],
  deps: RunNeedsDeps,
  ctx: { out: RunReporter; signal: AbortSignal },
): Promise<{ results: NeedResult[]; reads: number; policy: UnlistedImages } | undefined> {
  const { needsInputs, items } = deps;
  // Chart lines are a source of needs too (read after their check, steps/chartNeeds.ts).
  const readsCharts = needsInputs.unlistedImages !== 'off' && items.some((i) => i.chart);
  if (manifestNeeds.length === 0 && !readsCharts) return undefined;
  const checked = await deps.checks();
  const fromCharts = readsCharts
    ? await findChartNeeds(items, checked, {
        charts: deps.charts,
        sources: deps.sources,
        credentials: deps.credentials,
        chartValues: needsInputs.chartValues,
        list: { file: deps.listFile, name: deps.listFile },
        concurrency: deps.readConcurrency,
        timeoutMs: deps.timeoutMs,
        signal: ctx.signal,
      })
    : undefined;
  if (fromCharts)
    ctx.out.log(
      `${fromCharts.needs.length} image reference(s) in ${fromCharts.charts} chart line(s) (${fromCharts.downloads} OCI chart archive(s) downloaded)`,
    );
  const judged = await judgeNeeds([...manifestNeeds, ...(fromCharts?.needs ?? [])], {
    sources: deps.sources,
    acr: deps.dataPlane,
    credentials: deps.credentials,
    entries: deps.entries,
    items,
    checks: checked,
    loginServer: deps.loginServer,
    reportUnused: needsInputs.manifestPaths.length > 0,
    concurrency: deps.readConcurrency,
    signal: ctx.signal,
  });
  return { ...judged, policy: needsInputs.unlistedImages };
}
