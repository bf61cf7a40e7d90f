// A real OCI registry (Debian's docker-registry, started here on 127.0.0.1) forwarded as an upstream:
// an image pushed there is imported into the ACR with the same digests (index, children, blobs).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../helpers/emulator';
import { basicAuth, httpsGet } from './support';

const sha = (b: Buffer) => 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Deterministic pseudo-random bytes (bigger than one 64 KiB range chunk). */
function bytes(seed: string, size: number): Buffer {
  const out: Buffer[] = [];
  let block = crypto.createHash('sha256').update(seed).digest();
  for (let n = 0; n < size; n += block.length) {
    out.push(block);
    block = crypto.createHash('sha256').update(block).digest();
  }
  return Buffer.concat(out).subarray(0, size);
}

async function pushBlob(base: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha(data);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202, `upload start: ${start.status}`);
  const loc = new URL(start.headers.get('location')!, base);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, {
    method: 'PUT',
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(put.status, 201, `blob put: ${put.status} ${await put.text()}`);
  return digest;
}

async function pushManifest(
  base: string,
  repo: string,
  ref: string,
  mediaType: string,
  body: Buffer,
): Promise<string> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': mediaType },
  });
  assert.equal(res.status, 201, `manifest put: ${res.status} ${await res.text()}`);
  return res.headers.get('docker-content-digest')!;
}

describe('fidelity: forwarding a source registry to a real docker-registry', function () {
  this.timeout(60000);
  let registry: ChildProcess | undefined;
  let em: RunningEmulator | undefined;
  let dir: string;
  let base: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-registry-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    fs.writeFileSync(
      path.join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log:',
        '  level: error',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${dir}/data`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
        '',
      ].join('\n'),
    );
    registry = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    registry.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const spawnError = new Promise<Error>((resolve) => registry!.once('error', resolve));
    const deadline = Date.now() + 15000;
    for (;;) {
      const failed = await Promise.race([
        spawnError,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
      ]);
      if (failed)
        throw new Error(
          `docker-registry could not start (install Debian's docker-registry): ${failed.message}`,
        );
      try {
        if ((await fetch(`${base}/v2/`)).status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline || registry.exitCode !== null)
        throw new Error(`docker-registry did not start:\n${stderr}`);
    }
  });
  after(async () => {
    await em?.stop();
    registry?.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports a pushed multi-arch image from the upstream with the same digests', async () => {
    const repo = 'emulator/upstream-app';
    const children: {
      digest: string;
      size: number;
      platform: { os: string; architecture: string };
    }[] = [];
    const blobDigests: string[] = [];
    for (const arch of ['amd64', 'arm64']) {
      const layer = bytes(`layer-${arch}`, 200 * 1024 + 17);
      const config = Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha(layer)] },
        }),
      );
      const ld = await pushBlob(base, repo, layer);
      const cd = await pushBlob(base, repo, config);
      blobDigests.push(ld, cd);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: {
            mediaType: 'application/vnd.docker.container.image.v1+json',
            digest: cd,
            size: config.length,
          },
          layers: [
            {
              mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
              digest: ld,
              size: layer.length,
            },
          ],
        }),
      );
      const md = await pushManifest(
        base,
        repo,
        sha(manifest),
        'application/vnd.docker.distribution.manifest.v2+json',
        manifest,
      );
      children.push({
        digest: md,
        size: manifest.length,
        platform: { os: 'linux', architecture: arch },
      });
    }
    const listType = 'application/vnd.docker.distribution.manifest.list.v2+json';
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: listType,
        manifests: children.map((c) => ({
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          ...c,
        })),
      }),
    );
    const indexDigest = await pushManifest(base, repo, 'v2', listType, index);
    assert.equal(indexDigest, sha(index));

    em = await startEmulator({ importLatencyMs: 100, upstreams: { 'quay.io': base } });
    const { armClient } = await import('./support');
    const client = armClient(em.ready);
    await client.registries.importImage(
      'rg-aks',
      'contosoacr',
      {
        source: { registryUri: 'quay.io', sourceImage: `${repo}:v2` },
        targetTags: [`${repo}:v2`],
        mode: 'NoForce',
      },
      { updateIntervalInMs: 50 },
    );
    assert.deepEqual(await em.admin.tags('contosoacr'), [
      { repository: repo, tag: 'v2', digest: indexDigest },
    ]);

    // Read the copy back through the ACR data plane: a child manifest and a layer with the pushed digest.
    const acr = em.ready.acrs[0]!;
    const ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
    const acrUrl = em.ready.registries[acr.loginServer]!;
    const tok = await httpsGet(
      ca,
      `${acrUrl}/oauth2/token?service=${acr.loginServer}&scope=repository:${repo}:pull`,
      basicAuth({ username: em.ready.clientId, password: em.ready.clientSecret }),
    );
    const access = (JSON.parse(tok.body.toString()) as { access_token: string }).access_token;
    const layer = await httpsGet(ca, `${acrUrl}/v2/${repo}/blobs/${blobDigests[0]}`, {
      authorization: `Bearer ${access}`,
    });
    assert.equal(layer.status, 200);
    assert.equal(sha(layer.body), blobDigests[0]);
    const child = await httpsGet(ca, `${acrUrl}/v2/${repo}/manifests/${children[1]!.digest}`, {
      authorization: `Bearer ${access}`,
    });
    assert.equal(sha(child.body), children[1]!.digest);
  });
});
