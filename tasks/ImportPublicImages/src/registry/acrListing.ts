// What the ACR holds, read once per listed repository (core/registry/acrListing.ts says which):
// `GET /acr/v1/<repo>/_tags?n=1000[&last=<tag>]`, scope `metadata_read`, paged by `last` while
// the ACR answers a Link header. The check's target digests and the carry step's cosign tags are
// answered from it; a repository not listed, a digest reference, and a listing that cannot be
// used (refused 401/403, an error, an invalid page, more pages than its bound) go to the manifest
// HEAD as before. A 404 NAME_UNKNOWN is a repository the ACR does not have: no tag, a fine answer.
import { ACR_TAGS_PAGE, parseAcrTagsPage, type AcrTagsPage } from '../core/registry/acrListing';
import type { AcrDataPlane } from './acrDataPlane';
import { answered, describeError, header, traceLine } from './http';

type Plane = Pick<AcrDataPlane, 'digest' | 'reachable' | 'prefetch' | 'tags'>;

/** The ACR as the check and the carry step read it: listings where they save requests, else HEADs. */
export class AcrListings {
  private readonly read = new Map<string, Promise<Map<string, string> | undefined>>();
  /** Why the ACR refused a listing (401/403): then no other is asked, the HEADs answer. */
  private refused?: string;
  /** `repository:tag` a line of this run imports: the listing predates it, a HEAD answers. */
  private readonly claimed = new Set<string>();

  constructor(
    private readonly plane: Plane,
    /** The listed repositories, each with the most pages its listing may read. */
    private readonly listed: ReadonlyMap<string, number>,
  ) {}

  reachable(signal?: AbortSignal): Promise<string | undefined> {
    return this.plane.reachable(signal);
  }

  /** The HEADs' tokens, batched; a listed repository's token also reads its listing. */
  prefetch(
    repositories: readonly string[],
    opts: { concurrency: number; signal?: AbortSignal },
  ): Promise<void> {
    return this.plane.prefetch(repositories, opts, new Set(this.listed.keys()));
  }

  /** The digest a target tag (or digest) points at, or null when absent: the listing's, or a HEAD's. */
  async digest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<string | null> {
    // A digest reference is a manifest, tagged or not: the listing names tags only.
    const held = reference.includes(':')
      ? undefined
      : await this.held(repository, reference, signal);
    return held !== undefined ? held : this.plane.digest(repository, reference, signal);
  }

  /**
   * A tag this run imports (a cosign tag two lines of one digest share): from now on the listing,
   * read before, does not answer for it; the other line's carry asks with a HEAD, as it did
   * before listings.
   */
  claim(repository: string, tag: string): void {
    this.claimed.add(`${repository}:${tag}`);
  }

  /** The tag's digest in the repository's listing (null: not there); undefined when it has none. */
  async held(
    repository: string,
    tag: string,
    signal?: AbortSignal,
  ): Promise<string | null | undefined> {
    const pages = this.listed.get(repository);
    if (pages === undefined || this.claimed.has(`${repository}:${tag}`)) return undefined;
    let listing = this.read.get(repository);
    if (!listing) this.read.set(repository, (listing = this.list(repository, pages, signal)));
    const tags = await listing;
    return tags ? (tags.get(tag) ?? null) : undefined;
  }

  /** Every page of the repository's listing, or undefined (said in System.Debug) when it cannot be used. */
  private async list(
    repository: string,
    maxPages: number,
    signal?: AbortSignal,
  ): Promise<Map<string, string> | undefined> {
    const fallBack = (why: string): undefined => {
      traceLine(`acr listing: ${repository}: ${why}; its tags are read with manifest HEADs`);
      return undefined;
    };
    if (this.refused) return undefined;
    const tags = new Map<string, string>();
    let last: string | undefined;
    for (let page = 1; page <= maxPages; page++) {
      const query = `n=${ACR_TAGS_PAGE}${last ? `&last=${encodeURIComponent(last)}` : ''}`;
      let read: AcrTagsPage | string;
      try {
        const res = await this.plane.tags(repository, query, signal);
        if (!res) return fallBack('no token with metadata_read');
        // The ACR has no such repository (its NAME_UNKNOWN; another 404, a proxy's, says nothing).
        if (res.status === 404 && page === 1 && res.body.includes('NAME_UNKNOWN')) return tags;
        if (res.status === 401 || res.status === 403) {
          this.refused = answered(res);
          return fallBack(`the listing ${this.refused} (no metadata_read); no other is asked`);
        }
        if (res.status !== 200) return fallBack(`the listing ${answered(res)}`);
        read = parseAcrTagsPage(res.body, ACR_TAGS_PAGE, header(res, 'link') !== undefined);
      } catch (err) {
        return fallBack(`the listing could not be read (${describeError(err)})`);
      }
      if (typeof read === 'string') return fallBack(read);
      for (const [tag, digest] of read.tags) {
        if (tags.has(tag)) return fallBack(`the listing holds ${tag} on two pages`);
        tags.set(tag, digest);
      }
      if (read.next === undefined) {
        traceLine(`acr listing: ${repository}: ${tags.size} tag(s) in ${page} page(s)`);
        return tags;
      }
      last = read.next;
    }
    return fallBack(`more than ${maxPages} page(s) of tags`);
  }
}
