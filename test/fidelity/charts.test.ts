// Helm charts and ACR pushes checked with clients that share no code with the emulator: the same
// push sequence (spec-following client, test/helpers/ociPush.ts) answered alike by the emulator's
// ACR and by Debian's docker-registry (distribution 2.8), read back byte for byte; Debian's skopeo
// copies the chart pushed into the ACR to a `dir:` and its archive's sha256 is the HTTP Helm
// repository index's digest; the Azure CLI's `az acr repository show-tags` lists the chart's tag.
// Fails (does not skip) when skopeo, docker-registry or az is missing: scripts/setup.sh installs them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ChartMetadata, CHART_MT, helmConfig } from '../emulator/chartgen';
import { startProxy } from '../proxy/connectProxy';
import { type DockerRegistry, startDockerRegistry } from '../helpers/dockerRegistry';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { emulatorToken, PushClient, type PushTarget, sha256 } from '../helpers/ociPush';
import { httpsGet } from './support';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const REPO = 'charts/ingress-nginx';

function run(file: string, args: string[], env?: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; out: string; stdout: string }>((resolve, reject) => {
    execFile(file, args, { timeout: 120000, env }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(new Error(`'${file}' is not installed (scripts/setup.sh installs it)`));
      resolve({
        code: err ? Number((err as { code?: number }).code ?? 1) : 0,
        out: stdout + stderr,
        stdout,
      });
    });
  });
}

interface IndexEntry extends ChartMetadata {
  digest: string;
  urls: string[];
  created: string;
}

