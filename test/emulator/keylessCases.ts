// The seeded keyless cases (issue 19): one image per verdict the task must reach, signed by the
// test Sigstore (sigstore.ts) in cosign's two formats. KEYLESS_CASES is the one list tests iterate
// over: each case's reference, the images.txt line that imports it, the identity a policy
// requires for it, and the verdict expected against that identity (the check that fails, in the
// task's words: core/keyless/verify.ts KeylessCheck). The example list's controller is signed by
// signatures.ts (a second layer of its `.sig`); the other images are added here, in repositories
// of their own, so no image or signature other tests count changes.
import { addImage } from './imagegen';
import {
  ART,
  cosignManifest,
  cosignPayload,
  CREATED,
  digestTag,
  EMPTY_JSON,
} from './signatureLayout';
import { NO_REFERRERS_API, type SignedImage } from './signatures';
import {
  COSIGN_SIGN_PREDICATE,
  KUBERNETES_IDENTITY,
  SIGSTORE_ANNOTATIONS,
  SIGSTORE_BUNDLE_V03,
  type KeylessSignOptions,
} from './sigstore';
import { signingKey, type EmulatorSigstore, type SigningRequest } from './sigstoreState';
import { MT, type RegistryStore } from './store';

/** The identity of the GitHub workflow that signs the bundle-format case, and its claims
 * (Fulcio's workflow repository and ref extensions). */
export const GITHUB_IDENTITY = {
  subject:
    'https://github.com/keyless/bundle-signed/.github/workflows/release.yml@refs/tags/v1.0.0',
  issuer: 'https://token.actions.githubusercontent.com',
  github: { repository: 'keyless/bundle-signed', ref: 'refs/tags/v1.0.0' },
} as const;

/** An identity that is not the Kubernetes release identity (same OIDC issuer). */
export const OTHER_IDENTITY = {
  subject: 'someone-else@example-project.iam.gserviceaccount.com',
  issuer: 'https://accounts.google.com',
} as const;

/** The check that decides a case (core/keyless/verify.ts's KeylessCheck), or `unsigned`. */
export type KeylessCaseCheck =
  | 'validity'
  | 'chain'
  | 'sct'
  | 'rekor'
  | 'rekor-entry'
  | 'signature'
  | 'identity'
  | 'payload'
  | 'unsigned';

export interface KeylessCase {
  name: string;
  host: string;
  repository: string;
  tag: string;
  /** The images.txt line that imports it (same repository in the ACR). */
  line: string;
  /** legacy: cosign's `.sig` tag with the Fulcio certificate and Rekor bundle in annotations;
   * bundle: cosign 3's Sigstore bundle as an OCI referrer; none: unsigned. */
  format: 'legacy' | 'bundle' | 'none';
  /** Who signed (the certificate's SAN and OIDC issuer, a GitHub workflow's claims). */
  signer?: { subject: string; issuer: string; github?: { repository: string; ref: string } };
  /** The identity a policy line requires for this image. */
  policy: { subject: string; issuer: string };
  expected: { verified: true } | { verified: false; check: KeylessCaseCheck };
  /** What it is for (test/emulator/README.md "Keyless cases"). */
  purpose: string;
  /** Added here (false: a fixture image signed by signatures.ts). */
  seededHere: boolean;
  /** Signing knobs for a bad case, given the signing time. */
  knobs?: (now: Date) => Partial<KeylessSignOptions>;
  platforms?: string[];
}

const k8s = { ...KUBERNETES_IDENTITY };
const line = (host: string, repository: string, tag: string) =>
  `${host}/${repository}:${tag} => ${repository}`;
const kcase = (c: Omit<KeylessCase, 'line'>): KeylessCase => ({
  ...c,
  line: line(c.host, c.repository, c.tag),
});

export const KEYLESS_CASES: readonly KeylessCase[] = [
  kcase({
    name: 'kubernetes-legacy',
    host: 'registry.k8s.io',
    repository: 'ingress-nginx/controller',
    tag: 'v1.11.1',
    format: 'legacy',
    signer: k8s,
    policy: k8s,
    expected: { verified: true },
    purpose:
      "the example list's controller, signed as registry.k8s.io signs: a keyless layer (after the key layer) of its `.sig`",
    seededHere: false,
  }),
  kcase({
    name: 'bundle-referrer',
    host: 'ghcr.io',
    repository: 'keyless/bundle-signed',
    tag: 'v1.0.0',
    format: 'bundle',
    signer: GITHUB_IDENTITY,
    policy: GITHUB_IDENTITY,
    expected: { verified: true },
    purpose:
      "cosign 3's default: a v0.3 Sigstore bundle (DSSE in-toto statement naming the index digest) as an OCI referrer, signed by a GitHub workflow",
    seededHere: true,
    platforms: ['linux/amd64', 'linux/arm64'],
  }),
  kcase({
    name: 'other-identity',
    host: 'registry.k8s.io',
    repository: 'keyless/other-identity',
    tag: 'v1.0.0',
    format: 'legacy',
    signer: OTHER_IDENTITY,
    policy: k8s,
    expected: { verified: false, check: 'identity' },
    purpose: 'validly signed and logged, by another identity than the policy requires',
    seededHere: true,
  }),
  kcase({
    name: 'rekor-other-payload',
    host: 'registry.k8s.io',
    repository: 'keyless/rekor-other-payload',
    tag: 'v1.0.0',
    format: 'legacy',
    signer: k8s,
    policy: k8s,
    expected: { verified: false, check: 'rekor-entry' },
    purpose:
      'its Rekor entry (validly signed by the log) is for another payload than the signed one',
    seededHere: true,
    knobs: () => ({
      rekorPayload: cosignPayload(
        'registry.k8s.io/keyless/another-image',
        `sha256:${'0'.repeat(64)}`,
      ),
    }),
  }),
  kcase({
    name: 'expired-certificate',
    host: 'registry.k8s.io',
    repository: 'keyless/expired-certificate',
    tag: 'v1.0.0',
    format: 'legacy',
    signer: k8s,
    policy: k8s,
    expected: { verified: false, check: 'validity' },
    purpose:
      'its Fulcio certificate (ten minutes) expired twenty minutes before Rekor logged the signature',
    seededHere: true,
    knobs: (now) => ({ integratedTime: now, notBefore: new Date(now.getTime() - 30 * 60_000) }),
  }),
  kcase({
    name: 'unsigned',
    host: 'registry.k8s.io',
    repository: 'keyless/unsigned',
    tag: 'v1.0.0',
    format: 'none',
    policy: k8s,
    expected: { verified: false, check: 'unsigned' },
    purpose: 'no `.sig` tag and no referrer: nothing to verify',
    seededHere: true,
  }),
];

