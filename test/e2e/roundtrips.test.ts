// Round trips of a re-run (issue 11): the tokens of the digest check are fetched up front, one per
// batch of repositories per registry and identity, so a re-run makes one manifest HEAD per image
// on each side plus a constant per registry, and registers a setsecret per token, not per
// repository. Counted in the emulator's request log (by host) and in the task's stdout.
import assert from 'node:assert/strict';
import type { RequestLogEntry, RunningEmulator } from '../helpers/emulator';
// This suite measures issue 11's round trips and token batches per registry, not signatures: its runs use copyReferrers none (runTaskNoReferrers),
// test/e2e/signatures.test.ts measures what issue 10's default adds.
import { explain, runTaskNoReferrers, taskRequests, useEmulator, type TaskRun } from './runTask';
import { assertNoSecretShown } from './secrets';
import {
  EXAMPLE,
  EXAMPLE_COUNT,
  EXAMPLE_LINES,
  EXAMPLE_REGISTRIES,
  listEntries,
} from './exampleList';

/** Scopes per token (registry/tokenBatches.ts SCOPES_PER_TOKEN). */
const BATCH = 50;

/** The token tests' own list: three quay.io repositories in one batch, and lines of three other registries. */
const TOKEN_LIST = [
  'quay.io/jetstack/cert-manager-controller:v1.15.2 => jetstack/cert-manager-controller',
  'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook',
  'quay.io/jetstack/cert-manager-cainjector:v1.15.2 => jetstack/cert-manager-cainjector',
  'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller',
  'mcr.microsoft.com/azuredocs/aks-helloworld:v1 => azuredocs/aks-helloworld',
  'docker.io/cloudflare/cloudflared:latest => cloudflare/cloudflared',
].join('\n');
const TOKEN_ENTRIES = listEntries(TOKEN_LIST, 'TOKEN_LIST');
const QUAY_REPOSITORIES = TOKEN_ENTRIES.filter((e) => e.source.registry === 'quay.io').map(
  (e) => e.source.repository,
);

const setsecrets = (run: TaskRun): number =>
  run.stdout.split('\n').filter((l) => l.includes('##vso[task.setsecret]')).length;

/** Requests per host, and the HEADs among them. */
function byHost(log: RequestLogEntry[]): Map<string, { all: number; heads: number }> {
  const out = new Map<string, { all: number; heads: number }>();
  for (const e of taskRequests(log)) {
    const n = out.get(e.host) ?? { all: 0, heads: 0 };
    n.all++;
    if (e.method === 'HEAD') n.heads++;
    out.set(e.host, n);
  }
  return out;
}

/** Lines (images) per source registry in a run's result. */
function imagesPerRegistry(run: TaskRun): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of run.result!.images) out.set(i.registry, (out.get(i.registry) ?? 0) + 1);
  return out;
}

/** Checks a re-run's request log and stdout against the goal; returns the figures. */
function assertRerun(
  run: TaskRun,
  log: RequestLogEntry[],
  loginServer: string,
): { requests: number; registryRequests: number; setsecret: number; images: number } {
  const images = run.result!.images.length;
  assert.equal(run.result!.counts.skipped, images, explain(run));
  const hosts = byHost(log);
  const perRegistry = imagesPerRegistry(run);
  const tokensFor = (n: number): number => Math.ceil(n / BATCH);
  let registryRequests = 0;
  // each source registry: one HEAD per image, plus its first 401 (the ping) and a token per batch
  for (const [registry, n] of perRegistry) {
    const got = hosts.get(registry);
    assert.ok(got, `${registry} was asked`);
    assert.equal(got.heads, n, `${registry}: one HEAD per image`);
    assert.ok(
      got.all <= n + 1 + tokensFor(n),
      `${registry}: ${got.all} requests for ${n} images (at most ${n + 1 + tokensFor(n)})`,
    );
    registryRequests += got.all;
  }
  // the ACR: one HEAD per target, plus the exchange and a token per batch
  const acr = hosts.get(loginServer);
  assert.ok(acr, 'the ACR was asked');
  assert.equal(acr.heads, images, 'one ACR HEAD per image');
  assert.ok(
    acr.all <= images + 1 + tokensFor(images),
    `${loginServer}: ${acr.all} requests for ${images} images`,
  );
  registryRequests += acr.all;
  // no HEAD was refused: every token was there before its HEAD
  const refusedHeads = taskRequests(log).filter((e) => e.method === 'HEAD' && e.status === 401);
  assert.deepEqual(refusedHeads, [], 'no HEAD answered 401');
  // setsecret: the connection's secrets, the ARM and refresh tokens, a token per batch
  const registries = perRegistry.size + 1;
  const setsecret = setsecrets(run);
  assert.ok(
    setsecret <= registries + tokensFor(images) + 4,
    `${setsecret} setsecret lines for ${images} images on ${registries} registries`,
  );
  return { requests: taskRequests(log).length, registryRequests, setsecret, images };
}

