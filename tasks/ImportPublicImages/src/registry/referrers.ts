// What refers to an image in its source registry (issue 10), read through SourceRegistries (the
// line's own credentials, the run's tokens): cosign's tags, the OCI 1.1 referrers API and its
// fallback tag schema; and a cosign signature's layers for verification.
//
// Discovery asks for each cosign tag by name (a manifest HEAD, which Docker Hub does not count as
// a pull) rather than listing the repository's tags: one request per tag whatever the size of
// the repository (docker.io/library/nginx has thousands of tags, pages of them), as cosign itself
// does. The referrers API is asked once per subject, unfiltered, and filtered here: one request
// however many signature artifact types there are, and the same answer from registries that
// ignore the filter.
import { createHash } from 'node:crypto';
import type { Credential } from '../core/plan';
import {
  carries,
  cosignKind,
  cosignSuffixes,
  cosignTag,
  fallbackTag,
  type CopyReferrers,
  type ReferrerKind,
  type SignatureLayer,
} from '../core/referrers';
import { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLESIGNING_MEDIA_TYPE } from '../core/cosign';
import type { HttpResponse } from './http';
import { answered, header } from './http';
import { MANIFEST_MEDIA_TYPES, RegistryError, refuseInvalid } from './manifests';
import type { SourceRegistries } from './sourceRegistries';

const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

export type ReferrerSources = Pick<SourceRegistries, 'head' | 'get'>;

/** One repository of a source registry, with the line's credential. */
export interface SourceRepo {
  registry: string;
  repository: string;
  credential: Credential | undefined;
}

/** Something found referring to a subject, ready to check in the ACR and import. */
export interface Found {
  kind: ReferrerKind;
  artifactType: string | null;
  digest: string;
  /** The cosign tag (imported under the same tag); null for a referrer (imported by digest). */
  tag: string | null;
  subject: string;
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  artifactType?: string;
  platform?: unknown;
  annotations?: Record<string, string>;
}

function parseJson(res: HttpResponse, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(res.body) as unknown;
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch {
    // below
  }
  throw new RegistryError(`${what} is not JSON`);
}

/** The descriptors of an index or manifest; a digest or artifactType that is not one is refused. */
function descriptors(doc: Record<string, unknown>, field: 'manifests' | 'layers'): Descriptor[] {
  const list = doc[field];
  const found = Array.isArray(list)
    ? list.filter((d): d is Descriptor => !!d && typeof d === 'object')
    : [];
  for (const d of found) {
    if (typeof d.digest === 'string') refuseInvalid('digest', d.digest, `a descriptor's digest`);
    if (typeof d.artifactType === 'string')
      refuseInvalid('media type', d.artifactType, `a descriptor's artifactType`);
  }
  return found;
}

/** A manifest by tag or digest, or null when the registry says it does not exist. */
export async function getManifest(
  sources: ReferrerSources,
  repo: SourceRepo,
  reference: string,
  signal?: AbortSignal,
): Promise<{ digest: string; mediaType: string | null; doc: Record<string, unknown> } | null> {
  const accept = [...MANIFEST_MEDIA_TYPES].join(', ');
  const res = await sources.get(
    repo.registry,
    repo.repository,
    `manifests/${reference}`,
    repo.credential,
    accept,
    signal,
  );
  if (res.status === 404) return null;
  if (res.status !== 200) {
    throw new RegistryError(
      `GET ${repo.registry}/${repo.repository} manifest ${reference} ${answered(res)}`,
      res.status,
    );
  }
  const doc = parseJson(res, `the manifest ${reference}`);
  const digest =
    header(res, 'docker-content-digest') ??
    `sha256:${createHash('sha256')
      .update(res.bytes ?? Buffer.from(res.body))
      .digest('hex')}`;
  refuseInvalid('digest', digest, 'its Docker-Content-Digest header');
  const mediaType =
    (typeof doc.mediaType === 'string' ? doc.mediaType : undefined) ??
    header(res, 'content-type')?.split(';')[0]?.trim() ??
    null;
  if (mediaType) refuseInvalid('media type', mediaType, "the manifest's media type");
  return { digest, mediaType, doc };
}

/**
 * The referrers of `digest`: the OCI 1.1 referrers API (its pages), or, where it answers 404
 * (or 400/405/501: no such API), the referrers tag schema `sha256-<hex>` holding an index.
 */
