// DER, TLS-encoding and JSON helpers of the test Sigstore (sigstore.ts): a certificate's
// TBSCertificate, the SCT a CT log signs over a precertificate entry (RFC 6962), and Rekor's
// canonical JSON.
import crypto, { type KeyObject } from 'node:crypto';
import type * as x509 from '@peculiar/x509';

/** The DER TBSCertificate of a certificate (its first element). */
export function tbsOf(cert: x509.X509Certificate): Buffer {
  const der = Buffer.from(cert.rawData);
  const [, outerHeader] = derHeader(der, 0);
  const [tbsLength, tbsHeader] = derHeader(der, outerHeader);
  return der.subarray(outerHeader, outerHeader + tbsHeader + tbsLength);
}

/** [content length, header length] of the DER element at `offset` (header counted from offset). */
function derHeader(der: Buffer, offset: number): [number, number] {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return [first, 2];
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
  return [length, 2 + n];
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
export const derOctets = (b: Buffer) =>
  Buffer.concat([Buffer.from([0x04]), derLength(b.length), b]);
export function derUtf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([0x0c]), derLength(b.length), b]);
}
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

/** A v1 SCT for a precertificate entry (RFC 6962 3.2), signed by the CT log key. */
export function signSct(
  key: KeyObject,
  logId: Buffer,
  issuerKeyHash: Buffer,
  tbs: Buffer,
  at: Date,
) {
  const timestamp = u64(at.getTime());
  const signed = Buffer.concat([
    Buffer.from([0, 0]), // v1, certificate_timestamp
    timestamp,
    u16(1), // precert_entry
    issuerKeyHash,
    u24(tbs.length),
    tbs,
    u16(0), // no extensions
  ]);
  const signature = crypto.sign('sha256', signed, key);
  return Buffer.concat([
    Buffer.from([0]),
    logId,
    timestamp,
    u16(0),
    Buffer.from([4, 3]), // sha256, ecdsa
    u16(signature.length),
    signature,
  ]);
}

export function sctList(scts: Buffer[]): Buffer {
  const items = scts.map((s) => Buffer.concat([u16(s.length), s]));
  const all = Buffer.concat(items);
  return Buffer.concat([u16(all.length), all]);
}

/** JSON with sorted keys (RFC 8785 for the values used here), as Rekor canonicalises. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/** DSSE's pre-authentication encoding: what a DSSE signature is over. */
export function dssePae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

const leafHash = (b: Buffer) =>
  crypto
    .createHash('sha256')
    .update(Buffer.from([0]))
    .update(b)
    .digest();
const nodeHash = (l: Buffer, r: Buffer) =>
  crypto
    .createHash('sha256')
    .update(Buffer.from([1]))
    .update(l)
    .update(r)
    .digest();

/**
 * A Rekor inclusion proof (protobuf-specs JSON) for `body` as the second leaf of a two-leaf
 * RFC 6962 Merkle tree, with its checkpoint: a signed note (origin, tree size, root hash) signed
 * by the log key, the signature line naming the log's host and its key hint (the first four bytes
 * of the log id).
 */
export function inclusionProof(body: Buffer, key: KeyObject, logId: Buffer, origin: string) {
  const earlier = leafHash(Buffer.from('an earlier entry of the emulator log'));
  const rootHash = nodeHash(earlier, leafHash(body));
  const note = `${origin}\n2\n${rootHash.toString('base64')}\n`;
  const signature = crypto.sign('sha256', Buffer.from(note), key);
  const name = origin.split(' ')[0] ?? origin;
  const line = `\u2014 ${name} ${Buffer.concat([logId.subarray(0, 4), signature]).toString('base64')}\n`;
  return {
    logIndex: '1',
    rootHash: rootHash.toString('base64'),
    treeSize: '2',
    hashes: [earlier.toString('base64')],
    checkpoint: { envelope: `${note}\n${line}` },
  };
}