describe('e2e: round trips of a re-run (bundled task vs emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 20, extraArgs: ['--extra-images', '120'] }, (e) => (em = e));

  const loginServer = (): string => em.ready.acrs[0]!.loginServer;

  it('images.txt: a re-run makes one HEAD per image on each side plus a constant per registry; setsecret per registry, not per image', async () => {
    const cold = await runTaskNoReferrers(em.ready);
    assert.equal(cold.status, 'Succeeded', explain(cold));
    await em.admin.clearRequests();
    const again = await runTaskNoReferrers(em.ready);
    assert.equal(again.status, 'Succeeded', explain(again));
    const log = await em.admin.requests();
    const f = assertRerun(again, log, loginServer());
    const n = EXAMPLE_COUNT;
    assert.equal(f.images, n);
    assertNoSecretShown(again); // every batched token masked as it is read
    // n images on the source registries and the ACR: 2n HEADs + (ping + token) per source
    // registry + exchange + token
    const hosts = EXAMPLE_REGISTRIES.size + 1;
    assert.ok(f.registryRequests <= 2 * n + 2 * hosts, `${f.registryRequests} registry requests`);
    console.log(
      `      ${n} images, re-run: ${f.requests} requests (${f.registryRequests} to registries, ` +
        `${(f.registryRequests / n).toFixed(2)} per image), ${f.setsecret} setsecret lines`,
    );
  });

  it('images.txt and 120 more: tokens come one per batch of repositories (quay.io and the ACR need several)', async () => {
    const extra = Array.from(
      { length: 120 },
      (_, i) => `quay.io/bench/img-${String(i).padStart(3, '0')}:v1 => bench/img-${i}`,
    );
    const list = `${[...EXAMPLE_LINES, ...extra].join('\n')}\n`;
    const total = EXAMPLE_COUNT + extra.length;
    const onQuay = EXAMPLE.filter((e) => e.source.registry === 'quay.io').length + extra.length;
    const cold = await runTaskNoReferrers(em.ready, { imageList: list });
    assert.equal(cold.status, 'Succeeded', explain(cold));
    await em.admin.clearRequests();
    const again = await runTaskNoReferrers(em.ready, { imageList: list });
    assert.equal(again.status, 'Succeeded', explain(again));
    const log = await em.admin.requests();
    const f = assertRerun(again, log, loginServer());
    assert.equal(f.images, total);
    // quay.io: its repositories (123 with today's images.txt) in a token per batch; the ACR too
    const tokens = (host: string, path: string): number =>
      taskRequests(log).filter((e) => e.host === host && e.path.startsWith(path)).length;
    assert.ok(Math.ceil(onQuay / BATCH) > 1, 'quay.io needs several tokens');
    assert.equal(tokens('quay.io', '/token'), Math.ceil(onQuay / BATCH));
    assert.equal(tokens(loginServer(), '/oauth2/token'), Math.ceil(total / BATCH));
    console.log(
      `      ${total} images, re-run: ${f.requests} requests (${f.registryRequests} to registries, ` +
        `${(f.registryRequests / total).toFixed(2)} per image), ${f.setsecret} setsecret lines`,
    );
  });

  /** Token requests to a host, with the scopes each asked for. */
  const tokenAsks = (log: RequestLogEntry[], host: string): string[][] =>
    taskRequests(log)
      .filter((e) => e.host === host && /^\/(oauth2\/)?token(\?|$)/.test(e.path))
      .map((e) => e.scopes ?? []);

  /** A run of the token tests' own list. */
  const tokenRun = (env: Record<string, string> = {}): Promise<TaskRun> =>
    runTaskNoReferrers(em.ready, { imageList: `${TOKEN_LIST}\n`, env });

  it('every repository of a re-run is in exactly one token request, per registry', async () => {
    assert.equal((await tokenRun()).status, 'Succeeded');
    await em.admin.clearRequests();
    const run = await tokenRun();
    assert.equal(run.status, 'Succeeded', explain(run));
    const log = await em.admin.requests();
    for (const [host, repos] of [
      ['quay.io', QUAY_REPOSITORIES],
      [loginServer(), TOKEN_ENTRIES.map((e) => e.targetRepository)],
    ] as const) {
      const asks = tokenAsks(log, host);
      assert.equal(asks.length, 1, `${host}: one token request`);
      for (const r of repos)
        assert.ok(
          asks[0]!.some((s) => s.includes(`${r}:pull`)),
          `${host}: ${r} in ${JSON.stringify(asks)}`,
        );
    }
    assert.equal(
      tokenAsks(log, loginServer())[0]!.length,
      TOKEN_ENTRIES.length,
      'the ACR: every repository',
    );
  });

  it('a batch token request that fails: each HEAD asks its own token, as before, with the same results', async () => {
    assert.equal((await tokenRun()).status, 'Succeeded');
    await em.admin.clearRequests();
    await em.admin.setFaults([
      // dropped at each of its 3 attempts (registry reads are tried again: registry/readRetry.ts)
      { kind: 'dropConnection', match: { listener: 'quay.io', path: '/token' }, count: 3 },
    ]);
    const run = await tokenRun();
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.skipped, TOKEN_ENTRIES.length);
    const log = await em.admin.requests();
    const asks = tokenAsks(log, 'quay.io');
    const dropped = taskRequests(log).filter((e) => e.host === 'quay.io' && e.status === 0);
    assert.equal(dropped.length, 3, 'the batch (dropped, 3 attempts)');
    for (const d of dropped) assert.match(d.path, /^\/token\?/);
    assert.deepEqual(
      asks
        .filter((a) => a.length > 0)
        .map((a) => a.join(' '))
        .sort(),
      QUAY_REPOSITORIES.map((r) => `repository:${r}:pull`).sort(),
      'then a token per repository, after its 401',
    );
    const quayHeads = taskRequests(log).filter((e) => e.host === 'quay.io' && e.method === 'HEAD');
    assert.equal(quayHeads.filter((e) => e.status === 401).length, QUAY_REPOSITORIES.length);
    assert.equal(quayHeads.filter((e) => e.status === 200).length, QUAY_REPOSITORIES.length);
  });

  it('a HEAD refused with a batched token (tokens revoked): that HEAD asks a token for its one repository', async () => {
    assert.equal((await tokenRun()).status, 'Succeeded');
    await em.admin.clearRequests();
    // every token issued so far dies once the first quay.io HEAD is answered
    await em.admin.setFaults([
      { kind: 'invalidateTokens', match: { listener: 'quay.io', method: 'HEAD' }, count: 1 },
    ]);
    const run = await tokenRun({ INPUT_CONCURRENCY: '1' });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.skipped, TOKEN_ENTRIES.length);
    const log = await em.admin.requests();
    const refused = taskRequests(log).filter(
      (e) => e.host === 'quay.io' && e.method === 'HEAD' && e.status === 401,
    );
    assert.ok(refused.length >= 1, 'a later quay.io HEAD met the revoked batch token');
    const single = tokenAsks(log, 'quay.io').filter((a) => a.length === 1);
    for (const h of refused) {
      const repo = /^\/v2\/(.+)\/manifests\//.exec(h.path)![1]!;
      assert.ok(
        single.some((a) => a[0] === `repository:${repo}:pull`),
        `${repo}: its own token after the 401`,
      );
    }
  });
});
