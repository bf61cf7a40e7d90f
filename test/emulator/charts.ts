// The Helm charts the emulator serves, built from test/fixtures/charts by chartgen.ts: OCI charts in
// the public registries (quay.io/jetstack/charts/cert-manager, docker.io/bitnamicharts/nginx; the
// cert-manager chart cosign-signed like the signed images), and HTTP Helm repositories (index.yaml
// + .tgz) on their own listeners: https://charts.jetstack.io and
// https://kubernetes.github.io/ingress-nginx, with one version whose archive does not match the
// index's digest and one "repository" whose index.yaml is an HTML page. `--charts N` adds N
// generated charts in both forms (benchmarks).
import path from 'node:path';
import { Scalar, stringify as toYaml } from 'yaml';
import {
  type ChartMetadata,
  chartEntries,
  chartMetadata,
  chartTag,
  FIXTURES_DIR,
  helmGzip,
  ociChart,
  parseChartYaml,
  tarArchive,
  type TarEntry,
} from './chartgen';
import { RegistryStore, sha256 } from './store';

/** An OCI chart seeded in a public registry, tag = the chart version (Helm's `+` -> `_`). */
export interface OciChartSpec {
  host: string;
  repository: string;
  fixture: string;
}

export const OCI_CHARTS: OciChartSpec[] = [
  { host: 'quay.io', repository: 'jetstack/charts/cert-manager', fixture: 'cert-manager' },
  { host: 'docker.io', repository: 'bitnamicharts/nginx', fixture: 'nginx' },
];

/** One version of a chart in an HTTP repository, built from a fixture with its version replaced. */
interface RepoVersion {
  fixture: string;
  version: string;
  appVersion: string;
  created: string;
  /** Served bytes differ from the archive the index's digest names (a swapped archive). */
  tampered?: boolean;
}

/** An HTTP Helm repository: https://<host><path>/index.yaml, archives at <file> relative to it. */
export interface HelmRepoSpec {
  host: string;
  /** '' or '/name' (no trailing slash). */
  path: string;
  versions: RepoVersion[];
  /** Archive path relative to the repository, by chart name and version. */
  file: (name: string, version: string) => string;
  /** index.yaml is this text (a GitHub Pages HTML page) instead of an index. */
  notAnIndex?: string;
}

const v = (
  fixture: string,
  version: string,
  appVersion: string,
  created: string,
  tampered = false,
): RepoVersion => ({ fixture, version, appVersion, created, ...(tampered ? { tampered } : {}) });

export const HELM_REPOS: HelmRepoSpec[] = [
  {
    host: 'charts.jetstack.io',
    path: '',
    file: (name, version) => `charts/${name}-${version}.tgz`,
    versions: [
      v('cert-manager', 'v1.15.2', 'v1.15.2', '2024-07-31T13:47:02.918377443Z'),
      v('cert-manager', 'v1.15.1', 'v1.15.1', '2024-06-28T10:11:33.441027316Z'),
      v('cert-manager', 'v1.14.7', 'v1.14.7', '2024-06-28T10:02:12.100482121Z'),
    ],
  },
  {
    host: 'kubernetes.github.io',
    path: '/ingress-nginx',
    file: (name, version) => `${name}-${version}.tgz`,
    versions: [
      v('ingress-nginx', '4.11.1', '1.11.1', '2024-07-12T17:18:12.391496616Z'),
      v('ingress-nginx', '4.11.0', '1.11.0', '2024-07-04T15:13:40.118213447Z', true),
      v('ingress-nginx', '4.10.3', '1.10.3', '2024-07-12T16:58:01.632713116Z'),
      v('ingress-nginx', '4.10.2', '1.10.2', '2024-07-04T14:51:19.102947372Z'),
      v('ingress-nginx', '4.10.1', '1.10.1', '2024-04-26T19:45:02.493810235Z'),
      v('ingress-nginx', '4.9.1', '1.9.6', '2024-02-05T15:05:18.553902551Z'),
    ],
  },
  {
    host: 'kubernetes.github.io',
    path: '/not-a-repo',
    file: (name, version) => `${name}-${version}.tgz`,
    versions: [],
    notAnIndex:
      '<!DOCTYPE html>\n<html>\n  <head><meta charset="utf-8"><title>Site not found · GitHub Pages</title></head>\n  <body><h1>404</h1><p>There isn\'t a GitHub Pages site here.</p></body>\n</html>\n',
  },
];

/** Where the `--charts N` generated charts live, in both forms. */
export const BENCH_CHARTS = {
  ociHost: 'quay.io',
  ociRepository: (i: number) => `bench/charts/${benchName(i)}`,
  repoHost: 'kubernetes.github.io',
  repoPath: '/bench-charts',
  version: '1.0.0',
};
export const benchName = (i: number) => `bench-chart-${String(i).padStart(3, '0')}`;

/** Hosts of the HTTP Helm repository listeners. */
export const HELM_HOSTS = [...new Set(HELM_REPOS.map((r) => r.host))];

/** A fixture's entries with Chart.yaml's version and appVersion replaced (other versions of a chart). */
function versionedEntries(fixture: string, version: string, appVersion: string): TarEntry[] {
  return chartEntries(path.join(FIXTURES_DIR, fixture)).map((e) =>
    e.name === `${fixture}/Chart.yaml`
      ? {
          ...e,
          data: Buffer.from(
            e.data
              .toString('utf8')
              .replace(/^version: .*$/m, `version: ${version}`)
              .replace(/^appVersion: .*$/m, `appVersion: ${appVersion}`),
          ),
        }
      : e,
  );
}

