// A test Sigstore: what Fulcio, its CT log and Rekor would have produced for a keyless cosign
// signature, made locally. A Fulcio-like CA (root + intermediate, ECDSA P-384 as the
// public-good instance), a CT log key that signs each leaf's SCT (RFC 6962 precertificate entry),
// a Rekor-like log key that signs each entry's SignedEntryTimestamp (SET), and the
// `trusted_root.json` that names all three, in the protobuf-specs JSON form the task reads.
//
// signKeyless() gives what cosign writes on a `.sig` layer for a keyless signature: the base64
// signature, the Fulcio leaf (PEM), its chain (PEM) and the Rekor bundle
// (`{"SignedEntryTimestamp","Payload":{body,integratedTime,logIndex,logID}}`), with knobs for the
// bad cases (another identity, a Rekor entry for another payload, a certificate expired before
// its integrated time). EmulatorSigstore is the emulator's instance: keys and layers kept in a
// file beside --acr-state, as the cosign keys are.
import crypto, { type KeyObject, type webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(
  crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0],
);

export const KUBERNETES_IDENTITY = {
  subject: 'krel-trust@k8s-releng-prod.iam.gserviceaccount.com',
  issuer: 'https://accounts.google.com',
} as const;

export const SIGSTORE_ANNOTATIONS = {
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
} as const;

const OID_FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
const P384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const VALID_FROM = new Date('2020-01-01T00:00:00Z');
const VALID_TO = new Date('2040-01-01T00:00:00Z');
const LEAF_MINUTES = 10; // Fulcio's certificates live ten minutes

interface SigstoreKeys {
  root: KeyObject;
  intermediate: KeyObject;
  ctlog: KeyObject;
  rekor: KeyObject;
}

export interface KeylessSignOptions {
  /** The certificate's SAN (an email, or a URI when it contains "://"). */
  subject: string;
  /** The OIDC issuer written in the Fulcio issuer extensions. */
  issuer: string;
  /** When Rekor logged the entry (default: now). */
  integratedTime?: Date;
  /** The leaf's NotBefore (default: one minute before integratedTime). */
  notBefore?: Date;
  /** Log an entry for these bytes instead of the signed payload (a Rekor entry for another payload). */
  rekorPayload?: Buffer;
  /** The Rekor entry's index (default: a counter). */
  logIndex?: number;
}

/** What cosign writes on a keyless `.sig` layer. */
export interface KeylessLayer {
  /** dev.cosignproject.cosign/signature */
  signature: string;
  certificate: string;
  chain: string;
  bundle: string;
}

export interface TestSigstore {
  /** trusted_root.json's content (protobuf-specs JSON). */
  trustedRoot: Record<string, unknown>;
  signKeyless(payload: Buffer, options: KeylessSignOptions): Promise<KeylessLayer>;
}

type KeptPems = Record<keyof SigstoreKeys, string>;

/** The kept keys (PKCS#8 PEM), or new ones. */
export function loadOrCreateSigstoreKeys(kept?: KeptPems): SigstoreKeys {
  if (kept) {
    return {
      root: crypto.createPrivateKey(kept.root),
      intermediate: crypto.createPrivateKey(kept.intermediate),
      ctlog: crypto.createPrivateKey(kept.ctlog),
      rekor: crypto.createPrivateKey(kept.rekor),
    };
  }
  const ec = (namedCurve: string) => crypto.generateKeyPairSync('ec', { namedCurve }).privateKey;
  return {
    root: ec('secp384r1'),
    intermediate: ec('secp384r1'),
    ctlog: ec('prime256v1'),
    rekor: ec('prime256v1'),
  };
}

interface KeptSigstore {
  keys: KeptPems;
  layers: Record<string, KeylessLayer>;
}

/**
 * The emulator's Sigstore: its keys, and the keyless layers made for the seeded payloads. Making
 * certificates is asynchronous (WebCrypto), seeding is not: prepare() signs the payloads once at
 * start, and the seed (and every reset) takes the layers from layerFor(). With a file
 * (`--acr-state FILE` keeps it in FILE.sigstore.json) keys and layers are kept across runs, as
 * the cosign keys are: an ACR kept across runs holds the last run's signature tags.
 */
