// What refers to some seeded images: cosign signature tags (`sha256-<hex>.sig`, made with a key
// generated at start, or on purpose for another digest or with another key), an attestation
// (`.att`), a cosign SBOM (`.sbom`) and OCI 1.1 referrers (a notation-style signature and SPDX
// SBOMs, whose manifests name the image as `subject`). quay.io has no referrers API: its referrers
// are listed by the referrers tag schema (tag `sha256-<hex>` holding an index). The images
// themselves are untouched, so their digests stay those of imagegen.ts. The keys are cosignKeys.ts;
// the manifests' layout, signatureLayout.ts.
import crypto from 'node:crypto';
import type { CosignKeys } from './cosignKeys';
import { descriptorOf } from './referrers';
import {
  ART,
  CREATED,
  cosignManifest,
  cosignPayload,
  digestTag,
  referrerManifest,
  spdx,
  type Layer,
} from './signatureLayout';
import { SIGSTORE_ANNOTATIONS, KUBERNETES_IDENTITY, type KeylessLayer } from './sigstore';
import { signingKey, type SigningRequest } from './sigstoreState';
import { MT, type RegistryStore } from './store';

type SignatureKind = 'good' | 'wrongDigest' | 'otherKey';

export interface SignedImage {
  host: string;
  repository: string;
  tag: string;
  /** The cosign `.sig` tag: correct, for another digest (that of `wrongDigestOf`), or with the other key. */
  cosign: SignatureKind;
  wrongDigestOf?: string;
  /** Also signed keyless (test/emulator/sigstore.ts) by the Kubernetes release identity: a second
   * layer of the same `.sig` manifest, as cosign appends one when an image is signed again. */
  keyless?: boolean;
  /** The key signature was logged in Rekor: its layer carries a `dev.sigstore.cosign/bundle`;
   * `other-payload`: a bundle (validly signed by the log) whose entry hashes another payload. */
  rekor?: boolean | 'other-payload';
  /** A cosign attestation tag `.att` (DSSE envelope of an in-toto statement). */
  attestation?: boolean;
  /** A cosign SBOM tag `.sbom`. */
  sbomTag?: boolean;
  /** OCI referrers of the image: a notation-style signature and, with `sbom`, an SPDX SBOM. */
  referrers?: { sbom: boolean; platformSbom?: string };
}

/** Which seeded image has what (README "Signatures"); every other image is unsigned. */
export const SIGNED_IMAGES: SignedImage[] = [
  {
    host: 'registry.k8s.io',
    repository: 'ingress-nginx/controller',
    tag: 'v1.11.1',
    cosign: 'good',
    keyless: true,
    attestation: true,
    referrers: { sbom: true, platformSbom: 'linux/amd64' },
  },
  {
    host: 'quay.io',
    repository: 'jetstack/cert-manager-controller',
    tag: 'v1.15.2',
    cosign: 'good',
    rekor: true,
    sbomTag: true,
    referrers: { sbom: false },
  },
  {
    // An OCI Helm chart (charts.ts), signed like the images.
    host: 'quay.io',
    repository: 'jetstack/charts/cert-manager',
    tag: 'v1.15.2',
    cosign: 'good',
  },
  {
    host: 'quay.io',
    repository: 'jetstack/cert-manager-webhook',
    tag: 'v1.15.2',
    cosign: 'wrongDigest',
    wrongDigestOf: 'jetstack/cert-manager-controller:v1.15.2',
  },
  {
    host: 'quay.io',
    repository: 'jetstack/cert-manager-cainjector',
    tag: 'v1.15.2',
    cosign: 'otherKey',
  },
];

/** Registries that answer 404 to the referrers API (clients fall back to the tag schema). */
export const NO_REFERRERS_API = new Set(['quay.io']);

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** What the test Sigstore signs for the SIGNED_IMAGES (EmulatorSigstore.prepare): the keyless
 * layers of those marked `keyless`, the Rekor bundles of the key signatures marked `rekor`. */
