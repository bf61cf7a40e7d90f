// A cosign signature's simple-signing layers, and the Sigstore bundles referring to an image,
// read for verification (steps/verify.ts). The layers: the
// `.sig` manifest of a digest, then each payload blob, checked against its layer digest; at most
// MAX_SIGNATURE_LAYERS layers and BODY_LIMITS.signaturePayload bytes a payload
// (core/registry/bounds.ts).
import { createHash } from 'node:crypto';
import { MAX_SIGNATURE_LAYERS, tooMany } from '../core/registry/bounds';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIMPLESIGNING_MEDIA_TYPE,
} from '../core/signatures/cosign';
import { cosignTag, type SignatureLayer } from '../core/signatures/referrerPolicy';
import { answered } from './http';
import { RegistryError } from './manifests';
import {
  descriptors,
  getManifest,
  listReferrers,
  type ReferrerSources,
  type SourceRepo,
} from './referrerDiscovery';

/**
 * The simple-signing layers of the cosign signature of `digest` (`sha256-<hex>.sig`), each
 * payload checked against its layer digest; null when there is no signature tag.
 */
export async function cosignSignatureLayers(
  sources: ReferrerSources,
  repo: SourceRepo,
  digest: string,
  signal?: AbortSignal,
  /** Told the digest of the signature manifest read (what the carry step then imports). */
  seen?: { manifestDigest?: string },
): Promise<SignatureLayer[] | null> {
  const manifest = await getManifest(sources, repo, cosignTag(digest, 'sig'), signal);
  if (!manifest) return null;
  if (seen) seen.manifestDigest = manifest.digest;
  const layers: SignatureLayer[] = [];
  const listed = descriptors(manifest.doc, 'layers');
  if (listed.length > MAX_SIGNATURE_LAYERS) {
    const what = `the signature manifest ${cosignTag(digest, 'sig')} of ${repo.registry}/${repo.repository} has ${listed.length} layers`;
    throw tooMany('layers per signature manifest', MAX_SIGNATURE_LAYERS, what);
  }
  for (const l of listed) {
    if (l.mediaType !== COSIGN_SIMPLESIGNING_MEDIA_TYPE || typeof l.digest !== 'string') continue;
    const payload = await checkedBlob(sources, repo, l.digest, 'signaturePayload', signal);
    const annotations = l.annotations ?? {};
    const signature = annotations[COSIGN_SIGNATURE_ANNOTATION] ?? '';
    layers.push({ payload, signature, annotations });
  }
  return layers;
}

/** A Sigstore bundle referring to an image (cosign 3), its JSON read and checked against its digest. */
export interface BundleReferrer {
  /** The referrer manifest's digest (what the carry step imports). */
  manifestDigest: string;
  json: unknown;
}

/**
 * The Sigstore bundles referring to `digest` (the referrers API, or its tag schema): each
 * referrer whose artifactType is a Sigstore bundle, its manifest, and its bundle layer's blob
 * (at most BODY_LIMITS.sigstore bytes, checked against its digest). At most MAX_SIGNATURE_LAYERS.
 */
export async function sigstoreBundles(
  sources: ReferrerSources,
  repo: SourceRepo,
  digest: string,
  signal?: AbortSignal,
): Promise<BundleReferrer[]> {
  const listed = await listReferrers(sources, repo, digest, signal);
  const bundles = listed.descriptors.filter(
    (d) => typeof d.digest === 'string' && isSigstoreBundle(d.artifactType),
  );
  if (bundles.length > MAX_SIGNATURE_LAYERS) {
    const what = `${bundles.length} Sigstore bundles refer to ${repo.registry}/${repo.repository}@${digest}`;
    throw tooMany('Sigstore bundles per image', MAX_SIGNATURE_LAYERS, what);
  }
  const out: BundleReferrer[] = [];
  for (const d of bundles) {
    const manifest = await getManifest(sources, repo, d.digest as string, signal);
    if (!manifest) continue;
    const layer = descriptors(manifest.doc, 'layers').find(
      (l) => typeof l.digest === 'string' && isSigstoreBundle(l.mediaType),
    );
    if (!layer?.digest) continue;
    const bytes = await checkedBlob(sources, repo, layer.digest, 'sigstore', signal);
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      json = null; // the verifier says it is not a bundle
    }
    out.push({ manifestDigest: manifest.digest, json });
  }
  return out;
}

/** What each blob kind is called in errors. */
const BLOB_NAMES = { signaturePayload: 'signature payload', sigstore: 'Sigstore bundle' } as const;

/**
 * A signature blob's bytes (bounded as `kind`), checked against its digest: a RegistryError when
 * the registry does not send it, or sends other bytes.
 */
async function checkedBlob(
  sources: ReferrerSources,
  repo: SourceRepo,
  digest: string,
  kind: keyof typeof BLOB_NAMES,
  signal?: AbortSignal,
): Promise<Buffer> {
  const name = BLOB_NAMES[kind];
  const blob = `blobs/${digest}`;
  const res = await sources.get(
    repo.registry,
    repo.repository,
    blob,
    repo.credential,
    '*/*',
    signal,
    kind,
  );
  if (res.status !== 200) {
    throw new RegistryError(
      `GET ${repo.registry}/${repo.repository} ${name} ${digest} ${answered(res)}`,
      res.status,
    );
  }
  const bytes = res.bytes ?? Buffer.from(res.body);
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (digest.startsWith('sha256:') && actual !== digest) {
    throw new RegistryError(
      `the ${name}'s bytes do not match its digest ${digest} (got ${actual})`,
    );
  }
  return bytes;
}

function isSigstoreBundle(type: string | undefined): boolean {
  return (type ?? '').toLowerCase().startsWith('application/vnd.dev.sigstore.bundle');
}