/** The cosign payload a legacy case's `.sig` signs. */
function payloadOf(c: KeylessCase, digest: string): Buffer {
  return cosignPayload(`${c.host}/${c.repository}`, digest);
}

const keyOf = (c: KeylessCase, signed: Buffer | string) => signingKey(`case ${c.name}`, signed);

/** Adds the images of the cases marked `seededHere` (before the signatures are made). */
export function addKeylessCaseImages(stores: Map<string, RegistryStore>): void {
  for (const c of KEYLESS_CASES) {
    const store = stores.get(c.host);
    if (!c.seededHere || !store) continue;
    addImage(store, c.host, {
      repository: c.repository,
      tags: [c.tag],
      ...(c.platforms ? { platforms: c.platforms } : {}),
    });
  }
}

/** What the test Sigstore signs for the seeded cases (EmulatorSigstore.prepare). */
export function keylessCaseRequests(stores: Map<string, RegistryStore>): SigningRequest[] {
  const now = new Date();
  return KEYLESS_CASES.flatMap((c): SigningRequest[] => {
    const digest = stores.get(c.host)?.resolve(c.repository, c.tag);
    if (!c.seededHere || !digest || !c.signer) return [];
    const options = { ...c.signer, ...c.knobs?.(now) };
    if (c.format === 'bundle') {
      return [{ key: keyOf(c, digest), kind: 'bundle', digest, options }];
    }
    const payload = payloadOf(c, digest);
    return [{ key: keyOf(c, payload), kind: 'legacy', payload, options }];
  });
}

/** Seeds the cases' signatures: a `.sig` with one keyless layer, or a bundle referrer. */
export function seedKeylessCases(
  stores: Map<string, RegistryStore>,
  sigstore: Pick<EmulatorSigstore, 'layerFor' | 'bundleFor'>,
): void {
  for (const c of KEYLESS_CASES) {
    const store = stores.get(c.host);
    const digest = store?.resolve(c.repository, c.tag);
    const man = digest ? store?.manifests.get(digest) : undefined;
    if (!c.seededHere || !store || !digest || !man) continue;
    if (c.format === 'legacy') {
      const payload = payloadOf(c, digest);
      const k = sigstore.layerFor(keyOf(c, payload));
      if (!k) continue;
      const annotations = {
        [ART.cosignSignature]: k.signature,
        [SIGSTORE_ANNOTATIONS.certificate]: k.certificate,
        [SIGSTORE_ANNOTATIONS.chain]: k.chain,
        [SIGSTORE_ANNOTATIONS.bundle]: k.bundle,
      };
      const body = cosignManifest(store, [
        { mediaType: ART.simpleSigning, data: payload, annotations },
      ]);
      store.putManifest(c.repository, MT.ociManifest, body, digestTag(digest, '.sig'));
    } else if (c.format === 'bundle') {
      const bundle = sigstore.bundleFor(keyOf(c, digest));
      if (!bundle) continue;
      if (NO_REFERRERS_API.has(c.host)) throw new Error(`${c.host} has no referrers API`);
      store.putManifest(
        c.repository,
        MT.ociManifest,
        bundleReferrer(store, Buffer.from(bundle), {
          mediaType: man.mediaType,
          digest,
          size: man.body.length,
        }),
      );
    }
  }
}

/** cosign 3's referrer manifest for a bundle (cosign's specs/BUNDLE_SPEC.md, write.go). */
function bundleReferrer(
  store: RegistryStore,
  bundle: Buffer,
  subject: { mediaType: string; digest: string; size: number },
): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    artifactType: SIGSTORE_BUNDLE_V03,
    config: { mediaType: ART.empty, digest: store.putBlob(EMPTY_JSON), size: EMPTY_JSON.length },
    layers: [
      { mediaType: SIGSTORE_BUNDLE_V03, digest: store.putBlob(bundle), size: bundle.length },
    ],
    subject,
    annotations: {
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': COSIGN_SIGN_PREDICATE,
      'org.opencontainers.image.created': CREATED,
    },
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** `--keyless-images N` (benchmarks): registry.k8s.io/bench/keyless-NNN:v1, each signed as the
 * controller is (a `.sig` with a key layer, then a keyless layer as the Kubernetes identity). */
export function keylessBenchImages(n: number): SignedImage[] {
  return Array.from({ length: n }, (_, i) => ({
    host: 'registry.k8s.io',
    repository: `bench/keyless-${String(i).padStart(3, '0')}`,
    tag: 'v1',
    cosign: 'good' as const,
    keyless: true,
  }));
}
