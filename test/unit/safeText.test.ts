// The output discipline (issue 16): a table of hostile strings (agent commands, line breaks,
// markup, very long text, NUL) through every output: the log door (ado/output.ts, stdout as the
// agent reads it), the summary and the plan (rendered with markdown-it, HTML allowed and links
// recognised, as a permissive renderer would), and the JSON result, which keeps the data as is.
import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { TaskOutput } from '../../tasks/ImportPublicImages/src/ado/output';
import { captureStdout } from './stdout';
import {
  planFailure,
  planMarkdown,
} from '../../tasks/ImportPublicImages/src/core/results/reviewPlan';
import {
  closingLines,
  countImages,
  markdownSummary,
  type ImageResult,
  type RunResult,
} from '../../tasks/ImportPublicImages/src/core/results/report';
import {
  logText,
  MAX_LOG_LINE,
  MAX_MARKDOWN_DATA,
  mdCode,
  mdt,
} from '../../tasks/ImportPublicImages/src/core/results/safeText';
import {
  isRegistryDigest,
  isMediaType,
} from '../../tasks/ImportPublicImages/src/core/registry/registryAnswers';

export const HOSTILE: readonly string[] = [
  '##vso[task.setvariable variable=x]1',
  '##vso[task.uploadfile]/etc/hostname',
  '##VSO[task.setvariable variable=x;isOutput=true]1',
  '##[error]not an error of ours',
  '  ##[section]a section',
  '###vso[task.complete result=Succeeded;]done',
  '## vso[task.setvariable variable=x]1',
  'a\n##vso[task.setvariable variable=y]2',
  'a\r\n##[warning]b',
  'a\r##vso[task.prependpath]/tmp/evil',
  'a\u2028##vso[task.setvariable variable=z]3',
  'a\u2029b\u0085##[group]c',
  'a\u000b\u000cb',
  'NUL\u0000byte',
  'esc \u001b[31mred\u001b[0m',
  '\u202eevil\u202c reversed',
  'sha256:`<img src=x onerror=alert(1)>`',
  '`` `<img src=x>` ``',
  '<img src=x>',
  '<script>alert(1)</script>',
  '[a](http://e)',
  '![i](http://e/p.png)',
  '[ref]: http://e\n[x][ref]',
  '<!-- the rest is hidden',
  'http://evil.example/phish',
  'www.evil.example',
  '<http://e>',
  'a | b | c',
  '**bold** _em_ ~~strike~~ $x^2$',
  '&lt;img src=x&gt; &#60;img&#62;',
  '# heading\n- list\n> quote',
  '\\`escaped\\`',
  'x'.repeat(100_000),
  '😀'.repeat(3000),
];

const COMMAND = /##\s*(?:vso)?\s*\[/i;
// eslint-disable-next-line no-control-regex
const BREAKS = /[\r\n\u000b\u000c\u0085\u2028\u2029\u0000]/;

describe('output discipline: logText (one log line the agent shows as text)', () => {
  for (const h of HOSTILE) {
    it(`neutralises ${JSON.stringify(h.slice(0, 40))}`, () => {
      const line = logText(`line 3: ${h}`);
      assert.doesNotMatch(line, COMMAND);
      assert.doesNotMatch(line, BREAKS);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(line, /\u001b|[\u202a-\u202e]/);
      assert.ok(line.length <= MAX_LOG_LINE + 40, String(line.length));
    });
  }

  it('keeps ordinary text as it is and makes breaks visible', () => {
    assert.equal(
      logText('line 3: quay.io/jetstack/x:v1 imported'),
      'line 3: quay.io/jetstack/x:v1 imported',
    );
    assert.equal(logText('a\nb\r\u2028'), 'a\\nb\\r\\u2028');
    assert.equal(
      logText('##vso[task.setvariable variable=x]1'),
      '# #vso[task.setvariable variable=x]1',
    );
    assert.match(logText('x'.repeat(5000)), /… \(1000 more characters\)$/);
  });
});

const md = new MarkdownIt({ html: true, linkify: true });

/** What a reader sees: the rendered HTML's text, entities decoded. */
function shown(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .trim();
}

/** The elements data must never make (the task's own markup has no link, image or comment). */
function assertInert(html: string, what: string): void {
  for (const tag of [
    '<a ',
    '<img',
    '<script',
    '<!--',
    '<em>',
    '<strong>',
    '<s>',
    '<h1',
    '<ul',
    '<blockquote',
  ])
    assert.ok(!html.includes(tag), `${what}: ${tag} in\n${html.slice(0, 600)}`);
}