describe('fidelity: Helm charts and ACR pushes (docker-registry, skopeo, az)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  let ca: string;
  let registry: DockerRegistry;
  let dir: string;
  let entry: IndexEntry;
  let archive: Buffer;
  let config: Buffer;
  let manifest: Buffer;
  useEmulator({ importLatencyMs: 100, beforeEach: 'none' }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });
  before(async () => {
    registry = await startDockerRegistry();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charts-fidelity-'));
    fs.mkdirSync(path.join(dir, 'certs'));
    fs.copyFileSync(em.ready.caCertPath, path.join(dir, 'certs', 'ca.crt'));
    // The chart as a task reads it from the HTTP repository: index.yaml, then the archive.
    const repo = `${em.ready.helmRepositories['kubernetes.github.io']}/ingress-nginx`;
    const index = parseYaml((await httpsGet(ca, `${repo}/index.yaml`)).body.toString()) as {
      entries: Record<string, IndexEntry[]>;
    };
    entry = index.entries['ingress-nginx']!.find((e) => e.version === '4.11.1')!;
    archive = (await httpsGet(ca, `${repo}/${entry.urls[0]}`)).body;
    // The chart as `helm push` lays it out: config = the metadata as JSON, one chart layer.
    const meta = Object.fromEntries(
      Object.entries(entry).filter(([k]) => !['digest', 'urls', 'created'].includes(k)),
    ) as ChartMetadata;
    config = helmConfig(meta);
    manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: CHART_MT.config, digest: sha256(config), size: config.length },
        layers: [{ mediaType: CHART_MT.content, digest: sha256(archive), size: archive.length }],
        annotations: {
          'org.opencontainers.image.title': meta.name,
          'org.opencontainers.image.version': meta.version,
        },
      }),
    );
  });
  after(() => {
    registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const acrToken = (scopes: string[]) =>
    emulatorToken(em.ready, ca, 'contosoacr.azurecr.io', scopes);

  /** The same push sequence, step by step; its transcript. */
  async function pushSequence(t: PushTarget) {
    const c = new PushClient(t, REPO);
    await c.headBlob(sha256(archive), 'HEAD blob before');
    await c.blob(archive);
    await c.headBlob(sha256(archive), 'HEAD blob after');
    await c.chunked(config, 256);
    const one = await c.postWithDigest(config);
    await c.cancel(new URL(String(one.headers.location), t.base).toString());
    const bad = await c.start('POST uploads (wrong digest)');
    await c.close(bad, sha256(Buffer.from('other bytes')), archive, 'PUT wrong digest');
    const unknownLayer = Buffer.from(
      manifest.toString().replace(sha256(archive), sha256(Buffer.from('never uploaded'))),
    );
    await c.putManifest(
      '4.11.1',
      OCI_MANIFEST,
      unknownLayer,
      'PUT manifest naming an unknown blob',
    );
    await c.putManifest('4.11.1', OCI_MANIFEST, manifest, 'PUT manifest by tag');
    await c.putManifest(sha256(manifest), OCI_MANIFEST, manifest, 'PUT manifest by digest');
    const back = await c.getManifest('4.11.1', OCI_MANIFEST);
    const blob = await c.getBlob(sha256(archive));
    const other = new PushClient(t, 'charts/mounted');
    await other.mount(sha256(archive), REPO);
    await other.headBlob(sha256(archive), 'HEAD mounted blob');
    await other.mount(sha256(Buffer.from('not there')), REPO);
    return { transcript: [...c.transcript, ...other.transcript], back, blob };
  }

  it('the ACR answers the push sequence as docker-registry does, and both give back the same bytes', async () => {
    const token = await acrToken([
      `repository:${REPO}:pull,push`,
      'repository:charts/mounted:pull,push',
    ]);
    const acr = await pushSequence({
      base: em.ready.registries['contosoacr.azurecr.io']!,
      ca,
      authorization: `Bearer ${token}`,
    });
    const real = await pushSequence({ base: registry.base });
    assert.deepEqual(acr.transcript, real.transcript);
    const status = (t: typeof acr.transcript, what: string) => t.find((s) => s.what === what);
    assert.equal(status(acr.transcript, 'PUT manifest by tag')?.status, 201);
    assert.equal(status(acr.transcript, 'PUT manifest by tag')?.digest, sha256(manifest));
    assert.equal(status(acr.transcript, 'POST mount')?.status, 201);
    assert.equal(status(acr.transcript, 'POST uploads ?digest= with the blob')?.status, 202);
    assert.equal(status(acr.transcript, 'GET cancelled upload')?.code, 'BLOB_UPLOAD_UNKNOWN');
    assert.deepEqual(acr.back.body, manifest);
    assert.deepEqual(real.back.body, manifest);
    assert.deepEqual(acr.blob.body, archive);
    assert.deepEqual(real.blob.body, archive);
    const writes = (await em.admin.requests()).filter(
      (e) => e.host === 'contosoacr.azurecr.io' && e.method !== 'GET' && e.method !== 'HEAD',
    );
    assert.deepEqual(
      writes.filter((e) => e.digest).map((e) => `${e.method} ${e.status} ${e.digest}`),
      [
        `PUT 201 ${sha256(archive)}`,
        `PUT 201 ${sha256(config)}`,
        `PUT 201 ${sha256(manifest)}`,
        `PUT 201 ${sha256(manifest)}`,
        `POST 201 ${sha256(archive)}`,
      ],
    );
  });

  it('skopeo copies the pushed chart to dir: (the archive is the index digest) and reads the same from docker-registry', async () => {
    const acrHost = em.ready.registries['contosoacr.azurecr.io']!.replace(/^https:\/\//, '');
    const creds = `${em.ready.clientId}:${em.ready.clientSecret}`;
    const fromAcr = path.join(dir, 'from-acr');
    const fromReal = path.join(dir, 'from-registry');
    const a = await run('skopeo', [
      'copy',
      '--src-cert-dir',
      path.join(dir, 'certs'),
      '--src-creds',
      creds,
      `docker://${acrHost}/${REPO}:4.11.1`,
      `dir:${fromAcr}`,
    ]);
    assert.equal(a.code, 0, a.out);
    const b = await run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      `docker://${registry.base.replace(/^http:\/\//, '')}/${REPO}:4.11.1`,
      `dir:${fromReal}`,
    ]);
    assert.equal(b.code, 0, b.out);
    const copied = JSON.parse(fs.readFileSync(path.join(fromAcr, 'manifest.json'), 'utf8')) as {
      config: { mediaType: string };
      layers: { mediaType: string; digest: string }[];
    };
    assert.equal(copied.config.mediaType, CHART_MT.config);
    assert.equal(copied.layers[0]?.mediaType, CHART_MT.content);
    const layer = fs.readFileSync(path.join(fromAcr, copied.layers[0]!.digest.slice(7)));
    assert.equal(crypto.createHash('sha256').update(layer).digest('hex'), entry.digest);
    for (const f of fs.readdirSync(fromAcr))
      assert.deepEqual(
        fs.readFileSync(path.join(fromAcr, f)),
        fs.readFileSync(path.join(fromReal, f)),
        f,
      );
  });

  it('az acr repository show-tags lists the chart tag (through a CONNECT proxy to the ACR listener)', async () => {
    const proxy = await startProxy({
      routes: { 'contosoacr.azurecr.io': em.ready.registries['contosoacr.azurecr.io']! },
    });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AZURE_CONFIG_DIR: path.join(dir, 'az'),
      REQUESTS_CA_BUNDLE: em.ready.caCertPath,
      HTTPS_PROXY: proxy.url,
      NO_PROXY: '127.0.0.1,localhost',
      AZURE_CORE_COLLECT_TELEMETRY: 'no',
      AZURE_CORE_ONLY_SHOW_ERRORS: 'true',
      AZURE_CORE_NO_COLOR: 'true',
    };
    try {
      const az = async (...args: string[]) => {
        const r = await run('az', args, env);
        assert.equal(r.code, 0, `az ${args.join(' ')}\n${r.out}`);
        return r.stdout;
      };
      await az('cloud', 'register', '--name', 'Emulator', ...em.ready.azCloudRegisterArgs);
      await az('cloud', 'set', '--name', 'Emulator');
      const { clientId, clientSecret, tenantId } = em.ready;
      await az(
        'login',
        '--service-principal',
        '-u',
        clientId,
        '-p',
        clientSecret,
        '--tenant',
        tenantId,
      );
      const out = await az(
        'acr',
        'repository',
        'show-tags',
        '-n',
        'contosoacr',
        '--repository',
        REPO,
        '-o',
        'json',
      );
      assert.deepEqual(JSON.parse(out), ['4.11.1']);
      // The CLI also tries azure.microsoft.com (refused here); the ACR is reached through the proxy.
      const tunnels = proxy.tunnels.map((t) => `${t.host}:${t.port}`);
      assert.ok(tunnels.includes('contosoacr.azurecr.io:443'), tunnels.join(' '));
      const scopes = (await em.admin.requests()).flatMap((e) => e.scopes ?? []);
      assert.ok(scopes.includes(`repository:${REPO}:metadata_read`), scopes.join(' '));
    } finally {
      await proxy.stop();
    }
  });
});
