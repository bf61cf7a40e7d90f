// A cosign signature's simple-signing layers, read for verification (steps/verify.ts): the
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
    const res = await sources.get(
      repo.registry,
      repo.repository,
      `blobs/${l.digest}`,
      repo.credential,
      '*/*',
      signal,
      'signaturePayload',
    );
    if (res.status !== 200) {
      throw new RegistryError(
        `GET ${repo.registry}/${repo.repository} signature payload ${l.digest} ${answered(res)}`,
        res.status,
      );
    }
    const payload = res.bytes ?? Buffer.from(res.body);
    const actual = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    if (l.digest.startsWith('sha256:') && actual !== l.digest) {
      throw new RegistryError(
        `the signature payload's bytes do not match its digest ${l.digest} (got ${actual})`,
      );
    }
    layers.push({ payload, signature: l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] ?? '' });
  }
  return layers;
}
