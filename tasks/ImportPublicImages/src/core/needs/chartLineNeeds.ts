// Chart lines of the list as a source of needed images (docs/needed-images.md): which values files
// a chart line gets (the first chartValues line whose pattern its source matches, patterns as
// allowedSources), how it is named (its chart, version and list line), and its archive's analysis
// (chartImages.ts) as needs located on that list line. A chart that cannot be read or analysed
// needs what nobody can know: an "unresolved, check by hand" need with the reason, never nothing
// (which would let its images pass as covered). Pure.
import { matchesPattern, type SourcePattern } from '../plan/allowedSources';
import { readChartArchive } from '../charts/archive';
import { sourceIdentity } from '../list/identity';
import type { PlanItem } from '../plan/decisions';
import { chartImages, type UserValues } from './chartImages';
import type { NeededImage } from './needed';

/** One chartValues line: a source pattern and its values files, in order (later wins). */
export interface ChartValuesLine {
  pattern: SourcePattern;
  values: UserValues[];
}

/** The values files of the first chartValues line whose pattern the chart's source matches. */
export function valuesFor(
  lines: readonly ChartValuesLine[],
  source: { registry: string; repository: string },
): UserValues[] {
  const name = sourceIdentity(source);
  return lines.find((l) => matchesPattern(l.pattern, name))?.values ?? [];
}

/** The patterns of chartValues lines that no chart line's source matches (a mistake, likely). */
export function unusedChartValues(
  lines: readonly ChartValuesLine[],
  items: readonly Pick<PlanItem, 'chart' | 'source'>[],
): string[] {
  const charts = items.filter((i) => i.chart).map((i) => sourceIdentity(i.source));
  return lines
    .filter((l) => !charts.some((name) => matchesPattern(l.pattern, name)))
    .map((l) => l.pattern.text);
}

/** Where a chart line is, for people and annotations: the list file (as annotated) and its line. */
export interface ListPlace {
  /** The list's path in annotations (ParseInputs.imageListAnnotationPath). */
  file: string;
  /** The list's name in text (imageListPath as the user wrote it). */
  name: string;
}

/** `cert-manager v1.15.2 (images.txt:8)`: the chart, its version and its list line. */
export function chartLabel(
  item: Pick<PlanItem, 'line' | 'chart' | 'source'>,
  list: ListPlace,
): string {
  const chart = item.chart;
  const name = chart?.name ?? item.source.repository.split('/').pop() ?? item.source.repository;
  const version = chart?.version ?? item.source.digest ?? item.source.tag ?? '';
  return `${name}${version ? ` ${version}` : ''} (${list.name}:${item.line})`;
}

/** A chart line's archive: its bytes, or why it could not be read. */
export type ChartArchiveRead = { ok: true; bytes: Uint8Array } | { ok: false; message: string };

/** The images one chart line needs, each located on its list line. */
export function chartLineNeeds(
  item: Pick<PlanItem, 'line' | 'chart' | 'source'>,
  archive: ChartArchiveRead,
  chartValues: readonly ChartValuesLine[],
  list: ListPlace,
): NeededImage[] {
  const label = chartLabel(item, list);
  const at = { file: list.file, line: item.line, fromManifest: false };
  const unresolved = (why: string): NeededImage => ({
    ...at,
    text: `(chart ${label})`,
    neededBy: `chart ${label}`,
    unresolved: `${why}: check its images by hand`,
  });
  if (!archive.ok) return [unresolved(`the chart could not be read (${archive.message})`)];
  const files = readChartArchive(archive.bytes);
  if (!files.ok) return [unresolved(`the chart archive is refused (${files.message})`)];
  const analysis = chartImages({
    label,
    files: files.files,
    userValues: valuesFor(chartValues, item.source),
    unpack: (bytes) => {
      const inner = readChartArchive(bytes);
      return inner.ok ? inner.files : undefined;
    },
  });
  return [
    ...analysis.images.map((img) => ({ ...img, ...at })),
    ...analysis.problems.map((p) => unresolved(`the chart could not be analysed (${p.message})`)),
  ];
}
