// The check step (steps/check.ts) with fake registries: source and target digests, fallbacks,
// and the Docker Hub rate-limit probe.
import assert from 'node:assert/strict';
import {
  planImports,
  type PlanItem,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import { eachLine } from '../../../tasks/ImportPublicImages/src/core/run/lineStages';
import { checkItems, startChecks } from '../../../tasks/ImportPublicImages/src/steps/check';
import {
  decideLine,
  dockerHubBudget,
  probeDockerHub,
} from '../../../tasks/ImportPublicImages/src/steps/decide';
import type { ManifestHead } from '../../../tasks/ImportPublicImages/src/registry/manifests';
import type { Credential } from '../../../tasks/ImportPublicImages/src/core/plan/decisions';

interface HeadCall {
  registry: string;
  repository: string;
  reference: string;
  credential?: Credential;
}

function fakeSources(answer: (c: HeadCall) => ManifestHead | Error) {
  const calls: HeadCall[] = [];
  return {
    calls,
    async head(
      registry: string,
      repository: string,
      reference: string,
      credential: Credential | undefined,
    ): Promise<ManifestHead> {
      const call = { registry, repository, reference, credential };
      calls.push(call);
      const a = answer(call);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

function fakeAcr(digests: Record<string, string | null>, unreachable?: string) {
  const calls: string[] = [];
  return {
    calls,
    async reachable(): Promise<string | undefined> {
      return unreachable;
    },
    async digest(repository: string, reference: string): Promise<string | null> {
      calls.push(`${repository}:${reference}`);
      const d = digests[`${repository}:${reference}`];
      if (d === undefined) return null;
      return d;
    },
  };
}

const hub: Credential = { username: 'hubuser', password: 'hubpass' };
const credentials = { dockerHub: hub, registries: {} };

function items(text: string): PlanItem[] {
  return planImports(parseImageList(text).entries, credentials);
}

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const limit = { limit: 100, remaining: 3, windowSeconds: 21600 };

describe('steps/check: checkItems', () => {
  it('sync reads both sides and keeps the lowest Docker Hub limit', async () => {
    const sources = fakeSources((c) => ({
      digest: D1,
      rateLimit: c.registry === 'docker.io' ? limit : undefined,
    }));
    const acr = fakeAcr({ 'library/nginx:1.27': D1 });
    const out = await checkItems(items('nginx:1.27\nquay.io/a/b:v1'), 'sync', {
      sources,
      dataPlane: acr,
      credentials,
      readConcurrency: 2,
    });
    assert.deepEqual(out.checks[0], { sourceDigest: D1, targets: { '1.27': D1 } });
    assert.deepEqual(out.checks[1], { sourceDigest: D1, targets: { v1: null } });
    assert.deepEqual(out.dockerHub, limit);
    assert.equal(sources.calls[0]?.credential, hub, 'docker.io gets the Docker Hub account');
    assert.equal(sources.calls[1]?.credential, undefined, 'quay.io gets nothing');
  });

  it('an unreachable data plane becomes a targetError on every line', async () => {
    const out = await checkItems(items('nginx:1.27'), 'missing', {
      sources: fakeSources(() => ({ digest: D1 })),
      dataPlane: fakeAcr({}, 'ECONNREFUSED'),
      credentials,
      readConcurrency: 1,
    });
    assert.equal(out.acrUnreachable, 'ECONNREFUSED');
    assert.deepEqual(out.checks[0], { targetError: 'ECONNREFUSED' });
  });

  it('a failing source HEAD is a sourceError; a 404 marks the source as not found', async () => {
    const sources = fakeSources((c) =>
      c.repository === 'library/gone' ? { digest: null } : new Error('socket hang up'),
    );
    const out = await checkItems(items('gone:1\nquay.io/a/b:v1'), 'sync', {
      sources,
      dataPlane: fakeAcr({}),
      credentials,
      readConcurrency: 1,
    });
    assert.equal(out.checks[0]?.sourceNotFound, true);
    assert.match(out.checks[0]?.sourceError ?? '', /not found upstream/);
    assert.equal(out.checks[1]?.sourceNotFound, undefined);
    assert.equal(out.checks[1]?.sourceError, 'socket hang up');
  });

  it('force mode reads nothing', async () => {
    const sources = fakeSources(() => ({ digest: D1 }));
    const acr = fakeAcr({});
    const out = await checkItems(items('nginx:1.27'), 'force', {
      sources,
      dataPlane: acr,
      credentials,
      readConcurrency: 1,
    });
    assert.deepEqual(out.checks, [{}]);
    assert.equal(sources.calls.length + acr.calls.length, 0);
  });

  it('an untagged (digest-only) line looks the digest up in the target repository', async () => {
    const acr = fakeAcr({ [`library/nginx:${D2}`]: D2 });
    const out = await checkItems(items(`nginx@${D2}`), 'missing', {
      sources: fakeSources(() => ({ digest: D2 })),
      dataPlane: acr,
      credentials,
      readConcurrency: 1,
    });
    assert.deepEqual(out.checks[0], { targets: { '': D2 } });
  });
});

describe('steps/check: tokens asked up front', () => {
  /** The fakes, with prefetch, logging every call in order. */
  function withPrefetch(unreachable?: string) {
    const log: string[] = [];
    const sources = fakeSources((c) => {
      log.push(`head ${c.registry}/${c.repository}`);
      return { digest: D1 };
    });
    const acr = fakeAcr({}, unreachable);
    return {
      log,
      sources: {
        ...sources,
        async prefetch(list: readonly PlanItem[], creds: typeof credentials) {
          assert.equal(creds, credentials);
          log.push(`sources ${list.map((i) => i.sourceText).join(' ')}`);
        },
      },
      dataPlane: {
        ...acr,
        async digest(repository: string, reference: string) {
          log.push(`digest ${repository}:${reference}`);
          return acr.digest(repository, reference);
        },
        async prefetch(repositories: readonly string[]) {
          log.push(`acr ${repositories.join(' ')}`);
        },
      },
    };
  }

  it('once, before any HEAD: the sources read (not the pinned ones) and every target repository', async () => {
    const f = withPrefetch();
    await checkItems(
      items(`nginx:1.27
quay.io/a/b:v1
redis@${D2}`),
      'sync',
      {
        ...f,
        credentials,
        readConcurrency: 2,
      },
    );
    assert.deepEqual(f.log.slice(0, 2).sort(), [
      'acr library/nginx a/b library/redis',
      'sources docker.io/library/nginx:1.27 quay.io/a/b:v1',
    ]);
    assert.equal(f.log.filter((l) => /^(sources|acr) /.test(l)).length, 2, 'once each');
    assert.equal(f.log.filter((l) => l.startsWith('head ')).length, 2);
  });

  it("the needed images' sources join the batch (alsoPrefetch), even in a mode that reads no source", async () => {
    const f = withPrefetch();
    const alsoPrefetch = items('quay.io/jetstack/cert-manager-acmesolver:v1.15.2');
    await checkItems(items('nginx:1.27'), 'missing', {
      ...f,
      credentials,
      readConcurrency: 1,
      alsoPrefetch,
    });
    assert.equal(f.log.filter((l) => l.startsWith('sources ')).length, 1, 'one batch');
    assert.ok(
      f.log.includes('sources quay.io/jetstack/cert-manager-acmesolver:v1.15.2'),
      f.log.join('\n'),
    );
  });

  it('an unreachable data plane gets no token requests; missing mode reads no source', async () => {
    const f = withPrefetch('ECONNREFUSED');
    await checkItems(items('nginx:1.27'), 'missing', { ...f, credentials, readConcurrency: 1 });
    assert.deepEqual(f.log, ['sources ', 'acr ']);
  });
});

describe('steps/check: probeDockerHub', () => {
  it('sends one HEAD for the first docker.io item, with its credentials', async () => {
    const sources = fakeSources(() => ({ digest: D1, rateLimit: limit }));
    const rl = await probeDockerHub(items(`quay.io/a/b:v1\nnginx@${D2}\nredis:7`), {
      sources,
      credentials,
    });
    assert.deepEqual(rl, limit);
    assert.equal(sources.calls.length, 1);
    assert.deepEqual(sources.calls[0], {
      registry: 'docker.io',
      repository: 'library/nginx',
      reference: D2,
      credential: hub,
    });
  });
  it('sends nothing without docker.io items, or when canceled', async () => {
    const sources = fakeSources(() => ({ digest: D1, rateLimit: limit }));
    assert.equal(
      await probeDockerHub(items('quay.io/a/b:v1'), { sources, credentials }),
      undefined,
    );
    const c = new AbortController();
    c.abort();
    assert.equal(
      await probeDockerHub(items('nginx'), { sources, credentials, signal: c.signal }),
      undefined,
    );
    assert.equal(sources.calls.length, 0);
  });
  it('an unreachable Docker Hub gives no limit rather than an error', async () => {
    const sources = fakeSources(() => new Error('ENOTFOUND'));
    assert.equal(await probeDockerHub(items('nginx'), { sources, credentials }), undefined);
  });
});

describe('steps/check + steps/decide: one line at a time', () => {
  it('a line is decided (and logged) as soon as its own check is done; docker.io imports wait for every docker.io decision and the shortfall warning', async () => {
    // The quay.io line's HEAD answers at once; docker.io's wait until released.
    const release: (() => void)[] = [];
    const sources = {
      async head(registry: string): Promise<ManifestHead> {
        if (registry === 'docker.io') await new Promise<void>((r) => release.push(r));
        return { digest: D1, rateLimit: registry === 'docker.io' ? limit : undefined };
      },
    };
    const acr = fakeAcr({});
    const list = items('nginx:1.27\nquay.io/a/b:v1\nredis:7\nbusybox:1\nalpine:3\nubuntu:24.04');
    const events: string[] = [];
    const out = {
      log: (t: string) => events.push(t.replace(/ \(.*$/, '')),
      warn: (t: string) => events.push(`warn ${t.slice(0, 30)}`),
      secret: () => undefined,
      progress: () => undefined,
    };
    const deps = { sources, dataPlane: acr, credentials, readConcurrency: 8 };
    const decide = {
      mode: 'sync' as const,
      allowUpdates: true,
      loginServer: 'r.azurecr.io',
      dryRun: true,
    };
    const ctx = { out, signal: new AbortController().signal };
    const checks = await startChecks(list, 'sync', deps, ctx);
    const budget = dockerHubBudget(list, checks, deps, ctx);
    const done = eachLine(
      list,
      async (item) => decideLine(item, await checks.line(item), decide, ctx),
      [
        budget,
        async (r) => {
          events.push(`import ${r.item.line}`);
        },
      ],
    );
    while (release.length < 5) await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['line 2: quay.io/a/b:v1 import', 'import 2']);
    for (const r of release.splice(0, 4)) r();
    await new Promise((r) => setImmediate(r));
    assert.ok(!events.some((e) => /^import [13456]$/.test(e)), 'docker.io waits for all five');
    release[0]!();
    await done;
    const warnAt = events.findIndex((e) => e.startsWith('warn Docker Hub allows 3 more'));
    assert.ok(warnAt > 0, events.join('\n'));
    assert.equal(events.slice(0, warnAt).filter((e) => /^import /.test(e)).length, 1);
    assert.equal(events.slice(warnAt).filter((e) => /^import /.test(e)).length, 5);
  });

  it('docker.io lines do not wait for each other when the limit seen covers every docker.io line', async () => {
    const release: (() => void)[] = [];
    const plenty = { ...limit, remaining: 50 };
    const sources = {
      async head(): Promise<ManifestHead> {
        await new Promise<void>((r) => release.push(r));
        return { digest: D1, rateLimit: plenty };
      },
    };
    const list = items('nginx:1.27\nredis:7\nbusybox:1');
    const events: string[] = [];
    const out = {
      log: (t: string) => events.push(t.replace(/ \(.*$/, '')),
      warn: (t: string) => events.push(`warn ${t}`),
      secret: () => undefined,
      progress: () => undefined,
    };
    const deps = {
      sources,
      dataPlane: fakeAcr({}),
      credentials,
      readConcurrency: 8,
    };
    const decide = {
      mode: 'sync' as const,
      allowUpdates: true,
      loginServer: 'r.azurecr.io',
      dryRun: true,
    };
    const ctx = { out, signal: new AbortController().signal };
    const checks = await startChecks(list, 'sync', deps, ctx);
    const done = eachLine(
      list,
      async (item) => decideLine(item, await checks.line(item), decide, ctx),
      [
        dockerHubBudget(list, checks, deps, ctx),
        async (r) => {
          events.push(`import ${r.item.line}`);
        },
      ],
    );
    while (release.length < 3) await new Promise((r) => setImmediate(r));
    release[0]!();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.ok(
      events.includes('import 1'),
      `line 1 imports before the others are decided: ${events}`,
    );
    for (const r of release.slice(1)) r();
    await done;
    assert.equal(events.filter((e) => e.startsWith('import')).length, 3);
    assert.ok(!events.some((e) => e.startsWith('warn')), events.join('\n'));
  });
});
