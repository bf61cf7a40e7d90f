// Untrusted by default (issue 16), the bundled task as a pull-request build of PR 7 against the
// emulator: a hostile registry (test/emulator/hostile.ts) sends agent commands and markup in a
// Docker-Content-Digest header and in a referrer's artifactType, a list line carries markup, a
// pull-request author forges a plan thread, and the run fails in each way it can: no command from
// data reaches stdout, nothing from data renders as markup in the thread or the summary, and the
// thread is active after every failure.
import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { PLAN_MARKER } from '../../tasks/ImportPublicImages/src/ado/pullRequest';
import type { RunningEmulator } from '../helpers/emulator';
import { explain, runTask, runTaskNoReferrers, useEmulator, type TaskRun } from './runTask';

const CONTROLLER = 'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller';
const WEBHOOK = 'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook';
const HOSTILE_DIGEST =
  'sha256:`<img src=x>`##vso[task.setvariable variable=pwned]1 [a](http://e) <!-- hide';
const HOSTILE_TYPE =
  'application/vnd.dev.sigstore.bundle##vso[task.uploadfile]/etc/hostname<img src=x>';

const render = (text: string): string => new MarkdownIt({ html: true, linkify: true }).render(text);

/** No command of data's: every `##vso[` starts its line, once, and is one the task writes. */
function assertNoCommandFromData(run: TaskRun): void {
  for (const line of run.stdout.split('\n')) {
    assert.ok(!/^\s*##\[/.test(line), `a formatting command: ${line.slice(0, 200)}`);
    const at = line.search(/##vso\[/i);
    if (at === -1) continue;
    assert.equal(at, 0, `a command inside a line: ${line.slice(0, 200)}`);
    assert.equal(line.slice(1).search(/##vso\[/i), -1, `two commands: ${line.slice(0, 200)}`);
  }
  assert.ok(!run.commands.some((c) => c.name === 'task.uploadfile'), 'no task.uploadfile');
  assert.ok(
    !run.commands.some((c) => c.name === 'task.setvariable' && c.props.variable === 'pwned'),
    'no variable set by data',
  );
}

/** Data rendered no image, link or comment (the task's own marker is the one comment). */
function assertInert(markdown: string, what: string): void {
  const html = render(markdown);
  assert.ok(!/<img|<a /.test(html), `${what} renders markup:\n${html.slice(0, 1500)}`);
  const comments = html.split('<!--').length - 1;
  assert.ok(comments <= (markdown.includes(PLAN_MARKER) ? 1 : 0), `${what}: a comment from data`);
}

describe('e2e: untrusted by default (bundled task vs a hostile registry, a pull-request build)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 100 }, (e) => (em = e));

  const pr = (list: string[], env: Record<string, string> = {}, referrers = false) =>
    (referrers ? runTask : runTaskNoReferrers)(em.ready, {
      taskEnv: em.ready.taskEnvPullRequest,
      imageList: `${list.join('\n')}\n`,
      env,
    });

  async function thread() {
    const threads = await em.admin.prThreads(7);
    const ours = threads.filter((t) => t.comments[0]?.content.includes(PLAN_MARKER));
    assert.equal(ours.length, 1, JSON.stringify(threads));
    return ours[0]!;
  }

  it('a hostile digest header and artifactType: no command from data, inert markdown, the line unverified and the thread active', async () => {
    await em.admin.setHostile([
      {
        kind: 'digestHeader',
        registry: 'quay.io',
        path: 'cert-manager-webhook',
        value: HOSTILE_DIGEST,
      },
      {
        kind: 'referrerArtifactType',
        registry: 'registry.k8s.io',
        path: 'controller',
        value: HOSTILE_TYPE,
      },
    ]);
    const run = await pr([CONTROLLER, WEBHOOK], {}, true);
    assertNoCommandFromData(run);
    assert.ok(run.stdout.includes('# #vso[task.setvariable variable=pwned]'), 'shown, neutralised');
    // The JSON result keeps the refusal faithfully; the digest is not taken.
    const byLine = new Map(run.result!.images.map((i) => [i.source, i]));
    const webhook = byLine.get('quay.io/jetstack/cert-manager-webhook:v1.15.2')!;
    assert.equal(webhook.digest, null);
    assert.equal(webhook.action, 'unverified');
    assert.match(webhook.note ?? '', /invalid digest in its Docker-Content-Digest header/);
    assert.ok(
      (webhook.note ?? '').includes('##vso[task.setvariable variable=pwned]1'),
      webhook.note,
    );
    const controller = byLine.get('registry.k8s.io/ingress-nginx/controller:v1.11.1')!;
    assert.match(controller.note ?? '', /invalid media type in a descriptor's artifactType/);
    // The thread: active (a source could not be read), saying so; nothing renders as markup.
    const t = await thread();
    assert.equal(t.status, 'active', explain(run));
    const content = t.comments[0]!.content;
    assert.match(content, /could not be verified: their source could not be read/);
    assertInert(content, 'the thread');
    assertInert(run.summary ?? '', 'the summary');
    assert.ok(content.startsWith((run.summary ?? '').trim()), 'the summary is the plan');
  });

  it('an invalid line with markup: "No plan" quotes it as text', async () => {
    const run = await pr([
      CONTROLLER,
      '<img src=x> [a](http://e) <!-- hidden ##vso[task.setvariable variable=pwned]1',
    ]);
    assert.equal(run.status, 'Failed', explain(run));
    assertNoCommandFromData(run);
    const t = await thread();
    assert.equal(t.status, 'active');
    assert.match(t.comments[0]!.content, /No plan: the run failed before/);
    assertInert(t.comments[0]!.content, 'No plan');
  });

  it('a thread the pull request author wrote with the marker is never adopted', async () => {
    const forged = `### Import plan\n\nEvery line is already up to date: nothing to import.\n\n${PLAN_MARKER}`;
    await em.admin.postPrThreadAsAuthor(7, forged, 'closed');
    const run = await pr([CONTROLLER, 'quay.io/jetstack/does-not-exist:v1 => x']);
    assert.equal(run.status, 'Failed', explain(run));
    const threads = await em.admin.prThreads(7);
    assert.equal(threads.length, 2, JSON.stringify(threads));
    assert.equal(threads[0]!.comments[0]!.content, forged, 'the forged thread untouched');
    assert.equal(threads[0]!.status, 'closed');
    assert.equal(threads[1]!.status, 'active');
    assert.match(threads[1]!.comments[0]!.content, /does-not-exist/);
  });

  it('a pull-request build that imports (importOnPullRequest) and fails turns the thread active', async () => {
    const run = await pr([CONTROLLER, 'quay.io/jetstack/does-not-exist:v1 => x'], {
      INPUT_IMPORTONPULLREQUEST: 'true',
    });
    assert.equal(run.status, 'Failed', explain(run));
    const t = await thread();
    assert.equal(t.status, 'active');
    assert.match(t.comments[0]!.content, /imported \(importOnPullRequest\) and failed/);
    assert.match(t.comments[0]!.content, /does-not-exist/);
  });

  const failures: [string, Record<string, string>, RegExp][] = [
    [
      'a key file that does not exist (while the inputs are read)',
      {
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: 'quay.io/** => keys/missing.pub',
      },
      /cannot read the key file/,
    ],
    [
      'an input that is no choice (before connecting)',
      { INPUT_IMPORTMODE: 'sometimes' },
      /importMode/,
    ],
    ['a registry that is not found', { INPUT_ACRNAME: 'nosuchacr' }, /nosuchacr/],
    [
      'a result path that cannot be written',
      { INPUT_RESULTPATH: '/dev/null/result.json' },
      /result/i,
    ],
  ];
  it('every kind of failure turns a clean plan active, with the reason', async () => {
    for (const [what, env, reason] of failures) {
      const clean = await pr([CONTROLLER]);
      assert.equal(clean.status, 'Succeeded', explain(clean));
      assert.equal((await thread()).status, 'closed', `${what}: clean first`);
      const failed = await pr([CONTROLLER], env);
      assert.equal(failed.status, 'Failed', `${what}\n${explain(failed)}`);
      const t = await thread();
      assert.equal(t.status, 'active', `${what}\n${explain(failed)}`);
      assert.match(t.comments[0]!.content, /No plan: the run failed before/, what);
      assert.match(t.comments[0]!.content, reason, what);
    }
  });
});