describe('output discipline: markdown renders data as text', () => {
  for (const h of HOSTILE) {
    const name = JSON.stringify(h.slice(0, 40));
    it(`mdText ${name}: inert, shown as written (breaks as escapes), bounded`, () => {
      const html = md.render(mdt`Reason: ${h}`.text);
      assertInert(html, 'paragraph');
      const expected = logText(h).replace(/# #/g, '##'); // logText's escapes, without its ## break
      const text = shown(html).replace(/^Reason: /, '');
      if (h.length <= MAX_MARKDOWN_DATA) assert.equal(text, expected);
      else assert.match(text, /more characters\)$/);
    });
    it(`mdCode ${name}: one code span, no breakout`, () => {
      const html = md.render(mdt`Digest ${mdCode(h)} end`.text);
      assertInert(html, 'code span');
      assert.equal(html.match(/<code>/g)?.length, 1, html.slice(0, 400));
      assert.match(html, /<\/code> end<\/p>/);
    });
    it(`a table cell ${name}: the row keeps its cells`, () => {
      const table = mdt`| a | b | c |\n| --- | --- | --- |\n| ${h} | ${mdCode(h)} | end |`.text;
      const html = md.render(table);
      assertInert(html, 'table');
      assert.equal(html.match(/<td>/g)?.length, 3, html.slice(0, 600));
      assert.match(html, /<td>end<\/td>/);
    });
  }
});

const DIGEST = `sha256:${'c'.repeat(64)}`;

function hostileImage(h: string, line: number): ImageResult {
  return {
    line,
    source: `quay.io/a/b${line}:v1`,
    registry: 'quay.io',
    repository: `a/b${line}`,
    tag: 'v1',
    digest: line % 2 ? DIGEST : h,
    targets: [`contosoacr.azurecr.io/a/b${line}:v1`],
    previousDigest: line % 3 ? null : h,
    action: 'import',
    status: line % 2 ? 'failed' : 'planned',
    attempts: 1,
    durationMs: 10,
    error: line % 2 ? h : null,
    note: h,
    signature: { verified: false, mode: 'key', key: 'k.pub', reason: h },
    referrers: [
      {
        kind: 'referrer',
        artifactType: h,
        digest: DIGEST,
        tag: null,
        subject: DIGEST,
        status: 'failed',
        error: h,
      },
    ],
  };
}

/** A result with `h` (or each hostile string, when absent) in every field that holds data. */
function hostileResult(dryRun: boolean, h?: string): RunResult {
  const images = HOSTILE.map((x, i) => hostileImage(h ?? x, i + 1));
  return {
    version: 1,
    taskVersion: '0.0.0',
    acr: { name: 'contosoacr', loginServer: 'contosoacr.azurecr.io', resourceGroup: 'rg' },
    mode: 'sync',
    dryRun,
    canceled: false,
    startedAt: new Date(0).toISOString(),
    durationMs: 1,
    counts: countImages(images, { referrers: true, signatures: true }),
    images,
  };
}

const ELEMENTS = [
  '<a ',
  '<img',
  '<script',
  '<!--',
  '<em>',
  '<strong>',
  '<s>',
  '<code>',
  '<h',
  '<ul',
  '<ol',
  '<blockquote',
  '<td',
  '<tr',
  '<br',
  '<p>',
];

/** How many of each element the HTML holds. */
function elements(html: string): Record<string, number> {
  return Object.fromEntries(ELEMENTS.map((e) => [e, html.split(e).length - 1]));
}

/**
 * The hostile render has exactly the elements of the same report with `x` as every piece of
 * data: data added no element (no link, image, emphasis, cell, row or comment).
 */
function assertSameShape(hostile: string, benign: string, what: string): void {
  const a = elements(md.render(hostile));
  const b = elements(md.render(benign));
  assert.deepEqual(a, b, what);
}

describe('output discipline: the report builders with hostile data in every field', () => {
  it('the summary: data adds no element to what the task writes', () => {
    const hostile = markdownSummary(hostileResult(false)).text;
    assertSameShape(hostile, markdownSummary(hostileResult(false, 'x')).text, 'summary');
    assertInert(md.render(hostile).split('<tbody>')[1] ?? '', 'summary rows');
  });

  it('the plan: data adds no element, and the thread is active', () => {
    const plan = planMarkdown(hostileResult(true), { pullRequest: true });
    const benign = planMarkdown(hostileResult(true, 'x'), { pullRequest: true });
    assertSameShape(plan.markdown.text, benign.markdown.text, 'plan');
    assertInert(md.render(plan.markdown.text).split('<tbody>')[1] ?? '', 'plan rows');
    assert.equal(plan.active, true);
  });

  it('"No plan": an invalid line quoted in the reason renders as text', () => {
    const benign = planFailure('1 invalid line(s) in images.txt; line 1: x').markdown.text;
    for (const h of HOSTILE) {
      const failure = planFailure(`1 invalid line(s) in images.txt; line 1: ${h}`).markdown.text;
      assertSameShape(failure, benign, JSON.stringify(h.slice(0, 40)));
    }
  });

  it('the closing log lines: each one line, no command', () => {
    for (const l of closingLines(hostileResult(false), 'fail').map(logText)) {
      assert.doesNotMatch(l, COMMAND);
      assert.doesNotMatch(l, BREAKS);
    }
  });

  it('the JSON result keeps the data exactly', () => {
    const result = hostileResult(false);
    const back = JSON.parse(JSON.stringify(result)) as RunResult;
    assert.deepEqual(
      back.images.map((i) => i.error),
      result.images.map((i) => i.error),
    );
    assert.equal(back.images[0]?.note, HOSTILE[0]);
  });
});

