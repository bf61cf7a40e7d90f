// The log's shape (docs/results.md, "The log") over the bundled task's stdout, in the three runs the
// doc shows: a cold run of images.txt with default inputs, the re-run right after (nothing changed)
// and a failing run (cosign-key verification refuses its unsigned, wrong-digest and wrong-key
// lines, ARM refuses one import with a long UNAUTHORIZED error, the others import with their
// signatures). Each list line has the events the doc gives it, once each (decided: skipped, or its
// import started; verified; import ended; signatures carried) and nothing else; each failure's
// reason is in the log once (on its line; the closing lines and the task's result name the lines
// only); the closing lines are the doc's; and the task's own words on a line, after
// `[elapsed] line N: SOURCE`, stay within 160 characters.
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../helpers/emulator';
import { explain, runTask, useEmulator, type ImageResult, type TaskRun } from './runTask';
import { EXAMPLE, EXAMPLE_COUNT, faultTarget, verifyOutcome } from './exampleList';

/** The registries whose lines are verified with the emulator's key. */
const VERIFIED_HOSTS = ['registry.k8s.io', 'quay.io'];

const WIDTH = 160;

/** The event a log line of a list line tells, from its words after the source. */
function eventOf(rest: string): string {
  const started = /^(?:importing|pushing the chart) -> .*?(?:[ (]attempt (\d+)\))?$/.exec(rest);
  if (started) return `decided${started[1] ? `, attempt ${started[1]}` : ''}`; // once per attempt
  if (/^(import|update|unverified|skip|none|force)\b/.test(rest)) return 'decided';
  if (/^signature /.test(rest)) return 'verified';
  if (/^signatures and referrers: /.test(rest)) return 'carried';
  if (/^attempt \d+ failed/.test(rest)) return `retry ${rest}`; // one per attempt
  if (/^(imported in|failed:|timed-out:|canceled:|skipped:)/.test(rest)) return 'ended';
  return `other: ${rest}`;
}

/** The run's log as the agent shows it, less its blank lines and the task's closing command. */
function shownLines(run: TaskRun): string[] {
  return run.visible.split('\n').filter((l) => l !== '' && !l.startsWith('##vso[task.complete'));
}

const LINE_LOG = /^\[ *[\d.]+s\] line (\d+): (\S+) (.*)$/;

/** A list line's log lines: the task's words after `[elapsed] line N: SOURCE `, in order. */
function wordsOf(shown: readonly string[], line: number): string[] {
  return shown
    .map((l) => LINE_LOG.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === String(line))
    .map((m) => m[3]!);
}

/**
 * The log's shape, over every list line of `result`: each line's events (eventOf), in order, are
 * what `expected` gives for it, or, with no `expected`, each event at most once, none unknown, and
 * the line decided or verified. And every line the task writes, after `[elapsed] line N: SOURCE `
 * for a list line's, is within WIDTH characters.
 */
function assertShape(run: TaskRun, expected?: (image: ImageResult) => string[]): void {
  const shown = shownLines(run);
  for (const image of run.result!.images) {
    const events = wordsOf(shown, image.line).map(eventOf);
    const said = `line ${image.line}: ${events.join(' | ')}\n${explain(run)}`;
    if (expected) {
      assert.deepEqual(events, expected(image), said);
      continue;
    }
    assert.deepEqual(events, [...new Set(events)], said);
    assert.ok(!events.some((e) => e.startsWith('other')), said);
    assert.ok(events.includes('decided') || events.includes('verified'), said);
  }
  for (const l of shown.filter((s) => !s.startsWith('##vso['))) {
    const rest = LINE_LOG.exec(l)?.[3] ?? l;
    assert.ok(rest.length <= WIDTH, `${rest.length} characters: ${l}`);
  }
}

/** The lines after the last list line's, less the agent's commands: the run's closing lines. */
function closingLines(run: TaskRun): string[] {
  const shown = shownLines(run).filter((l) => !l.startsWith('##vso['));
  const last = shown.map((l) => LINE_LOG.test(l)).lastIndexOf(true);
  return shown.slice(last + 1);
}

/**
 * The run's closing lines are the doc's, with the JSON result's counts: `done: ...`, the signature
 * counts (verifySignatures), what was carried (copyReferrers), which lines failed (not why), then
 * where the summary and the result are.
 */
function assertClosing(run: TaskRun): void {
  const result = run.result!;
  const c = result.counts;
  const failed = result.images.filter((i) => i.status === 'failed').map((i) => i.line);
  const at = '\\[ *[\\d.]+s\\]';
  const patterns = [
    new RegExp(
      `^${at} done: ${c.imported} imported, ${c.skipped} skipped, ${c.failed} failed of ${c.total} in [\\d.]+ m?s$`,
    ),
    ...(c.signatures
      ? [
          new RegExp(
            `^  signatures: ${c.signatures.verified} verified, ${c.signatures.failed} failed, ${c.signatures.notVerified} not verified \\(no pattern\\)$`,
          ),
        ]
      : []),
    ...(c.referrers
      ? [
          new RegExp(
            `^  signatures and referrers carried: ${c.referrers.imported} imported, ${c.referrers.skipped} already present, ${c.referrers.failed} failed$`,
          ),
        ]
      : []),
    ...(failed.length > 0
      ? [
          new RegExp(
            `^  failed: lines ${failed.join(', ')} \\(reasons: above, and in the summary\\)$`,
          ),
        ]
      : []),
    new RegExp(`^${at} summary: \\S+\\.md$`),
    new RegExp(`^${at} result: \\S+\\.json$`),
  ];
  const closing = closingLines(run);
  const said = `closing lines:\n${closing.join('\n')}`;
  assert.equal(closing.length, patterns.length, said);
  patterns.forEach((p, i) => assert.match(closing[i]!, p, said));
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

    assertShape(run);
    assertClosing(run);
    const shown = shownLines(run);
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
  });
});

describe('e2e: the log of a cold run of images.txt and of its re-run (bundled task)', function () {
  this.timeout(120000);
  let em: RunningEmulator;
  useEmulator({ importLatencyMs: 50 }, (e) => (em = e));

  /** Whether signatures or referrers of the line were carried, or found already present. */
  const carries = (i: ImageResult): boolean => (i.referrers ?? []).length > 0;
  it('cold: each line decided (its import started), imported, and its signatures carried when it has any; then the closing lines', async () => {
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    const images = run.result!.images;
    assert.equal(images.length, EXAMPLE_COUNT);
    assert.ok(images.some(carries) && !images.every(carries), 'lines with and without signatures');
    assertShape(run, (i) => ['decided', 'ended', ...(carries(i) ? ['carried'] : [])]);
    assertClosing(run);
  });

  it('re-run, nothing changed: each line skipped once, its signatures found already present; then the closing lines', async () => {
    const cold = await runTask(em.ready); // the emulator is reset before each test
    assert.equal(cold.status, 'Succeeded', explain(cold));
    const run = await runTask(em.ready);
    assert.equal(run.status, 'Succeeded', explain(run));
    const images = run.result!.images;
    assert.ok(
      images.every((i) => i.status === 'skipped'),
      explain(run),
    );
    assertShape(run, (i) => ['decided', ...(carries(i) ? ['carried'] : [])]);
    const shown = shownLines(run);
    for (const i of images) {
      assert.equal(wordsOf(shown, i.line)[0], 'skip (up to date)', explain(run));
      if (carries(i))
        assert.match(
          wordsOf(shown, i.line)[1]!,
          /^signatures and referrers: \d+ already present \(/,
        );
    }
    assertClosing(run);
  });
});
