// The whole flow (src/flow.ts runFlow) on in-memory fakes (flowFakes.ts): how the stages fit
// together (check -> decide -> kind -> verify -> budget -> import -> report), asserted on the JSON
// result, ARM's importImage calls and the log, in milliseconds, without Azure or a registry.
import assert from 'node:assert/strict';
import { compilePatterns } from '../../tasks/ImportPublicImages/src/core/plan/allowedSources';
import type { ImageResult } from '../../tasks/ImportPublicImages/src/core/results/report';
import { digest, FakeWorld, runFake, taskInputs } from './flowFakes';

const A = digest('a');
const B = digest('b');
const C = digest('c');

/** One line each: up to date, absent from the ACR, moved upstream. */
const LIST = `quay.io/org/same:v1 => org/same
quay.io/org/new:v1 => org/new
quay.io/org/moved:v1 => org/moved
`;
const upstream = {
  'quay.io/org/same:v1': A,
  'quay.io/org/new:v1': B,
  'quay.io/org/moved:v1': C,
};
const heldInAcr = (): Record<string, string> => ({ 'org/same:v1': A, 'org/moved:v1': A });

const byLine = (images: readonly ImageResult[]): Record<number, ImageResult> =>
  Object.fromEntries(images.map((i) => [i.line, i]));

describe('flow: the whole run on in-memory fakes', () => {
  it('sync: an up-to-date line is skipped, an absent one imported, a moved one updated, each by the digest read', async () => {
    const world = new FakeWorld(upstream, heldInAcr());
    const { result, done, out } = await runFake(LIST, world);
    const lines = byLine(result.images);
    assert.deepEqual(
      result.images.map((i) => [i.line, i.action, i.status]),
      [
        [1, 'skip', 'skipped'],
        [2, 'import', 'imported'],
        [3, 'update', 'imported'],
      ],
    );
    assert.equal(lines[3]?.previousDigest, A);
    assert.deepEqual(
      world.imports.map((p) => [p.source.sourceImage, p.targetTags, p.mode]).sort(),
      [
        [`org/moved@${C}`, ['org/moved:v1'], 'Force'],
        [`org/new@${B}`, ['org/new:v1'], 'Force'],
      ],
    );
    assert.equal(world.acr['org/new:v1'], B);
    assert.equal(world.acr['org/moved:v1'], C);
    assert.deepEqual(result.counts, {
      imported: 2,
      skipped: 1,
      failed: 0,
      planned: 0,
      timedOut: 0,
      canceled: 0,
      total: 3,
    });
    assert.equal(done?.failurePolicy, 'fail');
    assert.equal(out.failure, undefined);
    // One line per event: the skip said by decide, each import's start and end by the import step.
    assert.equal(out.lines.filter((l) => l.startsWith('line 1:')).length, 1);
    assert.equal(out.lines.filter((l) => l.startsWith('line 2:')).length, 2);
  });

  it('a re-run of the same world imports nothing', async () => {
    const world = new FakeWorld(upstream, heldInAcr());
    await runFake(LIST, world);
    const again = new FakeWorld(upstream, world.acr);
    const { result } = await runFake(LIST, again);
    assert.equal(again.imports.length, 0);
    assert.deepEqual(
      result.images.map((i) => i.status),
      ['skipped', 'skipped', 'skipped'],
    );
  });

  it('a dry run plans and writes nothing', async () => {
    const world = new FakeWorld(upstream, heldInAcr());
    const { result, done } = await runFake(LIST, world, taskInputs({ dryRun: true }));
    assert.equal(world.imports.length, 0);
    assert.deepEqual(world.acr, heldInAcr());
    assert.deepEqual(
      result.images.map((i) => i.status),
      ['skipped', 'planned', 'planned'],
    );
    assert.equal(result.dryRun, true);
    assert.ok(done?.plan, 'a dry run returns its plan');
  });

  it('allowUpdates false: the moved line is held back and fails naming both digests; the new one imports with NoForce', async () => {
    const world = new FakeWorld(upstream, heldInAcr());
    const { result, out } = await runFake(LIST, world, taskInputs({ allowUpdates: false }));
    const lines = byLine(result.images);
    assert.equal(lines[3]?.status, 'failed');
    assert.match(lines[3]?.error ?? '', /org\/moved:v1 holds sha256:a+.*allowUpdates is false/);
    assert.deepEqual(
      world.imports.map((p) => [p.source.sourceImage, p.mode]),
      [[`org/new@${B}`, 'NoForce']],
    );
    assert.equal(world.acr['org/moved:v1'], A, 'not overwritten');
    assert.ok(out.lines.some((l) => /^line 3: .* update refused: /.test(l)));
  });

  it('verifySignatures: a line without a cosign signature is held back, never imported; a line no key matches imports', async () => {
    const world = new FakeWorld(upstream, {});
    const keys = [
      { line: 1, pattern: compilePatterns(['quay.io/org/new'])[0]!, path: 'k.pub', pem: 'x' },
    ];
    const inputs = taskInputs({ verifySignatures: 'cosign-key', cosignKeys: keys });
    const { result, out } = await runFake(LIST, world, inputs);
    const lines = byLine(result.images);
    assert.equal(lines[2]?.status, 'failed');
    assert.match(lines[2]?.error ?? '', /the source is not signed/);
    assert.equal(lines[2]?.signature?.verified, false);
    assert.ok(world.gets.includes(`quay.io/org/new/manifests/sha256-${'b'.repeat(64)}.sig`));
    assert.deepEqual(world.imports.map((p) => p.source.sourceImage).sort(), [
      `org/moved@${C}`,
      `org/same@${A}`,
    ]);
    assert.equal(lines[1]?.status, 'imported');
    assert.ok(out.lines.some((l) => /^line 2: .* not imported$/.test(l)));
  });

  it('a cancel during the imports: nothing more starts, every line ends canceled, the result says so', async () => {
    const world = new FakeWorld(upstream, {});
    const abort = new AbortController();
    world.importImage = (_p, signal) =>
      new Promise((_, reject) => {
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        abort.abort(); // the first import is in flight: the run is canceled now
      });
    const { result } = await runFake(LIST, world, taskInputs({ concurrency: 1 }), abort);
    assert.equal(result.canceled, true);
    assert.equal(world.imports.length, 1, 'the other lines never reached ARM');
    assert.deepEqual(
      result.images.map((i) => i.status),
      ['canceled', 'canceled', 'canceled'],
    );
  });

  it('requireDigests: an unpinned line fails the run after the check, before any import', async () => {
    const world = new FakeWorld(upstream, {});
    const { done, out } = await runFake(LIST, world, taskInputs({ requireDigests: true }));
    assert.equal(done, undefined);
    assert.match(out.failure ?? '', /3 unpinned line\(s\) in images\.txt/);
    assert.equal(world.imports.length, 0);
    assert.match(
      out.annotations[0]?.message ?? '',
      /quay\.io\/org\/same:v1@sha256:a+ => org\/same/,
    );
  });

  it('an invalid line fails before any request: the registries are never asked', async () => {
    const world = new FakeWorld(upstream, {});
    const { done, out } = await runFake('quay.io/org/Bad Name:v1\n', world);
    assert.equal(done, undefined);
    assert.ok(out.failure);
    assert.deepEqual([world.heads, world.imports], [[], []]);
  });
});
