// Chart archives as `helm package` lays them out, built deterministically from a source tree
// (test/fixtures/charts/<name>): a gzip (with Helm's FEXTRA and FCOMMENT header fields) of a ustar
// archive whose entries are `<chart>/Chart.yaml`, `<chart>/values.yaml`, the templates and other
// files, then each subchart under `<chart>/charts/<sub>/` the same way; regular files only, mode
// 0644, uid/gid 0, one fixed mtime. And a chart as `helm push` stores it: config = Chart.yaml's
// metadata as JSON (Helm's field order), one chart layer, Helm's annotations.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse as parseYaml } from 'yaml';

export const CHART_MT = {
  config: 'application/vnd.cncf.helm.config.v1+json',
  content: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  provenance: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
} as const;

/** Where the chart fixtures live. */
export const FIXTURES_DIR = path.resolve(__dirname, '../../../test/fixtures/charts');

/** The mtime of every entry (2024-08-01T00:00:00Z): archives are byte-stable. */
export const CHART_MTIME = Date.UTC(2024, 7, 1) / 1000;

export interface TarEntry {
  name: string;
  data: Buffer;
}

const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';

/** One ustar header (as Go's archive/tar writes for Helm): a name over 100 bytes is split into prefix + name. */
function header(name: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512, 0);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new Error(`chartgen: path too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(mtime, 12), 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** A ustar archive of regular files (two zero blocks at the end). */
export function tarArchive(entries: TarEntry[], mtime = CHART_MTIME): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e.name, e.data.length, mtime), e.data);
    parts.push(Buffer.alloc((512 - (e.data.length % 512)) % 512, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}

/** Helm's gzip header fields (pkg/chart/v2/util/save.go): Extra and Comment "Helm". */
const HELM_EXTRA = Buffer.from('+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=');

/** gzip (RFC 1952) with FEXTRA and FCOMMENT as Helm writes them, mtime 0, deflate level 9. */
export function helmGzip(data: Buffer): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x10, 0, 0, 0, 0, 2, 255]);
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(HELM_EXTRA.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([
    head,
    xlen,
    HELM_EXTRA,
    Buffer.from('Helm\0'),
    zlib.deflateRawSync(data, { level: 9 }),
    trailer,
  ]);
}

/** Files of a directory, recursively, sorted by path (what Helm's loader sees, minus charts/). */
function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...walk(dir, p));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

/** The entries of a chart source tree in Helm's order: Chart.yaml, Chart.lock, values.yaml,
 * values.schema.json, templates/, the other files, then each subchart under charts/. */
export function chartEntries(dir: string, prefix = ''): TarEntry[] {
  const meta = chartMetadata(dir);
  const base = `${prefix}${meta.name}`;
  const files = walk(dir);
  const first = ['Chart.yaml', 'Chart.lock', 'values.yaml', 'values.schema.json'];
  const rank = (f: string) =>
    first.includes(f) ? first.indexOf(f) : f.startsWith('templates/') ? 10 : 20;
  const own = files
    .filter((f) => !f.startsWith('charts/'))
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const entries: TarEntry[] = own.map((f) => ({
    name: `${base}/${f}`,
    data: fs.readFileSync(path.join(dir, f)),
  }));
  const charts = path.join(dir, 'charts');
  if (fs.existsSync(charts))
    for (const sub of fs.readdirSync(charts).sort())
      if (fs.statSync(path.join(charts, sub)).isDirectory())
        entries.push(...chartEntries(path.join(charts, sub), `${base}/charts/`));
  return entries;
}

/** Chart.yaml parsed. */
export interface ChartMetadata {
  name: string;
  version: string;
  appVersion?: string;
  [key: string]: unknown;
}

export function chartMetadata(dir: string): ChartMetadata {
  return parseChartYaml(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'), dir);
}

/** Chart.yaml's text parsed; `where` names it in the error. */
export function parseChartYaml(text: string, where: string): ChartMetadata {
  const meta = parseYaml(text) as ChartMetadata | null;
  if (!meta?.name || !meta.version)
    throw new Error(`chartgen: ${where}/Chart.yaml lacks name or version`);
  return meta;
}

/** The .tgz `helm package` makes of a chart source tree (named `<name>-<version>.tgz`). */
export function packageChart(dir: string): Buffer {
  return helmGzip(tarArchive(chartEntries(dir)));
}

/** Go's json.Marshal of Helm's chart.Metadata: its fields in struct order, empty ones left out. */
const METADATA_FIELDS = [
  'name',
  'home',
  'sources',
  'version',
  'description',
  'keywords',
  'maintainers',
  'icon',
  'apiVersion',
  'condition',
  'tags',
  'appVersion',
  'deprecated',
  'annotations',
  'kubeVersion',
  'dependencies',
  'type',
];

export function helmConfig(meta: ChartMetadata): Buffer {
  const out: Record<string, unknown> = {};
  for (const k of METADATA_FIELDS) {
    const v = meta[k];
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return Buffer.from(JSON.stringify(out));
}

export interface OciChart {
  config: Buffer;
  archive: Buffer;
  manifest: Buffer;
}

/** A chart as `helm push` stores it: config (metadata JSON), one chart layer, Helm's annotations.
 * `created` is what the publisher's push wrote (fixed here, so digests are stable). */
export function ociChart(
  meta: ChartMetadata,
  archive: Buffer,
  digestOf: (b: Buffer) => string,
  created = '2024-08-01T00:00:00Z',
): OciChart {
  const config = helmConfig(meta);
  const maintainers = (meta.maintainers as { name?: string; email?: string }[] | undefined) ?? [];
  const annotations: Record<string, string> = {
    ...(typeof meta.description === 'string'
      ? { 'org.opencontainers.image.description': meta.description }
      : {}),
    'org.opencontainers.image.title': meta.name,
    'org.opencontainers.image.version': meta.version,
    'org.opencontainers.image.created': created,
    ...(typeof meta.home === 'string' ? { 'org.opencontainers.image.url': meta.home } : {}),
    ...(Array.isArray(meta.sources) && typeof meta.sources[0] === 'string'
      ? { 'org.opencontainers.image.source': meta.sources[0] }
      : {}),
    ...(maintainers.length
      ? {
          'org.opencontainers.image.authors': maintainers
            .map((m) => (m.email ? `${m.name} (${m.email})` : (m.name ?? '')))
            .join(', '),
        }
      : {}),
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: CHART_MT.config, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: CHART_MT.content, digest: digestOf(archive), size: archive.length }],
    annotations,
  };
  return { config, archive, manifest: Buffer.from(JSON.stringify(manifest)) };
}

/** Helm's tag rule: a `+` in a chart version is `_` in the OCI tag. */
export function chartTag(version: string): string {
  return version.replace(/\+/g, '_');
}
