// The log's shape (docs/results.md, "The log") over the bundled task's stdout in a failing run of
// images.txt: cosign-key verification refuses its unsigned, wrong-digest and wrong-key lines,
// ARM refuses one import (UNAUTHORIZED, a long ARM error), the others import with their
// signatures. Each list line has at most one log line per event (decided: skipped, or its import
// started; verified; import ended; signatures carried), each failure's reason is in the log once
// (on its line; the closing lines and the task's result name the lines only), and the task's own
// words on a line, after `[elapsed] line N: SOURCE`, stay within 160 characters.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { explain, runTask, useEmulator } from './runTask';
import { EXAMPLE, faultTarget, verifyOutcome } from './exampleList';

/** The registries whose lines are verified with the emulator's key. */
const VERIFIED_HOSTS = ['registry.k8s.io', 'quay.io'];

const WIDTH = 160;

/** The event a log line of a list line tells, from its words after the source. */
function eventOf(rest: string): string {
  const started = /^importing -> .*?(?:, attempt (\d+))?\)$/.exec(rest);
  if (started) return `decided${started[1] ? `, attempt ${started[1]}` : ''}`; // once per attempt
  if (/^(import|update|unverified|skip|none|force)\b/.test(rest)) return 'decided';
  if (/^signature /.test(rest)) return 'verified';
  if (/^signatures and referrers: /.test(rest)) return 'carried';
  if (/^attempt \d+ failed/.test(rest)) return `retry ${rest}`; // one per attempt
  if (/^(imported in|failed:|timed-out:|canceled:|skipped:)/.test(rest)) return 'ended';
  return `other: ${rest}`;
}

describe('e2e: the log has one line per event per list line, each reason once (bundled task)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  it('a failing run of images.txt', async () => {
    // The lines verification refuses, and one that gets through it whose import ARM refuses.
    const refused = EXAMPLE.filter(
      (e) => !['verified', 'notVerified'].includes(verifyOutcome(e, VERIFIED_HOSTS)),
    );
    const victim = EXAMPLE.filter(
      (e) => !e.chart && e.targetTags.length === 1 && !refused.includes(e),
    ).at(-1)!;
    const failedLines = [...refused, victim].map((e) => e.line).sort((a, b) => a - b);
    await em.admin.setFaults([{ kind: 'opUnauthorized', match: { target: faultTarget(victim) } }]);
    const key = em.ready.cosignPublicKeyPath;
    const run = await runTask(em.ready, {
      env: {
        INPUT_VERIFYSIGNATURES: 'cosign-key',
        INPUT_COSIGNPUBLICKEYS: VERIFIED_HOSTS.map((h) => `${h}/** => ${key}`).join('\n'),
        INPUT_SIGSTORETRUSTEDROOT: em.ready.sigstoreTrustedRootPath, // for the emulator's Rekor entries
      },
    });
    assert.equal(run.status, 'Failed', explain(run));
    const result = run.result!;
    const failed = result.images.filter((i) => i.status === 'failed');
    assert.deepEqual(
      failed.map((i) => i.line),
      failedLines,
      explain(run),
    );

    const lines = run.visible.split('\n').filter((l) => l !== '');
    const shown = lines.filter((l) => !l.startsWith('##vso[task.complete'));
    // One line per event per list line.
    for (const image of result.images) {
      const prefix = new RegExp(`^\\[ *[\\d.]+s\\] line ${image.line}: (\\S+) (.*)$`);
      const events = shown
        .map((l) => prefix.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => eventOf(m[2]!));
      assert.deepEqual(events, [...new Set(events)], `line ${image.line}: ${events.join(' | ')}`);
      assert.ok(!events.some((e) => e.startsWith('other')), events.join(' | '));
      assert.ok(
        events.includes('decided') || events.includes('verified'),
        `line ${image.line} is in the log: ${events.join(' | ')}`,
      );
    }
    // Each reason once: on its line, not in the closing lines nor the task's result.
    for (const image of failed) {
      const words = (image.error ?? '').replace(/^signature verification failed: /, '');
      const snippet = words.slice(0, 40);
      const times = shown.filter((l) => l.includes(snippet)).length;
      assert.equal(times, 1, `line ${image.line}'s reason "${snippet}" is shown ${times} times`);
    }
    assert.ok(
      (run.statusMessage ?? '').endsWith(`; failed: lines ${failedLines.join(', ')}`),
      run.statusMessage,
    );
    // The ARM error's details stay in the JSON result: its log line is brief.
    const arm = failed.find((i) => i.line === victim.line)!;
    assert.match(arm.error ?? '', /UNAUTHORIZED/);
    // The task's own words, after `[elapsed] line N: SOURCE `, within WIDTH.
    for (const l of shown.filter((s) => !s.startsWith('##vso['))) {
      const rest = /^\[ *[\d.]+s\] line \d+: \S+ (.*)$/.exec(l)?.[1] ?? l;
      assert.ok(rest.length <= WIDTH, `${rest.length} characters: ${l}`);
    }
  });
});
