// Keyless verification of one signature with Sigstore's own library (@sigstore/verify), then
// the identity policy and the payload's digest. Pure computation (no file system, no network):
// the trusted root, the signature layer and the policy come in as values.
//
// A signature passes only if, in this order (the first that fails is the reason):
//   1. the Fulcio leaf was valid when Rekor logged the entry (integrated time within
//      NotBefore..NotAfter);
//   2. the leaf chains to a Fulcio CA of the trusted root (valid at that time);
//   3. its SCT verifies against a CT log key of the trusted root;
//   4. the Rekor entry's SET verifies against a Rekor log key of the trusted root;
//   5. the Rekor entry is for this signature and this payload;
//   6. the signature verifies over the payload with the leaf's key;
//   7. the leaf's OIDC issuer and SAN match the policy, and its workflow claims (repository, ref)
//      when the policy names them;
//   8. the payload names the digest that will be imported.
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type TrustMaterial } from '@sigstore/verify';
import { checkPayloadClaims } from '../signatures/cosign';
import {
  matchesIdentity,
  describeIdentity,
  WORKFLOW_OIDS,
  type CertificateClaims,
  type IdentityPolicy,
} from './identity';
import { legacyLayerToBundle, type SignatureLayer } from './legacy';
import { dsseEnvelopeOf, statementNames } from './statement';

/** Which check decided: the words a platform engineer reads. */
export type KeylessCheck =
  | 'format'
  | 'validity'
  | 'chain'
  | 'sct'
  | 'rekor'
  | 'rekor-entry'
  | 'signature'
  | 'identity'
  | 'payload';

export type KeylessVerdict =
  | { verified: true; identity: string; issuer: string; rekorLogIndex: number }
  | {
      verified: false;
      check: KeylessCheck;
      reason: string;
      identity?: string;
      issuer?: string;
      rekorLogIndex?: number;
    };

/** The trusted root read from trusted_root.json's text, or why it cannot be used. */
export function parseTrustedRoot(
  text: string,
): { ok: true; trust: TrustMaterial } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'it is not JSON' };
  }
  try {
    const root = TrustedRoot.fromJSON(json);
    if (root.certificateAuthorities.length === 0) {
      return { ok: false, reason: 'it names no Fulcio certificate authority' };
    }
    if (root.tlogs.length === 0) return { ok: false, reason: 'it names no Rekor log' };
    return { ok: true, trust: toTrustMaterial(root) };
  } catch (e) {
    return { ok: false, reason: `it is not a Sigstore trusted root (${(e as Error).message})` };
  }
}

/** Verifies one cosign legacy keyless `.sig` layer for `digest` against `trust` and `policy`. */
export function verifyKeylessLayer(
  layer: SignatureLayer,
  digest: string,
  trust: TrustMaterial,
  policy: IdentityPolicy,
): KeylessVerdict {
  const converted = legacyLayerToBundle(layer);
  if (!converted.ok) return { verified: false, check: 'format', reason: converted.reason };
  return verifyBundle(converted.bundle, layer.payload, digest, trust, policy);
}

/** Verifies a Sigstore bundle (JSON) over `payload`, then the policy and the payload's digest. */
export function verifyBundle(
  bundleJson: unknown,
  payload: Buffer,
  digest: string,
  trust: TrustMaterial,
  policy: IdentityPolicy,
): KeylessVerdict {
  return verifyWith(bundleJson, payload, trust, policy, () => checkPayloadClaims(payload, digest));
}

/**
 * Verifies a Sigstore bundle stored as an OCI referrer of the image (cosign 3's default format):
 * a DSSE envelope whose in-toto statement names the digest as its subject. A bundle holding a
 * message signature names no image to compare with, and is refused in words.
 */
export function verifyReferrerBundle(
  bundleJson: unknown,
  digest: string,
  trust: TrustMaterial,
  policy: IdentityPolicy,
): KeylessVerdict {
  const envelope = dsseEnvelopeOf(bundleJson);
  if (!envelope.ok) return { verified: false, check: 'format', reason: envelope.reason };
  const payload = envelope.payload;
  return verifyWith(bundleJson, payload, trust, policy, () => statementNames(payload, digest));
}

