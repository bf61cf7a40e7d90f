// Discovery cost of needed images (docs/needed-images.md), no emulator and no network: it is
// pure analysis plus reading files.
//  - N charts (default 200), each with S subcharts (default 5), built in memory as the archive
//    reader gives them (values with the three image-block shapes, global.imageRegistry, a
//    condition per subchart, a template with a literal image): time and heap per chart;
//  - M manifest files (default 5,000) written to a temp folder, three workloads each: the
//    manifestPaths walk, read and analysis, time and heap per file;
//  - the same charts as chart lines of the list: each packed as a .tgz (not timed), then read in
//    memory and analysed as a run does (core/needs/chartLineNeeds.ts: gunzip, tar, analysis), per
//    chart; the registry side of a chart line (one manifest GET and one layer GET per OCI chart,
//    none for an HTTP chart) is counted by test/e2e/needsCharts.test.ts's request log;
//  - the matching of every needed image against a list of one line per distinct image.
//   node build/bench/bench.js --only needs [--charts N --subcharts S --manifests M]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readManifestFiles } from '../tasks/ImportPublicImages/src/ado/needsFiles';
import { parseImageList } from '../tasks/ImportPublicImages/src/core/list/imageList';
import { chartImages } from '../tasks/ImportPublicImages/src/core/needs/chartImages';
import { chartLineNeeds } from '../tasks/ImportPublicImages/src/core/needs/chartLineNeeds';
import { matchNeeds } from '../tasks/ImportPublicImages/src/core/needs/match';
import type { NeededImage } from '../tasks/ImportPublicImages/src/core/needs/needed';
import { findManifestNeeds } from '../tasks/ImportPublicImages/src/steps/needs';
import { tgz } from '../test/unit/tarBuilder';
import { table } from './common';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One chart of the bench: `c` its number, `subs` subcharts under charts/. */
function chart(c: number, subs: number): Map<string, Uint8Array> {
  const name = `app${c}`;
  const files = new Map<string, Uint8Array>();
  const deps = Array.from(
    { length: subs },
    (_, s) => `  - name: sub${s}\n    version: 1.0.0\n    condition: sub${s}.enabled\n`,
  ).join('');
  files.set(
    `${name}/Chart.yaml`,
    enc(
      `apiVersion: v2\nname: ${name}\nversion: 1.0.${c}\nappVersion: 2.${c}.0\ndependencies:\n${deps}`,
    ),
  );
  const subValues = Array.from(
    { length: subs },
    (_, s) => `sub${s}:\n  enabled: ${s % 5 !== 4}\n`,
  ).join('');
  files.set(
    `${name}/values.yaml`,
    enc(
      `global:\n  imageRegistry: ""\nimage:\n  registry: quay.io\n  repository: bench/${name}\n  tag: ""\n` +
        `sidecar:\n  image:\n    registry: docker.io\n    image: bench/${name}-sidecar\n    tag: "1.${c}"\n` +
        `metrics:\n  enabled: false\n  image: {repository: bench/${name}-metrics, tag: "1"}\n` +
        `init:\n  image: busybox:1.${c % 10}\n${subValues}` +
        Array.from({ length: 40 }, (_, k) => `setting${k}:\n  a: ${k}\n  b: "text ${k}"\n`).join(
          '',
        ),
    ),
  );
  files.set(
    `${name}/templates/deployment.yaml`,
    enc(
      `spec:\n  template:\n    spec:\n      containers:\n        - name: main\n          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}"\n        - name: helper\n          image: ghcr.io/bench/helper:${c}\n`,
    ),
  );
  for (let s = 0; s < subs; s++) {
    const sub = `${name}/charts/sub${s}`;
    files.set(
      `${sub}/Chart.yaml`,
      enc(`apiVersion: v2\nname: sub${s}\nversion: 1.0.0\nappVersion: 3.${s}.0\n`),
    );
    files.set(
      `${sub}/values.yaml`,
      enc(
        `image:\n  registry: registry.k8s.io\n  repository: bench/sub${s}\n  tag: ""\n  digest: ""\n`,
      ),
    );
    files.set(
      `${sub}/templates/_helpers.tpl`,
      enc(
        `{{- define "x" -}}{{ default (printf "v%s" .Chart.AppVersion) .Values.image.tag }}{{- end }}\n`,
      ),
    );
  }
  return files;
}

function manifest(f: number): string {
  const wl = (kind: string, i: number): string =>
    `apiVersion: apps/v1\nkind: ${kind}\nmetadata:\n  name: w${f}-${i}\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels: {app: w${f}}\n    spec:\n      initContainers:\n        - name: init\n          image: busybox:1.36\n      containers:\n        - name: app\n          image: contosoacr.azurecr.io/bench/app-${f % 500}:v1\n          args: ["--v=2", "--port=8080"]\n          env:\n            - {name: A, value: "1"}\n`;
  return ['Deployment', 'StatefulSet', 'DaemonSet'].map((k, i) => wl(k, i)).join('---\n');
}

