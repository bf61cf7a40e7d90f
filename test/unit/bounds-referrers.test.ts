// The counts a registry controls (core/registry/bounds.ts) in discovery and verification: pages per
// listing, referrers per subject, platform manifests per index, what one line carries, layers per
// signature manifest. Past each, the read stops (no further request) and BoundExceeded names the
// bound; in the carry step the line then fails (it is not a mere warning), and a line whose
// referrer failed closes with its own "failed" log line.
import assert from 'node:assert/strict';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { brief } from '../../tasks/ImportPublicImages/src/core/results/logText';
import {
  BoundExceeded,
  MAX_CARRIED_PER_LINE,
  MAX_PAGES,
  MAX_PLATFORMS_PER_INDEX,
  MAX_REFERRERS_PER_SUBJECT,
  MAX_SIGNATURE_LAYERS,
} from '../../tasks/ImportPublicImages/src/core/registry/bounds';
import {
  decide,
  planImports,
  type LineRecord,
} from '../../tasks/ImportPublicImages/src/core/plan/decisions';
import { imageResult } from '../../tasks/ImportPublicImages/src/core/results/imageResult';
import { Limiter } from '../../tasks/ImportPublicImages/src/core/run/lineStages';
import type { RunContext } from '../../tasks/ImportPublicImages/src/core/run/runContext';
import { systemClock } from '../../tasks/ImportPublicImages/src/core/run/clock';
import { ThrottleGate } from '../../tasks/ImportPublicImages/src/core/run/throttleGate';
import type { HttpResponse } from '../../tasks/ImportPublicImages/src/registry/http';
import {
  discoverReferrers,
  listReferrers,
  type ReferrerSources,
} from '../../tasks/ImportPublicImages/src/registry/referrerDiscovery';
import { cosignSignatureLayers } from '../../tasks/ImportPublicImages/src/registry/signatureLayers';
import { carryReferrers, type CarryDeps } from '../../tasks/ImportPublicImages/src/steps/carry';

const hex = (n: number): string => n.toString(16).padStart(64, '0');
const D = `sha256:${'a'.repeat(64)}`;
const NOTATION = 'application/vnd.cncf.notary.signature';
const repo = { registry: 'registry.example', repository: 'team/app', credential: undefined };