/** A small generated chart (benchmarks): Chart.yaml, values.yaml with one image block, a template. */
function generatedEntries(name: string, version: string): TarEntry[] {
  const t = (s: string) => Buffer.from(s);
  return [
    {
      name: `${name}/Chart.yaml`,
      data: t(
        `apiVersion: v2\nappVersion: ${version}\ndescription: A generated chart (${name})\nname: ${name}\ntype: application\nversion: ${version}\n`,
      ),
    },
    {
      name: `${name}/values.yaml`,
      data: t(`image:\n  registry: quay.io\n  repository: bench/img-000\n  tag: v1\n`),
    },
    {
      name: `${name}/templates/deployment.yaml`,
      data: t(
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n`,
      ),
    },
  ];
}

/** A chart archive and its metadata. */
export interface BuiltChart {
  meta: ChartMetadata;
  archive: Buffer;
}

/** The metadata of an archive's entries: its first entry is Chart.yaml (Helm's order). */
const metaOf = (entries: TarEntry[]): ChartMetadata =>
  parseChartYaml(entries[0]!.data.toString('utf8'), entries[0]!.name);

export function buildFixtureChart(fixture: string): BuiltChart {
  const entries = chartEntries(path.join(FIXTURES_DIR, fixture));
  return { meta: chartMetadata(path.join(FIXTURES_DIR, fixture)), archive: pack(entries) };
}

const pack = (entries: TarEntry[]) => helmGzip(tarArchive(entries));

/** Adds an OCI chart to a registry store under its version's tag; returns the manifest digest. */
export function addOciChart(store: RegistryStore, repository: string, chart: BuiltChart): string {
  const oci = ociChart(chart.meta, chart.archive, sha256);
  store.putBlob(oci.config);
  store.putBlob(oci.archive);
  return store.putManifest(
    repository,
    'application/vnd.oci.image.manifest.v1+json',
    oci.manifest,
    chartTag(chart.meta.version),
  );
}

/** Seeds the OCI charts (and `count` generated ones) into the public registries' stores. */
export function seedOciCharts(stores: Map<string, RegistryStore>, count: number): void {
  for (const c of OCI_CHARTS) {
    const store = stores.get(c.host);
    if (store) addOciChart(store, c.repository, buildFixtureChart(c.fixture));
  }
  const bench = stores.get(BENCH_CHARTS.ociHost);
  for (let i = 0; bench && i < count; i++) {
    const entries = generatedEntries(benchName(i), BENCH_CHARTS.version);
    addOciChart(bench, BENCH_CHARTS.ociRepository(i), {
      meta: metaOf(entries),
      archive: pack(entries),
    });
  }
}

/** What an HTTP repository listener serves: path -> body and content type. */
export type HelmFiles = Map<string, { body: Buffer; contentType: string }>;

const YAML_TYPE = 'application/x-yaml';
const TGZ_TYPE = 'application/gzip';

/** The files of every HTTP Helm repository on `host` (index.yaml and archives), by path. */
export function helmRepoFiles(host: string, count: number): HelmFiles {
  const files: HelmFiles = new Map();
  const repos = HELM_REPOS.filter((r) => r.host === host);
  if (host === BENCH_CHARTS.repoHost && count > 0) {
    const versions = Array.from({ length: count }, (_, i) => benchName(i));
    repos.push({
      host,
      path: BENCH_CHARTS.repoPath,
      file: (name, version) => `${name}-${version}.tgz`,
      versions: versions.map((name) =>
        v(name, BENCH_CHARTS.version, BENCH_CHARTS.version, '2024-08-01T00:00:00Z'),
      ),
    });
  }
  for (const repo of repos) {
    if (repo.notAnIndex) {
      files.set(`${repo.path}/index.yaml`, {
        body: Buffer.from(repo.notAnIndex),
        contentType: 'text/html; charset=utf-8',
      });
      continue;
    }
    const entries: Record<string, Record<string, unknown>[]> = {};
    for (const ver of repo.versions) {
      const generated = repo.path === BENCH_CHARTS.repoPath;
      const tar = generated
        ? generatedEntries(ver.fixture, ver.version)
        : versionedEntries(ver.fixture, ver.version, ver.appVersion);
      const meta = metaOf(tar);
      const archive = pack(tar);
      const file = repo.file(meta.name, ver.version);
      const served = ver.tampered ? pack(tamper(tar)) : archive;
      files.set(`${repo.path}/${file}`, { body: served, contentType: TGZ_TYPE });
      (entries[meta.name] ??= []).push({
        ...meta,
        created: quoted(ver.created),
        digest: sha256(archive).slice('sha256:'.length),
        urls: [file],
      });
    }
    const index = {
      apiVersion: 'v1',
      entries,
      generated: quoted('2024-08-01T00:00:00.000000000Z'),
    };
    // As Helm writes it (sigs.k8s.io/yaml): keys sorted, sequences not indented, times quoted.
    files.set(`${repo.path}/index.yaml`, {
      body: Buffer.from(toYaml(index, { lineWidth: 0, sortMapEntries: true, indentSeq: false })),
      contentType: YAML_TYPE,
    });
  }
  return files;
}

/** A string the index writes in double quotes (Helm quotes its times). */
function quoted(text: string): Scalar {
  const s = new Scalar(text);
  s.type = Scalar.QUOTE_DOUBLE;
  return s;
}

/** A swapped archive: the same chart with its image registry pointed elsewhere. */
function tamper(entries: TarEntry[]): TarEntry[] {
  return entries.map((e) =>
    e.name.endsWith('/values.yaml')
      ? {
          ...e,
          data: Buffer.from(e.data.toString('utf8').replace(/registry\.k8s\.io/g, 'evil.example')),
        }
      : e,
  );
}
