// The Sigstore trusted root refreshed through TUF, end to end (issue 19): with no
// sigstoreTrustedRoot, the bundled task refreshes the public-good root from
// https://tuf-repo-cdn.sigstore.dev, which taskEnv's host overrides send to the emulator's TUF
// repository (test/emulator/sigstoreTuf.ts; its target is the test Sigstore's trusted root). The
// emulator cannot sign with Sigstore's TUF root keys, so the task's TUF cache (in
// Agent.TempDirectory) starts with the emulator's TUF root, as a long-running agent's cache holds a
// root from an earlier run: tuf-js starts from a cached root.json. The refreshed root is one the
// shipped root is not (the emulator's Fulcio), so a keyless line verifies only if the refresh
// worked. A second run reads the cache as tuf-js does: the timestamp, and a newer root asked for.
// A cached root that does not name the repository's keys: the metadata is refused, the shipped
// root is used and the log says why.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rootDate } from '../../tasks/ImportPublicImages/src/registry/sigstoreTuf';
import type { RunningEmulator } from '../helpers/emulator';
import { SIGSTORE_TUF_HOST, tufRepository } from '../emulator/sigstoreTuf';
import { explain, runTask, useEmulator, type TaskRun } from './runTask';

const K8S = {
  subject: 'krel-trust@k8s-releng-prod.iam.gserviceaccount.com',
  issuer: 'https://accounts.google.com',
};
const CONTROLLER = 'registry.k8s.io/ingress-nginx/controller:v1.11.1 => ingress-nginx/controller';

interface Signed {
  repository: string;
  status: string;
  signature?: { verified: boolean; mode: string | null; identity?: string; reason: string | null };
}
const controller = (run: TaskRun): Signed | undefined =>
  (run.result?.images as Signed[] | undefined)?.find(
    (i) => i.repository === 'ingress-nginx/controller',
  );

describe('e2e: the Sigstore trusted root refreshed through TUF (bundled task vs the emulator)', function () {
  this.timeout(240000);
  let em: RunningEmulator;
  let agentTemp: string;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));
  beforeEach(() => (agentTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-temp-'))));
  afterEach(() => fs.rmSync(agentTemp, { recursive: true, force: true }));

  /** The task's TUF cache under Agent.TempDirectory (registry/sigstoreTuf.ts). */
  const cacheDir = () => path.join(agentTemp, 'sigstore-tuf', SIGSTORE_TUF_HOST);
  const seedCache = (root: Buffer) => {
    fs.mkdirSync(cacheDir(), { recursive: true });
    fs.writeFileSync(path.join(cacheDir(), 'root.json'), root);
  };
  /** A keyless run of the controller, no sigstoreTrustedRoot; and the paths it asked TUF for. */
  const run = async (): Promise<{ run: TaskRun; tuf: string[] }> => {
    await em.admin.clearRequests();
    const r = await runTask(em.ready, {
      imageList: CONTROLLER,
      env: {
        INPUT_VERIFYSIGNATURES: 'cosign',
        INPUT_COSIGNIDENTITIES: `registry.k8s.io/** => ${K8S.issuer} ${K8S.subject}`,
        AGENT_TEMPDIRECTORY: agentTemp,
      },
    });
    const tuf = (await em.admin.requests())
      .filter((e) => e.host === SIGSTORE_TUF_HOST)
      .map((e) => `${e.method} ${e.path} ${e.status}`);
    return { run: r, tuf };
  };

  it("refreshes the root through TUF (the emulator's repository, its root cached as an agent keeps it), verifies with it, and a second run uses the cache", async () => {
    seedCache(fs.readFileSync(em.ready.sigstoreTufRootPath));
    const trusted = fs.readFileSync(em.ready.sigstoreTrustedRootPath, 'utf8');
    const first = await run();
    assert.ok(
      first.run.visible.includes(
        `Sigstore trusted root: the public-good instance's, refreshed through TUF (https://tuf-repo-cdn.sigstore.dev; ${rootDate(trusted)})`,
      ),
      explain(first.run),
    );
    assert.match(rootDate(trusted), /^newest key from \d{4}-\d\d-\d\d$/);
    // The emulator's Fulcio chains only to the refreshed root, not to the shipped one.
    const c = controller(first.run);
    assert.equal(c?.status, 'imported', explain(first.run));
    assert.equal(c?.signature?.verified, true);
    assert.equal(c?.signature?.mode, 'keyless');
    assert.equal(c?.signature?.identity, K8S.subject);
    assert.deepEqual(first.tuf, [
      'GET /2.root.json 404',
      'GET /timestamp.json 200',
      'GET /snapshot.json 200',
      'GET /targets.json 200',
      'GET /targets/trusted_root.json 200',
    ]);
    assert.equal(
      fs.readFileSync(path.join(cacheDir(), 'targets', 'trusted_root.json'), 'utf8'),
      trusted,
      'the target is cached',
    );

    const second = await run();
    assert.match(second.run.visible, /refreshed through TUF/, explain(second.run));
    assert.equal(controller(second.run)?.signature?.verified, true, explain(second.run));
    assert.deepEqual(
      second.tuf,
      ['GET /2.root.json 404', 'GET /timestamp.json 200'],
      'snapshot, targets and trusted_root.json from the cache',
    );
  });

  it("metadata the cached root's keys did not sign: refused, the shipped root is used and the log says why", async () => {
    const trusted = fs.readFileSync(em.ready.sigstoreTrustedRootPath);
    seedCache(tufRepository(trusted).rootJson); // a TUF root with another key
    const { run: r, tuf } = await run();
    assert.match(
      r.visible,
      /Sigstore trusted root: the public-good instance's, as shipped with the task \(newest key from \d{4}-\d\d-\d\d\): TUF \(https:\/\/tuf-repo-cdn\.sigstore\.dev\) answered, but its metadata did not verify \(timestamp was signed by 0\/1 keys\); nothing from it is used/,
      explain(r),
    );
    assert.ok(!tuf.some((t) => t.includes('trusted_root.json')), tuf.join(', '));
    const c = controller(r);
    assert.equal(c?.status, 'failed', explain(r));
    assert.match(c?.signature?.reason ?? '', /does not chain to a certificate authority/);
  });
});
