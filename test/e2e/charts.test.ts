// Helm charts as lines of the list (issue 17), the bundled task against the emulator: an OCI chart
// lands with the upstream digest through ARM importImage; an HTTP-repository chart is pushed and
// Debian's skopeo reads the same archive back (its sha256 is the index's); a re-run writes nothing;
// a pull-request build plans both and writes nothing; allowedSources and requireDigests apply to
// chart lines; an archive that does not match the index's digest writes nothing; an oci:// line
// naming an image, and an image line naming a chart, fail with the line to write.
// Fails (does not skip) when skopeo is missing: scripts/setup.sh installs it.
import { HOSTILE_CHARTS } from '../emulator/chartsHostile';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningEmulator } from '../helpers/emulator';
import {
  acrWrites,
  errorIssues,
  explain,
  importRequests,
  runTask,
  taskRequests,
  useEmulator,
  type ImageResult,
  type RunOptions,
  type TaskRun,
} from './runTask';

const OCI = 'oci://quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager';
const HTTP =
  'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.1 => charts/ingress-nginx';
const SWAPPED = 'https://kubernetes.github.io/ingress-nginx ingress-nginx:4.11.0 => charts/swapped';

/** The charts landing, not the images they need (that is test/e2e/needsCharts.test.ts): off. */
const runCharts = (ready: Parameters<typeof runTask>[0], opts: RunOptions): Promise<TaskRun> =>
  runTask(ready, { ...opts, env: { INPUT_UNLISTEDIMAGES: 'off', ...opts.env } });
