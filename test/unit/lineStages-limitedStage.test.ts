// core/run/lineStages.ts limitedStage: the one shape of the bounded per-line stages (kind, verify,
// carry): lines it does not apply to pass untouched, at most `limit` lines work at once, an
// unforeseen error fails the line closed, and after a cancel nothing runs and nothing fails.
import assert from 'node:assert/strict';
import { limitedStage } from '../../tasks/ImportPublicImages/src/core/run/lineStages';

interface Line {
  n: number;
  failed?: string;
  done?: boolean;
}

function stage(opts: { limit: number; signal?: AbortSignal; work?: (l: Line) => Promise<void> }) {
  const failClosed: number[] = [];
  let running = 0;
  let most = 0;
  const run = limitedStage<Line>({
    limit: opts.limit,
    signal: opts.signal ?? new AbortController().signal,
    applies: (l) => l.n % 2 === 1, // odd lines only
    work:
      opts.work ??
      (async (l) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        running--;
        l.done = true;
      }),
    failClosed: (l, err) => {
      failClosed.push(l.n);
      l.failed = (err as Error).message;
    },
  });
  return { run, failClosed, most: () => most };
}

describe('core/run/lineStages: limitedStage', () => {
  it('runs the lines it applies to, at most `limit` at once; the others pass untouched', async () => {
    const s = stage({ limit: 2 });
    const lines = Array.from({ length: 10 }, (_, i) => ({ n: i }) as Line);
    await Promise.all(lines.map(s.run));
    assert.deepEqual(
      lines.filter((l) => l.done).map((l) => l.n),
      [1, 3, 5, 7, 9],
    );
    assert.equal(s.most(), 2);
  });

  it('an unforeseen error fails that line closed; the others go on', async () => {
    const s = stage({
      limit: 1,
      work: async (l) => {
        if (l.n === 3) throw new Error('boom');
        l.done = true;
      },
    });
    const lines = [1, 3, 5].map((n) => ({ n }) as Line);
    for (const l of lines) await s.run(l);
    assert.deepEqual(s.failClosed, [3]);
    assert.equal(lines[1]?.failed, 'boom');
    assert.deepEqual(
      lines.map((l) => l.done ?? false),
      [true, false, true],
    );
  });

  it('after a cancel: nothing starts, a line waiting for a slot leaves, nothing fails closed', async () => {
    const abort = new AbortController();
    let release: () => void = () => {};
    const started: number[] = [];
    const s = stage({
      limit: 1,
      signal: abort.signal,
      work: async (l) => {
        started.push(l.n);
        await new Promise<void>((r) => (release = r));
        throw new Error('aborted'); // what a read does when its signal aborts
      },
    });
    const first = s.run({ n: 1 });
    const waiting = s.run({ n: 3 });
    await new Promise((r) => setImmediate(r));
    abort.abort();
    release();
    await Promise.all([first, waiting, s.run({ n: 5 })]);
    assert.deepEqual(started, [1]);
    assert.deepEqual(s.failClosed, []);
  });
});
