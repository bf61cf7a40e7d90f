// The bundled task against an emulator that misbehaves: throttling, Docker Hub rate limits,
// refused sources, stuck operations, cancellation.
import assert from 'node:assert/strict';
import type { FaultRule, RunningEmulator } from '../helpers/emulator';
// This suite measures faults and their retries, counting importImage requests, not signatures: its runs use copyReferrers none (runTaskNoReferrers),
// test/e2e/signatures.test.ts measures what issue 10's default adds.
import { explain, importRequests, runTaskNoReferrers, untilLogged, useEmulator } from './runTask';
import { EXAMPLE_COUNT, exampleVictim, faultTarget, targetOf } from './exampleList';

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
    const run = await runTaskNoReferrers(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.imported, EXAMPLE_COUNT);
    const posts = importRequests(await em.admin.requests());
    assert.equal(posts.length, EXAMPLE_COUNT + 6);
    const throttled = posts.filter((p) => p.status === 429);
    assert.equal(throttled.length, 6);
    // After the last 429 reached the task, no import is sent before its Retry-After (1 s) has
    // passed: the gate is shared. The task's stdout is one thread's ordered record: a line
    // "importing ->" before each POST, "ARM is throttling" the moment each 429 is read and the gate
    // shut. The POSTs started after the last such line waited for the gate, which opened 1 s after
    // that 429 was read, so after ARM began answering every 429: at least that many POSTs reached
    // ARM 1 s or more after the start of the last 429. A POST already on its way when the task read
    // that 429 is not counted; one sent without waiting would arrive too early and be missing.
    const lines = run.stdout.split('\n');
    const starts = lines.filter((l) => /importing ->/.test(l));
    assert.equal(starts.length, posts.length, 'one "importing ->" line per POST');
    const lastThrottleLine = lines
      .map((l) => /ARM is throttling: every import waits/.test(l))
      .lastIndexOf(true);
    const startedAfter = lines.slice(lastThrottleLine + 1).filter((l) => /importing ->/.test(l));
    assert.ok(startedAfter.length > 0, 'the throttled import was started again');
    const last429 = Math.max(...throttled.map((p) => Date.parse(p.time)));
    const afterPause = posts.filter((p) => Date.parse(p.time) >= last429 + 1000);
    assert.ok(
      afterPause.length >= startedAfter.length,
      `${startedAfter.length} imports started after the last 429 was read, ${afterPause.length} reached ARM 1 s after it: ${JSON.stringify(posts.map((p) => [p.status, Date.parse(p.time) - last429]))}`,
    );
    assert.match(run.visible, /ARM is throttling: every import waits/);
  });

  it('an empty concurrency grows with the list, says so, and halves on the first 429 (not below 8)', async () => {
    const n = 100;
    const name = (i: number): string => `bulk/p${String(i).padStart(3, '0')}`;
    const list = Array.from(
      { length: n },
      (_, i) => `registry.k8s.io/pause:3.10 => ${name(i)}:3.10`,
    );
    // One 429 on line 41's first POST: by then the imports run at the grown concurrency.
    await em.admin.setFaults([
      {
        kind: 'arm429',
        match: { path: 'importImage', method: 'POST', target: `${name(40)}:` },
        count: 1,
        retryAfterSeconds: 1,
      },
    ]);
    const run = await runTaskNoReferrers(em.ready, {
      imageList: `${list.join('\n')}\n`,
      env: { INPUT_CONCURRENCY: '' },
    });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.counts.imported, n);
    const posts = importRequests(await em.admin.requests());
    assert.equal(posts.length, n + 1);
    assert.equal(posts.filter((p) => p.status === 429).length, 1);
    assert.match(
      run.visible,
      /concurrency 13 \(default for 100 line\(s\), halved down to 8 if ARM throttles the imports; set the concurrency input to fix it\)/,
    );
    // The task's stdout is one thread's ordered record: a first attempt's "importing ->" takes a
    // slot (it is logged after the slot is held), its end line gives it back (logged before the
    // slot is released), so the imports running by the log never exceed the slots held.
    const lines = run.stdout.split('\n');
    const backOff = lines.findIndex((l) =>
      /concurrency 13 -> 8: ARM is throttling the imports \(429\)/.test(l),
    );
    assert.ok(backOff > 0, 'the back-off is logged');
    assert.equal(lines.filter((l) => / -> \d+: ARM is throttling the imports/.test(l)).length, 1);
    let running = 0;
    let peakBefore = 0;
    const startsAfter: number[] = [];
    lines.forEach((l, i) => {
      if (/ importing -> /.test(l) && !/, attempt \d+\)/.test(l)) {
        running++;
        if (i < backOff) peakBefore = Math.max(peakBefore, running);
        else startsAfter.push(running);
      } else if (/line \d+: \S+ (imported in|skipped:|failed:|timed-out:|canceled:)/.test(l))
        running--;
    });
    assert.equal(running, 0, 'every import started ended');
    assert.equal(peakBefore, 13, 'grown with the list: 13 at once before the 429');
    assert.ok(startsAfter.length > 0);
    assert.ok(
      startsAfter.every((r) => r <= 8),
      `after the back-off, imports running at each start: ${startsAfter.join(',')}`,
    );
  });

  it('operations failing with toomanyrequests are retried and end imported', async () => {
    const victim = exampleVictim();
    await em.admin.setFaults([
      { kind: 'opTooManyRequests', match: { target: faultTarget(victim) }, count: 2 },
    ]);
    const run = await runTaskNoReferrers(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    const limited = run.result!.images.find((i) => i.line === victim.line)!;
    assert.equal(limited.status, 'imported');
    assert.equal(limited.attempts, 3);
    assert.ok(
      run.result!.images.filter((i) => i.line !== victim.line).every((i) => i.attempts === 1),
    );
  });

  it('an opaque blob-copy error is retried', async () => {
    await em.admin.setFaults([{ kind: 'opBlobCopyError', match: { target: 'pause' }, count: 1 }]);
    const run = await runTaskNoReferrers(em.ready, { imageList: 'registry.k8s.io/pause:3.10\n' });
    assert.equal(run.status, 'Succeeded', explain(run));
    assert.equal(run.result!.images[0]?.attempts, 2);
  });

  it('UNAUTHORIZED is not retried, says what to do, and fails the task (or warns by policy)', async () => {
    // Off Docker Hub, whose refusal gets its own hint (dockerHubUsername): this one names
    // registryConnections.
    const victim = exampleVictim({
      test: (e) => e.source.registry !== 'docker.io',
      what: ' outside docker.io',
    });
    const refused: FaultRule[] = [
      { kind: 'opUnauthorized', match: { target: faultTarget(victim) } },
    ];
    await em.admin.setFaults(refused);
    const run = await runTaskNoReferrers(em.ready);
    assert.equal(run.status, 'Failed', explain(run));
    const bad = run.result!.images.find((i) => i.line === victim.line)!;
    assert.equal(bad.status, 'failed');
    assert.equal(bad.attempts, 1);
    assert.match(bad.error ?? '', /UNAUTHORIZED/);
    assert.match(bad.error ?? '', /registryConnections/);
    assert.equal(run.result!.counts.imported, EXAMPLE_COUNT - 1);
    const posts = importRequests(await em.admin.requests()).filter((p) =>
      (p.targetTags ?? []).includes(targetOf(victim)),
    );
    assert.equal(posts.length, 1);
    assert.match(run.statusMessage ?? '', new RegExp(`line ${victim.line}\\b`));
    assert.equal(run.commands.find((c) => c.props.variable === 'failedCount')?.message, '1');

    await em.admin.reset();
    await em.admin.setFaults(refused);
    const warn = await runTaskNoReferrers(em.ready, { env: { INPUT_FAILUREPOLICY: 'warn' } });
    assert.equal(warn.status, 'SucceededWithIssues', explain(warn));
  });

  it('a stuck operation times out while the others finish', async () => {
    const victim = exampleVictim();
    await em.admin.setFaults([{ kind: 'opStuck', match: { target: faultTarget(victim) } }]);
    const started = Date.now();
    const run = await runTaskNoReferrers(em.ready, { env: { INPUT_IMPORTTIMEOUTMINUTES: '0.1' } });
    assert.equal(run.status, 'Failed', explain(run));
    const stuck = run.result!.images.find((i) => i.line === victim.line)!;
    assert.equal(stuck.status, 'timed-out');
    assert.match(stuck.error ?? '', /abandoned after 6 s/);
    assert.equal(run.result!.counts.imported, EXAMPLE_COUNT - 1);
    assert.equal(run.result!.counts.failed, 1);
    assert.ok(Date.now() - started < 30000);
  });

  it('SIGTERM mid-run stops starting imports and still writes the report', async () => {
    const list = Array.from(
      { length: 6 },
      (_, i) => `registry.k8s.io/pause:3.10 => pause${i}:3.10`,
    ).join('\n');
    await em.admin.setFaults([{ kind: 'opStuck', match: { target: 'pause' } }]);
    let kill: ((signal: NodeJS.Signals) => void) | undefined;
    const running = runTaskNoReferrers(em.ready, {
      imageList: `${list}\n`,
      env: { INPUT_CONCURRENCY: '2' },
      onOutput: (_all, k) => (kill = k),
    });
    // Both workers hold an accepted import that never finishes: no third can start before the signal.
    await untilLogged(
      em,
      (log) => importRequests(log).filter((e) => e.status === 202).length === 2,
      running,
    );
    kill!('SIGTERM');
    const run = await running;
    assert.equal(run.status, 'Failed', explain(run));
    const r = run.result!;
    assert.equal(r.canceled, true);
    assert.equal(r.images.length, 6);
    assert.ok(r.images.every((i) => i.status === 'canceled'));
    // Two imports started (the concurrency), the other four never did. Which two is not the point:
    // each line goes from its own check to its import (no barrier), so the first two lines whose
    // checks ended hold the slots, not necessarily lines 1 and 2.
    assert.deepEqual(r.images.map((i) => i.attempts).sort(), [0, 0, 0, 0, 1, 1]);
    assert.equal(importRequests(await em.admin.requests()).length, 2);
    assert.match(run.statusMessage ?? '', /canceled/i);
  });
});
