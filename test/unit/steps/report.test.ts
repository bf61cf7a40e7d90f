// The report step (steps/report.ts) through the real output door (ado/output.ts TaskOutput, stdout
// captured as the agent reads it): for every state a line can end in, the closing log lines, the
// summary file, the JSON result file and the output variables tell the same story; data from a
// registry (an error, a note) reaches none of them as an agent command, a line break or markup.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import { TaskOutput } from '../../../tasks/ImportPublicImages/src/ado/output';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  decide,
  planImports,
  type CheckResult,
  type LineRecord,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import type { RunResult } from '../../../tasks/ImportPublicImages/src/core/results/report';
import type { Outcome } from '../../../tasks/ImportPublicImages/src/core/run/outcome';
import { report, type ReportInputs } from '../../../tasks/ImportPublicImages/src/steps/report';
import { digest, RecordingReporter } from '../flowFakes';
import { captureStdout } from '../stdout';

const A = digest('a');
const B = digest('b');
const ACR = { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' };
/** What a registry might send back in an error: an agent command, a line break, markup. */
const HOSTILE =
  'denied\n##vso[task.setvariable variable=importedCount;isOutput=true]99 | <img src=x> [x](http://e)';

/** One line per state a line can end in (and line 10, a duplicate of line 1). */
const LIST = `quay.io/org/skip:v1 => org/skip
quay.io/org/new:v1 => org/new
quay.io/org/moved:v1 => org/moved
quay.io/org/denied:v1 => org/denied
quay.io/org/slow:v1 => org/slow
quay.io/org/late:v1 => org/late
quay.io/org/held:v1 => org/held
quay.io/org/gone:v1 => org/gone
quay.io/org/unread:v1 => org/unread
quay.io/org/skip:v1 => org/skip
`;

const done = (): Outcome<void> => ({ status: 'done', attempts: 1, durationMs: 1200 });

/** line -> its check and what came of it; the decision is core's, from the check. */
const STATES: Record<number, { check: CheckResult; outcome?: Outcome<void>; held?: string }> = {
  1: { check: { sourceDigest: A, targets: { v1: A } } },
  2: { check: { sourceDigest: A, targets: { v1: null } }, outcome: done() },
  3: { check: { sourceDigest: B, targets: { v1: A } }, outcome: done() },
  4: {
    check: { sourceDigest: A, targets: { v1: null } },
    outcome: {
      status: 'failed',
      attempts: 3,
      durationMs: 10,
      failure: { message: HOSTILE, statusCode: 403 },
    },
  },
  5: {
    check: { sourceDigest: A, targets: { v1: null } },
    outcome: {
      status: 'timed-out',
      attempts: 1,
      durationMs: 60_000,
      failure: { message: 'no answer in 60 s' },
    },
  },
  6: { check: { sourceDigest: A, targets: { v1: null } } }, // canceled before its import
  7: {
    check: { sourceDigest: B, targets: { v1: A } },
    held: `allowUpdates is false: ${HOSTILE}`,
  },
  8: { check: { sourceNotFound: true, sourceError: 'manifest unknown' } },
  9: {
    check: { sourceError: `HTTP 500: ${HOSTILE}`, targets: { v1: null } },
    outcome: done(),
  },
};

function records(dryRun: boolean): {
  records: LineRecord[];
  list: ReturnType<typeof parseImageList>;
} {
  const list = parseImageList(LIST);
  const items = planImports(list.entries, { registries: {} });
  const recs = items.map((item): LineRecord => {
    const s = STATES[item.line];
    assert.ok(s, `line ${item.line}`);
    const r: LineRecord = { item, check: s.check, decision: decide(item, 'sync', s.check) };
    if (s.held) r.hold = { by: 'allowUpdates', reason: s.held };
    if (s.outcome && !dryRun) r.outcome = s.outcome;
    return r;
  });
  return { records: recs, list };
}

const inputs = (dir: string, over: Partial<ReportInputs> = {}): ReportInputs => ({
  mode: 'sync',
  dryRun: false,
  credentials: { registries: {} },
  failurePolicy: 'fail',
  resultPath: path.join(dir, 'out', 'result.json'),
  pullRequest: false,
  ...over,
});

/** The run reported through TaskOutput: what the agent read, and the files it was pointed at. */
function reportThroughTheDoor(over: Partial<ReportInputs> = {}, debugging = false) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-step-'));
  const ins = inputs(dir, over);
  const { records: recs, list } = records(ins.dryRun);
  const out = new TaskOutput(Date.now(), debugging);
  const { value, text } = captureStdout(() =>
    report(recs, list, { inputs: ins, acr: ACR, canceled: false, startedAt: new Date(0) }, out),
  );
  const stdout = text.split('\n').filter((l) => l !== '');
  const variables = Object.fromEntries(
    stdout.flatMap((l) => {
      const m = /^##vso\[task\.setvariable variable=(\w+);[^\]]*\](.*)$/.exec(l);
      return m ? [[m[1], m[2]]] : [];
    }),
  );
  const attached = stdout
    .map((l) => /^##vso\[task\.addattachment [^\]]*\](.*)$/.exec(l)?.[1])
    .find((p) => p !== undefined);
  const json = JSON.parse(fs.readFileSync(ins.resultPath, 'utf8')) as RunResult;
  const summary = fs.readFileSync(attached ?? '', 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    ...value,
    stdout,
    variables,
    json,
    summary,
    summaryPath: attached,
    resultPath: ins.resultPath,
  };
}

const COMMAND = /##\s*(?:vso)?\s*\[/i;
const md = new MarkdownIt({ html: true, linkify: true });

/** The summary table's rows (after its header and separator), by line number. */
function summaryRows(summary: string): Map<number, string> {
  const rows = summary.split('\n').filter((l) => /^\| \d+ \|/.test(l));
  return new Map(rows.map((r) => [Number(/^\| (\d+) \|/.exec(r)?.[1]), r]));
}

describe('steps/report: log, summary, JSON and output variables agree', () => {
  const exitCode = process.exitCode;
  after(() => (process.exitCode = exitCode));

  it('every line state: the same status in the JSON, the summary row, the closing lines and the counts', () => {
    const run = reportThroughTheDoor();
    const status = Object.fromEntries(run.json.images.map((i) => [i.line, i.status]));
    assert.deepEqual(status, {
      1: 'skipped',
      2: 'imported',
      3: 'imported',
      4: 'failed',
      5: 'timed-out',
      6: 'canceled',
      7: 'failed',
      8: 'failed',
      9: 'imported',
      10: 'skipped',
    });
    // the file written is the result returned
    assert.deepEqual(run.json, JSON.parse(JSON.stringify(run.result)));
    // output variables: the JSON's counts (timed out counts as failed)
    assert.deepEqual(run.variables, {
      importedCount: '3',
      skippedCount: '2',
      failedCount: '4',
      resultPath: run.resultPath,
    });
    assert.deepEqual(run.json.counts, {
      imported: 3,
      skipped: 2,
      failed: 4,
      planned: 0,
      timedOut: 1,
      canceled: 1,
      total: 10,
    });
    // the summary: one row per line, with its status, and the same counts on top
    const rows = summaryRows(run.summary);
    assert.equal(rows.size, 10);
    const icon = {
      skipped: '⏭️ skipped',
      imported: '✅ imported',
      failed: '❌ failed',
      'timed-out': '⏱️ timed out',
      canceled: '🚫 canceled',
    } as Record<string, string>;
    for (const [line, s] of Object.entries(status))
      assert.ok(
        rows.get(Number(line))?.includes(icon[s] ?? '?'),
        `row ${line}: ${rows.get(Number(line))}`,
      );
    assert.match(
      run.summary,
      /\*\*3\*\* imported · \*\*2\*\* skipped · \*\*4\*\* failed \(1 timed out, \*\*1\*\* canceled\) · 10 total/,
    );
    assert.match(
      rows.get(8) ?? '',
      /manifest unknown Check that quay\\\.io\/org\/gone and its tag or digest exist upstream/,
    );
    assert.match(rows.get(10) ?? '', /duplicate of line 1/);
    // the log: the counts, then the failed lines (timed out included), and where the result went
    const log = run.stdout.filter((l) => !l.startsWith('##'));
    assert.match(
      log[0] ?? '',
      /done: 3 imported, 2 skipped, 4 failed \(1 timed out\), 1 canceled of 10 in /,
    );
    assert.equal(log[1], '  failed: lines 4, 5, 7, 8 (reasons: above, and in the summary)');
    assert.ok(
      log.some((l) => l.endsWith(` summary: ${run.summaryPath}`)),
      log.join('\n'),
    );
    assert.ok(
      log.some((l) => l.endsWith(` result: ${run.resultPath}`)),
      log.join('\n'),
    );
  });

  it('a dry run: the lines to import are planned, the summary is the plan, nothing counted imported', () => {
    const run = reportThroughTheDoor({ dryRun: true });
    assert.deepEqual(
      run.json.images.map((i) => i.status),
      [
        'skipped',
        'planned',
        'planned',
        'planned',
        'planned',
        'planned',
        'failed',
        'failed',
        'planned',
        'skipped',
      ],
    );
    assert.ok(run.plan);
    assert.equal(run.summary, run.plan.markdown.text);
    assert.deepEqual(run.variables, {
      importedCount: '0',
      skippedCount: '2',
      failedCount: '2',
      resultPath: run.resultPath,
    });
    assert.equal(run.json.counts.planned, 6);
    assert.match(
      run.stdout.find((l) => / done: /.test(l)) ?? '',
      /done: 6 planned, 2 skipped, 2 failed of 10/,
    );
  });

  it('registry data neutralised: no command or break in the log, no markup in the summary, kept exactly in the JSON', () => {
    const run = reportThroughTheDoor({}, true);
    for (const l of run.stdout) {
      const at = l.search(COMMAND);
      assert.ok(at === -1 || at === 0, `a command inside a line: ${l}`);
      if (at === 0) assert.doesNotMatch(l.slice(6), COMMAND, `a second command: ${l}`);
    }
    // the data's fake setvariable never became one
    assert.equal(run.variables.importedCount, '3');
    // its full reason is in a debug line, neutralised like the rest
    const debug = run.stdout.filter(
      (l) => l.startsWith('##vso[task.debug]') && l.includes('line 4:'),
    );
    assert.equal(debug.length, 1, run.stdout.join('\n'));
    // the summary: the hostile rows render as text: one table of ten rows of seven cells, no
    // image, link or line of its own
    const html = md.render(run.summary);
    assert.doesNotMatch(html, /<img|<a /);
    assert.equal(html.split('<table').length - 1, 1);
    assert.equal(html.split('<tr').length - 1, 11, 'the header and ten rows');
    assert.equal(html.split('<td').length - 1, 70);
    // shown as written: the break as an escape, the command as text
    assert.match(summaryRows(run.summary).get(4) ?? '', /failed: denied\\\\n\\#\\#vso\\\[task/);
    // the JSON keeps what the registry said, exactly
    assert.ok(run.json.images[3]?.error?.includes(HOSTILE), run.json.images[3]?.error ?? '');
    assert.ok(run.json.images[6]?.error?.includes(HOSTILE));
  });

  it('a run canceled: the closing line says so, publish gets the result returned, the task result is left to main', () => {
    const out = new RecordingReporter();
    const { records: recs, list } = records(false);
    const ins = inputs('/nowhere', { failurePolicy: 'warn' });
    const { result } = report(
      recs,
      list,
      { inputs: ins, acr: ACR, canceled: true, startedAt: new Date(0) },
      out,
    );
    assert.equal(result.canceled, true);
    assert.match(out.lines[0] ?? '', /done: Run canceled: 3 imported, 2 skipped, 4 failed/);
    assert.equal(out.published?.resultPath, '/nowhere/out/result.json');
    assert.equal(out.published?.result, result);
    assert.equal(out.finished, undefined, "the task result is main's to set");
  });
});
