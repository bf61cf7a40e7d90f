// allowUpdates: false means no tag in the ACR ever moves (issue 16), the bundled task against the
// emulator: a target another writer makes between the check and the import is not overwritten
// (NoForce) and its line fails naming what it holds; a carried cosign `.sig` is imported from the
// digest verification and discovery saw, so a `.sig` re-tagged upstream meanwhile does not land.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import {
  explain,
  importRequests,
  runTask,
  untilLogged,
  useEmulator,
  type ImageResult,
  type TaskRun,
} from './runTask';

const images = (run: TaskRun): ImageResult[] => run.result?.images ?? [];

describe('e2e: allowUpdates false, no tag moves (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));
  beforeEach(async () => em.admin.reset());
  const acr = (): string => em.ready.acrs[0]!.name;
  const held = async (repository: string, tag: string): Promise<string | undefined> =>
    (await em.admin.tags(acr())).find((t) => t.repository === repository && t.tag === tag)?.digest;
  const upstream = async (host: string, repository: string, tag: string): Promise<string> => {
    const t = (await em.admin.registryTags(host)).find(
      (e) => e.repository === repository && e.tag === tag,
    );
    assert.ok(t, `${host}/${repository}:${tag} upstream`);
    return t.digest;
  };

  it('a target another writer makes between the check and the import: NoForce, not overwritten, the line fails naming it', async () => {
    const repo = 'jetstack/cert-manager-webhook';
    // The import's first POST is answered 429 (Retry-After 5 s): the other writer goes meanwhile.
    await em.admin.setFaults([
      {
        kind: 'arm429',
        match: { path: 'importImage', method: 'POST' },
        count: 1,
        retryAfterSeconds: 5,
      },
    ]);
    const running = runTask(em.ready, {
      imageList: `quay.io/${repo}:v1.15.2 => ${repo}\n`,
      env: { INPUT_ALLOWUPDATES: 'false' },
    });
    await untilLogged(em, (log) => importRequests(log).some((e) => e.status === 429), running);
    // Another writer (another pipeline) puts registry.k8s.io/pause:3.10 under the same tag.
    const other = await runTask(em.ready, {
      imageList: `registry.k8s.io/pause:3.10 => ${repo}:v1.15.2\n`,
    });
    assert.equal(other.status, 'Succeeded', explain(other));
    const theirs = await upstream('registry.k8s.io', 'pause', '3.10');
    assert.equal(await held(repo, 'v1.15.2'), theirs);

    const run = await running;
    assert.equal(run.status, 'Failed', explain(run));
    const [line] = images(run);
    assert.equal(line!.status, 'failed', explain(run));
    assert.equal(line!.previousDigest, null, 'absent at the check');
    assert.match(
      line!.error ?? '',
      new RegExp(
        `another writer made \\S+/${repo}:v1\\.15\\.2 after the check: it holds ${theirs}`,
      ),
    );
    assert.match(line!.error ?? '', /allowUpdates is false, so it was not overwritten/);
    assert.equal(await held(repo, 'v1.15.2'), theirs, "the other writer's tag did not move");
    const ours = importRequests(await em.admin.requests()).filter((e) =>
      e.sourceImage?.startsWith(`${repo}@`),
    );
    assert.ok(ours.length >= 2, 'the 429, then the refused NoForce');
    assert.ok(
      ours.every((e) => e.mode === 'NoForce'),
      JSON.stringify(ours),
    );
  });

  it('a .sig re-tagged upstream after verification: the signature verified lands, by digest, NoForce', async () => {
    const repo = 'jetstack/cert-manager-controller';
    const digest = await upstream('quay.io', repo, 'v1.15.2');
    const sigTag = `sha256-${digest.slice('sha256:'.length)}.sig`;
    const verified = await upstream('quay.io', repo, sigTag);
    // The .sig's import is answered 429 (Retry-After 4 s): the tag is moved upstream meanwhile.
    await em.admin.setFaults([
      {
        kind: 'arm429',
        match: { path: 'importImage', method: 'POST', target: '.sig' },
        count: 1,
        retryAfterSeconds: 4,
      },
    ]);
    const running = runTask(em.ready, {
      imageList: `quay.io/${repo}:v1.15.2 => ${repo}\n`,
      env: {
        INPUT_ALLOWUPDATES: 'false',
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: `quay.io/** => ${em.ready.cosignPublicKeyPath}`,
        INPUT_SIGSTORETRUSTEDROOT: em.ready.sigstoreTrustedRootPath, // its signature is logged in Rekor
      },
    });
    await untilLogged(em, (log) => importRequests(log).some((e) => e.status === 429), running);
    const moved = await em.admin.moveTag('quay.io', repo, sigTag);
    assert.notEqual(moved, verified);
    const run = await running;
    assert.equal(run.status, 'Succeeded', explain(run));
    const [line] = images(run);
    assert.equal(line!.signature?.verified, true, explain(run));
    const sig = line!.referrers?.find((r) => r.tag === sigTag);
    assert.equal(sig?.digest, verified, 'the result names the signature verified');
    assert.equal(sig?.status, 'imported');
    const sigImports = importRequests(await em.admin.requests()).filter((e) =>
      (e.targetTags ?? []).some((t) => t.endsWith('.sig')),
    );
    assert.ok(sigImports.length >= 2, JSON.stringify(sigImports));
    for (const e of sigImports) {
      assert.equal(e.sourceImage, `${repo}@${verified}`, 'by digest, never by tag');
      assert.equal(e.mode, 'NoForce');
    }
    assert.equal(await held(repo, sigTag), verified, 'the ACR holds what was verified');
  });
});
