// The plan a reviewer reads (core/results/reviewPlan.ts): changes first, moved tags with both
// digests, up-to-date lines folded into a count, active only when a line fails.
import assert from 'node:assert/strict';
import {
  planChange,
  planMarkdown,
  planThenFailed,
} from '../../tasks/ImportPublicImages/src/core/results/reviewPlan';
import {
  countImages,
  type ImageResult,
  type RunResult,
} from '../../tasks/ImportPublicImages/src/core/results/report';

const NEW = `sha256:${'a'.repeat(64)}`;
const OLD = `sha256:${'b'.repeat(64)}`;

const img = (line: number, extra: Partial<ImageResult>): ImageResult => ({
  line,
  source: `quay.io/a/b${line}:v1`,
  registry: 'quay.io',
  repository: `a/b${line}`,
  tag: 'v1',
  digest: NEW,
  targets: [`contosoacr.azurecr.io/a/b${line}:v1`],
  action: 'import',
  status: 'planned',
  attempts: 0,
  durationMs: 0,
  error: null,
  ...extra,
});

function result(images: ImageResult[]): RunResult {
  return {
    version: 1,
    taskVersion: '0.1.0',
    acr: { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' },
    mode: 'sync',
    dryRun: true,
    canceled: false,
    startedAt: '2024-01-01T00:00:00.000Z',
    durationMs: 1000,
    counts: countImages(images),
    images,
  };
}

describe('core/results/reviewPlan', () => {
  const images = [
    img(1, { action: 'skip', status: 'skipped', previousDigest: NEW }),
    img(2, { action: 'import', previousDigest: null }),
    img(3, { action: 'update', previousDigest: OLD }),
    img(4, { action: 'skip', status: 'skipped', previousDigest: NEW }),
    img(5, { action: 'none', status: 'failed', error: 'MANIFEST_UNKNOWN: not found upstream' }),
    img(6, { action: 'unverified', note: 'could not read the registry' }),
  ];

  it('classifies each line as a reviewer says it', () => {
    assert.deepEqual(images.map(planChange), [
      'up to date',
      'import',
      'update',
      'up to date',
      'failed',
      'unverified',
    ]);
  });

  it('leads with the changes: failed, update, import, unverified; up-to-date lines only counted', () => {
    const plan = planMarkdown(result(images), { pullRequest: true });
    assert.deepEqual(plan.counts, {
      import: 1,
      update: 1,
      unverified: 1,
      failed: 1,
      'up to date': 2,
    });
    assert.match(
      plan.markdown.text,
      /\*\*1\*\* to import · \*\*1\*\* to update · \*\*1\*\* unverified · \*\*1\*\* failed · 2 already up to date/,
    );
    assert.match(plan.markdown.text, /Pull-request build: nothing was written/);
    const rows = plan.markdown.text.split('\n').filter((l) => /^\| \d/.test(l));
    assert.deepEqual(
      rows.map((r) => r.split('|')[1]!.trim()),
      ['5', '3', '2', '6'],
    );
    // the moved tag shows both digests; the new line its digest and that the target is absent
    const update = rows[1]!;
    assert.ok(update.includes(`\`${NEW}\``) && update.includes(`\`${OLD}\``), update);
    assert.match(rows[2]!, /\| absent \|$/);
    assert.match(rows[0]!, /failed ❌ MANIFEST\\_UNKNOWN/);
    assert.ok(!plan.markdown.text.includes('b1:v1') && !plan.markdown.text.includes('b4:v1'));
    assert.equal(plan.active, true);
  });

  it('only up-to-date lines: a short plan, not active', () => {
    const plan = planMarkdown(
      result([img(1, { action: 'skip', status: 'skipped', previousDigest: NEW })]),
      { pullRequest: false },
    );
    assert.match(plan.markdown.text, /Every line is already up to date/);
    assert.match(plan.markdown.text, /Dry run: nothing was written/);
    assert.equal(plan.active, false);
  });

  it('imports and updates without failures are not blocking (closed thread)', () => {
    const plan = planMarkdown(result(images.filter((i) => i.status !== 'failed')), {
      pullRequest: true,
    });
    assert.equal(plan.active, false);
  });

  it('force mode: a tag holding other bytes is an update, with both digests', () => {
    const force = img(1, { action: 'force', previousDigest: OLD });
    assert.equal(planChange(force), 'update');
    assert.equal(planChange(img(2, { action: 'force', previousDigest: NEW })), 'import');
    const row = planMarkdown(result([force]), { pullRequest: true })
      .markdown.text.split('\n')
      .find((l) => l.startsWith('| 1 '))!;
    assert.ok(row.includes(`\`${OLD}\``) && row.includes(`\`${NEW}\``), row);
  });

  it('a line whose source could not be read makes the plan active and says nothing was verified', () => {
    const unread = img(1, {
      action: 'unverified',
      digest: null,
      note: 'could not read the source',
    });
    const plan = planMarkdown(result([unread]), { pullRequest: true });
    assert.equal(plan.active, true);
    assert.match(
      plan.markdown.text,
      /\*\*1 line\(s\) could not be verified: their source could not be read\*\*/,
    );
    assert.match(plan.markdown.text, /\| 1 \| unverified ⚠️ \(could not read the source\) \|/);
    // the target could not be read, the source digest is known: shown, not blocking
    const targetOnly = img(2, { action: 'unverified', note: 'could not read the registry' });
    const seen = planMarkdown(result([targetOnly]), { pullRequest: true });
    assert.equal(seen.active, false);
    assert.doesNotMatch(seen.markdown.text, /could not be verified/);
    // pinned: the digest is the list's own, what lands is known
    assert.equal(
      planMarkdown(result([img(3, { action: 'unverified' })]), { pullRequest: true }).active,
      false,
    );
  });

  it('a run that fails after its plan: the plan led by the failure, active', () => {
    const clean = planMarkdown(result([img(1, {})]), { pullRequest: true });
    assert.equal(clean.active, false);
    const failed = planThenFailed(clean, 'the JSON result could not be written to /x <img src=y>');
    assert.equal(failed.active, true);
    const lines = failed.markdown.text.split('\n');
    assert.equal(lines[0], clean.markdown.text.split('\n')[0]);
    assert.match(lines[2] ?? '', /^❌ \*\*The run failed after planning:\*\* the JSON result/);
    assert.ok(!failed.markdown.text.includes('<img'), 'data escaped');
    assert.ok(failed.markdown.text.endsWith(clean.markdown.text.split('\n').slice(1).join('\n')));
  });
});
