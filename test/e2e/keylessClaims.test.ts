// A GitHub workflow's claims in a cosignIdentities line (repository=, ref=; issue 19), the bundled
// task against the emulator's bundle-referrer case: ghcr.io/keyless/bundle-signed, signed by a
// GitHub workflow whose Fulcio certificate carries its repository and ref (test/emulator/
// keylessCases.ts GITHUB_IDENTITY). The claims it carries verify and import; another ref fails
// the line, naming both, with no importImage for it; a malformed claim fails before any request.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { GITHUB_IDENTITY, KEYLESS_CASES } from '../emulator/keylessCases';
import {
  explain,
  importRequests,
  runTask,
  taskRequests,
  useEmulator,
  type TaskRun,
} from './runTask';

const CASE = KEYLESS_CASES.find((c) => c.name === 'bundle-referrer')!;

interface Signed {
  repository: string;
  status: string;
  signature?: { verified: boolean; policy?: string; identity?: string; reason: string | null };
}
const line = (run: TaskRun): Signed | undefined =>
  (run.result?.images as Signed[] | undefined)?.find((i) => i.repository === CASE.repository);

describe('e2e: keyless identity lines with workflow claims (repository=, ref=)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  const run = async (claims: string): Promise<TaskRun> => {
    await em.admin.clearRequests();
    return runTask(em.ready, {
      imageList: CASE.line,
      env: {
        INPUT_VERIFYSIGNATURES: 'cosign',
        INPUT_COSIGNIDENTITIES: `ghcr.io/keyless/** => ${GITHUB_IDENTITY.issuer} ${GITHUB_IDENTITY.subject} ${claims}`,
        INPUT_SIGSTORETRUSTEDROOT: em.ready.sigstoreTrustedRootPath,
      },
    });
  };

  it("the workflow's repository and ref verify and import; another ref fails the line naming both, with no importImage", async () => {
    const { repository, ref } = GITHUB_IDENTITY.github;
    const good = await run(`repository=${repository} ref=${ref}`);
    const g = line(good);
    assert.equal(g?.status, 'imported', explain(good));
    assert.equal(g?.signature?.verified, true);
    assert.equal(g?.signature?.identity, GITHUB_IDENTITY.subject);
    assert.ok(
      g?.signature?.policy?.endsWith(`repository=${repository}, ref=${ref})`),
      g?.signature?.policy,
    );

    const other = await run(`repository=${repository} ref=refs/heads/main`);
    const o = line(other);
    assert.equal(other.status, 'Failed', explain(other));
    assert.equal(o?.status, 'failed');
    assert.equal(o?.signature?.verified, false);
    assert.match(
      o?.signature?.reason ?? '',
      /signed from another workflow ref: the certificate says "refs\/tags\/v1\.0\.0" \(1\.3\.6\.1\.4\.1\.57264\.1\.6\), the policy requires ref=refs\/heads\/main/,
    );
    const imports = importRequests(await em.admin.requests());
    assert.ok(
      imports.every((e) => !(e.sourceImage ?? '').startsWith(CASE.repository)),
      'no importImage for the refused line',
    );
  });

  it('a malformed claim fails the task before any request, naming the input, the line and the fix', async () => {
    const bad = await run('ref=main');
    assert.equal(bad.status, 'Failed', explain(bad));
    assert.match(
      bad.statusMessage ?? '',
      /Input cosignIdentities, line 1 .*ref=main is not a git ref; write the full ref/,
    );
    assert.deepEqual(taskRequests(await em.admin.requests()), [], 'no request');
  });
});
