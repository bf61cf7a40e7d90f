// Verifying one cosign key signature (the simple-signing scheme), with node:crypto and no
// cosign binary. core/ is pure: node:crypto is pure computation (no file system, no network),
// so eslint's layer rule allows it here; the PEM text and the payload bytes come in as
// parameters.
//
// What cosign signs: a JSON payload
//   {"critical":{"identity":{"docker-reference":...},"image":{"docker-manifest-digest":"sha256:..."},
//    "type":"cosign container image signature"},"optional":...}
// stored as a layer of the `sha256-<hex>.sig` manifest; the signature over the payload's exact
// bytes is the layer annotation `dev.cosignproject.cosign/signature` (base64 of the DER/raw
// signature). Like `cosign verify --key`, the signature is checked first (is the payload
// authentic?), then its claims (is it about this image?).
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

export type CosignVerdict = { ok: true } | { ok: false; reason: string };

/** A PEM public key, parsed; or why it cannot be used (for the input validation). */
export function parseCosignPublicKey(
  pem: string,
): { ok: true; key: KeyObject; algorithm: string } | { ok: false; reason: string } {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return {
      ok: false,
      reason:
        'it holds a PRIVATE key: never commit that; give the public key (`cosign public-key --key cosign.key > cosign.pub`)',
    };
  }
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    return {
      ok: false,
      reason:
        'it is not a PEM public key (expected a "-----BEGIN PUBLIC KEY-----" block, as `cosign generate-key-pair` writes to cosign.pub)',
    };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    return { ok: false, reason: `its PEM public key cannot be read (${(e as Error).message})` };
  }
  const algorithm = keyAlgorithm(key);
  if (!algorithm.ok) return algorithm;
  return { ok: true, key, algorithm: algorithm.name };
}

/** The digest and padding cosign uses with a key of this type. */
function keyAlgorithm(
  key: KeyObject,
): { ok: true; name: string; hash: string | null } | { ok: false; reason: string } {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    // cosign (sigstore/signature): P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512.
    if (curve === 'prime256v1') return { ok: true, name: 'ECDSA P-256 / SHA-256', hash: 'sha256' };
    if (curve === 'secp384r1') return { ok: true, name: 'ECDSA P-384 / SHA-384', hash: 'sha384' };
    if (curve === 'secp521r1') return { ok: true, name: 'ECDSA P-521 / SHA-512', hash: 'sha512' };
    return {
      ok: false,
      reason: `its EC curve ${curve ?? '(unknown)'} is not one cosign signs with (P-256, P-384, P-521)`,
    };
  }
  if (type === 'rsa') return { ok: true, name: 'RSA PKCS#1 v1.5 / SHA-256', hash: 'sha256' };
  if (type === 'ed25519') return { ok: true, name: 'Ed25519', hash: null };
  return {
    ok: false,
    reason: `its key type ${type ?? '(unknown)'} is not one cosign signs with (ECDSA, RSA, Ed25519)`,
  };
}

/**
 * Is `signatureB64` a valid signature by `publicKeyPem` over `payload`, and is the payload a
 * cosign image signature for `digest`? The reasons say what was wrong in words a user can act on.
 */
export function verifyCosignPayload(
  payload: Buffer,
  signatureB64: string,
  publicKeyPem: string,
  digest: string,
): CosignVerdict {
  const signed = verifyCosignSignature(payload, signatureB64, publicKeyPem);
  if (!signed.ok) return signed;
  return checkPayloadClaims(payload, digest);
}

/**
 * Is `signatureB64` a valid signature by `publicKeyPem` over `payload`, with the digest cosign signs
 * with for the key's type? (Only the signature; verifyCosignPayload checks the claims too.)
 */
export function verifyCosignSignature(
  payload: Buffer,
  signatureB64: string,
  publicKeyPem: string,
): CosignVerdict {
  const parsed = parseCosignPublicKey(publicKeyPem);
  if (!parsed.ok) return { ok: false, reason: `the public key cannot be used: ${parsed.reason}` };
  const algorithm = keyAlgorithm(parsed.key);
  if (!algorithm.ok)
    return { ok: false, reason: `the public key cannot be used: ${algorithm.reason}` };

  const b64 = signatureB64.trim();
  if (b64 === '') {
    return {
      ok: false,
      reason: `the signature layer has no ${COSIGN_SIGNATURE_ANNOTATION} annotation (empty signature)`,
    };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    return { ok: false, reason: 'the signature annotation is not base64' };
  }
  const signature = Buffer.from(b64, 'base64');

  let valid: boolean;
  try {
    valid = verify(algorithm.hash, payload, parsed.key, signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    return {
      ok: false,
      reason: `the signature does not verify with the given public key (${algorithm.name}): signed with another key, or the payload was altered`,
    };
  }
  return { ok: true };
}

/**
 * Is `payload` a cosign simple-signing payload naming `digest`? (Checked once its signature is
 * known to be authentic: by a key here, by a Fulcio certificate in core/keyless/.)
 */
export function checkPayloadClaims(payload: Buffer, digest: string): CosignVerdict {
  let claims: unknown;
  try {
    claims = JSON.parse(payload.toString('utf8'));
  } catch {
    return {
      ok: false,
      reason: 'the signed payload is not JSON (not a cosign simple-signing payload)',
    };
  }
  const critical = isObject(claims) ? claims['critical'] : undefined;
  if (!isObject(critical)) {
    return {
      ok: false,
      reason: 'the signed payload has no "critical" section (not a cosign simple-signing payload)',
    };
  }
  if (critical['type'] !== COSIGN_SIGNATURE_TYPE) {
    return {
      ok: false,
      reason: `the signed payload's critical.type is ${JSON.stringify(critical['type'] ?? null)}, not "${COSIGN_SIGNATURE_TYPE}"`,
    };
  }
  const image = critical['image'];
  const signed = isObject(image) ? image['docker-manifest-digest'] : undefined;
  if (typeof signed !== 'string') {
    return {
      ok: false,
      reason: 'the signed payload names no critical.image.docker-manifest-digest',
    };
  }
  if (signed !== digest) {
    return {
      ok: false,
      reason: `the signature is for another image: it names ${signed}, the source is at ${digest}`,
    };
  }
  return { ok: true };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