export function signingRequests(
  stores: Map<string, RegistryStore>,
  keys: CosignKeys,
  extra: readonly SignedImage[] = [],
): SigningRequest[] {
  const publicKeyPem = keys.main.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return [...SIGNED_IMAGES, ...extra].flatMap((s): SigningRequest[] => {
    const digest = stores.get(s.host)?.resolve(s.repository, s.tag);
    if (!digest) return [];
    const payload = cosignPayload(`${s.host}/${s.repository}`, digest);
    const out: SigningRequest[] = [];
    if (s.keyless) {
      const key = signingKey('kubernetes', payload);
      out.push({ key, kind: 'legacy', payload, options: KUBERNETES_IDENTITY });
    }
    if (s.rekor && s.cosign === 'good') {
      const signature = keys.sign('main', payload);
      const key = signingKey('key-rekor', signature);
      const logged =
        s.rekor === 'other-payload'
          ? cosignPayload(`${s.host}/keyrekor/another-image`, `sha256:${'0'.repeat(64)}`)
          : payload;
      out.push({ key, kind: 'keyRekor', payload: logged, signature, publicKeyPem });
    }
    return out;
  });
}

/** The test Sigstore's signatures, as seedSignatures reads them (absent until prepared). */
export interface SigstoreLookup {
  layerFor(key: string): KeylessLayer | undefined;
  keyRekorFor(key: string): string | undefined;
}

/** Adds what refers to the SIGNED_IMAGES present in `stores` (absent ones are skipped); a
 * `keyless` image gets its keyless layer, a `rekor` one its Rekor bundle, when `sigstore` has it. */
