// The policy step (steps/policy.ts): allowedSources refuses a list with a line outside its
// patterns before any request; requireDigests refuses unpinned lines after the check, each
// annotated with the line pinned to the digest its tag points at now. Either fails the task with
// nothing imported, naming the file, the first line and the fix.
import assert from 'node:assert/strict';
import { parseImageList } from '../../../tasks/ImportPublicImages/src/core/list/imageList';
import {
  planImports,
  type CheckResult,
} from '../../../tasks/ImportPublicImages/src/core/plan/decisions';
import {
  checkAllowedSources,
  checkPinned,
} from '../../../tasks/ImportPublicImages/src/steps/policy';
import { digest, FakeWorld, RecordingReporter, runFake, taskInputs } from '../flowFakes';

const A = digest('a');
const C = digest('c');

const LIST = `quay.io/org/a:v1 => org/a
nginx:1.27 => nginx
ghcr.io/other/x:1 => x
quay.io/org/b@${digest('b')} => org/b
registry.k8s.io/pause => pause
`;

const FILES = {
  imageListInput: 'lists/images.txt',
  imageListAnnotationPath: 'deploy/lists/images.txt',
};

function allowed(patterns: string[], text = LIST) {
  const out = new RecordingReporter();
  const ok = checkAllowedSources(parseImageList(text), { ...FILES, allowedSources: patterns }, out);
  return { ok, out };
}

function pinned(
  checks: CheckResult[],
  over: { requireDigests?: boolean; canceled?: boolean } = {},
  text = LIST,
) {
  const out = new RecordingReporter();
  const items = planImports(parseImageList(text).entries, { registries: {} });
  const ok = checkPinned(
    items,
    { checks, canceled: over.canceled ?? false },
    { ...FILES, requireDigests: over.requireDigests ?? true },
    out,
  );
  return { ok, out };
}

/** imageListPath written absolute: annotations still name the file inside the repository. */
const ABSOLUTE = {
  imageListInput: '/agent/s/deploy/images.txt',
  imageListPath: '/agent/s/deploy/images.txt',
  imageListAnnotationPath: 'deploy/images.txt',
};

describe('steps/policy: allowedSources, before any request', () => {
  it('a line outside the patterns fails the task: each such line annotated with its fix, the first named', () => {
    const { ok, out } = allowed(['quay.io/org/*', 'docker.io/library/*']);
    assert.equal(ok, false);
    assert.deepEqual(
      out.annotations.map((a) => [a.type, a.line]),
      [
        ['error', 3],
        ['error', 5],
      ],
    );
    assert.equal(
      out.annotations[0]?.message,
      'lists/images.txt:3: the source ghcr.io/other/x matches no pattern of allowedSources (quay.io/org/*, docker.io/library/*); remove the line, or add a pattern for it to allowedSources (ghcr.io/other/x:1 => x)',
    );
    assert.match(
      out.failure ?? '',
      /^2 line\(s\) outside allowedSources in lists\/images\.txt, nothing was imported; line 3: the source ghcr\.io\/other\/x matches no pattern/,
    );
    assert.equal(out.failedCount, 2);
  });

  it("annotations go on the list as the repository knows it (as an invalid line's do)", () => {
    const { out } = allowed(['quay.io/**']);
    assert.deepEqual(out.annotatedFiles, ['deploy/lists/images.txt']);
  });

  it('every line inside the patterns, or no patterns at all: the run goes on, nothing said', () => {
    for (const patterns of [
      ['quay.io/**', 'docker.io/**', 'ghcr.io/other/*', 'registry.k8s.io/*'],
      [],
    ]) {
      const { ok, out } = allowed(patterns);
      assert.equal(ok, true, patterns.join(','));
      assert.deepEqual([out.annotations, out.failure, out.lines], [[], undefined, []]);
    }
  });

  it('the pattern matches the normalised source: nginx is docker.io/library/nginx', () => {
    assert.equal(allowed(['docker.io/library/nginx'], 'nginx:1.27 => nginx\n').ok, true);
    assert.equal(allowed(['docker.io/library/redis'], 'nginx:1.27 => nginx\n').ok, false);
  });

  it('through the flow: refused before the registries are asked anything, annotated on the repository path', async () => {
    const world = new FakeWorld({ 'quay.io/org/a:v1': A });
    const inputs = taskInputs({ allowedSources: ['docker.io/**'], ...ABSOLUTE });
    const { done, out } = await runFake('quay.io/org/a:v1 => org/a\n', world, inputs);
    assert.equal(done, undefined);
    assert.match(
      out.failure ?? '',
      /^1 line\(s\) outside allowedSources in \/agent\/s\/deploy\/images\.txt/,
    );
    assert.deepEqual([world.heads, world.gets, world.imports], [[], [], []]);
    // parse's (nothing to say) and the policy's
    assert.deepEqual(out.annotatedFiles, ['deploy/images.txt', 'deploy/images.txt']);
  });
});