/** Everything written to stdout while `f` runs. */
const stdoutOf = (f: () => void): string => captureStdout(f).text;

const OURS = new Set([
  'task.debug', // task-lib's own, its message escaped by task-lib
  'task.issue',
  'task.logissue',
  'task.setprogress',
  'task.complete',
  'task.setvariable',
]);

describe('output discipline: the door (ado/output.ts TaskOutput) writes what the agent reads', () => {
  const exitCode = process.exitCode;
  after(() => (process.exitCode = exitCode)); // fail() sets the task result

  for (const h of HOSTILE) {
    it(`log, raw, warn, progress, annotations and fail with ${JSON.stringify(h.slice(0, 40))}`, () => {
      const out = new TaskOutput();
      const stdout = stdoutOf(() => {
        out.log(`line 1: ${h}`);
        out.raw(h);
        out.warn(h);
        out.progress(1, 2, h);
        out.listProblems('images.txt', [{ type: 'error', message: h, line: 1 }]);
        out.fail(h);
      });
      const lines = stdout.split('\n').filter((l) => l !== '');
      for (const l of lines) {
        const at = l.search(COMMAND);
        if (at === -1) continue;
        assert.equal(at, 0, `a command inside a line: ${l.slice(0, 200)}`);
        const name = /^##vso\[([\w.]+)/.exec(l)?.[1] ?? '';
        assert.ok(OURS.has(name), `command ${name}: ${l.slice(0, 200)}`);
        assert.doesNotMatch(l.slice(6), COMMAND, `a second command: ${l.slice(0, 200)}`);
        if (name === 'task.setvariable')
          assert.match(l, /variable=(importedCount|skippedCount|failedCount);/);
      }
      // one line per call (fail: the three counts, its error and the result), debug lines aside
      const ours = lines.filter((l) => !l.startsWith('##vso[task.debug]'));
      assert.equal(ours.length, 10, ours.join('\n').slice(0, 2000));
      for (const l of lines) assert.ok(l.length < MAX_LOG_LINE * 3, String(l.length));
    });
  }
});

describe('output discipline: debug lines (System.Debug) go through the same door', () => {
  for (const h of HOSTILE) {
    it(`debug with ${JSON.stringify(h.slice(0, 40))}: one task.debug line, only when debugging`, () => {
      const on = stdoutOf(() => new TaskOutput(Date.now(), true).debug(`detail: ${h}`));
      const lines = on.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, on.slice(0, 2000));
      assert.match(lines[0]!, /^##vso\[task\.debug\]\[ *[\d.]+s\] detail: /);
      assert.doesNotMatch(lines[0]!.slice(6), COMMAND, lines[0]!.slice(0, 200));
      assert.equal(
        stdoutOf(() => new TaskOutput(Date.now(), false).debug(h)),
        '',
      );
    });
  }
});

describe('registry answers checked where they enter (core/registry/registryAnswers.ts)', () => {
  const digests: [string, boolean][] = [
    [DIGEST, true],
    [`sha512:${'a'.repeat(128)}`, true],
    [`sha256:${'C'.repeat(64)}`, false],
    [`sha256:${'c'.repeat(63)}`, false],
    [`sha512:${'a'.repeat(64)}`, false],
    [`md5:${'a'.repeat(32)}`, false],
    [`sha256:${'c'.repeat(64)}\`<img src=x>\``, false],
    [`sha256:${'c'.repeat(64)}##vso[task.setvariable variable=x]1`, false],
    ['', false],
  ];
  for (const [d, ok] of digests)
    it(`digest ${JSON.stringify(d.slice(0, 30))}… ${ok ? 'accepted' : 'refused'}`, () =>
      assert.equal(isRegistryDigest(d), ok));
  const types: [string, boolean][] = [
    ['application/vnd.cncf.notary.signature', true],
    ['application/vnd.dev.sigstore.bundle.v0.3+json', true],
    ['application/vnd.dev.sigstore.bundle##vso[task.uploadfile]/etc/hostname', false],
    ['application/<img src=x>', false],
    ['application/json; charset=utf-8', false],
    [`application/${'x'.repeat(300)}`, false],
    ['nonsense', false],
  ];
  for (const [t, ok] of types)
    it(`media type ${JSON.stringify(t.slice(0, 40))} ${ok ? 'accepted' : 'refused'}`, () =>
      assert.equal(isMediaType(t), ok));
});