export function seedSignatures(
  stores: Map<string, RegistryStore>,
  keys: CosignKeys,
  sigstore?: SigstoreLookup,
  extra: readonly SignedImage[] = [],
): void {
  for (const s of [...SIGNED_IMAGES, ...extra]) {
    const store = stores.get(s.host);
    const digest = store?.resolve(s.repository, s.tag);
    const man = digest ? store?.manifests.get(digest) : undefined;
    if (!store || !digest || !man) continue;
    const ref = `${s.host}/${s.repository}`;
    const put = (body: Buffer, tag?: string) =>
      store.putManifest(s.repository, MT.ociManifest, body, tag);

    // cosign signature: the simple-signing payload, its ECDSA signature in the layer annotation.
    const other = s.wrongDigestOf?.split(':');
    const named =
      s.cosign === 'wrongDigest' && other ? store.resolve(other[0]!, other[1]!) : digest;
    const payload = cosignPayload(ref, named ?? digest);
    const sig = keys.sign(s.cosign === 'otherKey' ? 'other' : 'main', payload);
    const sigLayer = { mediaType: ART.simpleSigning, data: payload };
    const rekor = s.rekor ? sigstore?.keyRekorFor(signingKey('key-rekor', sig)) : undefined;
    const keyAnnotations = {
      [ART.cosignSignature]: sig,
      ...(rekor ? { [SIGSTORE_ANNOTATIONS.bundle]: rekor } : {}),
    };
    const sigLayers: Layer[] = [{ ...sigLayer, annotations: keyAnnotations }];
    const k = s.keyless ? sigstore?.layerFor(signingKey('kubernetes', payload)) : undefined;
    if (k) {
      sigLayers.push({
        ...sigLayer,
        annotations: {
          [ART.cosignSignature]: k.signature,
          [SIGSTORE_ANNOTATIONS.certificate]: k.certificate,
          [SIGSTORE_ANNOTATIONS.chain]: k.chain,
          [SIGSTORE_ANNOTATIONS.bundle]: k.bundle,
        },
      });
    }
    put(cosignManifest(store, sigLayers), digestTag(digest, '.sig'));

    if (s.attestation) {
      const statement = Buffer.from(
        JSON.stringify({
          _type: 'https://in-toto.io/Statement/v0.1',
          predicateType: 'https://slsa.dev/provenance/v0.2',
          subject: [{ name: ref, digest: { sha256: digest.slice(7) } }],
          predicate: { builder: { id: 'https://emulator.invalid/builder' } },
        }),
      );
      const type = 'application/vnd.in-toto+json';
      const pae = Buffer.concat([
        Buffer.from(`DSSEv1 ${type.length} ${type} ${statement.length} `),
        statement,
      ]);
      const envelope = Buffer.from(
        JSON.stringify({
          payloadType: type,
          payload: statement.toString('base64'),
          signatures: [{ keyid: '', sig: keys.sign('main', pae) }],
        }),
      );
      const annotations = {
        [ART.cosignSignature]: '',
        predicateType: 'https://slsa.dev/provenance/v0.2',
      };
      put(
        cosignManifest(store, [{ mediaType: ART.dsse, data: envelope, annotations }]),
        digestTag(digest, '.att'),
      );
    }
    if (s.sbomTag) {
      const data = spdx(`${ref}:${s.tag}`, digest);
      put(cosignManifest(store, [{ mediaType: ART.cosignSbom, data }]), digestTag(digest, '.sbom'));
    }
    if (!s.referrers) continue;

    const subject = { mediaType: man.mediaType, digest, size: man.body.length };
    const created = { 'org.opencontainers.image.created': CREATED };
    // A notation-style signature: a JWS (ES256 with the emulator key) over the target descriptor.
    const protectedHeader = b64url(
      JSON.stringify({
        alg: 'ES256',
        cty: 'application/vnd.cncf.notary.payload.v1+json',
        crit: ['io.cncf.notary.signingScheme'],
        'io.cncf.notary.signingScheme': 'notary.x509',
        'io.cncf.notary.signingTime': CREATED,
      }),
    );
    const jwsPayload = b64url(JSON.stringify({ targetArtifact: subject }));
    const jws = Buffer.from(
      JSON.stringify({
        payload: jwsPayload,
        protected: protectedHeader,
        header: { x5c: [] },
        signature: keys.sign('main', Buffer.from(`${protectedHeader}.${jwsPayload}`), true),
      }),
    );
    const spki = keys.main.publicKey.export({ type: 'spki', format: 'der' });
    const thumb = crypto.createHash('sha256').update(spki).digest('hex');
    const referrers = [
      put(
        referrerManifest(store, ART.notation, { mediaType: ART.jose, data: jws }, subject, {
          'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify([thumb]),
          ...created,
        }),
      ),
    ];
    if (s.referrers.sbom) {
      const data = spdx(`${ref}:${s.tag}`, digest);
      referrers.push(
        put(referrerManifest(store, ART.spdx, { mediaType: ART.spdx, data }, subject, created)),
      );
    }
    const platform = s.referrers.platformSbom;
    if (platform) {
      const idx = JSON.parse(man.body.toString('utf8')) as {
        manifests?: {
          mediaType: string;
          digest: string;
          size: number;
          platform?: Record<string, string>;
        }[];
      };
      const child = (idx.manifests ?? []).find(
        (m) => `${m.platform?.os}/${m.platform?.architecture}` === platform,
      );
      if (child) {
        const data = spdx(`${ref}:${s.tag} ${platform}`, child.digest);
        const childSubject = { mediaType: child.mediaType, digest: child.digest, size: child.size };
        put(
          referrerManifest(store, ART.spdx, { mediaType: ART.spdx, data }, childSubject, created),
        );
      }
    }
    // Without a referrers API, the referrers tag schema: an index of the referrers' descriptors.
    if (NO_REFERRERS_API.has(s.host)) {
      const index = {
        schemaVersion: 2,
        mediaType: MT.ociIndex,
        manifests: referrers.map((d) => descriptorOf(d, store.manifests.get(d)!)),
      };
      store.putManifest(
        s.repository,
        MT.ociIndex,
        Buffer.from(JSON.stringify(index)),
        digestTag(digest),
      );
    }
  }
}
