// One page of a source repository's tags (`GET /v2/<repo>/tags/list?n=TAGS_PAGE`), read once per
// line by discovery (registry/referrerDiscovery.ts): whether a cosign tag or the referrers fallback
// tag exists, for every subject of the line, without a HEAD per tag name.
import type { HttpResponse } from './http';
import { header } from './http';
import type { SourceRegistries } from './sourceRegistries';
import type { Credential } from '../core/plan/decisions';

/** The most tags one listing reads; a repository with more is asked tag by tag. */
export const TAGS_PAGE = 1000;

/**
 * The repository's tags when one page of `tags/list` holds them all; undefined when it does not
 * (a next page), or the registry does not answer the listing: then each tag is asked by name.
 */
export async function listTags(
  sources: Pick<SourceRegistries, 'get'>,
  repo: { registry: string; repository: string; credential: Credential | undefined },
  signal?: AbortSignal,
): Promise<Set<string> | undefined> {
  let res: HttpResponse;
  try {
    res = await sources.get(
      repo.registry,
      repo.repository,
      `tags/list?n=${TAGS_PAGE}`,
      repo.credential,
      'application/json',
      signal,
    );
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined; // the HEADs by name say what the registry has to say
  }
  if (res.status !== 200 || header(res, 'link')) return undefined;
  let tags: unknown;
  try {
    tags = (JSON.parse(res.body) as { tags?: unknown }).tags;
  } catch {
    return undefined;
  }
  if (tags === null) return new Set(); // an empty repository (some registries say null)
  if (!Array.isArray(tags) || tags.length > TAGS_PAGE) return undefined;
  return new Set(tags.filter((t): t is string => typeof t === 'string'));
}
