// What the emulator serves for Helm charts, as a client sees it: OCI charts in the public registries
// (Helm's media types, Chart.yaml as JSON, a `helm package` archive with a subchart, a cosign
// signature OpenSSL verifies), the HTTP Helm repositories (index.yaml's shape, archives matching
// its digests but one, an index that is an HTML page), importImage copying a chart, `--charts N`.
// The hostile repository: chartsHostile.test.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { CHART_MT } from '../emulator/chartgen';
import { startEmulator, useEmulator, type RunningEmulator } from '../helpers/emulator';
import { emulatorToken } from '../helpers/ociPush';
import { tarNames } from '../helpers/tar';
import { armClient, httpsGet } from './support';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('fidelity: Helm charts the emulator serves', function () {
  this.timeout(60000);
  let em: RunningEmulator;
  let ca: string;
  useEmulator({ importLatencyMs: 50 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });

  const token = (host: string, scopes: string[]) => emulatorToken(em.ready, ca, host, scopes);

  async function pull(host: string, repo: string, p: string, accept = OCI_MANIFEST) {
    const t = await token(host, [`repository:${repo}:pull`]);
    return httpsGet(ca, `${em.ready.registries[host]}/v2/${repo}/${p}`, {
      accept,
      authorization: `Bearer ${t}`,
    });
  }

  async function ociChart(host: string, repo: string, tag: string) {
    const m = await pull(host, repo, `manifests/${tag}`);
    assert.equal(m.status, 200, `${host}/${repo}:${tag}`);
    const manifest = JSON.parse(m.body.toString()) as {
      config: { mediaType: string; digest: string };
      layers: { mediaType: string; digest: string }[];
      annotations: Record<string, string>;
    };
    const config = JSON.parse(
      (await pull(host, repo, `blobs/${manifest.config.digest}`)).body.toString(),
    );
    const archive = (await pull(host, repo, `blobs/${manifest.layers[0]!.digest}`)).body;
    return { digest: String(m.headers['docker-content-digest']), manifest, config, archive };
  }

  it('quay.io and docker.io serve OCI charts as helm push stores them, archives as helm package makes them', async () => {
    const cm = await ociChart('quay.io', 'jetstack/charts/cert-manager', 'v1.15.2');
    assert.equal(cm.manifest.config.mediaType, CHART_MT.config);
    assert.deepEqual(
      cm.manifest.layers.map((l) => l.mediaType),
      [CHART_MT.content],
    );
    assert.equal(cm.manifest.annotations['org.opencontainers.image.version'], 'v1.15.2');
    assert.deepEqual(
      [cm.config.name, cm.config.version, cm.config.appVersion, cm.config.apiVersion],
      ['cert-manager', 'v1.15.2', 'v1.15.2', 'v2'],
    );
    // Helm's gzip header: FEXTRA and FCOMMENT ("Helm").
    assert.deepEqual([...cm.archive.subarray(0, 4)], [0x1f, 0x8b, 8, 0x14]);
    const names = tarNames(zlib.gunzipSync(cm.archive));
    assert.equal(names[0], 'cert-manager/Chart.yaml');
    assert.equal(names[1], 'cert-manager/values.yaml');
    assert.ok(names.includes('cert-manager/templates/startupapicheck-job.yaml'));
    const nginx = await ociChart('docker.io', 'bitnamicharts/nginx', '18.1.11');
    const nginxNames = tarNames(zlib.gunzipSync(nginx.archive));
    assert.ok(nginxNames.includes('nginx/charts/common/Chart.yaml'), nginxNames.join(' '));
    assert.deepEqual(nginx.config.dependencies, [
      {
        name: 'common',
        repository: 'oci://registry-1.docker.io/bitnamicharts',
        tags: ['bitnami-common'],
        version: '2.x.x',
      },
    ]);
  });

  it('the cert-manager chart carries a cosign signature OpenSSL verifies with the emulator key', async () => {
    const repo = 'jetstack/charts/cert-manager';
    const { digest } = await ociChart('quay.io', repo, 'v1.15.2');
    const sig = await pull('quay.io', repo, `manifests/${digest.replace(':', '-')}.sig`);
    assert.equal(sig.status, 200);
    const layer = (
      JSON.parse(sig.body.toString()) as {
        layers: { digest: string; annotations: Record<string, string> }[];
      }
    ).layers[0]!;
    const payload = (await pull('quay.io', repo, `blobs/${layer.digest}`)).body;
    const named = JSON.parse(payload.toString()).critical.image['docker-manifest-digest'];
    assert.equal(named, digest);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-sig-'));
    try {
      fs.writeFileSync(path.join(dir, 'payload'), payload);
      fs.writeFileSync(
        path.join(dir, 'sig'),
        Buffer.from(layer.annotations['dev.cosignproject.cosign/signature']!, 'base64'),
      );
      const args = ['dgst', '-sha256', '-verify', em.ready.cosignPublicKeyPath, '-signature'];
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'openssl',
          [...args, path.join(dir, 'sig'), path.join(dir, 'payload')],
          (err, o) => (err ? reject(err) : resolve(o)),
        ),
      );
      assert.match(out, /Verified OK/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the ingress-nginx fixture pins the images the emulator serves', async () => {
    const values = parseYaml(
      fs.readFileSync(
        path.resolve(__dirname, '../../../test/fixtures/charts/ingress-nginx/values.yaml'),
        'utf8',
      ),
    ) as {
      controller: {
        image: { image: string; tag: string; digest: string };
        admissionWebhooks: { patch: { image: { image: string; tag: string; digest: string } } };
      };
    };
    for (const img of [values.controller.image, values.controller.admissionWebhooks.patch.image]) {
      const tags = await em.admin.registryTags('registry.k8s.io');
      const seeded = tags.find((t) => t.repository === img.image && t.tag === img.tag);
      assert.equal(img.digest, seeded?.digest, `${img.image}:${img.tag}`);
    }
  });

  it('HTTP Helm repositories: index.yaml as Helm writes it, archives matching its digests but one, an HTML "index"', async () => {
    const k8s = em.ready.helmRepositories['kubernetes.github.io']!;
    const jetstack = em.ready.helmRepositories['charts.jetstack.io']!;
    for (const [base, chart, mismatched] of [
      [`${k8s}/ingress-nginx`, 'ingress-nginx', ['4.11.0']],
      [jetstack, 'cert-manager', []],
    ] as const) {
      const r = await httpsGet(ca, `${base}/index.yaml`);
      assert.equal(r.status, 200);
      const index = parseYaml(r.body.toString()) as {
        apiVersion: string;
        entries: Record<
          string,
          { version: string; digest: string; urls: string[]; created: string }[]
        >;
      };
      assert.equal(index.apiVersion, 'v1');
      const versions = index.entries[chart]!;
      assert.ok(versions.length >= 3);
      const bad: string[] = [];
      for (const v of versions) {
        assert.match(v.digest, /^[a-f0-9]{64}$/);
        assert.ok(!/^https?:/.test(v.urls[0]!), 'relative URLs');
        const tgz = await httpsGet(ca, `${base}/${v.urls[0]}`);
        assert.equal(tgz.status, 200);
        if (crypto.createHash('sha256').update(tgz.body).digest('hex') !== v.digest)
          bad.push(v.version);
      }
      assert.deepEqual(bad, mismatched);
    }
    // Registry faults apply to the repository listeners too.
    await em.admin.setFaults([
      { kind: 'registry503', match: { listener: 'charts.jetstack.io' }, count: 1 },
    ]);
    assert.equal((await httpsGet(ca, `${jetstack}/index.yaml`)).status, 503);
    assert.equal((await httpsGet(ca, `${jetstack}/index.yaml`)).status, 200);
    const html = await httpsGet(ca, `${k8s}/not-a-repo/index.yaml`);
    assert.equal(html.status, 200);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.equal((await httpsGet(ca, `${k8s}/ingress-nginx/ingress-nginx-9.9.9.tgz`)).status, 404);
  });

  it('importImage copies an OCI chart whatever its config media type', async () => {
    const client = armClient(em.ready);
    await client.registries.beginImportImageAndWait('rg-aks', 'contosoacr', {
      source: { registryUri: 'quay.io', sourceImage: 'jetstack/charts/cert-manager:v1.15.2' },
      targetTags: ['charts/cert-manager:v1.15.2'],
      mode: 'NoForce',
    });
    const upstream = (await em.admin.registryTags('quay.io')).find(
      (t) => t.repository === 'jetstack/charts/cert-manager' && t.tag === 'v1.15.2',
    );
    const landed = (await em.admin.tags('contosoacr')).find(
      (t) => t.repository === 'charts/cert-manager',
    );
    assert.equal(landed?.digest, upstream?.digest);
    // opRefuseArtifact: ARM refuses the chart, not an image.
    await em.admin.setFaults([{ kind: 'opRefuseArtifact' }]);
    const chart = { registryUri: 'quay.io', sourceImage: 'jetstack/charts/cert-manager:v1.15.2' };
    await assert.rejects(
      client.registries.beginImportImageAndWait('rg-aks', 'contosoacr', {
        source: chart,
        targetTags: ['charts/refused:v1.15.2'],
      }),
      /InvalidParameters.*application\/vnd\.cncf\.helm\.config\.v1\+json.*not supported for import/s,
    );
    const image = { registryUri: 'quay.io', sourceImage: 'jetstack/cert-manager-webhook:v1.15.2' };
    await client.registries.beginImportImageAndWait('rg-aks', 'contosoacr', { source: image });
  });

  it('--charts N seeds N generated charts as OCI charts and in an HTTP repository', async () => {
    const other = await startEmulator({ importLatencyMs: 50, extraArgs: ['--charts', '3'] });
    try {
      const oci = (await other.admin.registryTags('quay.io')).filter((t) =>
        t.repository.startsWith('bench/charts/'),
      );
      assert.deepEqual(
        oci.map((t) => `${t.repository}:${t.tag}`),
        [
          'bench/charts/bench-chart-000:1.0.0',
          'bench/charts/bench-chart-001:1.0.0',
          'bench/charts/bench-chart-002:1.0.0',
        ],
      );
      const base = other.ready.helmRepositories['kubernetes.github.io']!;
      const otherCa = fs.readFileSync(other.ready.caCertPath, 'utf8');
      const index = parseYaml(
        (await httpsGet(otherCa, `${base}/bench-charts/index.yaml`)).body.toString(),
      ) as {
        entries: Record<string, unknown[]>;
      };
      assert.deepEqual(Object.keys(index.entries), [
        'bench-chart-000',
        'bench-chart-001',
        'bench-chart-002',
      ]);
    } finally {
      await other.stop();
    }
  });
});
