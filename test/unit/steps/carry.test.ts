// The carry step (steps/carry.ts, copyReferrers): what refers to a line's image in the source
// registry (its cosign `.sig` tag, OCI referrers) is imported into the same target repository by
// the digest discovery saw: a cosign tag under its own tag, a referrer untagged. What the ACR holds
// already is skipped, allowUpdates false moves no cosign tag, a dry run writes nothing, and a
// source that cannot be read is a warning, not a failure. (Bounds: bounds-referrers.test.ts.)
import assert from 'node:assert/strict';
import type { ImportImageParameters } from '@azure/arm-containerregistry';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  decide,
  holdBack,
  planImports,
  type LineRecord,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import { imageResult } from '../../../tasks/ImportPublicImages/src/core/results/imageResult';
import { Limiter } from '../../../tasks/ImportPublicImages/src/core/run/lineStages';
import type { RunContext } from '../../../tasks/ImportPublicImages/src/core/run/runContext';
import { ThrottleGate } from '../../../tasks/ImportPublicImages/src/core/run/throttleGate';
import type { ReferrerSources } from '../../../tasks/ImportPublicImages/src/registry/referrerDiscovery';
import {
  carryReferrers,
  carryStages,
  type CarryDeps,
} from '../../../tasks/ImportPublicImages/src/steps/carry';
import { FakeClock } from '../fakeClock';
import { fakeRegistry } from '../fakeRegistry';
import { digest, RecordingReporter } from '../flowFakes';

const D = digest('d'); // the image
const SIG = digest('5'); // its cosign signature manifest
const NOTE = digest('6'); // a Notation signature referring to it
const OTHER = digest('9');
const SIG_TAG = `sha256-${'d'.repeat(64)}.sig`;
const ACR = { name: 'contosoacr', resourceGroup: 'rg', loginServer: 'contosoacr.azurecr.io' };

/** The source registry: the image's `.sig` tag and one Notation referrer; `fail`: every request fails. */
function source(fail?: Error): ReferrerSources & { calls: string[] } {
  const registry = fakeRegistry({
    manifests: {
      [SIG_TAG]: { digest: SIG, body: {}, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    },
    referrers: {
      [D]: [
        [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: NOTE,
            artifactType: 'application/vnd.cncf.notary.signature',
          },
        ],
      ],
    },
  });
  if (!fail) return registry;
  return {
    calls: registry.calls,
    head: (...a) => registry.head(...a).then(() => Promise.reject(fail)),
    get: (...a) => registry.get(...a).then(() => Promise.reject(fail)),
  };
}

/** The line `registry.example/team/app:v1`, checked: the ACR holds `held` under v1. */
function line(
  held: string | null = D,
  text = 'registry.example/team/app:v1 => team/app',
): LineRecord {
  const item = planImports(parseImageList(text).entries, { registries: {} })[0]!;
  const check = { sourceDigest: D, targets: { v1: held } };
  return { item, check, decision: decide(item, 'sync', check) };
}

function world(
  opts: {
    acr?: Record<string, string>;
    fail?: Error;
    dryRun?: boolean;
    allowUpdates?: boolean;
  } = {},
) {
  const imports: ImportImageParameters[] = [];
  const sources = source(opts.fail);
  const deps: CarryDeps = {
    copyReferrers: 'signatures',
    sources,
    dataPlane: { digest: async (_repo, reference) => opts.acr?.[reference] ?? null },
    listing: { held: async () => undefined, claim: () => undefined }, // no listing: the HEADs answer (one case sets one)
    // handed over even to a dry run here (the flow does not): the dry run alone must hold it back
    writes: { arm: { importImage: async (_t, p) => void imports.push(p) }, registry: ACR },
    credentials: { registries: {} },
    retries: 0,
    timeoutMs: 60_000,
    dryRun: opts.dryRun ?? false,
    slotsFor: () => new Limiter(1),
    onThrottled: () => {},
    allowUpdates: opts.allowUpdates ?? true,
  };
  const clock = new FakeClock();
  const ctx: RunContext<RecordingReporter> = {
    out: new RecordingReporter(),
    signal: new AbortController().signal,
    clock,
    gate: new ThrottleGate(clock),
  };
  /** `early`: as carryStages starts it, beside the line's import (else after it). */
  const carry = (r: LineRecord, early = false): Promise<void> =>
    clock.run(carryReferrers(r, deps, ctx, early));
  return { imports, sources, deps, ctx, carry };
}

