// The review gate's policies and audit record (issue 8), the bundled task against the emulator:
// requireDigests (an unpinned line annotated with itself pinned to the digest its tag points at
// now, nothing written), allowUpdates false (a moved tag fails its line naming both digests, a new
// line still imports), allowedSources (a line outside the patterns annotated, no request at all),
// a pinned line imports exactly its digest after the tag moved, and the JSON result's run, list
// and previousDigest.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RunningEmulator } from '../helpers/emulator';
import {
  armWrites,
  errorIssues,
  explain,
  importRequests,
  outputVariables,
  runTask,
  taskRequests,
  useEmulator,
  type ResultImage,
  type ResultJson,
  type TaskRun,
} from './runTask';

/** The result with the audit fields (core/results/audit.ts, ImageResult.previousDigest). */
type AuditResult = ResultJson & {
  run?: Record<string, string>;
  list?: { path: string; sha256?: string };
  images: (ResultImage & { previousDigest?: string | null })[];
};
const audit = (run: TaskRun): AuditResult => run.result as AuditResult;

const PAUSE = 'registry.k8s.io/pause:3.10 => pause';
const WEBHOOK = 'quay.io/jetstack/cert-manager-webhook:v1.15.2 => jetstack/cert-manager-webhook';

describe('e2e: review policies and the audit record (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 100 }, (e) => (em = e));
  const acrName = (): string => em.ready.acrs[0]!.name;

  /** The digest a public registry's tag points at now. */
  async function upstream(host: string, repository: string, tag: string): Promise<string> {
    const t = (await em.admin.registryTags(host)).find(
      (e) => e.repository === repository && e.tag === tag,
    );
    assert.ok(t, `${host}/${repository}:${tag} upstream`);
    return t.digest;
  }

  /** The digest the ACR holds under repository:tag (undefined: absent). */
  async function held(repository: string, tag: string): Promise<string | undefined> {
    return (await em.admin.tags(acrName())).find(
      (e) => e.repository === repository && e.tag === tag,
    )?.digest;
  }

  async function assertNothingWritten(run: TaskRun): Promise<void> {
    const log = await em.admin.requests();
    assert.equal(importRequests(log).length, 0, `no importImage request\n${explain(run)}`);
    assert.equal(armWrites(log).length, 0, 'no ARM write');
    assert.deepEqual(await em.admin.tags(acrName()), []);
  }

  it('requireDigests: each unpinned line is annotated with itself pinned to the digest its tag points at now; nothing is written, in every mode', async () => {
    const controller = await upstream('quay.io', 'jetstack/cert-manager-controller', 'v1.15.2');
    const pause = await upstream('registry.k8s.io', 'pause', '3.10');
    const list = [
      `quay.io/jetstack/cert-manager-controller:v1.15.2@${controller} => jetstack/cert-manager-controller`,
      `${PAUSE}   # unpinned`,
      'registry.k8s.io/pause:9.99 => pause-gone',
    ].join('\n');
    for (const mode of ['sync', 'missing', 'force']) {
      await em.admin.clearRequests();
      const run = await runTask(em.ready, {
        imageList: list,
        env: { INPUT_REQUIREDIGESTS: 'true', INPUT_IMPORTMODE: mode },
      });
      assert.equal(run.status, 'Failed', explain(run));
      assert.match(
        run.statusMessage ?? '',
        /^2 unpinned line\(s\) in images\.txt, nothing was imported; line 2: requireDigests is true/,
      );
      assert.equal(outputVariables(run).failedCount, '2');
      const issues = errorIssues(run);
      assert.deepEqual(
        issues.map((i) => `${i.props.sourcepath}:${i.props.linenumber}`),
        ['images.txt:2', 'images.txt:3'],
      );
      const fix = `registry.k8s.io/pause:3.10@${pause} => pause`;
      assert.ok(issues[0]!.message.endsWith(`Write it like: ${fix}`), issues[0]!.message);
      assert.match(
        issues[1]!.message,
        /was not found upstream \(404\): there is no digest to pin it to/,
      );
      assert.equal(run.result, undefined, 'no result: the list is refused, as an invalid one');
      await assertNothingWritten(run);
    }

    // The fix is a paste: the pinned line imports exactly that digest.
    const fixed = await runTask(em.ready, {
      imageList: `${PAUSE.replace('3.10', `3.10@${pause}`)}\n`,
      env: { INPUT_REQUIREDIGESTS: 'true' },
    });
    assert.equal(fixed.status, 'Succeeded', explain(fixed));
    assert.equal(await held('pause', '3.10'), pause);
  });

  it('requireDigests: a digest that cannot be read is said on the line, and the run still fails', async () => {
    // Every manifest request to registry.k8s.io has its connection cut.
    await em.admin.setFaults([
      { kind: 'dropConnection', match: { listener: 'registry.k8s.io', path: '/manifests/' } },
    ]);
    const run = await runTask(em.ready, {
      imageList: `${PAUSE}\n`,
      env: { INPUT_REQUIREDIGESTS: 'true' },
    });
    assert.equal(run.status, 'Failed', explain(run));
    const [issue] = errorIssues(run);
    assert.equal(issue?.props.linenumber, '1');
    assert.match(
      issue?.message ?? '',
      /the digest registry\.k8s\.io\/pause:3\.10 points at could not be read \(/,
    );
    assert.ok(
      issue?.message.endsWith('Write it like: registry.k8s.io/pause:3.10@sha256:<digest> => pause'),
    );
    await assertNothingWritten(run);
  });

  it('allowUpdates false: a tag moved upstream fails its line naming both digests; a new line still imports', async () => {
    const first = await runTask(em.ready, { imageList: `${WEBHOOK}\n` });
    assert.equal(first.status, 'Succeeded', explain(first));
    const before = await held('jetstack/cert-manager-webhook', 'v1.15.2');
    assert.ok(before);
    const moved = await em.admin.moveTag('quay.io', 'jetstack/cert-manager-webhook', 'v1.15.2');
    assert.notEqual(moved, before);
    await em.admin.clearRequests();

    const run = await runTask(em.ready, {
      imageList: `${WEBHOOK}\n${PAUSE}\n`,
      env: { INPUT_ALLOWUPDATES: 'false' },
    });
    assert.equal(run.status, 'Failed', explain(run));
    const [webhook, pause] = audit(run).images;
    assert.equal(webhook!.status, 'failed');
    assert.equal(webhook!.action, 'update');
    assert.equal(webhook!.digest, moved);
    assert.equal(webhook!.previousDigest, before);
    const error = webhook!.error ?? '';
    assert.ok(error.includes(`jetstack/cert-manager-webhook:v1.15.2 holds ${before}`), error);
    assert.ok(error.includes(`points at ${moved}`), error);
    assert.match(error, /allowUpdates is false.*pin the line.*set allowUpdates to true/);
    assert.equal(pause!.status, 'imported');
    assert.equal(pause!.action, 'import');
    assert.match(run.statusMessage ?? '', /1 imported, 0 skipped, 1 failed of 2/);

    const imports = importRequests(await em.admin.requests());
    assert.equal(imports.length, 1, 'only the new line is imported');
    assert.equal(await held('jetstack/cert-manager-webhook', 'v1.15.2'), before, 'not overwritten');
    assert.ok(await held('pause', '3.10'));
  });

  it('allowUpdates false with importMode force is refused before any request', async () => {
    const run = await runTask(em.ready, {
      env: { INPUT_ALLOWUPDATES: 'false', INPUT_IMPORTMODE: 'force' },
    });
    assert.equal(run.status, 'Failed', explain(run));
    assert.match(run.statusMessage ?? '', /^Input allowUpdates is false, but importMode force/);
    assert.deepEqual(taskRequests(await em.admin.requests()), []);
  });

  it('allowedSources: a line outside the patterns is annotated and nothing is requested; an invalid pattern names the input', async () => {
    const list = ['registry.k8s.io/pause:3.10', 'nginx:1.27 => library/nginx', WEBHOOK].join('\n');
    const run = await runTask(em.ready, {
      imageList: list,
      env: {
        INPUT_ALLOWEDSOURCES: '# the approved registries\nregistry.k8s.io/**\nquay.io/jetstack/*\n',
      },
    });
    assert.equal(run.status, 'Failed', explain(run));
    const issues = errorIssues(run);
    assert.deepEqual(
      issues.map((i) => `${i.props.sourcepath}:${i.props.linenumber}`),
      ['images.txt:2'],
    );
    assert.match(
      issues[0]!.message,
      /the source docker\.io\/library\/nginx matches no pattern of allowedSources \(registry\.k8s\.io\/\*\*, quay\.io\/jetstack\/\*\)/,
    );
    assert.match(
      run.statusMessage ?? '',
      /^1 line\(s\) outside allowedSources in images\.txt, nothing was imported/,
    );
    assert.equal(outputVariables(run).failedCount, '1');
    assert.deepEqual(taskRequests(await em.admin.requests()), [], 'no request at all');

    const bad = await runTask(em.ready, {
      imageList: list,
      env: { INPUT_ALLOWEDSOURCES: 'registry.k8s.io/**\nquay.io/jetstack/cert-manager:v1\n' },
    });
    assert.equal(bad.status, 'Failed', explain(bad));
    assert.match(
      bad.statusMessage ?? '',
      /^Input allowedSources: "quay\.io\/jetstack\/cert-manager:v1" carries a tag/,
    );
    assert.deepEqual(taskRequests(await em.admin.requests()), []);

    const allowed = await runTask(em.ready, {
      imageList: list,
      env: { INPUT_ALLOWEDSOURCES: 'registry.k8s.io/**\nquay.io/jetstack/*\ndocker.io/library/*' },
    });
    assert.equal(allowed.status, 'Succeeded', explain(allowed));
    assert.equal(allowed.result!.counts.imported, 3);
  });

  it('a pinned line whose tag has moved upstream imports exactly the pinned digest', async () => {
    const reviewed = await upstream('registry.k8s.io', 'pause', '3.10');
    const moved = await em.admin.moveTag('registry.k8s.io', 'pause', '3.10');
    assert.notEqual(moved, reviewed);
    const run = await runTask(em.ready, {
      imageList: `registry.k8s.io/pause:3.10@${reviewed} => pause\n`,
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.images[0]!.digest, reviewed);
    assert.equal(await held('pause', '3.10'), reviewed);
  });

  it('the audit record: run from the agent variables, list path and sha256, previousDigest on a re-run after a move', async () => {
    const list = `# approved in PR 42\n${WEBHOOK}\n`;
    const agent = {
      BUILD_BUILDID: '4711',
      BUILD_BUILDNUMBER: '20260101.3',
      BUILD_DEFINITIONNAME: 'images',
      BUILD_REASON: 'IndividualCI',
      BUILD_REPOSITORY_NAME: 'platform-images',
      BUILD_SOURCEBRANCH: 'refs/heads/main',
      BUILD_SOURCEVERSION: '0123456789abcdef0123456789abcdef01234567',
      BUILD_REQUESTEDFOR: 'Ada Lovelace',
      SYSTEM_COLLECTIONURI: 'https://dev.azure.com/contoso/',
      SYSTEM_TEAMPROJECT: 'platform',
    };
    const offAgent = Object.fromEntries(
      Object.entries(em.ready.taskEnv).filter(([k]) => !/^(BUILD|SYSTEM)_/.test(k)),
    );
    const first = await runTask(em.ready, { imageList: list, taskEnv: offAgent });
    assert.equal(first.status, 'Succeeded', explain(first));
    assert.deepEqual(audit(first).run, {}, 'off the agent: no build');
    assert.deepEqual(audit(first).list, {
      path: 'images.txt',
      sha256: createHash('sha256').update(list).digest('hex'),
    });
    const before = audit(first).images[0]!;
    assert.equal(before.previousDigest, null, 'the target was absent');

    const moved = await em.admin.moveTag('quay.io', 'jetstack/cert-manager-webhook', 'v1.15.2');
    const second = await runTask(em.ready, { imageList: list, env: agent });
    assert.equal(second.status, 'Succeeded', explain(second));
    assert.deepEqual(audit(second).run, {
      buildId: '4711',
      buildNumber: '20260101.3',
      definition: 'images',
      reason: 'IndividualCI',
      repository: 'platform-images',
      sourceBranch: 'refs/heads/main',
      commit: '0123456789abcdef0123456789abcdef01234567',
      requestedFor: 'Ada Lovelace',
      collectionUri: 'https://dev.azure.com/contoso/',
      project: 'platform',
    });
    const image = audit(second).images[0]!;
    assert.equal(image.action, 'update');
    assert.equal(image.status, 'imported');
    assert.equal(image.previousDigest, before.digest, 'what the target held before this run');
    assert.equal(image.digest, moved);
    assert.equal(await held('jetstack/cert-manager-webhook', 'v1.15.2'), moved);
    assert.deepEqual(image.targets, [
      `${em.ready.acrs[0]!.loginServer}/jetstack/cert-manager-webhook:v1.15.2`,
    ]);
  });
});