function verifyWith(
  bundleJson: unknown,
  payload: Buffer,
  trust: TrustMaterial,
  policy: IdentityPolicy,
  claimsOf: () => { ok: true } | { ok: false; reason: string },
): KeylessVerdict {
  let entity;
  try {
    entity = toSignedEntity(bundleFromJSON(bundleJson), payload);
  } catch (e) {
    return {
      verified: false,
      check: 'format',
      reason: `the signature is not a valid Sigstore bundle (${(e as Error).message})`,
    };
  }
  if (entity.key.$case !== 'certificate') {
    return { verified: false, check: 'format', reason: 'the signature has no Fulcio certificate' };
  }
  const tlog = entity.tlogEntries[0];
  const rekorLogIndex = tlog ? Number(tlog.logIndex) : undefined;
  const leaf = entity.key.certificate;
  const seen = signerOf(entity.key.certificate);
  const known = { ...seen, ...(rekorLogIndex !== undefined ? { rekorLogIndex } : {}) };
  const fail = (check: KeylessCheck, reason: string): KeylessVerdict => ({
    verified: false,
    check,
    reason,
    ...known,
  });

  if (tlog) {
    const at = new Date(Number(tlog.integratedTime) * 1000);
    const from = leaf.notBefore;
    const to = leaf.notAfter;
    if (at < from || at > to) {
      return fail(
        'validity',
        `the Fulcio certificate was not valid when Rekor logged the signature: logged at ${at.toISOString()}, certificate valid ${from.toISOString()} to ${to.toISOString()}`,
      );
    }
  }
  try {
    new Verifier(trust).verify(entity);
  } catch (e) {
    const [check, reason] = explain(e);
    return fail(check, reason);
  }
  const identity = seen.identity ?? '';
  const issuer = seen.issuer ?? '';
  const matched = matchesIdentity(policy, identity, issuer, workflowClaims(leaf));
  if (!matched.ok) return fail('identity', matched.reason);
  const claims = claimsOf();
  if (!claims.ok) return fail('payload', claims.reason);
  return { verified: true, identity, issuer, rekorLogIndex: rekorLogIndex ?? -1 };
}

const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

interface Leaf {
  subjectAltName: string | undefined;
  extension(oid: string): { value: Buffer; valueObj: { subs: { value: Buffer }[] } } | undefined;
}

/** A Fulcio extension's text: raw (the deprecated 1.1-1.6) or a DER UTF8String (1.8 on). */
const rawText = (cert: Leaf, oid: string) => cert.extension(oid)?.value.toString('utf8');
const derText = (cert: Leaf, oid: string) =>
  cert.extension(oid)?.valueObj.subs[0]?.value.toString('utf8');

/** The workflow claims a Fulcio leaf carries (after it verified). */
function workflowClaims(cert: Leaf): CertificateClaims {
  const found: [keyof CertificateClaims, string | undefined][] = [
    ['repository', rawText(cert, WORKFLOW_OIDS.repository)],
    ['ref', rawText(cert, WORKFLOW_OIDS.ref)],
    ['sourceRepositoryUri', derText(cert, WORKFLOW_OIDS.sourceRepositoryUri)],
    ['sourceRepositoryRef', derText(cert, WORKFLOW_OIDS.sourceRepositoryRef)],
  ];
  const claims: CertificateClaims = {};
  for (const [k, v] of found) if (v !== undefined) claims[k] = v;
  return claims;
}

/** The SAN and OIDC issuer a Fulcio leaf claims (read before trust, for the reason's words). */
function signerOf(cert: Leaf): { identity?: string; issuer?: string } {
  const issuer = cert.extension(OID_ISSUER_V2)
    ? derText(cert, OID_ISSUER_V2)
    : rawText(cert, OID_ISSUER_V1);
  return {
    ...(cert.subjectAltName !== undefined ? { identity: cert.subjectAltName } : {}),
    ...(issuer !== undefined ? { issuer } : {}),
  };
}

/** The library's error, in the words of the check that failed. */
function explain(e: unknown): [KeylessCheck, string] {
  const err = e as { code?: string; message?: string; cause?: { message?: string } };
  const detail = [err.message, err.cause?.message].filter(Boolean).join(': ');
  switch (err.code) {
    case 'CERTIFICATE_ERROR':
      if (/SCT/.test(detail)) {
        return [
          'sct',
          `the certificate's SCT does not verify against the trusted root's CT log keys (${detail})`,
        ];
      }
      return [
        'chain',
        `the Fulcio certificate does not chain to a certificate authority of the trusted root (${detail})`,
      ];
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_ERROR':
      return [
        'rekor',
        `the Rekor entry's signed entry timestamp (SET) does not verify against the trusted root's Rekor log keys (${detail})`,
      ];
    case 'TLOG_BODY_ERROR':
      return [
        'rekor-entry',
        `the Rekor entry is for another signature or payload than this one (${detail})`,
      ];
    case 'SIGNATURE_ERROR':
      return [
        'signature',
        "the signature does not verify over the payload with the certificate's key: the payload was altered",
      ];
    case 'TIMESTAMP_ERROR':
      return ['rekor', `the signature has no verifiable Rekor timestamp (${detail})`];
    default:
      return ['format', `the signature could not be verified (${detail || String(e)})`];
  }
}

export { describeIdentity };
