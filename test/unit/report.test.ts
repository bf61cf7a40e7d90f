import assert from 'node:assert/strict';
import {
  countImages,
  markdownSummary,
  verdict,
  type ImageResult,
  type RunResult,
} from '../../tasks/ImportPublicImages/src/core/results/report';

const img = (
  line: number,
  status: ImageResult['status'],
  extra: Partial<ImageResult> = {},
): ImageResult => ({
  line,
  source: `quay.io/a/b${line}:v1`,
  registry: 'quay.io',
  repository: `a/b${line}`,
  tag: 'v1',
  digest: 'sha256:' + 'c'.repeat(64),
  targets: [`contosoacr.azurecr.io/a/b${line}:v1`],
  action: 'import',
  status,
  attempts: 1,
  durationMs: 2100,
  error: null,
  ...extra,
});

function result(images: ImageResult[], over: Partial<RunResult> = {}): RunResult {
  return {
    version: 1,
    taskVersion: '0.1.0',
    acr: { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' },
    mode: 'sync',
    dryRun: false,
    canceled: false,
    startedAt: '2024-01-01T00:00:00.000Z',
    durationMs: 4200,
    counts: countImages(images),
    images,
    ...over,
  };
}

describe('report', () => {
  it('counts each status; timed-out counts as failed', () => {
    const c = countImages([
      img(1, 'imported'),
      img(2, 'skipped'),
      img(3, 'failed'),
      img(4, 'timed-out'),
      img(5, 'canceled'),
    ]);
    assert.deepEqual(c, {
      imported: 1,
      skipped: 1,
      failed: 2,
      planned: 0,
      timedOut: 1,
      canceled: 1,
      total: 5,
    });
  });

  const verdicts: [string, ImageResult[], 'fail' | 'warn', Partial<RunResult>, string][] = [
    ['all good', [img(1, 'imported'), img(2, 'skipped')], 'fail', {}, 'Succeeded'],
    [
      'a failure, policy fail',
      [img(1, 'imported'), img(2, 'failed', { error: 'x' })],
      'fail',
      {},
      'Failed',
    ],
    [
      'a failure, policy warn',
      [img(1, 'failed', { error: 'x' })],
      'warn',
      {},
      'SucceededWithIssues',
    ],
    ['a timeout counts as a failure', [img(1, 'timed-out')], 'fail', {}, 'Failed'],
    ['canceled run', [img(1, 'canceled')], 'warn', { canceled: true }, 'Failed'],
    ['dry run', [img(1, 'planned')], 'fail', { dryRun: true }, 'Succeeded'],
  ];
  for (const [name, images, policy, over, expected] of verdicts) {
    it(`verdict: ${name} -> ${expected}`, () => {
      const v = verdict(result(images, over), policy);
      assert.equal(v.result, expected);
      assert.doesNotMatch(v.message, /\n/);
    });
  }

  it('the result message names the failed lines, not their reasons (said once, on their lines)', () => {
    const v = verdict(
      result([img(1, 'imported'), img(7, 'failed', { error: 'UNAUTHORIZED' })]),
      'fail',
    );
    assert.match(v.message, /1 imported, 0 skipped, 1 failed of 2 .*; failed: line 7$/);
    assert.doesNotMatch(v.message, /UNAUTHORIZED/);
    assert.equal(v.firstFailure, 'line 7: UNAUTHORIZED');
  });

  it('markdown: counts on top, one table row per image, pipes escaped', () => {
    const md = markdownSummary(
      result([
        img(1, 'imported'),
        img(2, 'failed', { error: 'bad | worse' }),
        img(3, 'skipped', { action: 'skip', note: 'up to date' }),
      ]),
    );
    const lines = md.text.split('\n');
    assert.match(lines[2] ?? '', /\*\*1\*\* imported · \*\*1\*\* skipped · \*\*1\*\* failed/);
    const rows = lines.filter((l) => /^\| \d+ \|/.test(l));
    assert.equal(rows.length, 3);
    assert.match(rows[1] ?? '', /bad \\\| worse/);
    assert.match(rows[2] ?? '', /up to date/);
    assert.match(rows[0] ?? '', /`sha256:cccccccccccc`/);
  });
  it('markdown: the "could not be checked" note counts unverified lines that were not canceled', () => {
    const md = markdownSummary(
      result([
        img(1, 'imported', { action: 'unverified' }),
        img(2, 'canceled', { action: 'unverified' }),
      ]),
    );
    assert.match(md.text, /> 1 line\(s\) could not be checked/);
    const none = markdownSummary(result([img(1, 'canceled', { action: 'unverified' })]));
    assert.doesNotMatch(none.text, /could not be checked/);
  });
});
