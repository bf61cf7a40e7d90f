// Signatures and referrers (issue 10) checked with tools that share no code with the emulator:
// OpenSSL verifies the seeded cosign signatures (and agrees with the task's own verifier case by
// case), Debian's skopeo reads signature tags from the public registries and, after an import with
// the real @azure/arm-containerregistry client, from the ACR (real TLS verification against the
// emulator's CA). The ACR's referrers API lists a referrer imported by digest under the image.
// Fails (does not skip) when `skopeo` or `openssl` is missing: scripts/setup.sh installs them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import { verifyCosignPayload } from '../../tasks/ImportPublicImages/src/core/signatures/cosign';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { ACCEPT, armClient, EmulatorCredential, httpsGet, postForm } from './support';

const SIG_ANNOTATION = 'dev.cosignproject.cosign/signature';
const NOTATION = 'application/vnd.cncf.notary.signature';

interface Layer {
  mediaType: string;
  digest: string;
  annotations?: Record<string, string>;
}

function run(file: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT')
        return reject(new Error(`'${file}' is not installed (scripts/setup.sh installs it)`));
      resolve({
        code: err ? Number((err as { code?: number }).code ?? 1) : 0,
        out: stdout + stderr,
      });
    });
  });
}

describe('fidelity: signatures and referrers (OpenSSL, skopeo)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  let ca: string;
  let client: ContainerRegistryManagementClient;
  let dir: string;
  let certDir: string;
  useEmulator({ importLatencyMs: 100 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
    client = armClient(em.ready);
  });
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signatures-'));
    certDir = path.join(dir, 'certs');
    fs.mkdirSync(certDir);
    fs.copyFileSync(em.ready.caCertPath, path.join(certDir, 'ca.crt'));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  const hostPort = (host: string) => em.ready.registries[host]!.replace(/^https:\/\//, '');

  /** GET on a public registry with an anonymous pull token for `repo`. */
  async function pull(host: string, repo: string, p: string) {
    const base = em.ready.registries[host]!;
    const service = host === 'docker.io' ? 'registry.docker.io' : host;
    const t = await httpsGet(ca, `${base}/token?service=${service}&scope=repository:${repo}:pull`);
    const token = (JSON.parse(t.body.toString()) as { token: string }).token;
    return httpsGet(ca, `${base}/v2/${repo}/${p}`, {
      accept: ACCEPT,
      authorization: `Bearer ${token}`,
    });
  }

  async function digestOf(host: string, repo: string, tag: string): Promise<string> {
    const r = await pull(host, repo, `manifests/${tag}`);
    assert.equal(r.status, 200, `${host}/${repo}:${tag}`);
    return String(r.headers['docker-content-digest']);
  }

  /** The cosign signature of host/repo:tag: the image digest, payload bytes and base64 signature. */
  async function cosignSignature(host: string, repo: string, tag: string) {
    const digest = await digestOf(host, repo, tag);
    const sig = await pull(host, repo, `manifests/${digest.replace(':', '-')}.sig`);
    assert.equal(sig.status, 200, `${host}/${repo} has a .sig tag`);
    const layer = (JSON.parse(sig.body.toString()) as { layers: Layer[] }).layers[0]!;
    assert.equal(layer.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    const payload = (await pull(host, repo, `blobs/${layer.digest}`)).body;
    assert.equal(
      `sha256:${crypto.createHash('sha256').update(payload).digest('hex')}`,
      layer.digest,
    );
    return { digest, payload, signature: layer.annotations?.[SIG_ANNOTATION] ?? '' };
  }

  let n = 0;
  /** `openssl dgst -sha256 -verify KEY -signature SIG PAYLOAD`: does OpenSSL accept it? */
  async function openssl(payload: Buffer, signatureB64: string, keyPath: string): Promise<boolean> {
    const p = path.join(dir, `payload-${++n}`);
    fs.writeFileSync(p, payload);
    fs.writeFileSync(`${p}.sig`, Buffer.from(signatureB64, 'base64'));
    const r = await run('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      keyPath,
      '-signature',
      `${p}.sig`,
      p,
    ]);
    assert.match(
      r.out,
      r.code === 0 ? /Verified OK/ : /Verification failure|Error reading signature/,
      r.out,
    );
    return r.code === 0;
  }

  const namedDigest = (payload: Buffer) =>
    (JSON.parse(payload.toString()) as { critical: { image: Record<string, string> } }).critical
      .image['docker-manifest-digest'];

  /** OpenSSL's verdict (signature and digest) and the task's verifier agree. */
  async function agree(s: { digest: string; payload: Buffer; signature: string }, key: string) {
    const signed = await openssl(s.payload, s.signature, key);
    const expected = signed && namedDigest(s.payload) === s.digest;
    const pem = fs.readFileSync(key, 'utf8');
    const verdict = verifyCosignPayload(s.payload, s.signature, pem, s.digest);
    assert.equal(verdict.ok, expected, JSON.stringify(verdict));
    return { signed, verdict };
  }

  it('OpenSSL accepts the good signatures of ingress-nginx/controller and cert-manager-controller; the task agrees', async () => {
    const key = em.ready.cosignPublicKeyPath;
    for (const [host, repo, tag] of [
      ['registry.k8s.io', 'ingress-nginx/controller', 'v1.11.1'],
      ['quay.io', 'jetstack/cert-manager-controller', 'v1.15.2'],
    ] as const) {
      const s = await cosignSignature(host, repo, tag);
      assert.equal(namedDigest(s.payload), s.digest);
      const { signed, verdict } = await agree(s, key);
      assert.ok(signed, `${repo}: openssl verifies`);
      assert.deepEqual(verdict, { ok: true });
      assert.equal(await openssl(s.payload, s.signature, em.ready.cosignOtherPublicKeyPath), false);
    }
  });

  it('cert-manager-webhook: a valid signature whose payload names another digest; both refuse it', async () => {
    const s = await cosignSignature('quay.io', 'jetstack/cert-manager-webhook', 'v1.15.2');
    const { signed, verdict } = await agree(s, em.ready.cosignPublicKeyPath);
    assert.ok(signed, 'openssl accepts the signature itself');
    assert.notEqual(namedDigest(s.payload), s.digest);
    assert.equal(verdict.ok, false);
  });

  it('cert-manager-cainjector: signed with the other key; OpenSSL and the task accept it only with that key', async () => {
    const s = await cosignSignature('quay.io', 'jetstack/cert-manager-cainjector', 'v1.15.2');
    const main = await agree(s, em.ready.cosignPublicKeyPath);
    assert.equal(main.signed, false);
    assert.equal(main.verdict.ok, false);
    const other = await agree(s, em.ready.cosignOtherPublicKeyPath);
    assert.equal(other.signed, true);
    assert.deepEqual(other.verdict, { ok: true });
  });

  it('missing: unsigned images have no .sig tag; a payload without its signature is refused by both', async () => {
    for (const [host, repo, tag] of [
      ['registry.k8s.io', 'ingress-nginx/kube-webhook-certgen', 'v1.4.1'],
      ['docker.io', 'cloudflare/cloudflared', 'latest'],
      ['mcr.microsoft.com', 'azuredocs/aks-helloworld', 'v1'],
    ] as const) {
      const d = await digestOf(host, repo, tag);
      const sig = await pull(host, repo, `manifests/${d.replace(':', '-')}.sig`);
      assert.equal(sig.status, 404, `${host}/${repo} is unsigned`);
    }
    const s = await cosignSignature('registry.k8s.io', 'ingress-nginx/controller', 'v1.11.1');
    const { signed, verdict } = await agree({ ...s, signature: '' }, em.ready.cosignPublicKeyPath);
    assert.equal(signed, false);
    assert.equal(verdict.ok, false);
  });

  it('skopeo reads the signature tags of quay.io and registry.k8s.io (tag list, raw manifest)', async () => {
    const repo = 'jetstack/cert-manager-controller';
    const d = await digestOf('quay.io', repo, 'v1.15.2');
    const ref = `docker://${hostPort('quay.io')}/${repo}`;
    const list = await run('skopeo', ['list-tags', '--cert-dir', certDir, ref]);
    assert.equal(list.code, 0, list.out);
    const tags = (JSON.parse(list.out) as { Tags: string[] }).Tags;
    const sigTag = tags.find((t) => t.endsWith('.sig'));
    assert.equal(sigTag, `${d.replace(':', '-')}.sig`);
    assert.ok(tags.includes(`${d.replace(':', '-')}.sbom`));
    const raw = await run('skopeo', [
      'inspect',
      '--raw',
      '--cert-dir',
      certDir,
      `${ref}:${sigTag}`,
    ]);
    assert.equal(raw.code, 0, raw.out);
    const direct = await pull('quay.io', repo, `manifests/${sigTag}`);
    assert.equal(raw.out, direct.body.toString());
    // quay.io has no referrers API: the referrers tag schema lists the notation signature.
    assert.equal((await pull('quay.io', repo, `referrers/${d}`)).status, 404);
    const fallback = await run('skopeo', [
      ...['inspect', '--raw', '--cert-dir', certDir],
      `${ref}:${d.replace(':', '-')}`,
    ]);
    const index = JSON.parse(fallback.out) as {
      manifests: { digest: string; artifactType: string }[];
    };
    assert.deepEqual(
      index.manifests.map((m) => m.artifactType),
      [NOTATION],
    );
    const referrer = await pull('quay.io', repo, `manifests/${index.manifests[0]!.digest}`);
    const subject = (JSON.parse(referrer.body.toString()) as { subject: { digest: string } })
      .subject;
    assert.equal(subject.digest, d);
  });

  it('the referrers API of registry.k8s.io: filter, platform manifest, unknown digest; tags/list pages with Link', async () => {
    const repo = 'ingress-nginx/controller';
    const d = await digestOf('registry.k8s.io', repo, 'v1.11.1');
    const list = async (digest: string, query = '') => {
      const r = await pull('registry.k8s.io', repo, `referrers/${digest}${query}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/vnd.oci.image.index.v1+json');
      const body = JSON.parse(r.body.toString()) as { manifests: { artifactType: string }[] };
      return { types: body.manifests.map((m) => m.artifactType).sort(), headers: r.headers };
    };
    const all = await list(d);
    assert.deepEqual(all.types, ['application/spdx+json', NOTATION]);
    assert.equal(all.headers['oci-filters-applied'], undefined);
    const sbom = await list(d, '?artifactType=application%2Fspdx%2Bjson');
    assert.deepEqual(sbom.types, ['application/spdx+json']);
    assert.equal(sbom.headers['oci-filters-applied'], 'artifactType');
    const index = JSON.parse(
      (await pull('registry.k8s.io', repo, `manifests/${d}`)).body.toString(),
    ) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    const amd64 = index.manifests.find((m) => m.platform.architecture === 'amd64')!;
    assert.deepEqual((await list(amd64.digest)).types, ['application/spdx+json']);
    assert.deepEqual((await list(`sha256:${'0'.repeat(64)}`)).types, []);
    assert.equal((await pull('registry.k8s.io', repo, 'referrers/latest')).status, 400);
    const page = await pull('registry.k8s.io', repo, 'tags/list?n=2');
    const hex = d.replace(':', '-');
    assert.deepEqual((JSON.parse(page.body.toString()) as { tags: string[] }).tags, [
      `${hex}.att`,
      `${hex}.sig`,
    ]);
    assert.equal(page.headers.link, `</v2/${repo}/tags/list?n=2&last=${hex}.sig>; rel="next"`);
    const next = await pull('registry.k8s.io', repo, `tags/list?n=2&last=${hex}.sig`);
    assert.deepEqual((JSON.parse(next.body.toString()) as { tags: string[] }).tags, ['v1.11.1']);
    assert.equal(next.headers.link, undefined);
  });

  /** An ACR pull token from the Entra -> /oauth2/exchange refresh token (as `az acr login`). */
  async function acrRefreshToken(loginServer: string): Promise<string> {
    const aad = await new EmulatorCredential(em.ready).getToken(
      'https://management.azure.com/.default',
    );
    const ex = await postForm(ca, `${em.ready.registries[loginServer]}/oauth2/exchange`, {
      grant_type: 'access_token',
      service: loginServer,
      access_token: aad.token,
    });
    assert.equal(ex.status, 200);
    return (ex.body as { refresh_token: string }).refresh_token;
  }

  const importImage = (
    registryUri: string,
    sourceImage: string,
    target: string[],
    untagged = false,
  ) =>
    client.registries.importImage(
      'rg-aks',
      'contosoacr',
      {
        source: { registryUri, sourceImage },
        ...(untagged ? { untaggedTargetRepositories: target } : { targetTags: target }),
        mode: 'NoForce',
      },
      { updateIntervalInMs: 50 },
    );

  it('ARM importImage copies the image only; the .sig tag imported by tag reads back with skopeo, same digest', async () => {
    const repo = 'ingress-nginx/controller';
    const d = await digestOf('registry.k8s.io', repo, 'v1.11.1');
    const sigTag = `${d.replace(':', '-')}.sig`;
    await importImage('registry.k8s.io', `${repo}:v1.11.1`, [`${repo}:v1.11.1`]);
    assert.deepEqual(
      (await em.admin.tags('contosoacr')).map((t) => t.tag),
      ['v1.11.1'],
      'nothing that refers to the image came with it',
    );
    await importImage('registry.k8s.io', `${repo}:${sigTag}`, [`${repo}:${sigTag}`]);
    const acr = em.ready.acrs[0]!.loginServer;
    const creds = `00000000-0000-0000-0000-000000000000:${await acrRefreshToken(acr)}`;
    const ref = `docker://${hostPort(acr)}/${repo}`;
    const list = await run('skopeo', ['list-tags', '--cert-dir', certDir, '--creds', creds, ref]);
    assert.equal(list.code, 0, list.out);
    assert.deepEqual((JSON.parse(list.out) as { Tags: string[] }).Tags, [sigTag, 'v1.11.1']);
    const inAcr = await run('skopeo', [
      ...['inspect', '--raw', '--cert-dir', certDir, '--creds', creds],
      `${ref}:${sigTag}`,
    ]);
    assert.equal(inAcr.code, 0, inAcr.out);
    const src = await run('skopeo', [
      ...['inspect', '--raw', '--cert-dir', certDir],
      `docker://${hostPort('registry.k8s.io')}/${repo}:${sigTag}`,
    ]);
    assert.equal(src.code, 0, src.out);
    const sha = (s: string) => `sha256:${crypto.createHash('sha256').update(s).digest('hex')}`;
    assert.equal(sha(inAcr.out), sha(src.out));
    const upstream = (await em.admin.registryTags('registry.k8s.io')).find(
      (t) => t.repository === repo && t.tag === sigTag,
    );
    assert.equal(sha(inAcr.out), upstream?.digest);
  });

  it("the ACR's referrers API lists a referrer imported by digest (untagged) under the imported image", async () => {
    const repo = 'ingress-nginx/controller';
    const d = await digestOf('registry.k8s.io', repo, 'v1.11.1');
    const src = await pull(
      'registry.k8s.io',
      repo,
      `referrers/${d}?artifactType=${encodeURIComponent(NOTATION)}`,
    );
    assert.equal(src.headers['oci-filters-applied'], 'artifactType');
    const notation = (JSON.parse(src.body.toString()) as { manifests: { digest: string }[] })
      .manifests;
    assert.equal(notation.length, 1);
    await importImage('registry.k8s.io', `${repo}:v1.11.1`, [`${repo}:v1.11.1`]);
    const acr = em.ready.acrs[0]!.loginServer;
    const refresh = await acrRefreshToken(acr);
    const t = await postForm(ca, `${em.ready.registries[acr]}/oauth2/token`, {
      grant_type: 'refresh_token',
      service: acr,
      scope: `repository:${repo}:pull`,
      refresh_token: refresh,
    });
    const auth = { authorization: `Bearer ${(t.body as { access_token: string }).access_token}` };
    const referrers = () =>
      httpsGet(ca, `${em.ready.registries[acr]}/v2/${repo}/referrers/${d}`, auth);
    const before = await referrers();
    assert.equal(before.status, 200);
    assert.deepEqual(
      (JSON.parse(before.body.toString()) as { manifests: unknown[] }).manifests,
      [],
    );
    await importImage('registry.k8s.io', `${repo}@${notation[0]!.digest}`, [repo], true);
    const after = JSON.parse((await referrers()).body.toString()) as {
      mediaType: string;
      manifests: { digest: string; artifactType: string }[];
    };
    assert.equal(after.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      after.manifests.map((m) => [m.digest, m.artifactType]),
      [[notation[0]!.digest, NOTATION]],
    );
    assert.deepEqual(
      (await em.admin.tags('contosoacr')).map((x) => x.tag),
      ['v1.11.1'],
      'imported untagged',
    );
  });
});
