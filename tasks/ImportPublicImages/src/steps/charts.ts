// The charts step: HTTP Helm repository charts (docs/charts.md). A line's chart is read once, at
// its check: the repository's index.yaml (one download per repository per run), the version's
// entry, the archive (bounded, refused before the download completes), its sha256 against the
// index's digest and the line's pin, the archive read in memory (core/charts/archive.ts), its
// Chart.yaml against the line, and the OCI layout `helm push` would make (core/charts/oci.ts): its
// manifest digest is the line's source digest, compared with the ACR's like an image's. The import
// step then pushes it (registry/acrPush.ts) instead of asking ARM. A pull-request build reads and
// plans, and pushes nothing (it is never handed the push).
import { chartYamlOf, readChartArchive } from '../core/charts/archive';
import { findChartVersion, type IndexEntry } from '../core/charts/index';
import type { HttpChart } from '../core/charts/line';
import {
  chartArtifact,
  chartMetadata,
  OCI_MANIFEST,
  type ChartArtifact,
  type ChartLine,
  type ChartPusher,
  type ChartRead,
} from '../core/charts/oci';
import type { AcrDataPlane } from '../registry/acrDataPlane';
import { pushArtifact, type PushedArtifact } from '../registry/acrPush';
import { fetchArchive, fetchIndex, type HelmRepositoryOptions } from '../registry/helmRepository';
import { describeError, type Overrides } from '../registry/http';

export interface ChartDeps {
  overrides: Overrides;
  /** The ACR to push to; absent in a dry run (a pull-request plan pushes nothing). */
  push?: Omit<PushDeps, 'overrides' | 'send'>;
  timeoutMs?: number;
  /** The request function (registry/http.ts request); a test passes a fake. */
  send?: HelmRepositoryOptions['send'];
}

export interface PushDeps {
  acr: Pick<AcrDataPlane, 'pushAuthorization' | 'baseUrl'>;
  overrides: Overrides;
  send?: HelmRepositoryOptions['send'];
}

/** The HTTP charts of one run: reads memoised per line, indexes per repository. */
export class HttpCharts implements ChartPusher {
  private readonly indexes = new Map<string, Promise<string>>();
  private readonly reads = new Map<number, Promise<ChartRead>>();

  constructor(private readonly deps: ChartDeps) {}

  /** The line's chart, read and checked once per run (the check, then the push, ask it). */
  read(item: ChartLine, signal?: AbortSignal): Promise<ChartRead> {
    const chart = item.chart;
    if (chart?.kind !== 'http')
      return Promise.resolve({ ok: false, message: 'not an HTTP chart line' });
    let p = this.reads.get(item.line);
    if (!p) this.reads.set(item.line, (p = this.readChart(chart, signal)));
    return p;
  }

  private options(signal?: AbortSignal): HelmRepositoryOptions {
    return {
      overrides: this.deps.overrides,
      signal,
      timeoutMs: this.deps.timeoutMs,
      send: this.deps.send,
    };
  }

  private index(url: string, signal?: AbortSignal): Promise<string> {
    let p = this.indexes.get(url);
    if (!p) {
      this.indexes.set(url, (p = fetchIndex(url, this.options(signal))));
      p.catch(() => this.indexes.delete(url)); // a failed index is asked again by the next line
    }
    return p;
  }

  private async readChart(chart: HttpChart, signal?: AbortSignal): Promise<ChartRead> {
    const fail = (message: string): ChartRead => ({ ok: false, message });
    let indexText: string;
    try {
      indexText = await this.index(chart.repositoryUrl, signal);
    } catch (err) {
      return fail(describeError(err));
    }
    const found = findChartVersion(indexText, chart.repositoryUrl, chart.name, chart.version);
    if (!found.ok) return fail(found.message);
    const { entry } = found;
    if (entry.digest === undefined && chart.archiveDigest === undefined) {
      return fail(
        `${chart.repositoryUrl}/index.yaml gives no digest for ${chart.name} ${chart.version}: ` +
          "pin the archive's sha256 on the line (CHART:VERSION@sha256:<64 hex>) to import it",
      );
    }
    let archive: Buffer;
    try {
      archive = await fetchArchive(entry.url, this.options(signal));
    } catch (err) {
      return fail(describeError(err));
    }
    const built = buildArtifact(chart, entry, archive);
    return built;
  }

  async push(
    item: ChartLine,
    repository: string,
    tags: readonly string[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (!this.deps.push) throw new Error('a dry run pushes nothing');
    const read = await this.read(item, signal);
    if (!read.ok) throw new Error(read.message);
    const deps = { ...this.deps.push, overrides: this.deps.overrides, send: this.deps.send };
    await pushChart(read.artifact, repository, tags, deps, signal);
  }
}

/** The downloaded archive checked against the index and the line, and laid out as `helm push` does. */
export function buildArtifact(
  chart: HttpChart,
  entry: IndexEntry,
  archive: Uint8Array,
): { ok: true; artifact: ChartArtifact } | { ok: false; message: string } {
  const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });
  const what = `${chart.name} ${chart.version}`;
  const probe = chartArtifact({ name: chart.name, version: chart.version }, archive).archiveDigest;
  if (entry.digest !== undefined && probe !== entry.digest) {
    return fail(
      `the archive of ${what} has sha256 ${probe}, not the index's ${entry.digest}: nothing written`,
    );
  }
  if (chart.archiveDigest !== undefined && probe !== chart.archiveDigest) {
    return fail(
      `the archive of ${what} has sha256 ${probe}, not the line's pin ${chart.archiveDigest}: nothing written`,
    );
  }
  const files = readChartArchive(archive);
  if (!files.ok) return fail(`the archive of ${what} is refused: ${files.message}`);
  const chartYaml = chartYamlOf(files.files);
  if (!chartYaml) return fail(`the archive of ${what} has no <chart>/Chart.yaml`);
  const meta = chartMetadata(Buffer.from(chartYaml.bytes).toString('utf8'));
  if (!meta.ok) return fail(`the archive of ${what}: ${meta.message}`);
  if (meta.meta.name !== chart.name || meta.meta.version !== chart.version) {
    return fail(
      `the archive of ${what} holds chart ${meta.meta.name} ${meta.meta.version} (its Chart.yaml): the index and the archive disagree`,
    );
  }
  return { ok: true, artifact: chartArtifact(meta.meta, archive) };
}

/**
 * Pushes a read chart into the ACR repository under `tags` (the manifest is PUT once per tag, the
 * blobs once), with a token scoped to push on that repository.
 */
export async function pushChart(
  artifact: ChartArtifact,
  repository: string,
  tags: readonly string[],
  deps: PushDeps,
  signal?: AbortSignal,
): Promise<PushedArtifact> {
  const target = {
    base: deps.acr.baseUrl,
    repository,
    authorization: await deps.acr.pushAuthorization(repository, signal),
    overrides: deps.overrides,
    signal,
    send: deps.send,
  };
  const blobs = [
    { digest: artifact.configDigest, bytes: artifact.config },
    { digest: artifact.archiveDigest, bytes: artifact.archive },
  ];
  const manifest = {
    bytes: artifact.manifest,
    mediaType: OCI_MANIFEST,
    digest: artifact.manifestDigest,
  };
  let pushed: PushedArtifact | undefined;
  for (const tag of tags.length > 0 ? tags : [undefined]) {
    pushed = await pushArtifact(target, pushed ? [] : blobs, manifest, tag);
  }
  return pushed as PushedArtifact;
}
