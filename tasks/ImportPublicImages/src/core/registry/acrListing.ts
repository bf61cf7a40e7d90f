// Which ACR target repositories are read with one tag listing (`GET /acr/v1/<repo>/_tags`, every
// tag with its digest) instead of a manifest HEAD per tag, and what a page of that listing may
// hold. Pure: the decision and the checks of the answer; registry/acrListing.ts reads it.
//
// The rule: a repository is listed when the run expects two reads of it or more, counting a read
// per target tag the check compares, and one more when the run carries the lines' signatures (a
// cosign tag looked up in the ACR; whether the source is signed is known only after the check).
// A listing of at most `expected - 1` pages then never costs more requests than the HEADs it
// replaces; past its pages (a repository of more tags) the reads fall back to HEADs.
import { isRegistryDigest } from './registryAnswers';

/** Tags asked per page (`n`): ACR's own page limit is 1,000. */
export const ACR_TAGS_PAGE = 1000;
/** The most pages one repository's listing reads, whatever it saves: 10,000 tags. */
export const MAX_ACR_LISTING_PAGES = 10;

/** A tag as distribution's grammar writes it: what a listed name must be to be used. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface ListingNeed {
  targetRepository: string;
  /** The tags the check compares (none: the line is read by digest, with a HEAD). */
  targetTags: readonly string[];
}

/**
 * The repositories to list, each with the most pages its listing may read (the reads it replaces,
 * less one, at most MAX_ACR_LISTING_PAGES). `checksTargets`: the check reads the ACR (not force
 * mode); `carries(item)`: the line's signatures are carried (copyReferrers is not none).
 */
export function listedRepositories<T extends ListingNeed>(
  items: readonly T[],
  checksTargets: boolean,
  carries: (item: T) => boolean,
): Map<string, number> {
  const reads = new Map<string, { tags: number; carried: boolean }>();
  for (const item of items) {
    const r = reads.get(item.targetRepository) ?? { tags: 0, carried: false };
    if (checksTargets) r.tags += item.targetTags.length;
    r.carried ||= carries(item);
    reads.set(item.targetRepository, r);
  }
  const listed = new Map<string, number>();
  for (const [repository, r] of reads) {
    const expected = r.tags + (r.carried ? 1 : 0);
    if (expected >= 2) listed.set(repository, Math.min(expected - 1, MAX_ACR_LISTING_PAGES));
  }
  return listed;
}

/** One page of a listing, checked: its tags and digests, and whether the ACR says more follow. */
export interface AcrTagsPage {
  tags: Map<string, string>;
  /** The last tag of the page (the next page's `last`), when the ACR links a next page. */
  next?: string;
}

/**
 * A page's body checked where it enters: JSON `{ tags: [{ name, digest }] }` of at most `n` tags,
 * each name a tag and each digest a digest, no name twice. Returns why it is refused otherwise
 * (then the repository's reads fall back to HEADs). `linked`: the answer has a Link header.
 */
export function parseAcrTagsPage(body: string, n: number, linked: boolean): AcrTagsPage | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'the listing is not JSON';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return 'the listing is not a JSON object';
  const list = (json as { tags?: unknown }).tags;
  if (list === undefined || list === null) {
    // no tag; a page that says more follow holds some
    return linked ? 'the listing links a next page to a page of no tags' : { tags: new Map() };
  }
  if (!Array.isArray(list)) return 'the listing has no tags array';
  if (list.length === 0 && linked) return 'the listing links a next page to a page of no tags';
  if (list.length > n) return `the listing holds ${list.length} tags on a page of ${n}`;
  const tags = new Map<string, string>();
  for (const entry of list as unknown[]) {
    const { name, digest } = (entry ?? {}) as { name?: unknown; digest?: unknown };
    if (typeof name !== 'string' || !TAG.test(name)) return 'the listing holds an invalid tag name';
    if (typeof digest !== 'string' || !isRegistryDigest(digest))
      return `the listing holds an invalid digest for ${name}`;
    if (tags.has(name)) return `the listing holds ${name} twice`;
    tags.set(name, digest);
  }
  const last = [...tags.keys()].pop();
  return linked && last !== undefined ? { tags, next: last } : { tags };
}