export class EmulatorSigstore {
  private readonly keys: SigstoreKeys;
  private readonly layers = new Map<string, KeylessLayer>();
  private sigstore?: TestSigstore;

  constructor(private readonly file?: string) {
    const kept =
      file && fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, 'utf8')) as KeptSigstore)
        : undefined;
    this.keys = loadOrCreateSigstoreKeys(kept?.keys);
    for (const [k, v] of Object.entries(kept?.layers ?? {})) this.layers.set(k, v);
  }

  /** Signs each payload not signed yet, keyless, with the Kubernetes release identity. */
  async prepare(payloads: readonly Buffer[]): Promise<void> {
    this.sigstore ??= await createTestSigstore(this.keys);
    for (const p of payloads) {
      const k = payloadKey(p);
      if (!this.layers.has(k)) {
        this.layers.set(k, await this.sigstore.signKeyless(p, KUBERNETES_IDENTITY));
      }
    }
    this.save();
  }

  layerFor(payload: Buffer): KeylessLayer | undefined {
    return this.layers.get(payloadKey(payload));
  }

  /** Writes trusted_root.json into `dir` (after prepare()); its path. */
  writeTrustedRoot(dir: string): string {
    if (!this.sigstore) throw new Error('EmulatorSigstore.prepare() first');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'trusted_root.json');
    fs.writeFileSync(file, JSON.stringify(this.sigstore.trustedRoot, null, 2));
    return file;
  }

  private save(): void {
    if (!this.file) return;
    const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
    const kept: KeptSigstore = {
      keys: {
        root: pem(this.keys.root),
        intermediate: pem(this.keys.intermediate),
        ctlog: pem(this.keys.ctlog),
        rekor: pem(this.keys.rekor),
      },
      layers: Object.fromEntries(this.layers),
    };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.writeFileSync(this.file, JSON.stringify(kept), { mode: 0o600 });
  }
}

const payloadKey = (p: Buffer) => crypto.createHash('sha256').update(p).digest('hex');

async function cryptoPair(
  key: KeyObject,
  algorithm: webcrypto.EcKeyImportParams,
): Promise<webcrypto.CryptoKeyPair> {
  const subtle = crypto.webcrypto.subtle;
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const spki = crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });
  return {
    privateKey: await subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']),
    publicKey: await subtle.importKey('spki', spki, algorithm, true, ['verify']),
  };
}

const spkiOf = (key: KeyObject) =>
  crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });

