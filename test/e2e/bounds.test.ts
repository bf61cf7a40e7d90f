// Bounds on what a registry sends (issue 16), the bundled task against the emulator's hostile
// registry (test/emulator/hostileRegistry.ts): a 520 MiB referrers answer (with and without
// Content-Length), 1,000 referrers, a listing that never ends, a body that trickles one byte a
// second, headers that never come; and, for signature verification, a signature manifest of 5,000
// layers, a 520 MiB `.sig` manifest and a 520 MiB signature payload. Each bound holds: the affected
// line fails naming the bound, the other lines import, the run reports every line (JSON result,
// log, status by failurePolicy), and the task read no more than the bound (the emulator counts the
// bytes it could send before the task left).
import assert from 'node:assert/strict';
import type { FaultRule, RequestLogEntry, RunningEmulator } from '../helpers/emulator';
import { explain, importRequests, runTask, useEmulator, type ImageResult } from './runTask';

const MiB = 1024 * 1024;

const LINES = {
  oversized: 'registry.k8s.io/pause:3.10 => bounds/oversized:3.10',
  oversizedChunked: 'mcr.microsoft.com/oss/kubernetes/pause:3.6 => bounds/chunked:3.6',
  manyReferrers:
    'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1 => bounds/many-refs:v1.4.1',
  endlessPages: 'ghcr.io/fluxcd/source-controller:v1.3.0 => bounds/pages:v1.3.0',
  trickle: 'mcr.microsoft.com/azuredocs/aks-helloworld:v1 => bounds/trickle:v1',
  silent: 'docker.io/library/busybox:1.36 => bounds/silent:1.36',
  wellBehaved: 'quay.io/jetstack/cert-manager-controller:v1.15.2 => bounds/well-behaved:v1.15.2',
};

/** The hostile answer of each line's referrers listing. */
const RULES: FaultRule[] = [
  {
    kind: 'hostileOversized',
    match: { listener: 'registry.k8s.io', method: 'GET', path: '/v2/pause/referrers/' },
  },
  {
    kind: 'hostileOversized',
    chunked: true,
    match: {
      listener: 'mcr.microsoft.com',
      method: 'GET',
      path: '/v2/oss/kubernetes/pause/referrers/',
    },
  },
  {
    kind: 'hostileReferrers',
    items: 1000,
    match: {
      listener: 'registry.k8s.io',
      method: 'GET',
      path: '/v2/ingress-nginx/kube-webhook-certgen/referrers/',
    },
  },
  {
    kind: 'hostileEndlessPages',
    match: { listener: 'ghcr.io', method: 'GET', path: '/v2/fluxcd/source-controller/referrers/' },
  },
  {
    kind: 'hostileTrickle',
    intervalMs: 1000,
    match: {
      listener: 'mcr.microsoft.com',
      method: 'GET',
      path: '/v2/azuredocs/aks-helloworld/referrers/',
    },
  },
  {
    kind: 'hostileSilent',
    match: { listener: 'docker.io', method: 'GET', path: '/v2/library/busybox/referrers/' },
  },
];

function line(images: readonly ImageResult[] | undefined, text: string): ImageResult {
  const target = text.split('=> ')[1]!.split(':')[0]!;
  const found = images?.find((i) => i.targets.some((t) => t.includes(`/${target}:`)));
  assert.ok(found, `a result for ${text}`);
  return found;
}

const to = (log: RequestLogEntry[], host: string, path: string): RequestLogEntry[] =>
  log.filter((e) => e.host === host && e.path.includes(path));

