import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseTrustedRoot,
  verifyKeylessLayer,
  type KeylessVerdict,
} from '../../tasks/ImportPublicImages/src/core/keyless/verify';
import {
  anchoredRegExp,
  type IdentityPolicy,
} from '../../tasks/ImportPublicImages/src/core/keyless/identity';
import type { SignatureLayer } from '../../tasks/ImportPublicImages/src/core/keyless/legacy';
import {
  createTestSigstore,
  KUBERNETES_IDENTITY,
  loadOrCreateSigstoreKeys,
  SIGSTORE_ANNOTATIONS,
  type KeylessLayer,
  type TestSigstore,
} from '../emulator/sigstore';
import { EmulatorSigstore, type SigningRequest } from '../emulator/sigstoreState';

const DIGEST = 'sha256:' + 'a'.repeat(64);
const OTHER = 'sha256:' + 'b'.repeat(64);
const K8S: IdentityPolicy = {
  issuer: KUBERNETES_IDENTITY.issuer,
  subject: KUBERNETES_IDENTITY.subject,
};

function payloadFor(digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.k8s.io/ingress-nginx/controller' },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

function layerOf(payload: Buffer, signed: KeylessLayer): SignatureLayer {
  return {
    payload,
    annotations: {
      'dev.cosignproject.cosign/signature': signed.signature,
      [SIGSTORE_ANNOTATIONS.certificate]: signed.certificate,
      [SIGSTORE_ANNOTATIONS.chain]: signed.chain,
      [SIGSTORE_ANNOTATIONS.bundle]: signed.bundle,
    },
  };
}

function failed(v: KeylessVerdict): Extract<KeylessVerdict, { verified: false }> {
  assert.equal(v.verified, false, JSON.stringify(v));
  return v as Extract<KeylessVerdict, { verified: false }>;
}

describe('keyless verification (core/keyless) against the test Sigstore', function () {
  this.timeout(20_000);
  let sigstore: TestSigstore;
  let other: TestSigstore;
  let trust: ReturnType<typeof trustOf>;
  const trustOf = (s: TestSigstore) => {
    const parsed = parseTrustedRoot(JSON.stringify(s.trustedRoot));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    return parsed.trust;
  };

  before(async () => {
    sigstore = await createTestSigstore(loadOrCreateSigstoreKeys());
    other = await createTestSigstore(loadOrCreateSigstoreKeys());
    trust = trustOf(sigstore);
  });

  it('verifies the Kubernetes identity over a payload naming the digest', async () => {
    const payload = payloadFor(DIGEST);
    const signed = await sigstore.signKeyless(payload, { ...KUBERNETES_IDENTITY, logIndex: 42 });
    const v = verifyKeylessLayer(layerOf(payload, signed), DIGEST, trust, K8S);
    assert.deepEqual(v, {
      verified: true,
      identity: KUBERNETES_IDENTITY.subject,
      issuer: KUBERNETES_IDENTITY.issuer,
      rekorLogIndex: 42,
    });
  });

  it('matches an anchored regular expression, and not a longer subject', async () => {
    const re = anchoredRegExp(
      'https://github\\.com/org/repo/\\.github/workflows/release\\.yml@refs/tags/v.*',
    );
    assert.ok(re.ok);
    const policy = { issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: re.re };
    const payload = payloadFor(DIGEST);
    const good = await sigstore.signKeyless(payload, {
      subject: 'https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.2.3',
      issuer: policy.issuer,
    });
    assert.equal(verifyKeylessLayer(layerOf(payload, good), DIGEST, trust, policy).verified, true);
    const longer = await sigstore.signKeyless(payload, {
      subject:
        'https://evil.example/https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1',
      issuer: policy.issuer,
    });
    assert.equal(
      failed(verifyKeylessLayer(layerOf(payload, longer), DIGEST, trust, policy)).check,
      'identity',
    );
  });

  it('refuses another identity, and another issuer, naming both sides', async () => {
    const payload = payloadFor(DIGEST);
    const byOther = await sigstore.signKeyless(payload, {
      subject: 'someone@example.com',
      issuer: KUBERNETES_IDENTITY.issuer,
    });
    const v = failed(verifyKeylessLayer(layerOf(payload, byOther), DIGEST, trust, K8S));
    assert.equal(v.check, 'identity');
    assert.equal(v.identity, 'someone@example.com');
    assert.match(v.reason, /someone@example\.com.*krel-trust@k8s-releng-prod/);
    const viaGitHub = await sigstore.signKeyless(payload, {
      subject: KUBERNETES_IDENTITY.subject,
      issuer: 'https://token.actions.githubusercontent.com',
    });
    const w = failed(verifyKeylessLayer(layerOf(payload, viaGitHub), DIGEST, trust, K8S));
    assert.equal(w.check, 'identity');
    assert.match(w.reason, /another OIDC issuer/);
  });

  it('refuses a Rekor entry for another payload', async () => {
    const payload = payloadFor(DIGEST);
    const signed = await sigstore.signKeyless(payload, {
      ...KUBERNETES_IDENTITY,
      rekorPayload: payloadFor(OTHER),
    });
    const v = failed(verifyKeylessLayer(layerOf(payload, signed), DIGEST, trust, K8S));
    assert.equal(v.check, 'rekor-entry');
    assert.match(v.reason, /Rekor entry is for another signature or payload/);
  });

  it('refuses a certificate that expired before its integrated time', async () => {
    const payload = payloadFor(DIGEST);
    const signed = await sigstore.signKeyless(payload, {
      ...KUBERNETES_IDENTITY,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      integratedTime: new Date('2026-01-01T00:30:00Z'),
    });
    const v = failed(verifyKeylessLayer(layerOf(payload, signed), DIGEST, trust, K8S));
    assert.equal(v.check, 'validity');
    assert.match(
      v.reason,
      /logged at 2026-01-01T00:30:00\.000Z, certificate valid 2026-01-01T00:00:00\.000Z to 2026-01-01T00:10:00\.000Z/,
    );
  });

  it('refuses a certificate from another CA (chain), and a SET from another log (rekor)', async () => {
    const payload = payloadFor(DIGEST);
    const foreign = await other.signKeyless(payload, KUBERNETES_IDENTITY);
    assert.equal(
      failed(verifyKeylessLayer(layerOf(payload, foreign), DIGEST, trust, K8S)).check,
      'chain',
    );
    // Our certificate with the other log's entry and SET.
    const ours = await sigstore.signKeyless(payload, KUBERNETES_IDENTITY);
    const mixed = { ...ours, bundle: foreign.bundle, signature: foreign.signature };
    const v = failed(verifyKeylessLayer(layerOf(payload, mixed), DIGEST, trust, K8S));
    assert.equal(v.check, 'rekor');
    assert.match(v.reason, /signed entry timestamp \(SET\)/);
  });

  it('refuses an SCT from a CT log the trusted root does not name (sct)', async () => {
    const payload = payloadFor(DIGEST);
    const signed = await sigstore.signKeyless(payload, KUBERNETES_IDENTITY);
    const otherCt = parseTrustedRoot(
      JSON.stringify({ ...sigstore.trustedRoot, ctlogs: other.trustedRoot['ctlogs'] }),
    );
    assert.ok(otherCt.ok);
    const v = failed(verifyKeylessLayer(layerOf(payload, signed), DIGEST, otherCt.trust, K8S));
    assert.equal(v.check, 'sct');
    assert.match(v.reason, /SCT does not verify against the trusted root's CT log keys/);
  });

  it('a kept EmulatorSigstore (FILE.sigstore.json) reuses its layers, and they verify against the root it writes after a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sigstore-kept-'));
    try {
      const file = path.join(dir, 'acr-state.json.sigstore.json');
      const payload = payloadFor(DIGEST);
      const request: SigningRequest = {
        key: 'kept',
        kind: 'legacy',
        payload,
        options: KUBERNETES_IDENTITY,
      };
      const first = new EmulatorSigstore(file);
      await first.prepare([request]);
      const layer = first.layerFor('kept');
      assert.ok(layer);
      const second = new EmulatorSigstore(file);
      await second.prepare([request]);
      assert.deepEqual(second.layerFor('kept'), layer, 'the kept layer, not a new one');
      const root = parseTrustedRoot(fs.readFileSync(second.writeTrustedRoot(dir), 'utf8'));
      assert.ok(root.ok);
      const v = verifyKeylessLayer(layerOf(payload, layer), DIGEST, root.trust, K8S);
      assert.equal(v.verified, true, JSON.stringify(v));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an altered payload (rekor-entry: its Rekor entry no longer matches) and a payload for another digest (payload)', async () => {
    const payload = payloadFor(DIGEST);
    const signed = await sigstore.signKeyless(payload, KUBERNETES_IDENTITY);
    const altered = layerOf(Buffer.concat([payload, Buffer.from(' ')]), signed);
    // The message digest is the altered payload's: Rekor's entry no longer matches it.
    assert.equal(failed(verifyKeylessLayer(altered, DIGEST, trust, K8S)).check, 'rekor-entry');
    const v = failed(verifyKeylessLayer(layerOf(payload, signed), OTHER, trust, K8S));
    assert.equal(v.check, 'payload');
    assert.match(v.reason, /signature is for another image/);
  });

  it('says a key-signed or unlogged layer is not keyless (format)', async () => {
    const payload = payloadFor(DIGEST);
    const signed = await sigstore.signKeyless(payload, KUBERNETES_IDENTITY);
    const keyOnly: SignatureLayer = {
      payload,
      annotations: { 'dev.cosignproject.cosign/signature': signed.signature },
    };
    const v = failed(verifyKeylessLayer(keyOnly, DIGEST, trust, K8S));
    assert.equal(v.check, 'format');
    assert.match(v.reason, /no Fulcio certificate/);
    const unlogged = layerOf(payload, signed);
    const { [SIGSTORE_ANNOTATIONS.bundle]: _, ...rest } = unlogged.annotations;
    const w = failed(verifyKeylessLayer({ payload, annotations: rest }, DIGEST, trust, K8S));
    assert.match(w.reason, /never logged in Rekor/);
  });

  it('says why a trusted root cannot be used', () => {
    assert.deepEqual(parseTrustedRoot('nope'), { ok: false, reason: 'it is not JSON' });
    const r = parseTrustedRoot(
      JSON.stringify({ ...sigstore.trustedRoot, certificateAuthorities: [] }),
    );
    assert.deepEqual(r, { ok: false, reason: 'it names no Fulcio certificate authority' });
  });
});
