// The parse step (steps/parse.ts): the list file's text -> entries. A bad list is refused before
// any request, naming the file, the line and the fix, on its own line's annotation; an empty one
// ends the run with a warning; a good one is counted in one log line.
import assert from 'node:assert/strict';
import type { DecodedList } from '../../../tasks/ImportPublicImages/src/core/list/listFile';
import { parseList, type ParseInputs } from '../../../tasks/ImportPublicImages/src/steps/parse';
import { digest, FakeWorld, RecordingReporter, runFake } from '../flowFakes';

const inputs = (over: Partial<ParseInputs> = {}): ParseInputs => ({
  imageListInput: 'lists/images.txt',
  imageListAnnotationPath: 'repo/lists/images.txt',
  mode: 'sync',
  dryRun: false,
  dockerHubUnexpanded: [],
  ...over,
});

/** The list file, read and decoded as the platform hands it over. */
const text = (t: string): DecodedList => ({ ok: true, text: t, sha256: digest('0') });

function parse(t: DecodedList, over: Partial<ParseInputs> = {}) {
  const out = new RecordingReporter();
  const list = parseList(t, inputs(over), out);
  return { out, list };
}

const BAD_LINE3 = `quay.io/org/a:v1 => org/a
nginx:1.27 => nginx
quay.io/org/b:v1 org/b
`;

describe('steps/parse: the list is read before any request', () => {
  it('an invalid line fails the task naming the file, the line and the fix, annotated on that line', () => {
    const { out, list } = parse(text(BAD_LINE3));
    assert.equal(list, undefined);
    assert.equal(
      out.failure,
      '1 invalid line(s) in lists/images.txt, nothing was imported; line 3: write "=>" between the source image and the destination',
    );
    assert.equal(out.failedCount, 1); // the failedCount output variable
    assert.deepEqual(out.annotations, [
      {
        type: 'error',
        line: 3,
        message:
          'lists/images.txt:3: write "=>" between the source image and the destination (quay.io/org/b:v1 org/b). Write it like: quay.io/org/b:v1 => org/b',
      },
    ]);
    // annotated on the file as the repository knows it, so the pull request shows it on the line
    assert.deepEqual(out.annotatedFiles, ['repo/lists/images.txt']);
    assert.deepEqual(out.lines, [], 'no "N image(s)" line: nothing was counted as listed');
  });

  it('every invalid line is annotated on its own line; the failure counts them and quotes the first', () => {
    const { out } = parse(text('bad one\nquay.io/a:1 => a\nquay.io/b:1 b\n'));
    assert.deepEqual(
      out.annotations.map((a) => [a.type, a.line]),
      [
        ['error', 1],
        ['error', 3],
      ],
    );
    assert.match(
      out.failure ?? '',
      /^2 invalid line\(s\) in lists\/images\.txt, nothing was imported; line 1: /,
    );
    assert.equal(out.failedCount, 2);
  });

  it('through the flow, a bad list makes no request and writes no result', async () => {
    const world = new FakeWorld({ 'quay.io/org/a:v1': digest('a') });
    const { out, done } = await runFake(BAD_LINE3, world);
    assert.equal(done, undefined);
    assert.match(out.failure ?? '', /line 3: /);
    assert.deepEqual([world.heads, world.gets, world.imports], [[], [], []]);
    assert.equal(out.published, undefined);
  });

  it('a file that is not a list (most lines prose) fails once, naming the input, echoing no line of it', () => {
    const prose = Array.from({ length: 12 }, (_, i) => `secret-looking prose ${i}`).join('\n');
    const { out, list } = parse(text(`quay.io/a:1 => a\n${prose}\n`));
    assert.equal(list, undefined);
    assert.equal(out.annotations.length, 1);
    assert.equal(out.annotations[0]?.line, 2);
    assert.match(
      out.failure ?? '',
      /^lists\/images\.txt \(input imageListPath\) does not look like an image list: 12 of its 13 lines/,
    );
    assert.match(
      out.failure ?? '',
      /Point imageListPath at the image list, one `SOURCE => DESTINATION` per line/,
    );
    assert.doesNotMatch(`${out.failure} ${out.annotations[0]?.message}`, /prose/);
  });

  it("a file that could not be decoded fails with the reader's message and no annotation", () => {
    const { out, list } = parse({
      ok: false,
      message: 'lists/images.txt is UTF-16: save it as UTF-8',
    });
    assert.equal(list, undefined);
    assert.equal(out.failure, 'lists/images.txt is UTF-16: save it as UTF-8');
    assert.deepEqual(out.annotations, []);
  });

  it('a list of comments and blank lines ends the run with a warning, not a failure', () => {
    const { out, list } = parse(text('# nothing yet\n\n   \n'));
    assert.equal(list, undefined);
    assert.equal(out.failure, undefined);
    assert.equal(out.warnings.length, 1);
    assert.match(
      out.warnings[0] ?? '',
      /^lists\/images\.txt \(input imageListPath\) lists no image/,
    );
    assert.match(out.warnings[0] ?? '', /such as `registry\.k8s\.io\/pause:3\.10 => pause`/);
  });

  it('a good list: its entries, one line counting images and charts with the mode, warnings on their lines', () => {
    const { out, list } = parse(
      text('quay.io/a:1 => a\noci://ghcr.io/x/chart:1.0 => charts/chart\nquay.io/a:1 => a\n'),
      { mode: 'missing', dryRun: true },
    );
    assert.deepEqual(
      list?.entries.map((e) => e.line),
      [1, 2],
    );
    assert.equal(out.failure, undefined);
    assert.deepEqual(out.lines, [
      '1 image(s) and 1 chart(s) in lists/images.txt; mode missing, dry run',
    ]);
    assert.deepEqual(
      out.annotations.map((a) => [a.type, a.line]),
      [['warning', 3]],
    );
    assert.match(out.annotations[0]?.message ?? '', /duplicate of line 1/);
  });

  it('unexpanded Docker Hub credentials warn only when a line pulls from docker.io', () => {
    const unset = { dockerHubUnexpanded: ['$(DOCKERHUB_USER)', '$(DOCKERHUB_TOKEN)'] };
    const hub = parse(text('nginx:1.27 => nginx\n'), unset).out;
    assert.deepEqual(hub.warnings, [
      'Docker Hub credentials are not set ($(DOCKERHUB_USER), $(DOCKERHUB_TOKEN)): docker.io images are pulled anonymously, with a lower rate limit.',
    ]);
    assert.deepEqual(hub.lines, ['1 image(s) in lists/images.txt; mode sync']);
    assert.deepEqual(parse(text('quay.io/a:1 => a\n'), unset).out.warnings, []);
    assert.deepEqual(parse(text('nginx:1.27 => nginx\n')).out.warnings, []);
  });
});
