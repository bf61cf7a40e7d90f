// cosign's legacy keyless `.sig` layer, turned into the Sigstore bundle that @sigstore/verify
// checks. What cosign writes on the layer (registry.k8s.io serves this):
//   dev.cosignproject.cosign/signature  base64 signature over the layer's payload bytes
//   dev.sigstore.cosign/certificate     the Fulcio leaf (PEM)
//   dev.sigstore.cosign/chain           its intermediate and root (PEM; not trusted: the
//                                       trusted root's CA chain is what the leaf must chain to)
//   dev.sigstore.cosign/bundle          {"SignedEntryTimestamp": base64, "Payload": {"body":
//                                       base64 Rekor entry, "integratedTime", "logIndex", "logID": hex}}
// The bundle made here is a v0.1 message-signature bundle: the digest of the payload, the
// signature, the leaf, and one Rekor entry whose inclusion promise is the SET. Pure: no I/O.
export const SIGSTORE_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const SIGSTORE_CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const SIGSTORE_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/** A `.sig` layer as read from the registry: its payload bytes and annotations. */
export interface SignatureLayer {
  payload: Buffer;
  annotations: Readonly<Record<string, string>>;
}

import { createHash } from 'node:crypto';
import { COSIGN_SIGNATURE_ANNOTATION } from '../signatures/cosign';

/** Sigstore bundle JSON (v0.1) for a keyless `.sig` layer, or why the layer is not one. */
export function legacyLayerToBundle(
  layer: SignatureLayer,
): { ok: true; bundle: Record<string, unknown>; logIndex: number } | { ok: false; reason: string } {
  const a = layer.annotations;
  const signature = (a[COSIGN_SIGNATURE_ANNOTATION] ?? '').trim();
  const certificate = a[SIGSTORE_CERTIFICATE_ANNOTATION];
  const rekor = a[SIGSTORE_BUNDLE_ANNOTATION];
  if (signature === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) {
    return { ok: false, reason: `the layer has no base64 ${COSIGN_SIGNATURE_ANNOTATION}` };
  }
  if (certificate === undefined) {
    return {
      ok: false,
      reason: `the layer has no Fulcio certificate (${SIGSTORE_CERTIFICATE_ANNOTATION}): signed with a key, not keyless`,
    };
  }
  const leaf = pemBody(certificate);
  if (leaf === null) {
    return { ok: false, reason: `${SIGSTORE_CERTIFICATE_ANNOTATION} is not a PEM certificate` };
  }
  if (rekor === undefined) {
    return {
      ok: false,
      reason: `the layer has no Rekor bundle (${SIGSTORE_BUNDLE_ANNOTATION}): the signature was never logged in Rekor`,
    };
  }
  const entry = parseRekorBundle(rekor);
  if (!entry.ok) return entry;
  const { set, body, integratedTime, logIndex, logID } = entry;
  let kind: unknown;
  let apiVersion: unknown;
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as Record<
      string,
      unknown
    >;
    kind = parsed['kind'];
    apiVersion = parsed['apiVersion'];
  } catch {
    return { ok: false, reason: 'the Rekor entry body is not JSON' };
  }
  if (typeof kind !== 'string' || typeof apiVersion !== 'string') {
    return { ok: false, reason: 'the Rekor entry body names no kind and apiVersion' };
  }
  const bundle = {
    mediaType: BUNDLE_V01,
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: leaf }] },
      tlogEntries: [
        {
          logIndex: String(logIndex),
          logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
          kindVersion: { kind, version: apiVersion },
          integratedTime: String(integratedTime),
          inclusionPromise: { signedEntryTimestamp: set },
          canonicalizedBody: body,
        },
      ],
    },
    messageSignature: {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: createHash('sha256').update(layer.payload).digest('base64'),
      },
      signature,
    },
  };
  return { ok: true, bundle, logIndex };
}

function pemBody(pem: string): string | null {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  return m?.[1] ? m[1].replace(/\s+/g, '') : null;
}

type RekorEntry = {
  ok: true;
  set: string;
  body: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
};

/** The `dev.sigstore.cosign/bundle` annotation read: SET, entry body, time, index and log; or why not. */
export function parseRekorBundle(text: string): RekorEntry | { ok: false; reason: string } {
  const bad = (what: string) => ({
    ok: false as const,
    reason: `${SIGSTORE_BUNDLE_ANNOTATION} is not a Rekor bundle (${what})`,
  });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  if (!isObject(v)) return bad('not an object');
  const set = v['SignedEntryTimestamp'];
  const p = v['Payload'];
  if (typeof set !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(set)) {
    return bad('no base64 SignedEntryTimestamp');
  }
  if (!isObject(p)) return bad('no Payload');
  const { body, integratedTime, logIndex, logID } = p;
  if (typeof body !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return bad('no body');
  if (!Number.isSafeInteger(integratedTime) || (integratedTime as number) < 0) {
    return bad('no integratedTime');
  }
  if (!Number.isSafeInteger(logIndex) || (logIndex as number) < 0) return bad('no logIndex');
  if (typeof logID !== 'string' || !/^[0-9a-f]{64}$/.test(logID)) return bad('no hex logID');
  return {
    ok: true,
    set,
    body,
    integratedTime: integratedTime as number,
    logIndex: logIndex as number,
    logID,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
