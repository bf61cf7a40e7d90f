// Docker Hub specifics: credentials withheld from a token realm on another host; the pull-limit
// shortfall reported before importing.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { explain, importRequests, runTask, useEmulator, type TaskRun } from './runTask';

const HUB_LIST = [
  'docker.io/library/nginx:1.27 => nginx',
  'docker.io/library/busybox:1.36',
  '',
].join('\n');

const warnings = (run: TaskRun) =>
  run.visible
    .split('\n')
    .filter((l) => l.startsWith('##vso[task.issue') && l.includes('type=warning'));

describe('e2e: Docker Hub token realm on another host (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  // docker.io's 401 challenge names quay.io's token endpoint as realm
  useEmulator({ importLatencyMs: 200, realmHosts: { 'docker.io': 'quay.io' } }, (e) => (em = e));

  it('Docker Hub credentials never reach the other host; the task warns and still imports', async () => {
    const run = await runTask(em.ready, { imageList: HUB_LIST });
    assert.notEqual(run.status, 'Failed', explain(run));
    const log = await em.admin.requests();
    const hubUser = em.ready.dockerHub.username;
    const onQuay = log.filter((e) => e.host === 'quay.io');
    assert.ok(
      onQuay.every((e) => e.authUser !== hubUser),
      `quay.io's token endpoint got the Docker Hub user: ${JSON.stringify(onQuay)}`,
    );
    assert.ok(
      log.every((e) => e.authUser !== hubUser || e.host === 'docker.io'),
      'the Docker Hub user only on docker.io',
    );
    // one warning for docker.io, naming the realm's host (here quay.io's listener)
    const realmHost = new URL(em.ready.registries['quay.io']!).host;
    const named = warnings(run).filter((w) => w.includes('docker.io') && w.includes(realmHost));
    assert.equal(named.length, 1, `one warning names the foreign realm\n${explain(run)}`);
    // the import itself (ARM, source docker.io) still carries the credentials and succeeds
    const posts = importRequests(log);
    assert.equal(posts.length, 2);
    assert.ok(posts.every((p) => p.sourceUsername === hubUser));
    const held = await em.admin.tags(em.ready.acrs[0]!.name);
    assert.ok(held.some((t) => t.repository === 'nginx' && t.tag === '1.27'));
  });
});

describe('e2e: Docker Hub pull limit (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 200, dockerHubLimit: 1 }, (e) => (em = e));

  for (const mode of ['sync', 'force']) {
    it(`${mode} mode: two docker.io pulls needed, one allowed: warns before importing`, async () => {
      const run = await runTask(em.ready, {
        imageList: HUB_LIST,
        // no retries: the second import is expected to hit toomanyrequests
        env: { INPUT_IMPORTMODE: mode, INPUT_RETRIES: '0', INPUT_FAILUREPOLICY: 'warn' },
      });
      const shortfall = warnings(run).find((w) =>
        /Docker Hub allows 1 more pull\(s\) \(limit 1\) but this run needs at least 2/.test(w),
      );
      assert.ok(shortfall, `a shortfall warning\n${explain(run)}`);
      // before importing: the warning comes before the first import starts
      const lines = run.visible.split('\n');
      const firstImport = lines.findIndex((l) => / importing -> /.test(l));
      assert.ok(firstImport > lines.indexOf(shortfall), explain(run));
      assert.ok(importRequests(await em.admin.requests()).length >= 1);
    });
  }
});
