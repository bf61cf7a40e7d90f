// What refers to an image in its source registry (issue 10), read through SourceRegistries (the
// line's own credentials, the run's tokens): cosign's tags, the OCI 1.1 referrers API and its
// fallback tag schema (a cosign signature's layers for verification: signatureLayers.ts).
//
// Discovery reads the repository's tags once per line (`tags/list`, one page of at most
// TAGS_PAGE): the cosign tags and the referrers fallback tag of every subject are looked for in
// it, and only those present are asked for (a manifest HEAD, which Docker Hub does not count as a
// pull), so an unsigned image costs one request there, not one per tag name. A repository whose
// tags do not fit in one page (docker.io/library/nginx has thousands), or that does not answer
// the listing, is asked for each tag by name, as cosign itself does. The referrers API is asked
// once per subject, unfiltered, and filtered here: one request however many signature artifact
// types there are, and the same answer from registries that ignore the filter.
import { createHash } from 'node:crypto';
import type { Credential } from '../core/plan/decisions';
import {
  carries,
  cosignKind,
  cosignSuffixes,
  cosignTag,
  fallbackTag,
  type CopyReferrers,
  type ReferrerKind,
} from '../core/signatures/referrerPolicy';
import {
  MAX_CARRIED_PER_LINE,
  MAX_PAGES,
  MAX_PLATFORMS_PER_INDEX,
  MAX_REFERRERS_PER_SUBJECT,
  tooMany,
} from '../core/registry/bounds';
import type { HttpResponse } from './http';
import { answered, header } from './http';
import { MANIFEST_MEDIA_TYPES, RegistryError, refuseInvalid } from './manifests';
import type { SourceRegistries } from './sourceRegistries';
import { listTags } from './tagList';

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

export interface Descriptor {
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
export function descriptors(
  doc: Record<string, unknown>,
  field: 'manifests' | 'layers',
): Descriptor[] {
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
 * `tags`, the repository's tags when listed (listTags): a fallback tag not among them is not asked.
 */
export async function listReferrers(
  sources: ReferrerSources,
  repo: SourceRepo,
  digest: string,
  signal?: AbortSignal,
  withoutApi?: Set<string>,
  tags?: Promise<Set<string> | undefined>,
): Promise<{ descriptors: Descriptor[]; via: 'api' | 'tag' | 'none' }> {
  // A registry without the API (quay.io) said so once: its other subjects go to the tag schema.
  if (withoutApi?.has(repo.registry)) return fallback();
  let path = `referrers/${digest}`;
  const found: Descriptor[] = [];
  const where = `${repo.registry}/${repo.repository}`;
  for (let page = 0; ; page++) {
    // A listing that does not end is refused, never cut: a partial list would carry part of it.
    if (page === MAX_PAGES)
      throw tooMany(
        'pages per listing',
        MAX_PAGES,
        `${where} lists the referrers of ${digest} in pages`,
      );
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
    referrersBound(found, `${where} lists referrers of ${digest}`);
    const next = nextPage(header(res, 'link'), repo.repository);
    if (!next) break;
    path = next;
  }
  return { descriptors: found, via: 'api' };

  async function fallback(): Promise<{ descriptors: Descriptor[]; via: 'tag' | 'none' }> {
    const tag = fallbackTag(digest);
    if ((await tags)?.has(tag) === false) return { descriptors: [], via: 'none' };
    // A HEAD first: Docker Hub does not count it as a pull, and most images have no such tag.
    const head = await sources.head(repo.registry, repo.repository, tag, repo.credential, signal);
    if (!head.digest) return { descriptors: [], via: 'none' };
    const index = await getManifest(sources, repo, tag, signal);
    const listed = index ? descriptors(index.doc, 'manifests') : [];
    referrersBound(listed, `${repo.registry}/${repo.repository}:${tag} lists referrers`);
    return index ? { descriptors: listed, via: 'tag' } : { descriptors: [], via: 'none' };
  }
}

function referrersBound(listed: readonly Descriptor[], what: string): void {
  if (listed.length > MAX_REFERRERS_PER_SUBJECT)
    throw tooMany('referrers per subject', MAX_REFERRERS_PER_SUBJECT, what);
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
    const platforms = top ? descriptors(top.doc, 'manifests') : [];
    if (platforms.length > MAX_PLATFORMS_PER_INDEX) {
      const what = `the index ${digest} of ${repo.registry}/${repo.repository} lists manifests`;
      throw tooMany('platform manifests per index', MAX_PLATFORMS_PER_INDEX, what);
    }
    for (const d of platforms) {
      if (typeof d.digest === 'string' && !subjects.includes(d.digest)) subjects.push(d.digest);
    }
  }
  // The repository's tags, read once for every subject; each subject's lookups at once (the
  // cosign tags present, the referrers list). The order of the result stays fixed.
  const listed = listTags(sources, repo, signal);
  const perSubject = await Promise.all(
    subjects.map(async (subject) => {
      const [tags, refs] = await Promise.all([
        Promise.all(
          cosignSuffixes(mode).map(async (suffix): Promise<Found | undefined> => {
            const tag = cosignTag(subject, suffix);
            if ((await listed)?.has(tag) === false) return undefined; // listed, and not there
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
        listReferrers(sources, repo, subject, signal, withoutApi, listed),
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
  if (out.length > MAX_CARRIED_PER_LINE) {
    const what = `${out.length} signatures and referrers refer to ${repo.registry}/${repo.repository}@${digest}`;
    throw tooMany('signatures and referrers carried per line', MAX_CARRIED_PER_LINE, what);
  }
  return out;
}