const descriptors = (n: number, from = 0): unknown[] =>
  Array.from({ length: n }, (_, i) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${hex(from + i + 1)}`,
    artifactType: NOTATION,
  }));

/**
 * A fake source registry: `referrers(page)` answers each page of the referrers API (a next link
 * while it says so), `manifests` by reference; every request is counted.
 */
function registry(opts: {
  referrers?: (page: number) => { manifests: unknown[]; next: boolean };
  manifests?: Record<string, unknown>;
}): ReferrerSources & { calls: string[] } {
  const calls: string[] = [];
  const res = (status: number, body: unknown = {}, headers = {}): HttpResponse => {
    const text = JSON.stringify(body);
    return { status, headers, body: text, bytes: Buffer.from(text) };
  };
  return {
    calls,
    async head(_r, _p, reference) {
      calls.push(`HEAD ${reference}`);
      return { digest: null };
    },
    async get(_r, _p, path) {
      calls.push(`GET ${path}`);
      if (path.startsWith('referrers/')) {
        const page = Number(new URLSearchParams(path.split('?')[1] ?? '').get('page') ?? '0');
        const p = opts.referrers?.(page) ?? { manifests: [], next: false };
        const link = `</v2/team/app/referrers/${D}?page=${page + 1}>; rel="next"`;
        return res(200, { manifests: p.manifests }, p.next ? { link } : {});
      }
      const m = opts.manifests?.[path.replace(/^manifests\//, '')];
      return m ? res(200, m, { 'docker-content-digest': D }) : res(404);
    },
  };
}

const bound = (name: string) => (err: unknown) =>
  err instanceof BoundExceeded && err.bound === name;

describe('bounds: what a registry lists', () => {
  it(`a listing of more than ${MAX_PAGES} pages fails, and page ${MAX_PAGES + 1} is never asked`, async () => {
    const fake = registry({
      referrers: (page) => ({ manifests: descriptors(1, page), next: true }),
    });
    await assert.rejects(listReferrers(fake, repo, D), bound('pages per listing'));
    assert.equal(fake.calls.filter((c) => c.startsWith('GET referrers/')).length, MAX_PAGES);
  });

  it(`more than ${MAX_REFERRERS_PER_SUBJECT} referrers of one subject fail, across pages`, async () => {
    const half = MAX_REFERRERS_PER_SUBJECT / 2 + 1;
    const fake = registry({
      referrers: (page) => ({ manifests: descriptors(half, page * half), next: page < 1 }),
    });
    await assert.rejects(listReferrers(fake, repo, D), bound('referrers per subject'));
    const ok = registry({
      referrers: () => ({ manifests: descriptors(MAX_REFERRERS_PER_SUBJECT), next: false }),
    });
    const listed = await listReferrers(ok, repo, D);
    assert.equal(listed.descriptors.length, MAX_REFERRERS_PER_SUBJECT);
  });

  it(`copyReferrers all: an index of more than ${MAX_PLATFORMS_PER_INDEX} manifests fails before any platform is looked at`, async () => {
    const index = { manifests: descriptors(MAX_PLATFORMS_PER_INDEX + 1) };
    const fake = registry({ manifests: { [D]: index } });
    await assert.rejects(
      discoverReferrers(fake, repo, D, 'all'),
      bound('platform manifests per index'),
    );
    assert.deepEqual(fake.calls, [`GET manifests/${D}`]);
  });

  it(`more than ${MAX_CARRIED_PER_LINE} signatures to carry for one line fail (each is an ARM write)`, async () => {
    const many = registry({
      referrers: () => ({ manifests: descriptors(MAX_CARRIED_PER_LINE + 1), next: false }),
    });
    await assert.rejects(
      discoverReferrers(many, repo, D, 'signatures'),
      bound('signatures and referrers carried per line'),
    );
    const enough = registry({
      referrers: () => ({ manifests: descriptors(MAX_CARRIED_PER_LINE), next: false }),
    });
    assert.equal((await discoverReferrers(enough, repo, D, 'signatures')).length, 64);
  });

  it(`a signature manifest of more than ${MAX_SIGNATURE_LAYERS} layers fails before any layer is read`, async () => {
    const layers = Array.from({ length: 5000 }, (_, i) => ({
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      digest: `sha256:${hex(i + 1)}`,
    }));
    const sig = `sha256-${'a'.repeat(64)}.sig`;
    const fake = registry({ manifests: { [sig]: { layers } } });
    await assert.rejects(
      cosignSignatureLayers(fake, repo, D),
      (err: unknown) =>
        bound('layers per signature manifest')(err) &&
        /has 5000 layers: more than 128/.test((err as Error).message),
    );
    assert.deepEqual(fake.calls, [`GET manifests/${sig}`]);
  });
});

describe('bounds: the carry step fails the line past a bound, and closes every failed line in the log', () => {
  function record(): LineRecord {
    const item = planImports(parseImageList('registry.example/team/app:v1').entries, {
      registries: {},
    })[0]!;
    const check = { sourceDigest: D, targets: { v1: D } };
    return { item, check, decision: decide(item, 'sync', check) };
  }

  function deps(sources: ReferrerSources, importImage: () => Promise<void>) {
    const d: CarryDeps = {
      copyReferrers: 'signatures',
      sources: { ...sources, head: sources.head },
      dataPlane: { digest: async () => null },
      listing: { held: async () => undefined, claim: () => undefined }, // no listing: the HEADs answer
      writes: {
        arm: { importImage },
        registry: { name: 'acr', resourceGroup: 'rg', loginServer: 'acr.azurecr.io' },
      },
      credentials: { registries: {} },
      retries: 0,
      timeoutMs: 60000,
      dryRun: false,
      slotsFor: () => new Limiter(1),
      onThrottled: () => {},
      allowUpdates: true,
    };
    return d;
  }
  function run(logs: string[]): RunContext {
    return {
      out: {
        log: (t) => logs.push(t),
        warn: (t) => logs.push(`WARN ${t}`),
        progress: () => {},
        secret: () => {},
      },
      signal: new AbortController().signal,
      clock: systemClock,
      gate: new ThrottleGate(systemClock),
    };
  }
  const ctx = {
    acr: { name: 'acr', loginServer: 'acr.azurecr.io', resourceGroup: 'rg' },
    credentials: { registries: {} },
    dryRun: false,
  };

  it('a discovery past a bound fails the line with the bound named (not a warning), and nothing is imported', async () => {
    const r = record();
    const logs: string[] = [];
    let imports = 0;
    const endless = registry({ referrers: (p) => ({ manifests: descriptors(1, p), next: true }) });
    await carryReferrers(
      r,
      deps(endless, async () => void imports++),
      run(logs),
    );
    assert.equal(imports, 0);
    assert.match(r.referrersFailure ?? '', /the bound on pages per listing/);
    const result = imageResult(r, ctx);
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /signatures and referrers not carried: .*more than 20/);
    assert.deepEqual(
      logs.filter((l) => l.startsWith('WARN')),
      [],
    );
    assert.match(
      logs.at(-1) ?? '',
      /^line 1: registry\.example\/team\/app:v1 failed: signatures and referrers not carried/,
    );
  });

  it('a referrer that failed to import: after its own line, the line closes with "failed" and the reason the result gives', async () => {
    const r = record();
    const logs: string[] = [];
    const one = registry({ referrers: () => ({ manifests: descriptors(1), next: false }) });
    const refused = async (): Promise<void> => {
      throw Object.assign(new Error('InvalidParameters: the referrer was refused'), {
        statusCode: 400,
      });
    };
    await carryReferrers(r, deps(one, refused), run(logs));
    const result = imageResult(r, ctx);
    assert.equal(result.status, 'failed');
    // One line for what was carried (issue 20's log shape), then the line's closing line with
    // the reason once, briefly (its full text is the result's error).
    const referrerLine = logs.findIndex((l) => / signatures and referrers: .*1 failed/.test(l));
    assert.ok(referrerLine >= 0, logs.join('\n'));
    assert.equal(logs.length, referrerLine + 2, logs.join('\n'));
    assert.equal(
      logs.at(-1),
      `line 1: registry.example/team/app:v1 failed: ${brief(result.error ?? '')}`,
    );
  });
});
