// The Rekor entry of a key signature (cosignKeyTransparencyLog, issue 19), checked as
// `cosign verify --key K` checks it offline: the layer's `dev.sigstore.cosign/bundle` (Rekor's
// SignedEntryTimestamp and entry) is turned into a Sigstore bundle whose verification material is
// the policy's public key, and @sigstore/verify checks, as for a keyless signature
// (core/keyless/verify.ts), that the SET verifies against a Rekor log key of the trusted root and
// that the entry is for this signature and this payload's hash. Then the entry's public key must
// be the cosignPublicKeys line's key (the library does not compare it). The signature itself is
// checked by cosign's rule (core/signatures/cosign.ts: the hash each key type signs with).
// In dist/keyless.js only (keyless.ts), loaded when a key signature carries a Rekor bundle. Pure.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { verifyCosignSignature } from '../signatures/cosign';
import {
  REKOR_BUNDLE_ANNOTATION,
  type KeyRekorCheck,
  type KeyRekorVerdict,
  type KeySignatureLayer,
} from '../signatures/keySignatures';
import { parseRekorBundle } from './legacy';

const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
/** The hint naming the policy's key in the bundle (the key finder below knows no other). */
const KEY_HINT = 'cosignPublicKeys';
/** hashedrekord's data.hash.algorithm, as the bundle's message digest names it. */
const DIGESTS: Record<string, string> = {
  sha256: 'SHA2_256',
  sha384: 'SHA2_384',
  sha512: 'SHA2_512',
};

/** Verifies the Rekor bundle of a key-signed `.sig` layer against `trust`, for `publicKeyPem`. */
export function verifyKeyRekor(
  layer: KeySignatureLayer,
  publicKeyPem: string,
  trust: TrustMaterial,
): KeyRekorVerdict {
  const fail = (check: KeyRekorCheck, reason: string): KeyRekorVerdict => ({
    ok: false,
    check,
    reason,
  });
  const annotation = layer.annotations[REKOR_BUNDLE_ANNOTATION];
  if (annotation === undefined) {
    return fail('format', `the layer has no Rekor bundle (${REKOR_BUNDLE_ANNOTATION})`);
  }
  const entry = parseRekorBundle(annotation);
  if (!entry.ok) return fail('format', entry.reason);
  const body = entryBody(entry.body);
  if (!body.ok) return fail('rekor-entry', `the Rekor entry cannot be read: ${body.reason}`);
  if (body.kind !== 'hashedrekord') {
    return fail(
      'rekor-entry',
      `the Rekor entry is a ${word(body.kind)} entry, not the hashedrekord entry cosign logs for a key signature`,
    );
  }
  const algorithm = DIGESTS[body.hashAlgorithm];
  if (!algorithm) {
    return fail(
      'rekor-entry',
      `the Rekor entry hashes the payload with ${word(body.hashAlgorithm)}, not sha256, sha384 or sha512`,
    );
  }
  const policyKey = createPublicKey(publicKeyPem);
  let entity: SignedEntity;
  try {
    entity = keySigned(
      bundleFromJSON({
        mediaType: BUNDLE_V01,
        verificationMaterial: {
          publicKey: { hint: KEY_HINT },
          tlogEntries: [
            {
              logIndex: String(entry.logIndex),
              logId: { keyId: Buffer.from(entry.logID, 'hex').toString('base64') },
              kindVersion: { kind: body.kind, version: body.apiVersion },
              integratedTime: String(entry.integratedTime),
              inclusionPromise: { signedEntryTimestamp: entry.set },
              canonicalizedBody: entry.body,
            },
          ],
        },
        messageSignature: {
          messageDigest: { algorithm, digest: hashOf(body.hashAlgorithm, layer.payload) },
          signature: layer.signature.trim(),
        },
      }),
      layer,
      publicKeyPem,
    );
  } catch (e) {
    return fail('format', `the Rekor bundle cannot be read (${(e as Error).message})`);
  }
  try {
    new Verifier(withPolicyKey(trust, policyKey)).verify(entity);
  } catch (e) {
    const [check, reason] = explain(e);
    return fail(check, reason);
  }
  if (!sameKey(body.publicKeyPem, policyKey)) {
    return fail(
      'rekor-entry',
      "the Rekor entry was logged with another public key than the cosignPublicKeys line's key",
    );
  }
  return { ok: true, logIndex: entry.logIndex, integratedTime: entry.integratedTime };
}

