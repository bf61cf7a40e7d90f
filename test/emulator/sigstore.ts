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
// its integrated time). signBundle() gives cosign 3's signature: a v0.3 Sigstore bundle of a DSSE
// envelope, stored as an OCI referrer. rekorBundleForKey() logs a key signature. The CA is
// sigstoreFulcio.ts; the emulator's instance (keys and signatures kept beside --acr-state),
// sigstoreState.ts; the seeded cases, keylessCases.ts; a TUF repository of the root, sigstoreTuf.ts.
import crypto, { type KeyObject } from 'node:crypto';
import { canonical, dssePae, inclusionProof } from './sigstoreDer';
import { createFulcio, spkiOf, VALID_FROM } from './sigstoreFulcio';

export const KUBERNETES_IDENTITY = {
  subject: 'krel-trust@k8s-releng-prod.iam.gserviceaccount.com',
  issuer: 'https://accounts.google.com',
} as const;

export const SIGSTORE_ANNOTATIONS = {
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
} as const;

/** cosign 3's signature: a Sigstore bundle stored as an OCI referrer with this artifactType. */
export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const REKOR_ORIGIN = 'rekor.sigstore.emulator - 1';

export interface SigstoreKeys {
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
  /** A GitHub workflow's repository (OWNER/REPO) and ref, written in Fulcio's claim extensions. */
  github?: { repository: string; ref: string };
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
  /** cosign 3's signature of `digest` (sha256:...): a v0.3 Sigstore bundle (JSON) of a DSSE
   * envelope over cosignSignStatement(digest), its Rekor dsse entry with SET and inclusion proof. */
  signBundle(digest: string, options: KeylessSignOptions): Promise<string>;
  /** The `dev.sigstore.cosign/bundle` annotation cosign adds to a key signature it logs in Rekor:
   * a hashedrekord entry of the payload's hash, the signature and the public key (PEM). */
  rekorBundleForKey(payload: Buffer, signature: string, publicKeyPem: string, at?: Date): string;
}

export type KeptPems = Record<keyof SigstoreKeys, string>;

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

/** The test Sigstore for these keys (certificates are made at each start; the keys persist). */
export async function createTestSigstore(keys: SigstoreKeys): Promise<TestSigstore> {
  const { root, intermediate, ctlogId, leafFor } = await createFulcio(keys);
  const rekorId = crypto.createHash('sha256').update(spkiOf(keys.rekor)).digest();
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

  /** A Rekor entry for `body` logged at `at`, and its SignedEntryTimestamp. */
  function logEntry(body: Buffer, at: Date, logIndex?: number) {
    const entry = {
      body: body.toString('base64'),
      integratedTime: Math.floor(at.getTime() / 1000),
      logIndex: logIndex ?? nextIndex++,
      logID: rekorId.toString('hex'),
    };
    const set = crypto.sign('sha256', Buffer.from(canonical(entry)), keys.rekor);
    return { entry, set: set.toString('base64') };
  }

  const hashedRekord = (logged: Buffer, signature: string, publicKeyPem: string) =>
    Buffer.from(
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
            content: signature,
            publicKey: { content: Buffer.from(publicKeyPem).toString('base64') },
          },
        },
      }),
    );

  return {
    trustedRoot,
    async signKeyless(payload, o) {
      const at = o.integratedTime ?? new Date();
      const ephemeral = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const leaf = await leafFor(ephemeral.publicKey, o, at);
      const signature = crypto.sign('sha256', payload, ephemeral.privateKey).toString('base64');
      const leafPem = leaf.toString('pem');
      const body = hashedRekord(o.rekorPayload ?? payload, signature, leafPem);
      const { entry, set } = logEntry(body, at, o.logIndex);
      return {
        signature,
        certificate: leafPem,
        chain: `${intermediate.toString('pem')}\n${root.toString('pem')}\n`,
        bundle: JSON.stringify({ SignedEntryTimestamp: set, Payload: entry }),
      };
    },
    async signBundle(digest, o) {
      const at = o.integratedTime ?? new Date();
      const ephemeral = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const leaf = await leafFor(ephemeral.publicKey, o, at);
      const payload = cosignSignStatement(digest);
      const pae = dssePae(IN_TOTO_PAYLOAD_TYPE, payload);
      const signature = crypto.sign('sha256', pae, ephemeral.privateKey).toString('base64');
      const envelope = {
        payload: payload.toString('base64'),
        payloadType: IN_TOTO_PAYLOAD_TYPE,
        signatures: [{ sig: signature, keyid: '' }],
      };
      const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
      // Rekor's dsse v0.0.1 entry: hashes of the envelope and its payload, the signature and the
      // certificate that verifies it.
      const body = Buffer.from(
        canonical({
          apiVersion: '0.0.1',
          kind: 'dsse',
          spec: {
            envelopeHash: { algorithm: 'sha256', value: sha(JSON.stringify(envelope)) },
            payloadHash: { algorithm: 'sha256', value: sha(o.rekorPayload ?? payload) },
            signatures: [
              {
                signature,
                verifier: Buffer.from(leaf.toString('pem')).toString('base64'),
              },
            ],
          },
        }),
      );
      const { entry, set } = logEntry(body, at, o.logIndex);
      const proof = inclusionProof(body, keys.rekor, rekorId, REKOR_ORIGIN);
      return JSON.stringify({
        mediaType: SIGSTORE_BUNDLE_V03,
        verificationMaterial: {
          certificate: { rawBytes: Buffer.from(leaf.rawData).toString('base64') },
          tlogEntries: [
            {
              logIndex: String(entry.logIndex),
              logId: { keyId: rekorId.toString('base64') },
              kindVersion: { kind: 'dsse', version: '0.0.1' },
              integratedTime: String(entry.integratedTime),
              inclusionPromise: { signedEntryTimestamp: set },
              inclusionProof: proof,
              canonicalizedBody: entry.body,
            },
          ],
        },
        dsseEnvelope: envelope,
      });
    },
    rekorBundleForKey(payload, signature, publicKeyPem, at = new Date()) {
      const { entry, set } = logEntry(hashedRekord(payload, signature, publicKeyPem), at);
      return JSON.stringify({ SignedEntryTimestamp: set, Payload: entry });
    },
  };
}

/** What cosign 3 signs for an image (`cosign sign`, new bundle format): an in-toto statement
 * whose one subject is the image digest, predicate type https://sigstore.dev/cosign/sign/v1. */
export function cosignSignStatement(digest: string): Buffer {
  const [algorithm = 'sha256', hex = ''] = digest.split(':');
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { [algorithm]: hex } }],
      predicateType: COSIGN_SIGN_PREDICATE,
      predicate: {},
    }),
  );
}
