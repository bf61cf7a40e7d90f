import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  parseCosignPublicKey,
  verifyCosignPayload,
} from '../../tasks/ImportPublicImages/src/core/signatures/cosign';

const DIGEST = 'sha256:' + 'a'.repeat(64);
const OTHER = 'sha256:' + 'b'.repeat(64);

function payloadFor(digest: string, type = 'cosign container image signature'): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.k8s.io/pause' },
        image: { 'docker-manifest-digest': digest },
        type,
      },
      optional: null,
    }),
  );
}

function pem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ecOther = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');

describe('cosign: verifyCosignPayload', () => {
  it('accepts an ECDSA P-256 / SHA-256 signature over the payload for the digest', () => {
    const p = payloadFor(DIGEST);
    const sig = sign('sha256', p, ec.privateKey).toString('base64');
    assert.deepEqual(verifyCosignPayload(p, sig, pem(ec.publicKey), DIGEST), { ok: true });
  });

  it('accepts P-384 (SHA-384), RSA (SHA-256) and Ed25519 keys', () => {
    const p = payloadFor(DIGEST);
    const cases: [KeyObject, KeyObject, string | null][] = [
      [ec384.privateKey, ec384.publicKey, 'sha384'],
      [rsa.privateKey, rsa.publicKey, 'sha256'],
      [ed.privateKey, ed.publicKey, null],
    ];
    for (const [priv, pub, hash] of cases) {
      const sig = sign(hash, p, priv).toString('base64');
      assert.deepEqual(verifyCosignPayload(p, sig, pem(pub), DIGEST), { ok: true }, String(hash));
    }
  });

  it('refuses a signature made with another key', () => {
    const p = payloadFor(DIGEST);
    const sig = sign('sha256', p, ecOther.privateKey).toString('base64');
    const r = verifyCosignPayload(p, sig, pem(ec.publicKey), DIGEST);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /does not verify with the given public key/);
  });

  it('refuses a valid signature for another digest, naming both', () => {
    const p = payloadFor(OTHER);
    const sig = sign('sha256', p, ec.privateKey).toString('base64');
    const r = verifyCosignPayload(p, sig, pem(ec.publicKey), DIGEST);
    assert.equal(r.ok, false);
    const reason = !r.ok ? r.reason : '';
    assert.match(reason, /another image/);
    assert.ok(reason.includes(OTHER) && reason.includes(DIGEST), reason);
  });

  it('refuses a payload altered after signing', () => {
    const p = payloadFor(DIGEST);
    const sig = sign('sha256', p, ec.privateKey).toString('base64');
    const altered = Buffer.concat([p, Buffer.from(' ')]);
    const r = verifyCosignPayload(altered, sig, pem(ec.publicKey), DIGEST);
    assert.equal(r.ok, false);
  });

  it('refuses a signed payload of another type, or one that is not JSON', () => {
    const p = payloadFor(DIGEST, 'something else');
    const r = verifyCosignPayload(
      p,
      sign('sha256', p, ec.privateKey).toString('base64'),
      pem(ec.publicKey),
      DIGEST,
    );
    assert.match(!r.ok ? r.reason : '', /critical\.type/);
    const junk = Buffer.from('not json');
    const r2 = verifyCosignPayload(
      junk,
      sign('sha256', junk, ec.privateKey).toString('base64'),
      pem(ec.publicKey),
      DIGEST,
    );
    assert.match(!r2.ok ? r2.reason : '', /not JSON/);
    const nodigest = Buffer.from(
      JSON.stringify({ critical: { type: 'cosign container image signature', image: {} } }),
    );
    const r3 = verifyCosignPayload(
      nodigest,
      sign('sha256', nodigest, ec.privateKey).toString('base64'),
      pem(ec.publicKey),
      DIGEST,
    );
    assert.match(!r3.ok ? r3.reason : '', /docker-manifest-digest/);
  });

  it('refuses an empty, non-base64 or garbage signature without throwing', () => {
    const p = payloadFor(DIGEST);
    for (const s of ['', '   ', 'not base64!', Buffer.from('garbage').toString('base64')]) {
      const r = verifyCosignPayload(p, s, pem(ec.publicKey), DIGEST);
      assert.equal(r.ok, false, s);
    }
  });

  it('says when the key cannot be used', () => {
    const p = payloadFor(DIGEST);
    const sig = sign('sha256', p, ec.privateKey).toString('base64');
    const r = verifyCosignPayload(p, sig, 'hello', DIGEST);
    assert.match(!r.ok ? r.reason : '', /public key cannot be used/);
  });
});

describe('cosign: parseCosignPublicKey', () => {
  it('reads EC, RSA and Ed25519 public keys and names the algorithm', () => {
    const ecKey = parseCosignPublicKey(pem(ec.publicKey));
    assert.equal(ecKey.ok && ecKey.algorithm, 'ECDSA P-256 / SHA-256');
    assert.ok(parseCosignPublicKey(pem(rsa.publicKey)).ok);
    assert.ok(parseCosignPublicKey(pem(ed.publicKey)).ok);
  });

  it('refuses a private key, text that is not PEM, and a broken PEM block', () => {
    const priv = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const a = parseCosignPublicKey(priv);
    assert.match(!a.ok ? a.reason : '', /PRIVATE key/);
    const b = parseCosignPublicKey('just text');
    assert.match(!b.ok ? b.reason : '', /not a PEM public key/);
    const c = parseCosignPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    assert.match(!c.ok ? c.reason : '', /cannot be read/);
  });
});