export async function listReferrers(
  sources: ReferrerSources,
  repo: SourceRepo,
  digest: string,
  signal?: AbortSignal,
  withoutApi?: Set<string>,
): Promise<{ descriptors: Descriptor[]; via: 'api' | 'tag' | 'none' }> {
  // A registry without the API (quay.io) said so once: its other subjects go to the tag schema.
  if (withoutApi?.has(repo.registry)) return fallback();
  let path = `referrers/${digest}`;
  const found: Descriptor[] = [];
  for (let page = 0; page < 50; page++) {
    const res = await sources.get(
      repo.registry,
      repo.repository,
      path,
      repo.credential,
      INDEX_MEDIA_TYPE,
      signal,
    );
    if (page === 0 && [404, 400, 405, 501].includes(res.status)) {
      withoutApi?.add(repo.registry);
      return fallback();
    }
    if (res.status !== 200) {
      throw new RegistryError(
        `GET ${repo.registry}/${repo.repository} referrers of ${digest} ${answered(res)}`,
        res.status,
      );
    }
    found.push(...descriptors(parseJson(res, 'the referrers answer'), 'manifests'));
    const next = nextPage(header(res, 'link'), repo.repository);
    if (!next) break;
    path = next;
  }
  return { descriptors: found, via: 'api' };

  async function fallback(): Promise<{ descriptors: Descriptor[]; via: 'tag' | 'none' }> {
    const tag = fallbackTag(digest);
    // A HEAD first: Docker Hub does not count it as a pull, and most images have no such tag.
    const head = await sources.head(repo.registry, repo.repository, tag, repo.credential, signal);
    if (!head.digest) return { descriptors: [], via: 'none' };
    const index = await getManifest(sources, repo, tag, signal);
    return index
      ? { descriptors: descriptors(index.doc, 'manifests'), via: 'tag' }
      : { descriptors: [], via: 'none' };
  }
}

/** `</v2/<repo>/referrers/...?...>; rel="next"` -> `referrers/...?...` */
function nextPage(link: string | undefined, repository: string): string | undefined {
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link ?? '');
  if (!m?.[1]) return undefined;
  const p = new URL(m[1], 'https://registry.invalid').pathname;
  const search = new URL(m[1], 'https://registry.invalid').search;
  const prefix = `/v2/${repository}/`;
  return p.startsWith(prefix) ? `${p.slice(prefix.length)}${search}` : undefined;
}

/**
 * What `copyReferrers` carries for a line's image at `digest`: its cosign tags and referrers,
 * and, for `all`, those of each platform manifest of an index too.
 */
export async function discoverReferrers(
  sources: ReferrerSources,
  repo: SourceRepo,
  digest: string,
  mode: CopyReferrers,
  signal?: AbortSignal,
  /** The run's registries known to have no referrers API (learnt and kept here). */
  withoutApi?: Set<string>,
): Promise<Found[]> {
  if (mode === 'none') return [];
  const subjects = [digest];
  if (mode === 'all') {
    const top = await getManifest(sources, repo, digest, signal);
    for (const d of top ? descriptors(top.doc, 'manifests') : []) {
      if (typeof d.digest === 'string' && !subjects.includes(d.digest)) subjects.push(d.digest);
    }
  }
  // Each subject's lookups at once (a HEAD per cosign tag, the referrers list): one round trip
  // of latency per line, not one per request. The order of the result stays fixed.
  const perSubject = await Promise.all(
    subjects.map(async (subject) => {
      const [tags, refs] = await Promise.all([
        Promise.all(
          cosignSuffixes(mode).map(async (suffix): Promise<Found | undefined> => {
            const tag = cosignTag(subject, suffix);
            const head = await sources.head(
              repo.registry,
              repo.repository,
              tag,
              repo.credential,
              signal,
            );
            if (!head.digest) return undefined;
            return {
              kind: cosignKind(suffix),
              artifactType: head.mediaType ?? null,
              digest: head.digest,
              tag,
              subject,
            };
          }),
        ),
        listReferrers(sources, repo, subject, signal, withoutApi),
      ]);
      const found: Found[] = tags.filter((t): t is Found => t !== undefined);
      for (const d of refs.descriptors) {
        if (typeof d.digest !== 'string') continue;
        const artifactType = d.artifactType ?? null;
        if (!carries(mode, 'referrer', artifactType)) continue;
        found.push({ kind: 'referrer', artifactType, digest: d.digest, tag: null, subject });
      }
      return found;
    }),
  );
  const out: Found[] = [];
  for (const f of perSubject.flat()) {
    if (f.tag === null && out.some((o) => o.tag === null && o.digest === f.digest)) continue;
    out.push(f);
  }
  return out;
}

/**
 * The simple-signing layers of the cosign signature of `digest` (`sha256-<hex>.sig`), each
 * payload checked against its layer digest; null when there is no signature tag.
 */
export async function cosignSignatureLayers(
  sources: ReferrerSources,
  repo: SourceRepo,
  digest: string,
  signal?: AbortSignal,
): Promise<SignatureLayer[] | null> {
  const manifest = await getManifest(sources, repo, cosignTag(digest, 'sig'), signal);
  if (!manifest) return null;
  const layers: SignatureLayer[] = [];
  for (const l of descriptors(manifest.doc, 'layers')) {
    if (l.mediaType !== COSIGN_SIMPLESIGNING_MEDIA_TYPE || typeof l.digest !== 'string') continue;
    const res = await sources.get(
      repo.registry,
      repo.repository,
      `blobs/${l.digest}`,
      repo.credential,
      '*/*',
      signal,
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
