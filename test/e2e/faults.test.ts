// The bundled task against an emulator that misbehaves: throttling, Docker Hub rate limits,
// refused sources, stuck operations, cancellation.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { explain, importRequests, runTask, useEmulator } from './runTask';

describe('e2e: faults (bundled task vs emulator)', function () {
  this.timeout(180000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 300 }, (e) => (em = e));

  it('an ARM 429 storm ends imported within the retry budget, every worker pausing for Retry-After', async () => {
    await em.admin.setFaults([
      {
        kind: 'arm429',
        match: { path: 'importImage', method: 'POST' },
        count: 6,
        retryAfterSeconds: 1,
      },
    ]);
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.imported, 7);
    const posts = importRequests(await em.admin.requests());
    assert.equal(posts.length, 7 + 6);
    const throttled = posts.filter((p) => p.status === 429);
    assert.equal(throttled.length, 6);
    // After the last 429 reached the task, no import is sent before its Retry-After (1 s) has
    // passed: the gate is shared. Requests already in flight when that 429 was answered (they
    // arrive within a few ms of its answer on loopback) were sent before the task could know.
    const lastThrottle = throttled[throttled.length - 1]!;
    const last429 = Date.parse(lastThrottle.time);
    const answered = last429 + lastThrottle.durationMs + 50;
    const after = posts.filter((p) => p.status !== 429 && Date.parse(p.time) > answered);
    assert.ok(after.length > 0);
    for (const p of after)
      assert.ok(
        Date.parse(p.time) - last429 >= 900,
        `sent ${Date.parse(p.time) - last429} ms after a 429`,
      );
    assert.match(run.visible, /ARM is throttling: every import waits/);
  });

  it('operations failing with toomanyrequests are retried and end imported', async () => {
    await em.admin.setFaults([
      { kind: 'opTooManyRequests', match: { target: 'cloudflared' }, count: 2 },
    ]);
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    const hub = run.result!.images.find((i) => i.registry === 'docker.io')!;
    assert.equal(hub.status, 'imported');
    assert.equal(hub.attempts, 3);
    assert.ok(
      run.result!.images.filter((i) => i.registry !== 'docker.io').every((i) => i.attempts === 1),
    );
  });

  it('an opaque blob-copy error is retried', async () => {
    await em.admin.setFaults([{ kind: 'opBlobCopyError', match: { target: 'pause' }, count: 1 }]);
    const run = await runTask(em.ready, { imageList: 'registry.k8s.io/pause:3.10\n' });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.images[0]?.attempts, 2);
  });

  it('UNAUTHORIZED is not retried, says what to do, and fails the task (or warns by policy)', async () => {
    await em.admin.setFaults([{ kind: 'opUnauthorized', match: { target: 'aks-helloworld' } }]);
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Failed', explain(run));
    const bad = run.result!.images.find((i) => i.repository === 'azuredocs/aks-helloworld')!;
    assert.equal(bad.status, 'failed');
    assert.equal(bad.attempts, 1);
    assert.match(bad.error ?? '', /UNAUTHORIZED/);
    assert.match(bad.error ?? '', /registryConnections/);
    assert.equal(run.result!.counts.imported, 6);
    const posts = importRequests(await em.admin.requests()).filter((p) =>
      p.sourceImage?.includes('aks-helloworld'),
    );
    assert.equal(posts.length, 1);
    assert.match(run.statusMessage ?? '', /line 21/);
    assert.equal(run.commands.find((c) => c.props.variable === 'failedCount')?.message, '1');

    await em.admin.reset();
    await em.admin.setFaults([{ kind: 'opUnauthorized', match: { target: 'aks-helloworld' } }]);
    const warn = await runTask(em.ready, { env: { INPUT_FAILUREPOLICY: 'warn' } });
    assert.equal(warn.status, 'SucceededWithIssues', explain(warn));
  });

  it('a stuck operation times out while the others finish', async () => {
    await em.admin.setFaults([{ kind: 'opStuck', match: { target: 'kube-webhook-certgen' } }]);
    const started = Date.now();
    const run = await runTask(em.ready, { env: { INPUT_IMPORTTIMEOUTMINUTES: '0.1' } });
    assert.equal(run.status, 'Failed', explain(run));
    const stuck = run.result!.images.find(
      (i) => i.repository === 'ingress-nginx/kube-webhook-certgen',
    )!;
    assert.equal(stuck.status, 'timed-out');
    assert.match(stuck.error ?? '', /abandoned after 6 s/);
    assert.equal(run.result!.counts.imported, 6);
    assert.equal(run.result!.counts.failed, 1);
    assert.ok(Date.now() - started < 30000);
  });

  it('SIGTERM mid-run stops starting imports and still writes the report', async () => {
    const list = Array.from(
      { length: 6 },
      (_, i) => `registry.k8s.io/pause:3.10 => pause${i}:3.10`,
    ).join('\n');
    await em.admin.setFaults([{ kind: 'opStuck', match: { target: 'pause' } }]);
    let sent = false;
    const run = await runTask(em.ready, {
      imageList: `${list}\n`,
      env: { INPUT_CONCURRENCY: '2' },
      onOutput: (all, kill) => {
        if (!sent && /importing ->/.test(all)) {
          sent = true;
          setTimeout(() => kill('SIGTERM'), 300);
        }
      },
    });
    assert.ok(sent);
    assert.equal(run.status, 'Failed', explain(run));
    const r = run.result!;
    assert.equal(r.canceled, true);
    assert.equal(r.images.length, 6);
    assert.ok(r.images.every((i) => i.status === 'canceled'));
    assert.deepEqual(
      r.images.map((i) => i.attempts),
      [1, 1, 0, 0, 0, 0],
    );
    assert.equal(importRequests(await em.admin.requests()).length, 2);
    assert.match(run.statusMessage ?? '', /canceled/i);
  });
});
