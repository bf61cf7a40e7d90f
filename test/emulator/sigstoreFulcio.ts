// The test Sigstore's Fulcio-like CA (sigstore.ts): a self-signed ECDSA P-384 root, an
// intermediate, and leaf certificates as Fulcio issues them (ten minutes, code signing, the SAN
// and the OIDC issuer extensions, for a GitHub workflow its repository and ref claims, an SCT from
// the CT log key over the precertificate).
import crypto, { type KeyObject, type webcrypto } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';
import { derOctets, derUtf8, sctList, signSct, tbsOf } from './sigstoreDer';

x509.cryptoProvider.set(
  crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0],
);

const OID_FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
// A GitHub workflow's claims: GitHub's own (deprecated, raw strings) and the provider-neutral ones
// (DER UTF8String), as Fulcio writes both for a GitHub Actions token.
const OID_GITHUB_WORKFLOW_REPOSITORY = '1.3.6.1.4.1.57264.1.5';
const OID_GITHUB_WORKFLOW_REF = '1.3.6.1.4.1.57264.1.6';
const OID_SOURCE_REPOSITORY_URI = '1.3.6.1.4.1.57264.1.12';
const OID_SOURCE_REPOSITORY_REF = '1.3.6.1.4.1.57264.1.14';
const P384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const VALID_FROM = new Date('2020-01-01T00:00:00Z');
const VALID_TO = new Date('2040-01-01T00:00:00Z');
const LEAF_MINUTES = 10; // Fulcio's certificates live ten minutes

/** Who a leaf is for and when it starts. */
export interface LeafOptions {
  /** The certificate's SAN (an email, or a URI when it contains "://"). */
  subject: string;
  /** The OIDC issuer written in the Fulcio issuer extensions. */
  issuer: string;
  /** NotBefore (default: one minute before the signing time). */
  notBefore?: Date;
  /** A GitHub workflow's claims: its repository (OWNER/REPO) and git ref. */
  github?: { repository: string; ref: string };
}

/** The extensions of a GitHub workflow's claims (none without `github`). */
function githubExtensions(github: LeafOptions['github']): x509.Extension[] {
  if (!github) return [];
  return [
    new x509.Extension(OID_GITHUB_WORKFLOW_REPOSITORY, false, Buffer.from(github.repository)),
    new x509.Extension(OID_GITHUB_WORKFLOW_REF, false, Buffer.from(github.ref)),
    new x509.Extension(
      OID_SOURCE_REPOSITORY_URI,
      false,
      derUtf8(`https://github.com/${github.repository}`),
    ),
    new x509.Extension(OID_SOURCE_REPOSITORY_REF, false, derUtf8(github.ref)),
  ];
}

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

export const spkiOf = (key: KeyObject) =>
  crypto.createPublicKey(key).export({ type: 'spki', format: 'der' });

/** The CA for the root and intermediate keys, and the CT log key that signs each leaf's SCT. */
export async function createFulcio(keys: {
  root: KeyObject;
  intermediate: KeyObject;
  ctlog: KeyObject;
}) {
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
  const issuerKeyHash = crypto.createHash('sha256').update(spkiOf(keys.intermediate)).digest();

  async function leafFor(publicKey: KeyObject, o: LeafOptions, at: Date) {
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
        ...githubExtensions(o.github),
      ],
    };
    // The SCT is over the certificate without its SCT extension (RFC 6962 precert entry).
    const pre = await x509.X509CertificateGenerator.create(tbs);
    const sct = signSct(keys.ctlog, ctlogId, issuerKeyHash, tbsOf(pre), notBefore);
    tbs.extensions.push(new x509.Extension(OID_SCT_LIST, false, derOctets(sctList([sct]))));
    return x509.X509CertificateGenerator.create(tbs);
  }

  return { root, intermediate, ctlogId, leafFor };
}