describe('e2e: bounds on what a registry sends (bundled task vs hostile emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  it('each hostile listing fails its own line naming the bound; the well-behaved line imports with its signature; every line is reported', async () => {
    await em.admin.setFaults(RULES);
    const run = await runTask(em.ready, {
      imageList: Object.values(LINES).join('\n'),
      // 6 s: the deadline on each line's registry reads (the trickle and the silence end there).
      env: { INPUT_IMPORTTIMEOUTMINUTES: '0.1' },
    });
    assert.equal(run.code, 0, `the task ended by itself\n${explain(run)}`);
    assert.equal(run.status, 'Failed', explain(run));
    const r = run.result;
    assert.ok(r, `the JSON result is written\n${explain(run)}`);
    const total = Object.keys(LINES).length; // one well-behaved line, every other one hostile
    assert.equal(r.images.length, total);
    assert.deepEqual(
      { imported: r.counts.imported, failed: r.counts.failed, total: r.counts.total },
      { imported: 1, failed: total - 1, total },
      explain(run),
    );

    const expect: [keyof typeof LINES, RegExp][] = [
      ['oversized', /larger than 4 MiB \(the bound on a referrers answer\)/],
      ['oversizedChunked', /larger than 4 MiB \(the bound on a referrers answer\)/],
      ['manyReferrers', /more than 128 \(the bound on referrers per subject\)/],
      ['endlessPages', /more than 20 \(the bound on pages per listing\)/],
      ['trickle', /did not answer this line's reads within 6 s \(importTimeoutMinutes/],
      ['silent', /did not answer this line's reads within 6 s \(importTimeoutMinutes/],
    ];
    for (const [name, reason] of expect) {
      const i = line(r.images, LINES[name]);
      assert.equal(i.status, 'failed', `${name}\n${explain(run)}`);
      assert.match(i.error ?? '', /signatures and referrers not carried/, `${name}: ${i.error}`);
      assert.match(i.error ?? '', reason, `${name}: ${i.error}`);
      // The log closes the line too, after what it said of its referrers.
      const closing = new RegExp(`line ${i.line}: .* failed: signatures and referrers not carried`);
      assert.match(run.visible, closing, name);
    }
    const good = line(r.images, LINES.wellBehaved);
    assert.equal(good.status, 'imported', explain(run));
    assert.ok(
      good.referrers?.some((x) => x.kind === 'cosign-signature' && x.status === 'imported'),
      explain(run),
    );

    const log = await em.admin.requests();
    // The 520 MiB answers were not read: the task left after at most the bound and the buffers.
    const big = [
      ...to(log, 'registry.k8s.io', '/v2/pause/referrers/'),
      ...to(log, 'mcr.microsoft.com', '/v2/oss/kubernetes/pause/referrers/'),
    ];
    assert.equal(big.length, 2, JSON.stringify(big));
    for (const e of big) assert.ok((e.bytesSent ?? 0) < 16 * MiB, `${e.path}: ${e.bytesSent}`);
    // One listing page too many is never asked; none of the 1,000 referrers reaches ARM or the ACR.
    assert.equal(to(log, 'ghcr.io', '/v2/fluxcd/source-controller/referrers/').length, 20);
    const acr = em.ready.acrs[0]!.loginServer;
    assert.equal(to(log, acr, '/v2/bounds/many-refs/manifests/sha256:').length, 0);
    const imports = importRequests(log);
    const untagged = imports.filter((e) => (e.untaggedTargetRepositories ?? []).length > 0);
    assert.deepEqual(
      untagged.map((e) => e.untaggedTargetRepositories?.[0]),
      untagged.map(() => 'bounds/well-behaved'),
    );
  });

  it('signature reads past a bound: 5,000 layers fail before any layer is read, a 520 MiB .sig manifest and a 520 MiB payload are not read; those lines are not imported (failurePolicy warn: SucceededWithIssues)', async () => {
    const onDockerHub = (path: string): FaultRule['match'] => ({
      listener: 'docker.io',
      method: 'GET',
      path,
    });
    await em.admin.setFaults([
      {
        kind: 'hostileLayers',
        items: 5000,
        match: onDockerHub('/v2/cloudflare/cloudflared/manifests/sha256-'),
      },
      {
        kind: 'hostileOversized',
        chunked: true,
        match: onDockerHub('/v2/library/nginx/manifests/sha256-'),
      },
      {
        kind: 'hostileOversized',
        match: {
          listener: 'registry.k8s.io',
          method: 'GET',
          path: '/v2/ingress-nginx/controller/blobs/',
        },
      },
    ]);
    const key = em.ready.cosignPublicKeyPath;
    const lines = {
      layers: 'docker.io/cloudflare/cloudflared:2024.8.2 => bounds/layers:2024.8.2',
      manifest: 'docker.io/library/nginx:1.27 => bounds/sig-manifest:1.27',
      payload: 'registry.k8s.io/ingress-nginx/controller:v1.11.1 => bounds/payload:v1.11.1',
    };
    const run = await runTask(em.ready, {
      imageList: [...Object.values(lines), LINES.wellBehaved].join('\n'),
      env: {
        INPUT_FAILUREPOLICY: 'warn',
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: [
          `docker.io/cloudflare/** => ${key}`,
          `docker.io/library/** => ${key}`,
          `registry.k8s.io/** => ${key}`,
          `quay.io/** => ${key}`,
        ].join('\n'),
        // the well-behaved line's signature is logged in the emulator's Rekor
        INPUT_SIGSTORETRUSTEDROOT: em.ready.sigstoreTrustedRootPath,
      },
    });
    assert.equal(run.status, 'SucceededWithIssues', explain(run));
    const r = run.result!;
    const expect: [keyof typeof lines, RegExp][] = [
      ['layers', /has 5000 layers: more than 128 \(the bound on layers per signature manifest\)/],
      ['manifest', /larger than 4 MiB \(the bound on a manifest answer\)/],
      ['payload', /larger than 256 KiB \(the bound on a signature payload\)/],
    ];
    for (const [name, reason] of expect) {
      const i = line(r.images, lines[name]);
      assert.equal(i.status, 'failed', `${name}\n${explain(run)}`);
      assert.match(
        i.error ?? '',
        /signature verification failed: could not read the cosign signature/,
      );
      assert.match(i.error ?? '', reason, `${name}: ${i.error}`);
    }
    assert.equal(line(r.images, LINES.wellBehaved).status, 'imported', explain(run));
    const log = await em.admin.requests();
    assert.equal(to(log, 'docker.io', '/v2/cloudflare/cloudflared/blobs/').length, 0);
    const big = [
      ...to(log, 'docker.io', '/v2/library/nginx/manifests/sha256-'),
      ...to(log, 'registry.k8s.io', '/v2/ingress-nginx/controller/blobs/'),
    ].filter((e) => e.method === 'GET');
    assert.equal(big.length, 2, JSON.stringify(big));
    for (const e of big) assert.ok((e.bytesSent ?? 0) < 16 * MiB, `${e.path}: ${e.bytesSent}`);
    const imported = importRequests(log).map((e) => e.sourceImage ?? '');
    for (const repo of ['cloudflared', 'library/nginx', 'ingress-nginx/controller'])
      assert.ok(!imported.some((s) => s.includes(repo)), `${repo} not imported`);
  });

  it('a digest check whose HEAD never gets its headers ends at the line deadline: that side unread (as an unreachable registry), the run reports', async () => {
    await em.admin.setFaults([
      {
        kind: 'hostileSilent',
        match: {
          listener: 'mcr.microsoft.com',
          method: 'HEAD',
          path: '/v2/azuredocs/aks-helloworld/manifests/v1',
        },
      },
    ]);
    const started = Date.now();
    const run = await runTask(em.ready, {
      imageList: [LINES.trickle, LINES.wellBehaved].join('\n'),
      env: { INPUT_IMPORTTIMEOUTMINUTES: '0.1', INPUT_COPYREFERRERS: 'none' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    const unread = line(run.result?.images, LINES.trickle);
    assert.equal(unread.action, 'unverified', explain(run));
    assert.match(
      unread.note ?? '',
      /did not answer this line's reads within 6 s \(importTimeoutMinutes/,
    );
    assert.equal(line(run.result?.images, LINES.wellBehaved).status, 'imported');
    // 6 s, not the socket's 30 s idle time-out or the request's 60 s deadline.
    assert.ok(Date.now() - started < 25000, 'ended at the 6 s deadline');
  });
});