const images = (run: TaskRun): ImageResult[] => run.result?.images ?? [];
const sha = (b: Buffer): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe('e2e: Helm charts in the list (bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 100 }, (e) => (em = e));
  const acrName = (): string => em.ready.acrs[0]!.name;
  const held = async (repository: string, tag: string): Promise<string | undefined> =>
    (await em.admin.tags(acrName())).find((t) => t.repository === repository && t.tag === tag)
      ?.digest;

  /** The archive the HTTP repository serves for a chart version, and the index's digest for it. */
  async function served(version: string): Promise<{ archive: Buffer; indexDigest: string }> {
    const { httpsGet } = await import('../fidelity/support');
    const ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
    const base = em.ready.helmRepositories['kubernetes.github.io']!;
    const index = (await httpsGet(ca, `${base}/ingress-nginx/index.yaml`)).body.toString();
    const { parse } = await import('yaml');
    const entries = (
      parse(index) as {
        entries: Record<string, Array<{ version: string; digest: string; urls: string[] }>>;
      }
    ).entries;
    const e = entries['ingress-nginx']!.find((x) => x.version === version)!;
    const url = new URL(e.urls[0]!, `${base}/ingress-nginx/`)
      .toString()
      .replace('https://kubernetes.github.io', base);
    const archive = (await httpsGet(ca, url)).body;
    return { archive, indexDigest: `sha256:${e.digest}` };
  }

  it("lands both charts (OCI: the upstream digest; HTTP: skopeo reads the index's archive back); a re-run writes nothing", async () => {
    const first = await runCharts(em.ready, { imageList: `${OCI}\n${HTTP}\n` });
    assert.equal(first.status, 'Succeeded', explain(first));
    const [oci, http] = images(first);
    assert.ok(oci && http, explain(first));
    assert.equal(oci.kind, 'chart');
    assert.deepEqual(oci.chart, { name: 'cert-manager', version: 'v1.15.2', source: 'oci' });
    assert.equal(oci.status, 'imported');
    const upstream = (await em.admin.registryTags('quay.io')).find(
      (t) => t.repository === 'jetstack/charts/cert-manager' && t.tag === 'v1.15.2',
    )!.digest;
    assert.equal(oci.digest, upstream);
    assert.equal(await held('charts/cert-manager', 'v1.15.2'), upstream);

    const { archive, indexDigest } = await served('4.11.1');
    assert.equal(sha(archive), indexDigest);
    assert.equal(http.kind, 'chart');
    assert.equal(http.status, 'imported', explain(first));
    assert.deepEqual(http.chart, {
      name: 'ingress-nginx',
      version: '4.11.1',
      repositoryUrl: 'https://kubernetes.github.io/ingress-nginx',
      archiveDigest: indexDigest,
      source: 'http',
    });
    assert.equal(await held('charts/ingress-nginx', '4.11.1'), http.digest);
    const pushed = acrWrites(await em.admin.requests()).filter((e) =>
      e.path.includes('/charts/ingress-nginx/'),
    );
    assert.deepEqual(
      pushed.map((e) => e.method),
      ['POST', 'PUT', 'POST', 'PUT', 'PUT'],
      'two blobs uploaded (POST+PUT each), the manifest PUT last',
    );
    assert.equal(
      importRequests(await em.admin.requests()).filter((e) => e.sourceImage?.includes('ingress'))
        .length,
      0,
      'the HTTP chart is pushed, not imported',
    );

    // Debian's skopeo reads the pushed chart back: its one layer is the index's archive.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charts-e2e-'));
    try {
      fs.mkdirSync(path.join(dir, 'certs'));
      fs.copyFileSync(em.ready.caCertPath, path.join(dir, 'certs', 'ca.crt'));
      const acrHost = em.ready.registries[em.ready.acrs[0]!.loginServer]!.replace(
        /^https:\/\//,
        '',
      );
      const copied = await run('skopeo', [
        ...['copy', '--src-cert-dir', path.join(dir, 'certs')],
        ...['--src-creds', `${em.ready.clientId}:${em.ready.clientSecret}`],
        `docker://${acrHost}/charts/ingress-nginx:4.11.1`,
        `dir:${path.join(dir, 'out')}`,
      ]);
      assert.equal(copied.code, 0, copied.out);
      const manifest = JSON.parse(
        fs.readFileSync(path.join(dir, 'out', 'manifest.json'), 'utf8'),
      ) as {
        config: { mediaType: string };
        layers: Array<{ mediaType: string; digest: string }>;
      };
      assert.equal(manifest.config.mediaType, 'application/vnd.cncf.helm.config.v1+json');
      assert.equal(manifest.layers.length, 1);
      assert.equal(
        manifest.layers[0]!.mediaType,
        'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
      );
      const layer = fs.readFileSync(
        path.join(dir, 'out', manifest.layers[0]!.digest.replace('sha256:', '')),
      );
      assert.equal(sha(layer), indexDigest);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    await em.admin.clearRequests();
    const again = await runCharts(em.ready, { imageList: `${OCI}\n${HTTP}\n` });
    assert.equal(again.status, 'Succeeded', explain(again));
    assert.deepEqual(
      images(again).map((i) => i.status),
      ['skipped', 'skipped'],
    );
    assert.deepEqual(
      images(again).map((i) => i.digest),
      [oci.digest, http.digest],
      'the same manifest digests',
    );
    assert.deepEqual(acrWrites(await em.admin.requests()), [], 'zero writes');
  });

  it('a pull-request build plans both charts and writes nothing', async () => {
    const pr = await runCharts(em.ready, {
      imageList: `${OCI}\n${HTTP}\n`,
      taskEnv: em.ready.taskEnvPullRequest,
      env: { INPUT_PULLREQUESTCOMMENT: 'false' },
    });
    assert.equal(pr.status, 'Succeeded', explain(pr));
    assert.equal(pr.result!.dryRun, true);
    assert.deepEqual(
      images(pr).map((i) => [i.kind, i.status]),
      [
        ['chart', 'planned'],
        ['chart', 'planned'],
      ],
    );
    assert.ok(
      images(pr).every((i) => /^sha256:[a-f0-9]{64}$/.test(i.digest ?? '')),
      'the digests that would land',
    );
    assert.deepEqual(acrWrites(await em.admin.requests()), []);
    assert.deepEqual(await em.admin.tags(acrName()), []);
  });

  it('an archive that does not match the index digest fails its line and writes nothing; the other line lands', async () => {
    const r = await runCharts(em.ready, { imageList: `${SWAPPED}\n${HTTP}\n` });
    assert.equal(r.status, 'Failed', explain(r));
    const [bad, good] = images(r);
    assert.equal(bad?.status, 'failed');
    assert.match(bad?.error ?? '', /not the index's sha256:[a-f0-9]{64}: nothing written/);
    assert.equal(good?.status, 'imported');
    const log = taskRequests(await em.admin.requests());
    assert.ok(
      !log.some(
        (e) => e.path.includes('/charts/swapped/') && e.method !== 'GET' && e.method !== 'HEAD',
      ),
      'no write to charts/swapped',
    );
    assert.equal(await held('charts/swapped', '4.11.0'), undefined);
  });

  it('allowedSources and requireDigests apply to chart lines, before anything is written', async () => {
    const outside = await runCharts(em.ready, {
      imageList: `${OCI}\n${HTTP}\n`,
      env: { INPUT_ALLOWEDSOURCES: 'quay.io/jetstack/**' },
    });
    assert.equal(outside.status, 'Failed', explain(outside));
    assert.deepEqual(
      errorIssues(outside).map((c) => c.props.linenumber),
      ['2'],
    );
    assert.deepEqual(acrWrites(await em.admin.requests()), []);

    const allowed = 'quay.io/jetstack/**\nkubernetes.github.io/ingress-nginx/*';
    const unpinned = await runCharts(em.ready, {
      imageList: `${OCI}\n${HTTP}\n`,
      env: { INPUT_ALLOWEDSOURCES: allowed, INPUT_REQUIREDIGESTS: 'true' },
    });
    assert.equal(unpinned.status, 'Failed', explain(unpinned));
    const issues = errorIssues(unpinned);
    assert.equal(issues.length, 2, explain(unpinned));
    const { indexDigest } = await served('4.11.1');
    assert.ok(
      issues[1]!.message.includes(`ingress-nginx:4.11.1@${indexDigest} => charts/ingress-nginx`),
      issues[1]!.message,
    );
    assert.match(
      issues[0]!.message,
      /oci:\/\/quay\.io\/jetstack\/charts\/cert-manager:v1\.15\.2@sha256:[a-f0-9]{64} => charts\/cert-manager/,
    );
    assert.deepEqual(acrWrites(await em.admin.requests()), []);
  });

  it('an oci:// line naming an image, and an image line naming a chart, fail with the line to write', async () => {
    const r = await runCharts(em.ready, {
      imageList:
        'oci://registry.k8s.io/pause:3.10 => pause\n' +
        'quay.io/jetstack/charts/cert-manager:v1.15.2 => charts/cert-manager\n',
    });
    assert.equal(r.status, 'Failed', explain(r));
    const [image, chart] = images(r);
    assert.match(
      image?.error ?? '',
      /is not a Helm chart .* remove oci:\/\/ to import it as an image/,
    );
    assert.match(
      chart?.error ?? '',
      /is a Helm chart: write the line as oci:\/\/quay\.io\/jetstack\/charts\/cert-manager:v1\.15\.2 => charts\/cert-manager/,
    );
    assert.equal(importRequests(await em.admin.requests()).length, 0);
  });

  it('faults: a 503 on the index and a 429 on the archive are tried again; an upload cut mid-body restarts; the chart lands whole', async () => {
    await em.admin.setFaults([
      {
        kind: 'registry503',
        match: { listener: 'kubernetes.github.io', path: 'index.yaml' },
        count: 1,
      },
      { kind: 'registry429', match: { listener: 'kubernetes.github.io', path: '.tgz' }, count: 1 },
      { kind: 'uploadCut', match: { method: 'PUT', path: '/blobs/uploads/' }, count: 1 },
    ]);
    const r = await runCharts(em.ready, { imageList: `${HTTP}\n` });
    assert.equal(r.status, 'Succeeded', explain(r));
    const [http] = images(r);
    assert.equal(http?.status, 'imported');
    assert.equal(await held('charts/ingress-nginx', '4.11.1'), http?.digest);
    const log = taskRequests(await em.admin.requests());
    const gets = (p: string) => log.filter((e) => e.method === 'GET' && e.path.endsWith(p)).length;
    assert.equal(gets('index.yaml'), 2, 'the index asked again after its 503');
    assert.equal(gets('ingress-nginx-4.11.1.tgz'), 2, 'the archive asked again after its 429');
    const manifestPuts = log.filter(
      (e) => e.method === 'PUT' && e.path.includes('/charts/ingress-nginx/manifests/'),
    );
    assert.equal(manifestPuts.length, 1, 'one manifest PUT, after the blobs');
  });

  it('a push the ACR refuses fails that line (not the run) naming push rights; the OCI chart still lands', async () => {
    await em.admin.setFaults([{ kind: 'acrPushDenied' }]);
    const r = await runCharts(em.ready, { imageList: `${OCI}\n${HTTP}\n` });
    assert.equal(r.status, 'Failed', explain(r));
    const [oci, http] = images(r);
    assert.equal(oci?.status, 'imported');
    assert.equal(http?.status, 'failed');
    assert.match(
      http?.error ?? '',
      /may not push to registry contosoacr.*Container Registry Repository Writer/,
    );
    assert.equal(await held('charts/ingress-nginx', '4.11.1'), undefined);
  });

  it("ARM's refusal of an OCI chart fails its line with ARM's reason and the HTTP-repository workaround", async () => {
    // opRefuseArtifact: the emulator's stand-in for ARM refusing a chart (undocumented).
    await em.admin.setFaults([{ kind: 'opRefuseArtifact' }]);
    const r = await runCharts(em.ready, { imageList: `${OCI}\n${HTTP}\n` });
    assert.equal(r.status, 'Failed', explain(r));
    const [oci, http] = images(r);
    assert.equal(oci?.status, 'failed');
    assert.match(
      oci?.error ?? '',
      /InvalidParameters.*helm\.config.*import the same chart from its HTTP Helm repository instead/,
    );
    assert.equal(http?.status, 'imported', 'the workaround works');
  });

  it('hostile archives (matching the index) are refused in memory: traversal, absolute path, links, a zip bomb, too many files, too big, not gzip', async () => {
    const names = HOSTILE_CHARTS; // the emulator's hostile repository, each refused below
    const list = names.map(
      (n) => `https://kubernetes.github.io/hostile ${n}:1.0.0 => charts/hostile/${n}`,
    );
    const r = await runCharts(em.ready, { imageList: `${list.join('\n')}\n` });
    assert.equal(r.status, 'Failed', explain(r));
    const errors = images(r).map((i) => [i.status, i.error ?? '']);
    const expected = [
      /climbs out/,
      /absolute/,
      /a link/,
      /a link/,
      /inflates past 33554432 bytes/,
      /more than 10000 entries/,
      /over 4194304 bytes: refused before the download completed/,
      /not gzip/,
    ];
    expected.forEach((m, i) => {
      assert.equal(errors[i]?.[0], 'failed', `${names[i]}: ${explain(r)}`);
      assert.match(errors[i]?.[1] ?? '', m, names[i]);
    });
    assert.deepEqual(acrWrites(await em.admin.requests()), [], 'nothing written');
  });
});
