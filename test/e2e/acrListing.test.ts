// The ACR read with one tag listing per repository read twice or more (issue 20): a re-run of
// three tags of one repository costs one `GET /acr/v1/<repo>/_tags` instead of three manifest
// HEADs; a principal without metadata_read (fault acrMetadataDenied) gets a 401 on the listing,
// and the run falls back to the HEADs with the same results; a signed line's re-run answers its
// tag and its `.sig` from one listing. Counted in the emulator's log.
import assert from 'node:assert/strict';
import type { RequestLogEntry, RunningEmulator } from '../helpers/emulator';
import { explain, runTask, runTaskNoReferrers, taskRequests, useEmulator } from './runTask';

const LIST = [
  'docker.io/library/nginx:latest => library/nginx',
  'docker.io/library/nginx:1.27 => library/nginx',
  'docker.io/library/nginx:1.27.0 => library/nginx',
].join('\n');

/** The ACR's listings and manifest HEADs in the log. */
function acrReads(log: RequestLogEntry[], loginServer: string) {
  const acr = taskRequests(log).filter((e) => e.host === loginServer);
  return {
    listings: acr.filter((e) => e.path.startsWith('/acr/v1/')),
    heads: acr.filter((e) => e.method === 'HEAD' && e.path.includes('/manifests/')),
  };
}

describe('e2e: the ACR read with one tag listing per repository (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 20 }, (e) => (em = e));
  const loginServer = (): string => em.ready.acrs[0]!.loginServer;

  it('a re-run of three tags of one repository: one listing, no ACR manifest HEAD, all up to date', async () => {
    const cold = await runTaskNoReferrers(em.ready, { imageList: LIST });
    assert.equal(cold.status, 'Succeeded', explain(cold));
    assert.equal(cold.result!.counts.imported, 3, explain(cold));
    await em.admin.clearRequests();
    const again = await runTaskNoReferrers(em.ready, {
      imageList: LIST,
      env: { SYSTEM_DEBUG: 'true' },
    });
    assert.equal(again.status, 'Succeeded', explain(again));
    assert.equal(again.result!.counts.skipped, 3, explain(again));
    const { listings, heads } = acrReads(await em.admin.requests(), loginServer());
    assert.deepEqual(
      listings.map((e) => `${e.method} ${e.path.split('?')[0]} ${e.status}`),
      ['GET /acr/v1/library/nginx/_tags 200'],
    );
    assert.deepEqual(heads, [], 'no ACR manifest HEAD');
    // System.Debug shows the listing: its request line and what it held.
    assert.match(again.stdout, /request: GET \S+ \/acr\/v1\/library\/nginx\/_tags -> 200/);
    assert.match(again.stdout, /acr listing: library\/nginx: 3 tag\(s\) in 1 page\(s\)/);
  });

  it('a signed line re-run with copyReferrers signatures (the default): its tag and its .sig from one listing, no tag HEAD on the ACR', async () => {
    const signed =
      'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller';
    const cold = await runTask(em.ready, { imageList: signed });
    assert.equal(cold.status, 'Succeeded', explain(cold));
    const carried = cold.result!.images[0]!.referrers ?? [];
    assert.ok(
      carried.some((r) => r.tag?.endsWith('.sig') && r.status === 'imported'),
      explain(cold),
    );
    await em.admin.clearRequests();
    const again = await runTask(em.ready, { imageList: signed });
    assert.equal(again.status, 'Succeeded', explain(again));
    const image = again.result!.images[0]!;
    assert.equal(image.status, 'skipped', explain(again));
    assert.ok(
      (image.referrers ?? []).length > 0 && image.referrers!.every((r) => r.status === 'skipped'),
      explain(again),
    );
    const { listings, heads } = acrReads(await em.admin.requests(), loginServer());
    assert.deepEqual(
      listings.map((e) => `${e.path.split('?')[0]} ${e.status}`),
      ['/acr/v1/jetstack/cert-manager-controller/_tags 200'],
    );
    // Only an untagged referrer (by digest) is still asked with a HEAD: no tag is.
    assert.deepEqual(
      heads.filter((e) => !e.path.includes('/manifests/sha256:')),
      [],
    );
  });

  it('a refused listing (no metadata_read): one 401, then the three HEADs, the same results', async () => {
    const cold = await runTaskNoReferrers(em.ready, { imageList: LIST });
    assert.equal(cold.status, 'Succeeded', explain(cold));
    await em.admin.clearRequests();
    await em.admin.setFaults([{ kind: 'acrMetadataDenied' }]);
    const again = await runTaskNoReferrers(em.ready, { imageList: LIST });
    assert.equal(again.status, 'Succeeded', explain(again));
    assert.equal(again.result!.counts.skipped, 3, explain(again));
    assert.deepEqual(
      again.result!.images.map((i) => i.status),
      cold.result!.images.map(() => 'skipped'),
    );
    const { listings, heads } = acrReads(await em.admin.requests(), loginServer());
    assert.deepEqual(
      listings.map((e) => e.status),
      [401],
    );
    assert.deepEqual(
      heads.map((e) => `${e.path} ${e.status}`).sort(),
      ['latest', '1.27', '1.27.0'].map((t) => `/v2/library/nginx/manifests/${t} 200`).sort(),
    );
  });
});
