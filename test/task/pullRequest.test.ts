// postPlanToPullRequest (src/ado/pullRequest.ts) against the emulator's Azure DevOps, run in a
// child process with the agent's environment of a pull-request build (ready file
// taskEnvPullRequest): task-lib reads the environment (and moves the endpoint secrets into its
// vault) when it loads, so each build is a fresh process, as on an agent.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { getHandlerFromToken, WebApi } from 'azure-devops-node-api';
import {
  commentText,
  findPlanThread,
  MAX_COMMENT_CHARS,
  PLAN_MARKER,
} from '../../tasks/ImportPublicImages/src/ado/pullRequest';
import { trusted } from '../../tasks/ImportPublicImages/src/core/results/safeText';
import { maskLikeAgent } from '../e2e/runTask';
import { useEmulator, type RunningEmulator } from '../helpers/emulator';

const root = path.resolve(__dirname, '..', '..', '..');
const modulePath = path.join(
  root,
  'build',
  'tasks',
  'ImportPublicImages',
  'src',
  'ado',
  'pullRequest.js',
);

const safeTextPath = path.join(path.dirname(modulePath), '..', 'core', 'results', 'safeText.js');

// argv: module, JSON array of plans, posted one after the other as separate task runs would.
// The plans' markdown is the task's own here: wrapped as Markdown (core/results/safeText.ts) in the
// child.
const CHILD = `
const { postPlanToPullRequest } = require(process.argv[1]);
const { trusted } = require(process.argv[3]);
const log = { log: (t) => console.log('LOG ' + t), warn: (t) => console.log('WARN ' + t) };
(async () => {
  for (const plan of JSON.parse(process.argv[2]))
    console.log('OUTCOME ' + (await postPlanToPullRequest({ ...plan, markdown: trusted(plan.markdown) }, log)));
})().catch((e) => { console.log('THREW ' + (e && e.message)); process.exit(3); });
`;

interface Plan {
  markdown: string;
  active: boolean;
}

interface Build {
  code: number;
  outcomes: string[];
  logs: string[];
  warnings: string[];
  stdout: string;
  visible: string;
  secrets: string[];
}

