// The ACR data plane's token cache (registry/acrData.ts).
import assert from 'node:assert/strict';
import { AcrDataPlane } from '../../tasks/ImportPublicImages/src/registry/acrDataPlane';

const armTokens = { token: async () => 'arm', renew: async () => 'arm2' };

/** A data plane whose access tokens come from `accessToken`; nothing listens on port 1, so its
 * requests fail fast, after the token step these tests are about. */
function planeAsking(accessToken: (scope: string) => Promise<string>): AcrDataPlane {
  const plane = new AcrDataPlane('contosoacr.azurecr.io', 't', armTokens, {
    'contosoacr.azurecr.io': 'https://127.0.0.1:1',
  });
  (plane as unknown as { accessToken: typeof accessToken }).accessToken = accessToken;
  return plane;
}

describe('registry/acrData: access tokens', () => {
  it('two items of one repository at once share one token fetch', async () => {
    const scopes: string[] = [];
    const plane = planeAsking(async (scope) => {
      scopes.push(scope);
      await new Promise((r) => setTimeout(r, 20));
      return 'token';
    });
    const results = await Promise.allSettled([
      plane.digest('library/nginx', '1.27'),
      plane.digest('library/nginx', '1.26'),
      plane.digest('other/app', 'v1'),
    ]);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.deepEqual(scopes.sort(), ['repository:library/nginx:pull', 'repository:other/app:pull']);
  });
  it('a failed token fetch is asked again by the next item', async () => {
    let calls = 0;
    const plane = planeAsking(async () => {
      calls++;
      throw new Error('exchange refused');
    });
    await assert.rejects(plane.digest('library/nginx', '1.27'), /exchange refused/);
    await assert.rejects(plane.digest('library/nginx', '1.27'), /exchange refused/);
    assert.equal(calls, 2);
  });
});

describe('registry/acrData: a listed repository token', () => {
  it('prefetch asks metadata_read with pull for a listed repository; its HEADs and its listing use that token', async () => {
    const asked: string[] = [];
    const plane = planeAsking(async (scope) => {
      asked.push(scope);
      return 'token';
    });
    await plane.prefetch(['team/app', 'other/app'], { concurrency: 1 }, new Set(['team/app']));
    assert.deepEqual(asked, ['repository:team/app:pull,metadata_read repository:other/app:pull']);
    await Promise.allSettled([plane.digest('team/app', 'v1'), plane.tags('team/app', 'n=1000')]);
    assert.equal(asked.length, 1, 'no token asked again');
    // A repository whose batch did not ask metadata_read has no listing: no token is asked for one.
    assert.equal(await plane.tags('other/app', 'n=1000'), undefined);
    assert.equal(asked.length, 1);
  });
});
