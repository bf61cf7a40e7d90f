// The ACR's tag listing: which repositories are listed (core/registry/acrListing.ts), a page
// checked where it enters, and the reader's paging, bounds and fallbacks to HEADs
// (registry/acrListing.ts).
import assert from 'node:assert/strict';
import {
  listedRepositories,
  MAX_ACR_LISTING_PAGES,
  parseAcrTagsPage,
} from '../../tasks/ImportPublicImages/src/core/registry/acrListing';
import type { HttpResponse } from '../../tasks/ImportPublicImages/src/registry/http';
import { AcrListings } from '../../tasks/ImportPublicImages/src/registry/acrListing';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const line = (targetRepository: string, ...targetTags: string[]) => ({
  targetRepository,
  targetTags,
});

describe('core/registry/acrListing: which repositories are listed', () => {
  const cases: {
    name: string;
    items: ReturnType<typeof line>[];
    checksTargets: boolean;
    carries: boolean;
    want: [string, number][];
  }[] = [
    {
      name: 'one tag per repository, nothing carried: HEADs',
      items: [line('a', 'v1'), line('b', 'v1')],
      checksTargets: true,
      carries: false,
      want: [],
    },
    {
      name: 'two lines of one repository: listed, one page',
      items: [line('a', 'v1'), line('a', 'v2'), line('b', 'v1')],
      checksTargets: true,
      carries: false,
      want: [['a', 1]],
    },
    {
      name: 'three tags of one line: listed, at most two pages',
      items: [line('a', 'v1', 'v1.2', 'latest')],
      checksTargets: true,
      carries: false,
      want: [['a', 2]],
    },
    {
      name: 'one tag and its signatures carried: listed, one page',
      items: [line('a', 'v1')],
      checksTargets: true,
      carries: true,
      want: [['a', 1]],
    },
    {
      name: 'a line read by digest (no tag) carried: one read, a HEAD',
      items: [line('a')],
      checksTargets: true,
      carries: true,
      want: [],
    },
    {
      name: 'force mode (no target read) carried: one read per repository, a HEAD',
      items: [line('a', 'v1', 'v2')],
      checksTargets: false,
      carries: true,
      want: [],
    },
    {
      name: 'pages bounded whatever the reads',
      items: Array.from({ length: 40 }, (_, i) => line('a', `v${i}`)),
      checksTargets: true,
      carries: false,
      want: [['a', MAX_ACR_LISTING_PAGES]],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = listedRepositories(c.items, c.checksTargets, () => c.carries);
      assert.deepEqual([...got], c.want);
    });
  }
});

describe('core/registry/acrListing: a page checked where it enters', () => {
  const page = (tags: unknown) => JSON.stringify({ registry: 'x', imageName: 'a', tags });
  it('reads names and digests; a Link gives the next page after the last tag', () => {
    const got = parseAcrTagsPage(
      page([
        { name: 'v1', digest: D('a') },
        { name: 'v2', digest: D('b') },
      ]),
      1000,
      true,
    );
    assert.deepEqual(got, {
      tags: new Map([
        ['v1', D('a')],
        ['v2', D('b')],
      ]),
      next: 'v2',
    });
  });
  it('no Link: the last page', () => {
    const got = parseAcrTagsPage(page([{ name: 'v1', digest: D('a') }]), 1000, false);
    assert.deepEqual(got, { tags: new Map([['v1', D('a')]]) });
  });
  it('refuses a body that is not an object, and a page of no tags that links a next one', () => {
    for (const body of ['[]', 'null', '"tags"', '7']) {
      assert.equal(parseAcrTagsPage(body, 1000, false), 'the listing is not a JSON object', body);
    }
    for (const body of ['{}', '{"tags":[]}', '{"tags":null}']) {
      assert.deepEqual(parseAcrTagsPage(body, 1000, false), { tags: new Map() }, body);
      assert.match(String(parseAcrTagsPage(body, 1000, true)), /links a next page/, body);
    }
  });
  it('refuses a hostile name, a hostile digest, a name twice, more than n tags, not JSON', () => {
    const refused: [string, RegExp][] = [
      [page([{ name: 'v1\n##vso[task.setvariable]x', digest: D('a') }]), /invalid tag name/],
      [page([{ name: 'v1', digest: 'sha256:##vso[x]' }]), /invalid digest for v1/],
      [page([{ name: 'v1', digest: D('A') }]), /invalid digest/],
      [
        page([
          { name: 'v1', digest: D('a') },
          { name: 'v1', digest: D('b') },
        ]),
        /v1 twice/,
      ],
      [
        page([
          { name: 'v1', digest: D('a') },
          { name: 'v2', digest: D('b') },
        ]),
        /2 tags on a page of 1/,
      ],
      [page({ v1: D('a') }), /no tags array/],
      ['<html>', /not JSON/],
    ];
    for (const [body, why] of refused) {
      const got = parseAcrTagsPage(body, body.includes('"v2"') ? 1 : 1000, false);
      assert.equal(typeof got, 'string', body);
      assert.match(got as string, why);
    }
  });
});

/** A fake data plane: listing pages by query, HEADs answered from `held`, both recorded. */
function plane(
  answer: (repository: string, query: string) => HttpResponse | undefined,
  held: Record<string, string> = {},
) {
  const listings: string[] = [];
  const heads: string[] = [];
  return {
    listings,
    heads,
    reachable: async () => undefined,
    prefetch: async () => undefined,
    tags: async (repository: string, query: string) => {
      listings.push(`${repository}?${query}`);
      return answer(repository, query);
    },
    digest: async (repository: string, reference: string) => {
      heads.push(`${repository}:${reference}`);
      return held[`${repository}:${reference}`] ?? null;
    },
  };
}
const ok = (tags: [string, string][], link = false): HttpResponse => ({
  status: 200,
  headers: link ? { link: '</acr/v1/a/_tags?last=x&n=1000>; rel="next"' } : {},
  body: JSON.stringify({ tags: tags.map(([name, digest]) => ({ name, digest })) }),
});

