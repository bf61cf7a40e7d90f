// The per-image results (core/results/imageResult.ts): statuses from decisions and outcomes,
// duplicates.
import assert from 'node:assert/strict';
import { parseImageList } from '../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  decide,
  planImports,
  planRecords,
  type CheckResult,
  type ImportMode,
  type LineRecord,
} from '../../tasks/ImportPublicImages/src/core/plan/decisions';
import type { Outcome } from '../../tasks/ImportPublicImages/src/core/run/outcome';
import {
  ALREADY_PRESENT_NOTE,
  alreadyPresent,
  imageResult,
  withDuplicates,
} from '../../tasks/ImportPublicImages/src/core/results/imageResult';

const acr = { name: 'contosoacr', resourceGroup: 'rg', loginServer: 'contosoacr.azurecr.io' };
const credentials = { registries: {} };
const ctx = { acr, credentials, dryRun: false };

function record(
  line: string,
  mode: ImportMode,
  check: CheckResult = {},
  outcome?: Outcome<void>,
): LineRecord {
  const item = planImports(parseImageList(line).entries, credentials)[0]!;
  return { item, check, decision: decide(item, mode, check), outcome };
}

describe('steps/results: duplicates', () => {
  it('each exact duplicate line is reported skipped, as a copy of the line it repeats', () => {
    const list = parseImageList('nginx:1 => web\nquay.io/a/b:v1\nnginx:1 => web\nnginx:1 => web');
    const items = planImports(list.entries, credentials);
    const done: Outcome<void> = { status: 'done', attempts: 1, durationMs: 1200 };
    const images = withDuplicates(
      items.map((item) =>
        imageResult({ item, check: {}, decision: decide(item, 'force'), outcome: done }, ctx),
      ),
      list.warnings,
    );
    assert.deepEqual(
      images.map((i) => [i.line, i.status, i.action, i.note ?? null]),
      [
        [1, 'imported', 'force', null],
        [2, 'imported', 'force', null],
        [3, 'skipped', 'skip', 'duplicate of line 1'],
        [4, 'skipped', 'skip', 'duplicate of line 1'],
      ],
    );
    assert.deepEqual(images[2]?.targets, ['contosoacr.azurecr.io/web:1']);
    assert.equal(images[2]?.attempts, 0);
    assert.equal(images[2]?.error, null);
  });
});

describe('steps/results: imageResult', () => {
  it('a skip decision is skipped with its note', () => {
    const r = imageResult(record('nginx:1', 'missing', { targets: { '1': 'sha256:x' } }), ctx);
    assert.equal(r.status, 'skipped');
    assert.equal(r.note, 'already present');
  });
});

describe('steps/results: a source not found upstream', () => {
  const check = {
    sourceNotFound: true,
    sourceError: 'docker.io/library/nginx:9.99 was not found upstream (the registry answered 404).',
    targets: { '9.99': null },
  };
  it('fails before importing, with attempts 0 and the hint (library/ for one-name images)', () => {
    const r = record('nginx:9.99', 'sync', check);
    assert.equal(r.decision.action, 'none');
    assert.equal(r.decision.armMode, undefined, 'no ARM write');
    const img = imageResult(r, ctx);
    assert.equal(img.status, 'failed');
    assert.equal(img.action, 'none');
    assert.equal(img.attempts, 0);
    assert.match(
      img.error ?? '',
      /MANIFEST_UNKNOWN: docker\.io\/library\/nginx:9\.99 was not found upstream/,
    );
    assert.match(
      img.error ?? '',
      /Check that docker\.io\/library\/nginx and its tag or digest exist upstream/,
    );
    assert.match(img.error ?? '', /official image/);
  });
  it('is failed in a dry run too', () => {
    const img = imageResult(record('nginx:9.99', 'sync', check), { ...ctx, dryRun: true });
    assert.equal(img.status, 'failed');
  });
  it('library/ written out, or another registry: no library/ advice', () => {
    const a = imageResult(record('docker.io/library/nginx:9.99', 'sync', check), ctx);
    assert.doesNotMatch(a.error ?? '', /official image/);
    const b = imageResult(record('quay.io/a/b:v9', 'sync', { ...check, sourceError: 'x' }), ctx);
    assert.match(
      b.error ?? '',
      /Check that quay\.io\/a\/b and its tag or digest exist upstream\.$/,
    );
  });
});