describe('task: the plan as a pull-request comment thread (postPlanToPullRequest)', function () {
  this.timeout(60000);
  let em: RunningEmulator;
  let env: Record<string, string>;
  useEmulator({ importLatencyMs: 100 }, (e) => {
    em = e;
    env = em.ready.taskEnvPullRequest;
  });
  const token = () => env.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN!;

  function build(plans: Plan[], more: Record<string, string> = {}): Promise<Build> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['-e', CHILD, modulePath, JSON.stringify(plans), safeTextPath],
        {
          cwd: root,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, ...more },
          timeout: 45000,
        },
        (err, stdout) => {
          const lines = (prefix: string) =>
            stdout
              .split('\n')
              .filter((l) => l.startsWith(prefix))
              .map((l) => l.slice(prefix.length));
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            outcomes: lines('OUTCOME '),
            logs: lines('LOG '),
            warnings: lines('WARN '),
            stdout,
            ...maskLikeAgent(stdout),
          });
        },
      );
    });
  }

  /** The token is registered as a secret before any call and shown nowhere. */
  function assertTokenHidden(b: Build) {
    assert.ok(b.secrets.includes(token()), 'the access token is registered with setsecret');
    assert.ok(!b.visible.includes(token()), 'the access token is not in the visible output');
    const shown = b.stdout.split('\n').filter((l) => !l.includes('##vso[task.setsecret]'));
    assert.ok(!shown.some((l) => l.includes(token())), 'the token only in its setsecret line');
  }

  const adoCalls = async () =>
    (await em.admin.requests()).filter((e) => e.host === 'ado' && e.method !== 'OPTIONS');

  it('posts one thread, and later runs update it: content, status active/closed, the hidden marker', async () => {
    const first = await build([{ markdown: '## Plan A\n1 to import', active: true }]);
    assert.equal(first.code, 0, first.stdout);
    assert.deepEqual(first.outcomes, ['posted'], first.stdout);
    assert.deepEqual(first.warnings, []);
    assert.deepEqual(first.logs, ['Posted the plan to pull request 7.']);
    assertTokenHidden(first);
    let threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1);
    assert.equal(threads[0]!.status, 'active');
    assert.equal(threads[0]!.comments.length, 1);
    assert.equal(threads[0]!.comments[0]!.content, `## Plan A\n1 to import\n\n${PLAN_MARKER}`);

    // A new push: a new build (process) with a plan that only reports up-to-date lines.
    await em.admin.clearRequests();
    const second = await build([
      { markdown: '## Plan B\nall up to date', active: false },
      { markdown: '## Plan B\nall up to date', active: false },
    ]);
    assert.deepEqual(second.outcomes, ['updated', 'updated'], second.stdout);
    assert.deepEqual(second.logs, [
      'Updated the plan on pull request 7.',
      'Updated the plan on pull request 7.',
    ]);
    assertTokenHidden(second);
    threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1, 'still one thread');
    assert.equal(threads[0]!.status, 'closed');
    assert.deepEqual(
      threads[0]!.comments.map((c) => c.content),
      [`## Plan B\nall up to date\n\n${PLAN_MARKER}`],
    );
    // The second, identical plan wrote nothing: one comment PATCH and one thread PATCH in all.
    const writes = (await adoCalls()).filter((e) => e.method !== 'GET');
    assert.deepEqual(
      writes.map((e) => `${e.method} ${e.path.replace(/.*pullRequests\/7\//, '')}`),
      ['PATCH threads/1/comments/1', 'PATCH threads/1'],
    );

    const third = await build([{ markdown: '## Plan C\n1 failed', active: true }]);
    assert.deepEqual(third.outcomes, ['updated']);
    threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 1);
    assert.equal(threads[0]!.status, 'active');
  });

  it("leaves the pull request's other threads alone", async () => {
    const api = new WebApi(env.SYSTEM_COLLECTIONURI!, getHandlerFromToken(token()), {
      cert: { caFile: em.ready.caCertPath },
    });
    const git = await api.getGitApi();
    const repo = env.BUILD_REPOSITORY_ID!;
    await git.createThread({ comments: [{ content: 'Looks good' }] }, repo, 7, 'emulator-project');
    const b = await build([{ markdown: 'plan', active: false }]);
    assert.deepEqual(b.outcomes, ['posted']);
    const threads = await em.admin.prThreads(7);
    assert.deepEqual(
      threads.map((t) => [t.status, t.comments[0]!.content]),
      [
        ['active', 'Looks good'],
        ['closed', `plan\n\n${PLAN_MARKER}`],
      ],
    );
  });

  it('403: warns which permission the build service lacks, returns failed, does not throw', async () => {
    await em.admin.refusePrThreads();
    const b = await build([{ markdown: 'plan', active: true }]);
    assert.equal(b.code, 0, b.stdout);
    assert.deepEqual(b.outcomes, ['failed']);
    assert.deepEqual(b.warnings, [
      'Could not comment on pull request 7: the build service identity lacks "Contribute to pull requests" on repository images (Project settings > Repositories > Security); the plan is in the run\'s summary tab.',
    ]);
    assertTokenHidden(b);
    assert.deepEqual(await em.admin.prThreads(7), []);
  });

  it('401 (a token Azure DevOps refuses): warns, returns failed, never shows the token', async () => {
    const bad = 'not-the-job-token-0123456789';
    const b = await build([{ markdown: 'plan', active: true }], {
      ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({
        parameters: { AccessToken: bad },
        scheme: 'OAuth',
      }),
      ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: bad,
    });
    assert.deepEqual(b.outcomes, ['failed']);
    assert.equal(b.warnings.length, 1);
    assert.match(b.warnings[0]!, /^Could not comment on pull request 7: .*\(401\).*summary tab\.$/);
    assert.ok(!b.visible.includes(bad));
    assert.ok(b.secrets.includes(bad));
  });

  it('an unknown pull request: warns that it was not found', async () => {
    const b = await build([{ markdown: 'plan', active: true }], {
      SYSTEM_PULLREQUEST_PULLREQUESTID: '8',
    });
    assert.deepEqual(b.outcomes, ['failed']);
    assert.match(b.warnings[0] ?? '', /pull request 8 was not found in repository images/);
  });

  it('a repository outside Azure Repos: skipped, the plan is in the summary tab only', async () => {
    await em.admin.clearRequests();
    const b = await build([{ markdown: 'plan', active: true }], {
      BUILD_REPOSITORY_PROVIDER: 'GitHub',
    });
    assert.deepEqual(b.outcomes, ['skipped']);
    assert.deepEqual(b.logs, [
      "The plan is in the run's summary tab only (pull-request comments need an Azure Repos Git repository).",
    ]);
    assert.deepEqual(b.warnings, []);
    assert.deepEqual(await adoCalls(), []);
  });

  it('not a pull-request build: skipped silently', async () => {
    await em.admin.clearRequests();
    for (const reason of ['IndividualCI', 'Manual', '']) {
      const b = await build([{ markdown: 'plan', active: true }], { BUILD_REASON: reason });
      assert.deepEqual([b.outcomes, b.logs, b.warnings], [['skipped'], [], []], reason);
    }
    assert.deepEqual(await adoCalls(), []);
  });

  it('a missing agent variable: warns naming it', async () => {
    const b = await build([{ markdown: 'plan', active: true }], { BUILD_REPOSITORY_ID: '' });
    assert.deepEqual(b.outcomes, ['failed']);
    assert.match(b.warnings[0] ?? '', /did not give the variable Build\.Repository\.ID/);
  });
});

