// Registry reads under transient faults (registry/readRetry.ts), the bundled task against the
// emulator: a manifest HEAD answered 503 once (the source's, the ACR's) still decides the line
// from both digests (skipped, not "unverified"); a `.sig` manifest GET answered 429 once and a
// signature payload cut off once still verify the line, which is imported; a 404 is not asked
// twice; a read failing every attempt says how many attempts it took.
import assert from 'node:assert/strict';
import type { RequestLogEntry, RunningEmulator } from '../helpers/emulator';
import { explain, importRequests, runTask, useEmulator, type ImageResult } from './runTask';

const CONTROLLER = 'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller';
const SOURCE_HEAD = '/v2/ingress-nginx/controller/manifests/v1.11.1';

/** The requests to `host` whose path includes `path` (and of `method` when given). */
function to(
  log: RequestLogEntry[],
  host: string,
  path: string | RegExp,
  method?: string,
): RequestLogEntry[] {
  return log.filter(
    (e) =>
      e.host === host &&
      (typeof path === 'string' ? e.path.includes(path) : path.test(e.path)) &&
      (method === undefined || e.method === method),
  );
}

describe('e2e: registry reads retried on 429, 5xx and lost answers (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));
  const acr = (): string => em.ready.acrs[0]!.loginServer;
  const only = (images: ImageResult[] | undefined): ImageResult => {
    assert.equal(images?.length, 1);
    return images[0]!;
  };

  it('a source and an ACR manifest HEAD answered 503 once: the line is still decided from its digests (skipped)', async () => {
    const first = await runTask(em.ready, {
      imageList: CONTROLLER,
      env: { INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(first.status, 'Succeeded', explain(first));
    assert.equal(first.result?.counts.imported, 1);
    await em.admin.clearRequests();
    await em.admin.setFaults([
      {
        kind: 'registry503',
        match: { listener: 'registry.k8s.io', method: 'HEAD', path: SOURCE_HEAD },
        count: 1,
      },
      {
        kind: 'registry503',
        match: { listener: acr(), method: 'HEAD', path: SOURCE_HEAD },
        count: 1,
      },
    ]);
    const run = await runTask(em.ready, {
      imageList: CONTROLLER,
      env: { INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const line = only(run.result?.images);
    assert.equal(line.status, 'skipped', explain(run));
    assert.equal(line.action, 'skip');
    assert.equal(line.note, 'up to date', explain(run));
    assert.doesNotMatch(run.visible, /unverified|without comparing/i);
    const log = await em.admin.requests();
    for (const host of ['registry.k8s.io', acr()]) {
      const heads = to(log, host, SOURCE_HEAD, 'HEAD').map((e) => e.status);
      // the 503, then (after a token, where the first HEAD had none) the HEAD that answered
      assert.equal(heads[0], 503, `${host}: ${heads.join(', ')}`);
      assert.equal(heads[heads.length - 1], 200, `${host}: ${heads.join(', ')}`);
      assert.ok(heads.length <= 3, `${host}: ${heads.join(', ')}`);
    }
    assert.equal(importRequests(log).length, 0, 'nothing imported');
  });

  it('a .sig manifest GET answered 429 once, a signature payload cut off once: the line is verified and imported', async () => {
    const key = em.ready.cosignPublicKeyPath;
    await em.admin.setFaults([
      {
        kind: 'registry429',
        match: { listener: 'registry.k8s.io', method: 'GET', path: '.sig' },
        count: 1,
        retryAfterSeconds: 1,
      },
      {
        kind: 'dropConnection',
        match: { listener: 'registry.k8s.io', method: 'GET', path: '/blobs/' },
        count: 1,
      },
    ]);
    const run = await runTask(em.ready, {
      imageList: CONTROLLER,
      env: {
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: `registry.k8s.io/** => ${key}`,
      },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const line = only(run.result?.images);
    assert.equal(line.status, 'imported', explain(run));
    assert.deepEqual(line.signature, {
      verified: true,
      mode: 'key',
      key: `registry.k8s.io/** => ${key}`,
      reason: null,
      rekorLogIndex: null, // the emulator logs no Rekor entry for this key signature
    });
    const log = await em.admin.requests();
    const sig = to(log, 'registry.k8s.io', /\/manifests\/sha256-[0-9a-f]{64}\.sig$/, 'GET');
    const answered = sig.map((e) => e.status).filter((s) => s !== 401);
    assert.equal(answered[0], 429, answered.join(', '));
    assert.equal(answered[1], 200, answered.join(', '));
    const blobs = to(log, 'registry.k8s.io', '/blobs/', 'GET');
    assert.ok(
      blobs.some((e) => e.status === 0) && blobs.some((e) => e.status === 200),
      blobs.map((e) => e.status).join(', '),
    );
    const imports = importRequests(log).filter((e) =>
      (e.targetTags ?? []).includes('ingress-nginx/controller:v1.11.1'),
    );
    assert.deepEqual(
      imports.map((e) => e.sourceImage),
      [`ingress-nginx/controller@${line.digest}`],
    );
  });

  it('a source answering 503 at every attempt: the line says it was tried 3 times; a 404 is asked once', async () => {
    await em.admin.setFaults([
      {
        kind: 'registry503',
        match: { listener: 'registry.k8s.io', method: 'HEAD', path: SOURCE_HEAD },
      },
    ]);
    const run = await runTask(em.ready, {
      imageList: `${CONTROLLER}\nregistry.k8s.io/ingress-nginx/controller:v0.0.0-missing => ingress-nginx/missing\n`,
      env: { INPUT_COPYREFERRERS: 'none', INPUT_VERIFYSIGNATURES: 'off' },
    });
    const images = run.result?.images ?? [];
    const line = images.find((i) => i.repository === 'ingress-nginx/controller');
    assert.ok(line, explain(run));
    assert.equal(line.action, 'unverified', explain(run));
    assert.match(line.note ?? '', /manifest HEAD answered 503 \(3 attempts\)/, explain(run));
    const log = await em.admin.requests();
    const heads = to(log, 'registry.k8s.io', SOURCE_HEAD, 'HEAD').filter((e) => e.status === 503);
    assert.equal(heads.length, 3);
    const missing = to(log, 'registry.k8s.io', '/manifests/v0.0.0-missing', 'HEAD').filter(
      (e) => e.status !== 401,
    );
    assert.deepEqual(
      missing.map((e) => e.status),
      [404],
    );
  });
});
