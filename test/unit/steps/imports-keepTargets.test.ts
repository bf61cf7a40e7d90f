// allowUpdates false: no tag in the ACR moves. A target another writer made between the check and
// the import fails its line naming what it holds (not "already present", not overwritten); a
// carried cosign tag is imported from the digest discovery (and verification) saw, with NoForce.
import assert from 'node:assert/strict';
import type { ImportImageParameters } from '@azure/arm-containerregistry';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  planImports,
  planRecords,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import { holdUpdates } from '../../../tasks/ImportPublicImages/src/core/plan/policy';
import type { Reporter } from '../../../tasks/ImportPublicImages/src/core/results/reporter';
import { imageResult } from '../../../tasks/ImportPublicImages/src/core/results/imageResult';
import { isAlreadyExists } from '../../../tasks/ImportPublicImages/src/core/run/retry';
import { Limiter } from '../../../tasks/ImportPublicImages/src/core/run/lineStages';
import { systemClock } from '../../../tasks/ImportPublicImages/src/core/run/clock';
import { ThrottleGate } from '../../../tasks/ImportPublicImages/src/core/run/throttleGate';
import { lineImporter, targetTaken } from '../../../tasks/ImportPublicImages/src/steps/imports';
import { referrerImport } from '../../../tasks/ImportPublicImages/src/steps/carry';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const acr = { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' };
const out: Reporter = { log: () => {}, warn: () => {}, progress: () => {}, secret: () => {} };

/** A sync-mode line whose target was absent at the check, decided under allowUpdates false. */
function newTarget(): ReturnType<typeof planRecords>[number] {
  const list = parseImageList('quay.io/org/app:v1 => org/app');
  const items = planImports(list.entries, { registries: {} });
  const planned = planRecords(items, 'sync', [{ sourceDigest: B, targets: { v1: null } }], false);
  const [record] = holdUpdates(planned, acr.loginServer);
  record!.decision.pin = B; // as steps/decide.ts sets it
  return record!;
}

/** The ACR, where `held` is what another writer left in org/app:v1. */
function registries(held: string | null) {
  return {
    sources: { head: async () => ({ digest: B }) },
    dataPlane: { digest: async () => held },
    credentials: { registries: {} },
  } as never;
}

async function importWith(held: string | null) {
  const record = newTarget();
  const sent: ImportImageParameters[] = [];
  const arm = {
    importImage: async (_t: unknown, p: ImportImageParameters) => {
      sent.push(p);
      // ARM's answer to NoForce when a target tag exists: nothing copied.
      throw Object.assign(
        new Error('org/app:v1 Tag org/app:v1 already exists in target registry.'),
        {
          code: 'InvalidParameters',
          statusCode: 400,
        },
      );
    },
  };
  const run = lineImporter(
    {
      arm: arm as never,
      registry: acr,
      credentials: { registries: {} },
      importSlots: { limiter: new Limiter(1), throttled: () => {} },
      slotsFor: () => new Limiter(1),
      retries: 2,
      timeoutMs: 60000,
      landed: registries(held),
      charts: { push: async () => {} },
      lines: 1,
    },
    {
      out,
      signal: new AbortController().signal,
      clock: systemClock,
      gate: new ThrottleGate(systemClock),
    },
  );
  await run(record);
  return { record, sent };
}

describe('allowUpdates false: a new target is imported with NoForce, and a refusal is read again', () => {
  it('a target another writer made with another digest fails the line naming it', async () => {
    const { record, sent } = await importWith(A);
    assert.equal(sent.length, 1, 'refused at once, not retried');
    assert.equal(sent[0]!.mode, 'NoForce');
    assert.equal(sent[0]!.source.sourceImage, `org/app@${B}`);
    const result = imageResult(record, { acr, credentials: { registries: {} }, dryRun: false });
    assert.equal(result.status, 'failed');
    assert.match(
      result.error ?? '',
      new RegExp(
        `another writer made contosoacr\\.azurecr\\.io/org/app:v1 after the check: it holds ${A}`,
      ),
    );
    assert.match(result.error ?? '', /allowUpdates is false, so it was not overwritten/);
    assert.equal(result.previousDigest, null, 'what the check saw');
  });

  it('a target another writer made with the same digest is already present (skipped)', async () => {
    const { record } = await importWith(B);
    const result = imageResult(record, { acr, credentials: { registries: {} }, dryRun: false });
    assert.equal(result.status, 'skipped');
  });

  it('targetTaken: an error that is not read as "already exists"', async () => {
    const taken = await targetTaken(newTarget(), registries(A), acr.loginServer);
    assert.ok(taken);
    assert.equal(isAlreadyExists({ message: taken.message }), false);
    assert.equal(await targetTaken(newTarget(), registries(B), acr.loginServer), undefined);
    assert.equal(await targetTaken(newTarget(), registries(null), acr.loginServer), undefined);
  });
});

describe('carried cosign tags: imported from their digest', () => {
  const record = newTarget();
  const sig = { tag: `sha256-${'b'.repeat(64)}.sig`, digest: A };
  it('a cosign tag: repo@digest under its own tag; Force, or NoForce under allowUpdates false', () => {
    const force = referrerImport(sig, record, undefined);
    assert.equal(force.source.sourceImage, `org/app@${A}`);
    assert.deepEqual(force.targetTags, [`org/app:${sig.tag}`]);
    assert.equal(force.mode, 'Force');
    assert.equal(referrerImport(sig, record, undefined, 'NoForce').mode, 'NoForce');
  });
  it('a referrer: repo@digest, untagged (no tag moves)', () => {
    const p = referrerImport({ tag: null, digest: A }, record, undefined, 'NoForce');
    assert.equal(p.source.sourceImage, `org/app@${A}`);
    assert.deepEqual(p.untaggedTargetRepositories, ['org/app']);
  });
});