describe('registry/acrListing: the reader', () => {
  it('reads every page once (last = the previous page end) and answers each tag from it', async () => {
    const p = plane((_r, q) =>
      q.includes('last=') ? ok([['v2', D('b')]]) : ok([['v1', D('a')]], true),
    );
    const acr = new AcrListings(p, new Map([['a', 2]]));
    const got = await Promise.all([
      acr.digest('a', 'v1'),
      acr.digest('a', 'v2'),
      acr.digest('a', 'v3'),
    ]);
    assert.deepEqual(got, [D('a'), D('b'), null]);
    assert.deepEqual(p.listings, ['a?n=1000', 'a?n=1000&last=v1']);
    assert.deepEqual(p.heads, []);
  });
  it('more pages than its bound: the reads go to HEADs', async () => {
    const p = plane(() => ok([['v1', D('a')]], true), { 'a:v1': D('c') });
    const acr = new AcrListings(p, new Map([['a', 1]]));
    assert.equal(await acr.digest('a', 'v1'), D('c'));
    assert.deepEqual(p.listings, ['a?n=1000']);
    assert.deepEqual(p.heads, ['a:v1']);
  });
  it('a refused listing (403) falls back to HEADs, and no other repository is listed', async () => {
    const p = plane(() => ({ status: 403, headers: {}, body: '' }), { 'a:v1': D('a') });
    const acr = new AcrListings(
      p,
      new Map([
        ['a', 1],
        ['b', 1],
      ]),
    );
    assert.equal(await acr.digest('a', 'v1'), D('a'));
    assert.equal(await acr.digest('b', 'v1'), null);
    assert.deepEqual(p.listings, ['a?n=1000']);
    assert.deepEqual(p.heads, ['a:v1', 'b:v1']);
  });
  it('a 401, an error or no token: HEADs', async () => {
    for (const answer of [
      () => ({ status: 401, headers: {}, body: '' }),
      () => ({ status: 500, headers: {}, body: '' }),
      () => undefined,
      () => {
        throw new Error('socket hang up');
      },
    ]) {
      const p = plane(answer, { 'a:v1': D('a') });
      const acr = new AcrListings(p, new Map([['a', 1]]));
      assert.equal(await acr.digest('a', 'v1'), D('a'));
      assert.deepEqual(p.heads, ['a:v1']);
    }
  });
  it('a 404 NAME_UNKNOWN is a repository the ACR does not have: every tag absent, no HEAD', async () => {
    const unknown = '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}';
    const p = plane(() => ({ status: 404, headers: {}, body: unknown }));
    const acr = new AcrListings(p, new Map([['a', 1]]));
    assert.equal(await acr.digest('a', 'v1'), null);
    assert.equal(await acr.held('a', 'sha256-x.sig'), null);
    assert.deepEqual(p.heads, []);
  });
  it("another 404 (a proxy's page) says nothing of the repository: HEADs", async () => {
    const p = plane(() => ({ status: 404, headers: {}, body: '<html>Not Found</html>' }), {
      'a:v1': D('a'),
    });
    const acr = new AcrListings(p, new Map([['a', 1]]));
    assert.equal(await acr.digest('a', 'v1'), D('a'));
    assert.deepEqual(p.heads, ['a:v1']);
  });
  it('a tag this run imports (claimed) is asked with a HEAD: the listing predates the import', async () => {
    const p = plane(() => ok([['sha256-x.sig', D('a')]]), { 'a:sha256-x.sig': D('b') });
    const acr = new AcrListings(p, new Map([['a', 1]]));
    assert.equal(await acr.held('a', 'sha256-x.sig'), D('a'));
    acr.claim('a', 'sha256-x.sig');
    assert.equal(await acr.held('a', 'sha256-x.sig'), undefined);
    assert.equal(await acr.digest('a', 'sha256-x.sig'), D('b'));
    assert.deepEqual(p.heads, ['a:sha256-x.sig']);
  });
  it('a hostile page is not used: HEADs', async () => {
    const p = plane(() => ok([['v1', 'sha256:\n##vso[task.complete]']]), { 'a:v1': D('a') });
    const acr = new AcrListings(p, new Map([['a', 1]]));
    assert.equal(await acr.digest('a', 'v1'), D('a'));
    assert.deepEqual(p.heads, ['a:v1']);
  });
  it('a tag on two pages is not used: HEADs', async () => {
    const p = plane(() => ok([['v1', D('a')]], true));
    const acr = new AcrListings(p, new Map([['a', 3]]));
    assert.equal(await acr.digest('a', 'v1'), null);
    assert.deepEqual(p.listings, ['a?n=1000', 'a?n=1000&last=v1']);
    assert.deepEqual(p.heads, ['a:v1']);
  });
  it('a repository not listed, and a digest reference, are read with a HEAD', async () => {
    const p = plane(() => ok([['v1', D('a')]]));
    const acr = new AcrListings(p, new Map([['a', 1]]));
    await acr.digest('b', 'v1');
    await acr.digest('a', D('a'));
    assert.equal(await acr.held('b', 'v1'), undefined);
    assert.deepEqual(p.listings, []);
    assert.deepEqual(p.heads, ['b:v1', `a:${D('a')}`]);
  });
});