function heapMiB(): number {
  return process.memoryUsage().heapUsed / 1048576;
}

export async function needsCost(
  charts: number,
  subcharts: number,
  manifests: number,
): Promise<void> {
  // Charts: built first (not timed), then analysed.
  const archives = Array.from({ length: charts }, (_, c) => chart(c, subcharts));
  const heap0 = heapMiB();
  let t = process.hrtime.bigint();
  const chartNeeds: NeededImage[] = [];
  for (const [c, files] of archives.entries())
    chartNeeds.push(...chartImages({ label: `app${c}`, files, userValues: [] }).images);
  const chartMs = Number(process.hrtime.bigint() - t) / 1e6;
  const chartHeap = heapMiB() - heap0;

  // Chart lines: the same charts packed (not timed), then read from the archive and analysed.
  const packed = archives.map((files) =>
    tgz([...files].map(([name, data]) => ({ name, data: Buffer.from(data) }))),
  );
  const archiveKiB = packed.reduce((n, b) => n + b.length, 0) / 1024 / charts;
  const list0 = { file: 'images.txt', name: 'images.txt' };
  t = process.hrtime.bigint();
  let lineNeeds = 0;
  for (const [c, bytes] of packed.entries()) {
    const item = {
      line: c + 1,
      chart: { kind: 'oci' as const, name: `app${c}`, version: `1.0.${c}` },
      source: { registry: 'quay.io', repository: `bench/charts/app${c}`, tag: `1.0.${c}` },
    };
    const needs = chartLineNeeds(item, { ok: true, bytes }, [], list0);
    if (needs.some((n) => n.unresolved?.includes('could not'))) throw new Error(`app${c}: unread`);
    lineNeeds += needs.length;
  }
  const lineMs = Number(process.hrtime.bigint() - t) / 1e6;

  // Manifests: written to a temp folder, then walked, read and analysed as a run does.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-needs-'));
  try {
    for (let f = 0; f < manifests; f++) {
      const sub = path.join(dir, `team${f % 20}`);
      fs.mkdirSync(sub, { recursive: true });
      fs.writeFileSync(path.join(sub, `m${f}.yaml`), manifest(f));
    }
    const heap1 = heapMiB();
    t = process.hrtime.bigint();
    const files = readManifestFiles(['**/*.yaml'], dir);
    const found = findManifestNeeds(files.files);
    const manifestMs = Number(process.hrtime.bigint() - t) / 1e6;
    const manifestHeap = heapMiB() - heap1;
    if (found.problems.length > 0 || files.files.length !== manifests)
      throw new Error(`manifests: ${files.files.length} read, ${found.problems.length} problems`);

    // Matching: every need against a list of one line per distinct chart image.
    const distinct = [...new Set(chartNeeds.map((n) => n.text))];
    const list = parseImageList(
      distinct.map((d) => `${d.replace(/^docker\.io\//, '')}`).join('\n'),
    );
    t = process.hrtime.bigint();
    const results = matchNeeds(
      {
        needs: [...chartNeeds, ...found.needs],
        entries: list.entries,
        loginServer: 'contosoacr.azurecr.io',
        reportUnused: true,
      },
      { sourceDigest: () => undefined, acrHas: () => undefined },
    );
    const matchMs = Number(process.hrtime.bigint() - t) / 1e6;
    table(
      `Needed images: discovery cost (${charts} charts x ${subcharts} subcharts, ${manifests} manifest files)`,
      [
        ['charts: images found', `${chartNeeds.length} (${distinct.length} distinct)`],
        [
          'charts: time',
          `${chartMs.toFixed(0)} ms (${(chartMs / charts).toFixed(2)} ms per chart)`,
        ],
        [
          'charts: heap retained',
          `${chartHeap.toFixed(1)} MiB (${((chartHeap * 1024) / charts).toFixed(1)} KiB per chart)`,
        ],
        [
          'chart lines: archive read + analysis',
          `${lineMs.toFixed(0)} ms (${(lineMs / charts).toFixed(2)} ms per chart, ${archiveKiB.toFixed(1)} KiB archive; ${lineNeeds} needs)`,
        ],
        ['manifests: images found', `${found.needs.length} in ${files.files.length} files`],
        [
          'manifests: walk + read + analyse',
          `${manifestMs.toFixed(0)} ms (${((manifestMs * 1000) / manifests).toFixed(0)} µs per file)`,
        ],
        [
          'manifests: heap retained',
          `${manifestHeap.toFixed(1)} MiB (${((manifestHeap * 1024) / manifests).toFixed(1)} KiB per file)`,
        ],
        [
          'matching: every need vs the list',
          `${matchMs.toFixed(0)} ms (${results.length} results, ${list.entries.length} list lines)`,
        ],
        ['process peak RSS', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`],
      ],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
