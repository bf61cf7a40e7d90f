// The emulator's test Sigstore (test/emulator/sigstore.ts, issue 19): the keyless layer seeded on
// registry.k8s.io/ingress-nginx/controller's `.sig` tag verifies with the task's keyless verifier
// (core/keyless, @sigstore/verify) against the ready file's trusted_root.json, as the Kubernetes
// release identity; OpenSSL, which shares no code with either, accepts its certificate chain at
// the Rekor entry's integrated time and the signature over the payload. The key layer stays first.
// Then every seeded case of KEYLESS_CASES (test/emulator/keylessCases.ts), read from the emulator as
// a registry client would, gets the verdict the case expects, with the check that fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseTrustedRoot,
  verifyKeylessLayer,
  verifyReferrerBundle,
} from '../../tasks/ImportPublicImages/src/core/keyless/verify';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';
import { KEYLESS_CASES, type KeylessCase } from '../emulator/keylessCases';
import { KUBERNETES_IDENTITY, SIGSTORE_ANNOTATIONS } from '../emulator/sigstore';
import { fetchCaseSignature } from './keylessSupport';
import { ACCEPT, httpsGet, openssl } from './support';

interface Layer {
  mediaType: string;
  digest: string;
  annotations?: Record<string, string>;
}

describe('fidelity: keyless signatures of the test Sigstore (@sigstore/verify, OpenSSL)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  let ca: string;
  let dir: string;
  useEmulator({ importLatencyMs: 100 }, (e) => {
    em = e;
    ca = fs.readFileSync(em.ready.caCertPath, 'utf8');
  });
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyless-'))));
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  async function pull(repo: string, p: string) {
    const base = em.ready.registries['registry.k8s.io']!;
    const t = await httpsGet(
      ca,
      `${base}/token?service=registry.k8s.io&scope=repository:${repo}:pull`,
    );
    const token = (JSON.parse(t.body.toString()) as { token: string }).token;
    return httpsGet(ca, `${base}/v2/${repo}/${p}`, {
      accept: ACCEPT,
      authorization: `Bearer ${token}`,
    });
  }

  it('ingress-nginx/controller: its keyless layer verifies as krel-trust; OpenSSL agrees', async () => {
    const repo = 'ingress-nginx/controller';
    const digest = String((await pull(repo, 'manifests/v1.11.1')).headers['docker-content-digest']);
    const sig = await pull(repo, `manifests/${digest.replace(':', '-')}.sig`);
    assert.equal(sig.status, 200);
    const layers = (JSON.parse(sig.body.toString()) as { layers: Layer[] }).layers;
    assert.equal(layers.length, 2, 'the key layer, then the keyless layer');
    assert.equal(layers[0]!.annotations?.[SIGSTORE_ANNOTATIONS.certificate], undefined);
    const layer = layers[1]!;
    const annotations = layer.annotations ?? {};
    const payload = (await pull(repo, `blobs/${layer.digest}`)).body;

    const root = parseTrustedRoot(fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8'));
    assert.ok(root.ok);
    const verdict = verifyKeylessLayer({ payload, annotations }, digest, root.trust, {
      issuer: KUBERNETES_IDENTITY.issuer,
      subject: KUBERNETES_IDENTITY.subject,
    });
    assert.equal(verdict.verified, true, JSON.stringify(verdict));
    assert.equal(verdict.verified && verdict.identity, KUBERNETES_IDENTITY.subject);

    // OpenSSL: the leaf chains to the trusted root's CA at the integrated time...
    const trusted = JSON.parse(fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8')) as {
      certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
    };
    const [intermediate, rootCert] = trusted.certificateAuthorities[0]!.certChain.certificates;
    const pem = (b64: string) =>
      `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    fs.writeFileSync(path.join(dir, 'root.pem'), pem(rootCert!.rawBytes));
    fs.writeFileSync(path.join(dir, 'intermediate.pem'), pem(intermediate!.rawBytes));
    fs.writeFileSync(path.join(dir, 'leaf.pem'), annotations[SIGSTORE_ANNOTATIONS.certificate]!);
    const rekor = JSON.parse(annotations[SIGSTORE_ANNOTATIONS.bundle]!) as {
      Payload: { integratedTime: number };
    };
    const chain = await openssl([
      'verify',
      '-attime',
      String(rekor.Payload.integratedTime),
      '-CAfile',
      path.join(dir, 'root.pem'),
      '-untrusted',
      path.join(dir, 'intermediate.pem'),
      path.join(dir, 'leaf.pem'),
    ]);
    assert.equal(chain.code, 0, chain.out);
    // ... and not an hour later (a Fulcio certificate lives ten minutes).
    const late = await openssl([
      'verify',
      '-attime',
      String(rekor.Payload.integratedTime + 3600),
      '-CAfile',
      path.join(dir, 'root.pem'),
      '-untrusted',
      path.join(dir, 'intermediate.pem'),
      path.join(dir, 'leaf.pem'),
    ]);
    assert.notEqual(late.code, 0, late.out);
    // The signature over the payload, with the leaf's key.
    await openssl([
      'x509',
      '-in',
      path.join(dir, 'leaf.pem'),
      '-pubkey',
      '-noout',
      '-out',
      path.join(dir, 'leaf.pub'),
    ]);
    fs.writeFileSync(path.join(dir, 'payload'), payload);
    fs.writeFileSync(
      path.join(dir, 'payload.sig'),
      Buffer.from(annotations['dev.cosignproject.cosign/signature']!, 'base64'),
    );
    const signed = await openssl([
      'dgst',
      '-sha256',
      '-verify',
      path.join(dir, 'leaf.pub'),
      '-signature',
      path.join(dir, 'payload.sig'),
      path.join(dir, 'payload'),
    ]);
    assert.match(signed.out, /Verified OK/);
  });

  function trust() {
    const root = parseTrustedRoot(fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8'));
    assert.ok(root.ok, 'the ready file names a usable trusted root');
    return root.trust;
  }

  /** The verdict for a case: verified, or the check that failed. */
  async function verdictOf(c: KeylessCase): Promise<{ verified: boolean; check?: string }> {
    const s = await fetchCaseSignature(em.ready, ca, c);
    if (s.kind === 'none') return { verified: false, check: 'unsigned' };
    if (s.kind === 'legacy') {
      const v = verifyKeylessLayer(s, s.digest, trust(), c.policy);
      return v.verified ? { verified: true } : { verified: false, check: v.check };
    }
    const v = verifyReferrerBundle(
      JSON.parse(s.bundle.toString('utf8')),
      s.digest,
      trust(),
      c.policy,
    );
    return v.verified ? { verified: true } : { verified: false, check: v.check };
  }

  for (const c of KEYLESS_CASES) {
    const want = c.expected.verified ? 'verified' : `refused (${c.expected.check})`;
    it(`${c.name}: ${c.host}/${c.repository}:${c.tag} is ${want}`, async () => {
      assert.deepEqual(await verdictOf(c), c.expected);
    });
  }

  it('each bad case fails for its own reason: signed by the policy identity, its verdict flips only where the case says', async () => {
    // other-identity verifies against its signer's identity: the signature itself is sound.
    const other = KEYLESS_CASES.find((c) => c.name === 'other-identity')!;
    assert.deepEqual(await verdictOf({ ...other, policy: other.signer! }), { verified: true });
    // rekor-other-payload and expired-certificate stay refused whatever the identity.
    for (const name of ['rekor-other-payload', 'expired-certificate']) {
      const c = KEYLESS_CASES.find((k) => k.name === name)!;
      assert.deepEqual(await verdictOf({ ...c, policy: c.signer! }), c.expected);
    }
  });
});
