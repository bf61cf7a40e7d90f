// core/keyless/keyRekor.ts: the Rekor bundle a key signature carries, against the test Sigstore
// (test/emulator/sigstore.ts: its Rekor-like log key signs each entry's SET). A bundle logged for
// this payload, signature and key verifies; a SET from another log, an entry for another payload,
// another signature or another key, and a broken annotation are refused, each by its check.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { verifyKeyRekor } from '../../tasks/ImportPublicImages/src/core/keyless/keyRekor';
import { parseTrustedRoot } from '../../tasks/ImportPublicImages/src/core/keyless/verify';
import type {
  KeyRekorVerdict,
  KeySignatureLayer,
} from '../../tasks/ImportPublicImages/src/core/signatures/keySignatures';
import {
  createTestSigstore,
  loadOrCreateSigstoreKeys,
  SIGSTORE_ANNOTATIONS,
  type TestSigstore,
} from '../emulator/sigstore';
import { cosignPayload } from '../emulator/signatureLayout';

const DIGEST = 'sha256:' + 'a'.repeat(64);

const pemOf = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

function failed(v: KeyRekorVerdict): Extract<KeyRekorVerdict, { ok: false }> {
  assert.equal(v.ok, false, JSON.stringify(v));
  return v as Extract<KeyRekorVerdict, { ok: false }>;
}

describe('core/keyless/keyRekor: the Rekor bundle of a key signature (cosign verify --key, offline)', function () {
  this.timeout(20_000);
  let sigstore: TestSigstore;
  let other: TestSigstore;
  let trust: Parameters<typeof verifyKeyRekor>[2];
  const signer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = pemOf(signer.publicKey);
  const payload = cosignPayload('quay.io/org/app', DIGEST);
  const signature = sign('sha256', payload, signer.privateKey).toString('base64');

  const layer = (bundle: string | undefined, p = payload, sig = signature): KeySignatureLayer => ({
    payload: p,
    signature: sig,
    annotations: {
      'dev.cosignproject.cosign/signature': sig,
      ...(bundle !== undefined ? { [SIGSTORE_ANNOTATIONS.bundle]: bundle } : {}),
    },
  });

  before(async () => {
    sigstore = await createTestSigstore(loadOrCreateSigstoreKeys());
    other = await createTestSigstore(loadOrCreateSigstoreKeys());
    const parsed = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot));
    assert.ok(parsed.ok);
    trust = parsed.trust;
  });

  it('a bundle logged for this payload, signature and key verifies, with its log index and time', () => {
    const at = new Date('2026-11-02T10:00:00Z');
    const bundle = sigstore.rekorBundleForKey(payload, signature, pem, at);
    const v = verifyKeyRekor(layer(bundle), pem, trust);
    assert.ok(v.ok, JSON.stringify(v));
    const logged = JSON.parse(bundle) as { Payload: { logIndex: number } };
    assert.equal(v.logIndex, logged.Payload.logIndex);
    assert.equal(v.integratedTime, at.getTime() / 1000);
  });

  it("a P-384 key (cosign signs SHA-384) and an Ed25519 key: the signature is checked by cosign's rule, not the entry's sha256", () => {
    const keys = [
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
      generateKeyPairSync('ed25519'),
    ];
    for (const k of keys) {
      const hash = k.publicKey.asymmetricKeyType === 'ed25519' ? null : 'sha384';
      const sig = sign(hash, payload, k.privateKey).toString('base64');
      const keyPem = pemOf(k.publicKey);
      const bundle = sigstore.rekorBundleForKey(payload, sig, keyPem);
      const v = verifyKeyRekor(layer(bundle, payload, sig), keyPem, trust);
      assert.ok(v.ok, `${k.publicKey.asymmetricKeyType}: ${JSON.stringify(v)}`);
    }
  });

  it('a SET made by another log than the trusted root names: rekor', () => {
    const v = failed(
      verifyKeyRekor(layer(other.rekorBundleForKey(payload, signature, pem)), pem, trust),
    );
    assert.equal(v.check, 'rekor');
    assert.match(
      v.reason,
      /signed entry timestamp \(SET\) does not verify against the trusted root's Rekor log keys/,
    );
  });

  it('an entry (validly logged) for another payload, or another signature: rekor-entry', () => {
    const elsewhere = cosignPayload('quay.io/org/app', 'sha256:' + 'b'.repeat(64));
    const forOther = sigstore.rekorBundleForKey(elsewhere, signature, pem);
    const v = failed(verifyKeyRekor(layer(forOther), pem, trust));
    assert.equal(v.check, 'rekor-entry');
    assert.match(
      v.reason,
      /the Rekor entry is for another signature or payload than this one \(digest mismatch\)/,
    );
    const resigned = sign('sha256', payload, signer.privateKey).toString('base64'); // ECDSA: another signature
    assert.notEqual(resigned, signature);
    const w = failed(
      verifyKeyRekor(layer(sigstore.rekorBundleForKey(payload, resigned, pem)), pem, trust),
    );
    assert.equal(w.check, 'rekor-entry');
    assert.match(w.reason, /signature mismatch/);
  });

  it("an entry logged with another public key than the policy's: rekor-entry", () => {
    const bundle = sigstore.rekorBundleForKey(payload, signature, pemOf(stranger.publicKey));
    const v = failed(verifyKeyRekor(layer(bundle), pem, trust));
    assert.equal(v.check, 'rekor-entry');
    assert.match(v.reason, /logged with another public key than the cosignPublicKeys line's key/);
  });

  it('an altered SET, index or time makes the SET fail: rekor', () => {
    const bundle = JSON.parse(sigstore.rekorBundleForKey(payload, signature, pem)) as {
      Payload: { logIndex: number; integratedTime: number };
    };
    bundle.Payload.logIndex += 1;
    const v = failed(verifyKeyRekor(layer(JSON.stringify(bundle)), pem, trust));
    assert.equal(v.check, 'rekor');
  });

  it("an entry that is not a hashedrekord: rekor-entry; the entry's kind is shown only when a plain word", () => {
    const bundle = (kind: string) => {
      const b = JSON.parse(sigstore.rekorBundleForKey(payload, signature, pem)) as {
        Payload: { body: string };
      };
      const body = JSON.parse(Buffer.from(b.Payload.body, 'base64').toString()) as {
        kind: string;
      };
      body.kind = kind;
      b.Payload.body = Buffer.from(JSON.stringify(body)).toString('base64');
      return JSON.stringify(b);
    };
    const rekord = failed(verifyKeyRekor(layer(bundle('rekord')), pem, trust));
    assert.equal(rekord.check, 'rekor-entry');
    assert.match(rekord.reason, /is a rekord entry, not the hashedrekord entry cosign logs/);
    const hostile = failed(
      verifyKeyRekor(layer(bundle('x\n##vso[task.setvariable variable=a]b')), pem, trust),
    );
    assert.match(hostile.reason, /is a \(unreadable\) entry/);
    assert.doesNotMatch(hostile.reason, /##vso|\n/);
  });

  it('an annotation that is not a Rekor bundle, or none: format, naming the annotation', () => {
    for (const text of ['not json', '{}', '{"SignedEntryTimestamp":"AAAA","Payload":{}}']) {
      const v = failed(verifyKeyRekor(layer(text), pem, trust));
      assert.equal(v.check, 'format', text);
      assert.match(v.reason, /dev\.sigstore\.cosign\/bundle is not a Rekor bundle/);
    }
    assert.equal(failed(verifyKeyRekor(layer(undefined), pem, trust)).check, 'format');
  });
});