/** The test Sigstore for these keys (certificates are made at each start; the keys persist). */
export async function createTestSigstore(keys: SigstoreKeys): Promise<TestSigstore> {
  const rootKeys = await cryptoPair(keys.root, P384);
  const intermediateKeys = await cryptoPair(keys.intermediate, P384);
  const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-384' };
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=sigstore,O=sigstore.emulator',
    notBefore: VALID_FROM,
    notAfter: VALID_TO,
    keys: rootKeys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=sigstore-intermediate,O=sigstore.emulator',
    issuer: root.subject,
    notBefore: VALID_FROM,
    notAfter: VALID_TO,
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const ctlogId = crypto.createHash('sha256').update(spkiOf(keys.ctlog)).digest();
  const rekorId = crypto.createHash('sha256').update(spkiOf(keys.rekor)).digest();
  const issuerKeyHash = crypto.createHash('sha256').update(spkiOf(keys.intermediate)).digest();
  let nextIndex = 1000;

  const logKey = (key: KeyObject, id: Buffer, baseUrl: string) => ({
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: spkiOf(key).toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: VALID_FROM.toISOString() },
    },
    logId: { keyId: id.toString('base64') },
  });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logKey(keys.rekor, rekorId, 'https://rekor.sigstore.emulator')],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.emulator', commonName: 'sigstore' },
        uri: 'https://fulcio.sigstore.emulator',
        certChain: {
          certificates: [
            { rawBytes: Buffer.from(intermediate.rawData).toString('base64') },
            { rawBytes: Buffer.from(root.rawData).toString('base64') },
          ],
        },
        validFor: { start: VALID_FROM.toISOString() },
      },
    ],
    ctlogs: [logKey(keys.ctlog, ctlogId, 'https://ctfe.sigstore.emulator/test')],
    timestampAuthorities: [],
  };

  async function leafFor(publicKey: KeyObject, o: KeylessSignOptions, at: Date) {
    const notBefore = o.notBefore ?? new Date(at.getTime() - 60_000);
    const subtle = crypto.webcrypto.subtle;
    const leafKey = await subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      P256,
      true,
      ['verify'],
    );
    const san = o.subject.includes('://')
      ? { type: 'url' as const, value: o.subject }
      : { type: 'email' as const, value: o.subject };
    const tbs = {
      serialNumber: crypto
        .randomBytes(8)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      subject: '',
      issuer: intermediate.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + LEAF_MINUTES * 60_000),
      publicKey: leafKey,
      signingKey: intermediateKeys.privateKey,
      signingAlgorithm,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
        new x509.SubjectAlternativeNameExtension([san], true),
        await x509.SubjectKeyIdentifierExtension.create(leafKey),
        await x509.AuthorityKeyIdentifierExtension.create(intermediateKeys.publicKey),
        new x509.Extension(OID_FULCIO_ISSUER_V1, false, Buffer.from(o.issuer)),
        new x509.Extension(OID_FULCIO_ISSUER_V2, false, derUtf8(o.issuer)),
      ],
    };
    // The SCT is over the certificate without its SCT extension (RFC 6962 precert entry).
    const pre = await x509.X509CertificateGenerator.create(tbs);
    const sct = signSct(keys.ctlog, ctlogId, issuerKeyHash, tbsOf(pre), notBefore);
    tbs.extensions.push(new x509.Extension(OID_SCT_LIST, false, derOctets(sctList([sct]))));
    return x509.X509CertificateGenerator.create(tbs);
  }

  return {
    trustedRoot,
    async signKeyless(payload, o) {
      const at = o.integratedTime ?? new Date();
      const ephemeral = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const leaf = await leafFor(ephemeral.publicKey, o, at);
      const signature = crypto.sign('sha256', payload, ephemeral.privateKey);
      const leafPem = leaf.toString('pem');
      const logged = o.rekorPayload ?? payload;
      const body = Buffer.from(
        canonical({
          apiVersion: '0.0.1',
          kind: 'hashedrekord',
          spec: {
            data: {
              hash: {
                algorithm: 'sha256',
                value: crypto.createHash('sha256').update(logged).digest('hex'),
              },
            },
            signature: {
              content: signature.toString('base64'),
              publicKey: { content: Buffer.from(leafPem).toString('base64') },
            },
          },
        }),
      );
      const entry = {
        body: body.toString('base64'),
        integratedTime: Math.floor(at.getTime() / 1000),
        logIndex: o.logIndex ?? nextIndex++,
        logID: rekorId.toString('hex'),
      };
      const set = crypto.sign('sha256', Buffer.from(canonical(entry)), keys.rekor);
      return {
        signature: signature.toString('base64'),
        certificate: leafPem,
        chain: `${intermediate.toString('pem')}\n${root.toString('pem')}\n`,
        bundle: JSON.stringify({ SignedEntryTimestamp: set.toString('base64'), Payload: entry }),
      };
    },
  };
}

/** The DER TBSCertificate of a certificate (its first element). */
function tbsOf(cert: x509.X509Certificate): Buffer {
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
const derOctets = (b: Buffer) => Buffer.concat([Buffer.from([0x04]), derLength(b.length), b]);
function derUtf8(s: string): Buffer {
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
function signSct(key: KeyObject, logId: Buffer, issuerKeyHash: Buffer, tbs: Buffer, at: Date) {
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

function sctList(scts: Buffer[]): Buffer {
  const items = scts.map((s) => Buffer.concat([u16(s.length), s]));
  const all = Buffer.concat(items);
  return Buffer.concat([u16(all.length), all]);
}

/** JSON with sorted keys (RFC 8785 for the values used here), as Rekor canonicalises. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}