const result = (r: LineRecord) =>
  imageResult(r, { acr: ACR, credentials: { registries: {} }, dryRun: false });

describe('steps/carry: signatures and referrers beside the image', () => {
  it('an up-to-date line: its .sig imported under its own tag, its referrer untagged, both by digest; one log line', async () => {
    const w = world();
    const r = line();
    await w.carry(r);
    assert.deepEqual(
      w.imports.map((p) => [
        p.source.sourceImage,
        p.targetTags,
        p.untaggedTargetRepositories,
        p.mode,
      ]),
      [
        [`team/app@${SIG}`, [`team/app:${SIG_TAG}`], undefined, 'Force'],
        [`team/app@${NOTE}`, undefined, ['team/app'], 'Force'],
      ],
    );
    assert.deepEqual(
      r.referrers?.map((x) => [x.kind, x.status]),
      [
        ['cosign-signature', 'imported'],
        ['referrer', 'imported'],
      ],
    );
    assert.deepEqual(w.ctx.out.lines, [
      'line 1: registry.example/team/app:v1 signatures and referrers: 2 imported (cosign-signature, referrer)',
    ]);
    assert.equal(result(r).status, 'skipped');
  });

  it('what the ACR holds at the same digest is skipped: a re-run imports nothing', async () => {
    const w = world({ acr: { [SIG_TAG]: SIG, [NOTE]: NOTE } });
    const r = line();
    await w.carry(r);
    assert.deepEqual(w.imports, []);
    assert.deepEqual(
      r.referrers?.map((x) => x.status),
      ['skipped', 'skipped'],
    );
    assert.deepEqual(w.ctx.out.lines, [
      'line 1: registry.example/team/app:v1 signatures and referrers: 2 already present (cosign-signature, referrer)',
    ]);
  });

  it('the ACR listing holds the .sig at its digest: skipped without a HEAD; one it holds elsewhere or lacks is asked with a HEAD', async () => {
    const heads: string[] = [];
    for (const [listed, want] of [
      [SIG, [NOTE]], // a referrer (untagged) is not in a tag listing: always a HEAD
      [OTHER, [NOTE, SIG_TAG]],
      [null, [NOTE, SIG_TAG]],
    ] as const) {
      const w = world({ acr: { [SIG_TAG]: SIG, [NOTE]: NOTE } });
      heads.length = 0;
      const held = w.deps.dataPlane.digest;
      w.deps.dataPlane = { digest: (repo, ref, s) => (heads.push(ref), held(repo, ref, s)) };
      w.deps.listing = {
        held: async (repo, tag) => (repo === 'team/app' && tag === SIG_TAG ? listed : undefined),
        claim: () => undefined,
      };
      const r = line();
      await w.carry(r);
      assert.deepEqual(w.imports, [], `listing ${listed}`);
      assert.deepEqual(heads.sort(), [...want].sort(), `listing ${listed}: the HEADs`);
    }
  });

  it('allowUpdates false: a cosign tag the ACR holds at another digest is not overwritten, and fails the line', async () => {
    const w = world({ acr: { [SIG_TAG]: OTHER }, allowUpdates: false });
    const r = line();
    await w.carry(r);
    assert.deepEqual(
      w.imports.map((p) => p.source.sourceImage),
      [`team/app@${NOTE}`],
      'only the referrer',
    );
    const sig = r.referrers?.[0];
    assert.equal(sig?.status, 'failed');
    assert.equal(
      sig?.error,
      `the registry's ${SIG_TAG} holds ${OTHER} and the source's ${SIG}; allowUpdates is false, so it is not overwritten (set allowUpdates to true to carry the new one)`,
    );
    assert.equal(result(r).status, 'failed');
    assert.match(w.ctx.out.lines.at(-1) ?? '', /^line 1: registry\.example\/team\/app:v1 failed: /);
  });

  it('a cosign tag it imports is claimed: the listing no longer answers for it (another line of the digest asks with a HEAD)', async () => {
    const w = world();
    const claimed: string[] = [];
    w.deps.listing = {
      held: async () => undefined,
      claim: (repo, tag) => void claimed.push(`${repo}:${tag}`),
    };
    await w.carry(line());
    assert.deepEqual(
      claimed,
      [`team/app:${SIG_TAG}`],
      'the tagged .sig, not the untagged referrer',
    );
  });

  it('allowUpdates false: a cosign tag the ACR lacks is imported with NoForce (it never moves one)', async () => {
    const w = world({ allowUpdates: false });
    await w.carry(line());
    assert.deepEqual(
      w.imports.map((p) => p.mode),
      ['NoForce', 'Force'],
    );
  });

  it("a verified line's .sig is carried at the digest verification read, whatever the tag holds now", async () => {
    const w = world();
    const r = line();
    r.decision.pin = D;
    r.signatureManifest = OTHER;
    await w.carry(r);
    assert.equal(w.imports[0]?.source.sourceImage, `team/app@${OTHER}`);
    assert.deepEqual(w.imports[0]?.targetTags, [`team/app:${SIG_TAG}`]);
  });

  it('a dry run: what would be carried is planned, nothing written', async () => {
    const w = world({ dryRun: true });
    const r = line(null);
    await w.carry(r);
    assert.deepEqual(w.imports, []);
    assert.deepEqual(
      r.referrers?.map((x) => x.status),
      ['planned', 'planned'],
    );
    assert.deepEqual(w.ctx.out.lines, [
      'line 1: registry.example/team/app:v1 signatures and referrers: 2 planned (cosign-signature, referrer)',
    ]);
  });

  it("a source registry that cannot be read: a warning and the line's note, the line does not fail", async () => {
    const w = world({ fail: new Error('connect ECONNREFUSED 10.0.0.1:443') });
    const r = line();
    await w.carry(r);
    assert.deepEqual(w.imports, []);
    assert.match(
      r.referrersError ?? '',
      /^signatures and referrers not carried: the source registry could not be read \(.*ECONNREFUSED/,
    );
    assert.deepEqual(w.ctx.out.warnings, [
      `line 1: registry.example/team/app:v1: ${r.referrersError}`,
    ]);
    const res = result(r);
    assert.equal(res.status, 'skipped');
    assert.match(res.note ?? '', /signatures and referrers not carried/);
  });

  it('not carried (no request): a line held back (even one up to date), one whose source is gone, one whose import failed', async () => {
    const held = line(); // up to date, but its signature did not verify
    holdBack(held, 'verify', 'no signature verified');
    const gone = line();
    gone.decision = { action: 'none', tags: [], untagged: false };
    const failed = line(null);
    failed.outcome = {
      status: 'failed',
      attempts: 1,
      durationMs: 1,
      failure: { message: 'denied' },
    };
    for (const [r, early] of [
      [held, true],
      [held, false],
      [gone, true],
      [gone, false],
      [failed, false],
    ] as const) {
      const w = world();
      await w.carry(r, early);
      assert.deepEqual(
        [w.sources.calls, w.imports, r.referrers],
        [[], [], undefined],
        r.decision.action,
      );
    }
  });

  it("carryStages: a line's referrers start when it is decided and are done when finish returns", async () => {
    const w = world();
    const r = line(null); // to be imported: its referrers go beside its import
    const stages = carryStages({ ...w.deps, readConcurrency: 2 }, w.ctx);
    await stages.start(r);
    const carried = (): LineRecord['referrers'] => r.referrers;
    assert.equal(carried(), undefined, 'start does not wait for them');
    await (w.ctx.clock as FakeClock).run(stages.finish(r));
    assert.deepEqual(
      carried()?.map((x) => x.status),
      ['imported', 'imported'],
    );
  });

  it("carryStages: what was carried is logged when finish returns, after the image's import ended, however soon it was carried", async () => {
    const w = world();
    const r = line(null);
    const stages = carryStages({ ...w.deps, readConcurrency: 2 }, w.ctx);
    const clock = w.ctx.clock as FakeClock;
    const IMPORTED = 'line 1: registry.example/team/app:v1 imported in 1.0 s';
    await clock.run(
      (async () => {
        await stages.start(r);
        await clock.sleep(1000); // the image's import, longer than its referrers'
        assert.deepEqual(
          r.referrers?.map((x) => x.status),
          ['imported', 'imported'],
          'carried during the import',
        );
        w.ctx.out.log(IMPORTED); // as the import stage ends the line
        await stages.finish(r);
      })(),
    );
    assert.deepEqual(w.ctx.out.lines, [
      IMPORTED,
      'line 1: registry.example/team/app:v1 signatures and referrers: 2 imported (cosign-signature, referrer)',
    ]);
  });
});