describe('steps/policy: requireDigests, after the check', () => {
  const checks: CheckResult[] = [
    { sourceDigest: A },
    { sourceNotFound: true },
    { sourceError: 'HTTP 500 from ghcr.io' },
    {},
    { sourceDigest: C },
  ];

  it('each unpinned line annotated with its fix: the line pinned to what its tag points at now', () => {
    const { ok, out } = pinned(checks);
    assert.equal(ok, false);
    assert.deepEqual(
      out.annotations.map((a) => a.line),
      [1, 2, 3, 5],
      'line 4 is pinned already',
    );
    const [one, two, three, five] = out.annotations.map((a) => a.message);
    assert.match(one ?? '', new RegExp(`Write it like: quay\\.io/org/a:v1@${A} => org/a$`));
    assert.match(
      two ?? '',
      /docker\.io\/library\/nginx:1\.27 was not found upstream \(404\): there is no digest to pin it to/,
    );
    assert.doesNotMatch(two ?? '', /Write it like/);
    assert.match(
      three ?? '',
      /could not be read \(HTTP 500 from ghcr\.io\); pin it to the digest you reviewed/,
    );
    assert.match(three ?? '', /Write it like: ghcr\.io\/other\/x:1@sha256:<digest> => x$/);
    // no tag: `:latest` written out, so the pinned line lands on the same target tag
    assert.match(
      five ?? '',
      new RegExp(`Write it like: registry\\.k8s\\.io/pause:latest@${C} => pause$`),
    );
    assert.match(
      out.failure ?? '',
      new RegExp(
        `^4 unpinned line\\(s\\) in lists/images\\.txt, nothing was imported; line 1: requireDigests is true and the source is not pinned to a digest; quay\\.io/org/a:v1 points at ${A} now$`,
      ),
    );
    assert.equal(out.failedCount, 4);
    assert.deepEqual(out.annotatedFiles, ['deploy/lists/images.txt']);
  });

  it("a long line's fix is shown whole, to be pasted", () => {
    const repo = `org/${'r'.repeat(180)}`;
    const line = `quay.io/${repo}:v1 => ${repo}`;
    const { out } = pinned([{ sourceDigest: A }], {}, `${line}\n`);
    const fix = `quay.io/${repo}:v1@${A} => ${repo}`;
    assert.ok(fix.length > 400);
    assert.ok(
      out.annotations[0]?.message.endsWith(`Write it like: ${fix}`),
      out.annotations[0]?.message,
    );
  });

  it('through the flow: refused after the check, before any import, annotated on the repository path', async () => {
    const world = new FakeWorld({ 'quay.io/org/a:v1': A });
    const inputs = taskInputs({ requireDigests: true, ...ABSOLUTE });
    const { done, out } = await runFake('quay.io/org/a:v1 => org/a\n', world, inputs);
    assert.equal(done, undefined);
    assert.match(out.failure ?? '', /^1 unpinned line\(s\) in \/agent\/s\/deploy\/images\.txt/);
    assert.deepEqual(world.imports, []);
    // parse's (nothing to say) and the policy's
    assert.deepEqual(out.annotatedFiles, ['deploy/images.txt', 'deploy/images.txt']);
  });

  it('every line pinned, requireDigests off, or the run canceled during the check: the run goes on', () => {
    const allPinned = `quay.io/org/b@${digest('b')} => org/b\n`;
    for (const [what, run] of [
      ['pinned', pinned([{}], {}, allPinned)],
      ['off', pinned(checks, { requireDigests: false })],
      ['canceled', pinned(checks, { canceled: true })],
    ] as const) {
      assert.equal(run.ok, true, what);
      assert.deepEqual([run.out.annotations, run.out.failure], [[], undefined], what);
    }
  });
});
