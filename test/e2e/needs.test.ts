// Needed images (issue 18), the bundled task against the emulator with manifestPaths: a rendered
// cert-manager manifest whose images point at the ACR; the example list imports three of its
// five images, so the ACME solver and the startupapicheck Job are the two gaps, each with the
// line to add pinned to the digest upstream. Adding those lines closes the gaps.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningEmulator } from '../helpers/emulator';
import {
  errorIssues,
  explain,
  importRequests,
  outputVariables,
  runTaskNoReferrers as runTask,
  taskRequests,
  useEmulator,
  type TaskRun,
} from './runTask';

const root = path.resolve(__dirname, '..', '..', '..');
const MANIFEST = path.join(root, 'test', 'fixtures', 'manifests', 'cert-manager.yaml');
const LIST = fs
  .readFileSync(path.join(root, 'images.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'));

interface Needed {
  reference: string;
  neededBy: string[];
  status: string;
  line: string | null;
}
const needed = (run: TaskRun): Needed[] =>
  (run.result as unknown as { needed?: Needed[] }).needed ?? [];
const neededCounts = (run: TaskRun): Record<string, number> | undefined =>
  (run.result?.counts as unknown as { needed?: Record<string, number> }).needed;

describe('e2e: needed images from manifestPaths (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 200 }, (e) => (em = e));

  const run = (
    list: string[],
    env: Record<string, string> = {},
    taskEnv?: Record<string, string>,
  ) =>
    runTask(em.ready, {
      imageList: list.join('\n') + '\n',
      env: { INPUT_MANIFESTPATHS: MANIFEST, ...env },
      ...(taskEnv ? { taskEnv } : {}),
    });

  it('the two cert-manager gaps, with the lines to add; one registry read each; adding them closes the gaps', async () => {
    const first = await run(LIST);
    assert.equal(first.status, 'SucceededWithIssues', explain(first));
    const gaps = needed(first).filter((n) => n.status !== 'covered' && n.status !== 'not-needed');
    assert.deepEqual(
      gaps.map((g) => [g.status, g.reference]),
      [
        ['not-in-acr', 'contosoacr.azurecr.io/jetstack/cert-manager-acmesolver:v1.15.2'],
        ['not-in-acr', 'contosoacr.azurecr.io/jetstack/cert-manager-startupapicheck:v1.15.2'],
      ],
    );
    for (const g of gaps) {
      const name = g.reference.split('/').pop()!.split(':')[0];
      assert.match(
        g.line ?? '',
        new RegExp(
          `^quay\\.io/jetstack/${name}:v1\\.15\\.2@sha256:[0-9a-f]{64} => jetstack/${name}$`,
        ),
      );
    }
    assert.match(
      gaps[0]!.neededBy[0]!,
      /cert-manager\.yaml:\d+ Deployment\/cert-manager container cert-manager-controller args$/,
    );
    assert.match(
      gaps[1]!.neededBy[0]!,
      /cert-manager\.yaml:\d+ Job\/cert-manager-startupapicheck container cert-manager-startupapicheck$/,
    );
    assert.deepEqual(neededCounts(first), {
      covered: 3,
      notListed: 0,
      public: 0,
      notInAcr: 2,
      unresolved: 0,
      notNeeded: 4,
      gaps: 2,
    });
    assert.equal(outputVariables(first).neededGapCount, '2');
    assert.match(first.summary ?? '', /#### Needed by charts and manifests/);
    for (const g of gaps)
      assert.ok(first.summary!.includes(`\`\`\`text`) && first.summary!.includes(g.line!));
    // Discovery adds one upstream digest read per gap, and no read of what the check already read.
    // A repository the list does not name gets its token in one batch asked before the reads: its
    // HEAD does not meet a 401 first.
    const log = taskRequests(await em.admin.requests());
    const heads = (repo: string) =>
      log
        .filter(
          (e) =>
            e.host === 'quay.io' && e.method === 'HEAD' && e.path.includes(`${repo}/manifests/`),
        )
        .map((e) => e.status);
    assert.deepEqual(heads('cert-manager-startupapicheck'), [200]);
    assert.deepEqual(heads('cert-manager-acmesolver'), [200]);
    assert.deepEqual(heads('cert-manager-controller'), [200]);

    await em.admin.clearRequests();
    const second = await run([...LIST, ...gaps.map((g) => g.line!)]);
    assert.equal(second.status, 'Succeeded', explain(second));
    assert.equal(neededCounts(second)?.gaps, 0);
    assert.equal(outputVariables(second).neededGapCount, '0');
    const landed = second.result!.images.filter(
      (i) => i.source.includes('acmesolver') || i.source.includes('startupapicheck'),
    );
    assert.deepEqual(
      landed.map((i) => i.status),
      ['imported', 'imported'],
    );
  });

  it('unlistedImages fail: the run fails before any import, and the pull-request thread is active', async () => {
    const failed = await run(LIST, { INPUT_UNLISTEDIMAGES: 'fail' });
    assert.equal(failed.status, 'Failed', explain(failed));
    assert.match(
      failed.statusMessage ?? '',
      /2 image\(s\) that charts or manifests need are not in the list/,
    );
    assert.equal(importRequests(await em.admin.requests()).length, 0);
    assert.equal(
      errorIssues(failed).filter((c) => c.props.sourcepath?.endsWith('cert-manager.yaml')).length,
      2,
    );

    const pr = await run(LIST, { INPUT_UNLISTEDIMAGES: 'fail' }, em.ready.taskEnvPullRequest);
    assert.equal(pr.status, 'Failed', explain(pr));
    const threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1);
    assert.equal(threads[0]!.status, 'active');
    assert.match(
      threads[0]!.comments[0]!.content,
      /jetstack\/cert-manager-startupapicheck:v1\.15\.2@sha256:[0-9a-f]{64} => jetstack\/cert-manager-startupapicheck/,
    );
  });

  it('a manifest that is not YAML fails the run before any request, naming the file and line', async () => {
    const dir = fs.mkdtempSync(path.join(root, '.tmp-needs-'));
    try {
      fs.writeFileSync(path.join(dir, 'bad.yaml'), 'kind: Pod\nspec:\n  containers: [\n    - a\n');
      const bad = await run(LIST, { INPUT_MANIFESTPATHS: `${dir}/*.yaml` });
      assert.equal(bad.status, 'Failed', explain(bad));
      const issue = errorIssues(bad).find((c) => c.props.sourcepath?.endsWith('bad.yaml'));
      assert.ok(issue, explain(bad));
      assert.ok(Number(issue.props.linenumber) >= 3);
      const log = taskRequests(await em.admin.requests());
      assert.deepEqual(
        log.filter((e) => e.host === 'arm' || e.host === 'quay.io'),
        [],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a chartValues file that does not exist fails the run before any request, naming the input line', async () => {
    const bad = await run(LIST, {
      INPUT_MANIFESTPATHS: '',
      INPUT_CHARTVALUES: 'quay.io/jetstack/charts/* => deploy/missing-values.yaml',
    });
    assert.equal(bad.status, 'Failed', explain(bad));
    assert.match(
      bad.statusMessage ?? '',
      /deploy\/missing-values\.yaml \(input chartValues line 1\) was not found/,
    );
    const log = taskRequests(await em.admin.requests());
    assert.deepEqual(
      log.filter((e) => e.host === 'arm' || e.host === 'quay.io'),
      [],
    );
  });
});