describe('task: the plan comment text (pure helpers)', () => {
  it('ends with the hidden marker; a plan too long is cut at a line with a note', () => {
    assert.equal(commentText(trusted('short')), `short\n\n${PLAN_MARKER}`);
    const long = Array.from({ length: 20000 }, (_, i) => `| line ${i} | x |`).join('\n');
    const text = commentText(trusted(long));
    assert.ok(text.length <= MAX_COMMENT_CHARS, String(text.length));
    assert.ok(text.endsWith(PLAN_MARKER));
    assert.match(
      text,
      /\| x \|\n\n_The plan is cut here; the whole plan is in the run's summary tab\._/,
    );
  });

  it('finds the thread whose first comment the job wrote with the marker, not a deleted one', () => {
    const SELF = 'AAAA-build-service';
    const mk = (id: number, content: string, isDeleted = false, author = 'aaaa-BUILD-service') => ({
      id,
      isDeleted,
      comments: [{ id: 1, content, author: { id: author } }],
    });
    assert.equal(findPlanThread([mk(1, 'hi'), mk(2, `x ${PLAN_MARKER}`)], SELF)?.id, 2);
    assert.equal(findPlanThread([mk(1, `x ${PLAN_MARKER}`, true)], SELF), undefined);
    assert.equal(findPlanThread([{ id: 3 }, { id: 4, comments: [{ id: 1 }] }], SELF), undefined);
    // a pull-request author can paste the marker: that thread is never adopted
    const forged = mk(5, `✅ all clean ${PLAN_MARKER}`, false, 'pr-author');
    assert.equal(findPlanThread([forged, mk(6, `x ${PLAN_MARKER}`)], SELF)?.id, 6);
    assert.equal(findPlanThread([forged], SELF), undefined);
    // the job's identity unknown: no thread is adopted (a new one is posted)
    assert.equal(findPlanThread([mk(2, `x ${PLAN_MARKER}`)], undefined), undefined);
  });
});