/** The bundle's signed entity, its signature checked by cosign's rule for the policy's key. */
function keySigned(
  bundle: ReturnType<typeof bundleFromJSON>,
  layer: KeySignatureLayer,
  publicKeyPem: string,
): SignedEntity {
  const entity = toSignedEntity(bundle, layer.payload);
  const content = entity.signature;
  return {
    key: entity.key,
    tlogEntries: entity.tlogEntries,
    timestamps: entity.timestamps,
    signature: {
      signature: content.signature,
      compareSignature: (s) => content.compareSignature(s),
      compareDigest: (d) => content.compareDigest(d),
      // ECDSA P-384 signs SHA-384, Ed25519 the bytes: not always the entry's sha256
      verifySignature: () => verifyCosignSignature(layer.payload, layer.signature, publicKeyPem).ok,
    },
  };
}

/** The trusted root, with the policy's key as the only key a bundle may name. */
function withPolicyKey(trust: TrustMaterial, key: KeyObject): TrustMaterial {
  return {
    certificateAuthorities: trust.certificateAuthorities,
    timestampAuthorities: trust.timestampAuthorities,
    tlogs: trust.tlogs,
    ctlogs: trust.ctlogs,
    publicKey: () => ({ publicKey: key, validFor: () => true }),
  };
}

function hashOf(algorithm: string, payload: Buffer): string {
  return createHash(algorithm).update(payload).digest('base64');
}

type EntryBody =
  | { ok: true; kind: string; apiVersion: string; hashAlgorithm: string; publicKeyPem: string }
  | { ok: false; reason: string };

/** What a Rekor entry body says (before trust: the SET is checked next). */
function entryBody(base64: string): EntryBody {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    return { ok: false, reason: 'its body is not JSON' };
  }
  const o = isObject(v) ? v : {};
  const { kind, apiVersion } = o;
  if (typeof kind !== 'string' || typeof apiVersion !== 'string') {
    return { ok: false, reason: 'its body names no kind and apiVersion' };
  }
  const spec = isObject(o['spec']) ? o['spec'] : {};
  const data = isObject(spec['data']) ? spec['data'] : {};
  const hash = isObject(data['hash']) ? data['hash'] : {};
  const signature = isObject(spec['signature']) ? spec['signature'] : {};
  const publicKey = isObject(signature['publicKey']) ? signature['publicKey'] : {};
  const content = publicKey['content'];
  return {
    ok: true,
    kind,
    apiVersion,
    hashAlgorithm: typeof hash['algorithm'] === 'string' ? hash['algorithm'] : 'sha256',
    publicKeyPem:
      typeof content === 'string' ? Buffer.from(content, 'base64').toString('utf8') : '',
  };
}

/** Whether the entry's PEM (a public key, or a certificate holding one) is the policy's key. */
function sameKey(pem: string, key: KeyObject): boolean {
  try {
    const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
    return spki(createPublicKey(pem)).equals(spki(key));
  } catch {
    return false;
  }
}

/** The library's error, in the words of the check that failed. */
function explain(e: unknown): [KeyRekorCheck, string] {
  const err = e as { code?: string; message?: string };
  const detail = err.message ?? String(e);
  switch (err.code) {
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_ERROR':
    case 'TIMESTAMP_ERROR':
      return [
        'rekor',
        `the Rekor entry's signed entry timestamp (SET) does not verify against the trusted root's Rekor log keys: not logged by a Rekor the trusted root names (${detail})`,
      ];
    case 'TLOG_BODY_ERROR':
      return [
        'rekor-entry',
        `the Rekor entry is for another signature or payload than this one (${detail})`,
      ];
    default:
      return ['format', `the Rekor bundle could not be verified (${detail})`];
  }
}

/** A name the entry gives (registry data), shown only when it is a short plain word. */
function word(v: string): string {
  return /^[A-Za-z0-9_.-]{1,32}$/.test(v) ? v : '(unreadable)';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
