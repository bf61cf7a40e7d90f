// The review gate (issue 8), the bundled task against the emulator as a pull-request build of PR 7:
// it plans (reads, writes nothing), posts the plan as one thread that later runs update, shows the
// same plan in the summary tab, survives a refused comment, and imports only when told to.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
// This suite measures the review gate, counting importImage requests, not signatures: its runs use copyReferrers none (runTaskNoReferrers),
// test/e2e/signatures.test.ts measures what issue 10's default adds.
import { explain, importRequests, runTaskNoReferrers, useEmulator, type TaskRun } from './runTask';
import { assertNoSecretShown } from './secrets';
import { EXAMPLE, EXAMPLE_LINES, exampleVictim } from './exampleList';

const lines = EXAMPLE_LINES;
/** A line of images.txt whose tag moves upstream after main imported it. */
const MOVED = exampleVictim();
/** A line of images.txt main has not imported yet (the pull request adds it). */
const NEW_LINE = EXAMPLE.filter((e) => e !== MOVED).at(-1)!.text;

describe('e2e: the review gate (bundled task as a pull-request build vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 300 }, (e) => (em = e));

  const pr = (env: Record<string, string> = {}): Promise<TaskRun> =>
    runTaskNoReferrers(em.ready, {
      taskEnv: em.ready.taskEnvPullRequest,
      imageList: lines.join('\n') + '\n',
      env,
    });

  /** main has imported every line but NEW_LINE; then MOVED's tag moves upstream. */
  async function mainThenMove(): Promise<{ before: string; after: string }> {
    const main = await runTaskNoReferrers(em.ready, {
      imageList: lines.filter((l) => l !== NEW_LINE).join('\n') + '\n',
    });
    assert.equal(main.status, 'Succeeded', explain(main));
    const { registry, repository, tag } = MOVED.source;
    const before = main.result!.images.find(
      (i) => i.registry === registry && i.repository === repository && i.tag === tag,
    )?.digest;
    assert.ok(before, `${MOVED.text} imported\n${explain(main)}`);
    const after = await em.admin.moveTag(registry, repository, tag!);
    assert.notEqual(before, after);
    await em.admin.clearRequests();
    return { before, after };
  }

  it('plans, writes nothing, and posts one thread naming the new digest and both digests of the moved tag', async () => {
    const { before, after } = await mainThenMove();
    const run = await pr();
    assert.equal(run.status, 'Succeeded', explain(run));
    const firstLines = run.visible.split('\n').filter((l) => !l.startsWith('##vso'));
    assert.match(firstLines[0] ?? '', /Pull-request build: planning only/);
    assert.equal(importRequests(await em.admin.requests()).length, 0, 'no importImage');
    assert.equal(run.result!.dryRun, true);
    const byAction = (a: string) => run.result!.images.filter((i) => i.action === a);
    assert.equal(byAction('import').length, 1);
    assert.equal(byAction('update').length, 1);
    assert.equal(byAction('skip').length, lines.length - 2);
    const newDigest = byAction('import')[0]!.digest!;

    const threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1);
    const text = threads[0]!.comments[0]!.content;
    for (const d of [newDigest, before, after]) assert.ok(text.includes(d), `${d} in\n${text}`);
    assert.equal(threads[0]!.status, 'closed', 'nothing failed: not blocking');
    // the summary tab shows the same plan
    assert.ok(run.summary && text.startsWith(run.summary.trim()), run.summary);
    assert.match(run.summary ?? '', /\*\*1\*\* to import · \*\*1\*\* to update/);
    assertNoSecretShown(run);

    // a new push: the same thread is updated, not another added
    const again = await pr();
    assert.equal(again.status, 'Succeeded', explain(again));
    assert.equal((await em.admin.prThreads(7)).length, 1);
    assert.match(again.visible, /Updated the plan on pull request 7/);
  });

  it('a line that fails in the plan makes the thread active', async () => {
    const run = await runTaskNoReferrers(em.ready, {
      taskEnv: em.ready.taskEnvPullRequest,
      imageList: `${lines[0]}\nquay.io/jetstack/does-not-exist:v1\n`,
    });
    assert.equal(run.status, 'Failed', explain(run));
    const threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1);
    assert.equal(threads[0]!.status, 'active');
    assert.match(threads[0]!.comments[0]!.content, /failed ❌[^|]*does-not-exist/);
  });

  it('a list that fails before its plan (allowedSources) turns the thread active, saying why', async () => {
    const clean = await pr();
    assert.equal(clean.status, 'Succeeded', explain(clean));
    assert.equal((await em.admin.prThreads(7))[0]?.status, 'closed');
    const refused = await pr({ INPUT_ALLOWEDSOURCES: 'registry.example.com/**' }); // no line's
    assert.equal(refused.status, 'Failed', explain(refused));
    const threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1, 'the same thread, updated');
    assert.equal(threads[0]!.status, 'active');
    assert.match(threads[0]!.comments[0]!.content, /No plan: the run failed before/);
    assert.equal(importRequests(await em.admin.requests()).length, 0);
  });

  it('a 403 on the threads API warns with the permission, and the run still succeeds', async () => {
    await em.admin.refusePrThreads();
    const run = await pr();
    assert.equal(run.status, 'Succeeded', explain(run));
    const warnings = run.commands.filter(
      (c) => /^task\.(log)?issue$/.test(c.name) && c.props.type === 'warning',
    );
    assert.ok(
      warnings.some((w) => /Contribute to pull requests/.test(w.message)),
      JSON.stringify(warnings.map((w) => w.message)),
    );
    assert.equal((await em.admin.prThreads(7)).length, 0);
    assert.equal(importRequests(await em.admin.requests()).length, 0);
  });

  it('pullRequestComment: false plans without a thread; importOnPullRequest: true imports', async () => {
    const quiet = await pr({ INPUT_PULLREQUESTCOMMENT: 'false' });
    assert.equal(quiet.status, 'Succeeded', explain(quiet));
    assert.equal((await em.admin.prThreads(7)).length, 0);
    const imported = await pr({ INPUT_IMPORTONPULLREQUEST: 'true' });
    assert.equal(imported.status, 'Succeeded', explain(imported));
    assert.doesNotMatch(imported.visible, /planning only/);
    assert.equal(imported.result!.counts.imported, lines.length);
    assert.equal(importRequests(await em.admin.requests()).length, lines.length);
  });
});