describe('steps/results: planRecords', () => {
  const items = planImports(parseImageList('nginx:1\nquay.io/a/b:v1').entries, credentials);
  const checks = [{ targetError: 'aborted' }, { targetError: 'aborted' }];
  it('an unreadable ACR gives unverified decisions that say they import anyway', () => {
    const records = planRecords(items, 'sync', checks, false);
    assert.deepEqual(
      records.map((r) => r.decision.action),
      ['unverified', 'unverified'],
    );
    assert.match(records[0]?.decision.note ?? '', /could not read the registry \(aborted\).*Force/);
  });
  it('a cancel during the check drops the "importing with Force" notes', () => {
    const records = planRecords(items, 'sync', checks, true);
    assert.deepEqual(
      records.map((r) => r.decision.note),
      [undefined, undefined],
    );
    const img = imageResult(records[0]!, ctx);
    assert.equal(img.status, 'canceled');
    assert.equal(img.note, undefined);
  });
});

describe('steps/results: NoForce "already exists" in missing mode', () => {
  const refused: Outcome<void> = {
    status: 'failed',
    attempts: 1,
    durationMs: 900,
    failure: { message: 'Tag web:1 already exists in target registry (NoForce)', statusCode: 409 },
  };
  it('a single-target import ends skipped', () => {
    const r = record('nginx:1 => web', 'missing', { targetError: 'timeout' }, refused);
    assert.equal(r.decision.armMode, 'NoForce');
    assert.equal(alreadyPresent(r.decision, refused), true);
    const img = imageResult(r, ctx);
    assert.equal(img.status, 'skipped');
    assert.equal(img.note, ALREADY_PRESENT_NOTE);
    assert.equal(img.error, null);
  });
  it('a multi-tag import stays failed: NoForce copied none of its tags', () => {
    const r = record('nginx:1 => web', 'missing', { targetError: 'timeout' }, refused);
    const multi = {
      ...r,
      item: { ...r.item, targetTags: ['1', '1.0'] },
      decision: { ...r.decision, tags: ['1', '1.0'] },
    };
    assert.equal(alreadyPresent(multi.decision, refused), false);
    const img = imageResult(multi, ctx);
    assert.equal(img.status, 'failed');
    assert.match(img.error ?? '', /already exists.*use importMode sync or force/);
  });
  it('a Force import that fails with the same words stays failed', () => {
    const r = record('nginx:1 => web', 'sync', { targetError: 'timeout' }, refused);
    assert.equal(imageResult(r, ctx).status, 'failed');
  });
});

describe('steps/results: dry run and cancel', () => {
  it('a dry run plans every import, reports no attempt', () => {
    const img = imageResult(record('nginx:1', 'force'), { ...ctx, dryRun: true });
    assert.equal(img.status, 'planned');
    assert.equal(img.attempts, 0);
  });
  it('an import that never ran (canceled before the import step) is canceled', () => {
    assert.equal(imageResult(record('nginx:1', 'force'), ctx).status, 'canceled');
  });
  it('a canceled outcome keeps its message', () => {
    const o: Outcome<void> = {
      status: 'canceled',
      attempts: 1,
      durationMs: 10,
      failure: { message: 'run canceled while importing; the import may still complete in Azure' },
    };
    const img = imageResult(record('nginx:1', 'force', {}, o), ctx);
    assert.equal(img.status, 'canceled');
    assert.match(img.error ?? '', /may still complete/);
  });
  it('a timed-out outcome is timed-out with its attempts and duration', () => {
    const o: Outcome<void> = {
      status: 'timed-out',
      attempts: 2,
      durationMs: 60000,
      failure: { message: 'abandoned after 1 min (importTimeoutMinutes)' },
    };
    const img = imageResult(record('nginx:1', 'force', {}, o), ctx);
    assert.deepEqual([img.status, img.attempts, img.durationMs], ['timed-out', 2, 60000]);
  });
});
