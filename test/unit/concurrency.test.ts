// core/run/concurrency.ts (the default that grows with the list, the back-off on 429s) and
// core/run/lineStages.ts (lines from check to import on their own, a limiter, a countdown), with a
// fake clock.
import assert from 'node:assert/strict';
import {
  chooseConcurrency,
  ImportConcurrency,
} from '../../tasks/ImportPublicImages/src/core/run/concurrency';
import {
  Countdown,
  eachLine,
  Limiter,
} from '../../tasks/ImportPublicImages/src/core/run/lineStages';
import { ThrottleGate } from '../../tasks/ImportPublicImages/src/core/run/throttleGate';
import { runScheduled } from '../../tasks/ImportPublicImages/src/core/run/scheduler';
import type { Failure } from '../../tasks/ImportPublicImages/src/core/run/retry';
import { FakeClock, fixedRandom } from './fakeClock';

describe('core/run/concurrency: chooseConcurrency', () => {
  it('an input value is used exactly, for the imports and the registry reads', () => {
    for (const [input, lines, checks] of [
      [1, 1000, 1],
      [8, 7, 8],
      [20, 5, 20],
      [32, 1000, 32],
    ] as const) {
      const c = chooseConcurrency(input, lines);
      assert.deepEqual([c.imports, c.checks, c.auto], [input, checks, false], `${input}`);
      assert.match(c.line, new RegExp(`^concurrency ${input} \\(the concurrency input`));
    }
  });

  it('empty: ⌈lines / 8⌉ within 8 to 32, and the log line says so', () => {
    const table: [number, number][] = [
      [0, 8],
      [1, 8],
      [64, 8],
      [65, 9],
      [100, 13],
      [180, 23],
      [256, 32],
      [1000, 32],
      [200000, 32],
    ];
    for (const [lines, imports] of table) {
      const c = chooseConcurrency(undefined, lines);
      assert.equal(c.imports, imports, `${lines} lines`);
      assert.equal(c.checks, Math.min(32, imports * 2));
      assert.equal(c.auto, true);
      assert.match(c.line, new RegExp(`^concurrency ${imports} \\(default for ${lines} line`));
      assert.match(c.line, /set the concurrency input to fix it/);
    }
    assert.match(chooseConcurrency(undefined, 100).line, /halved down to 8 if ARM throttles/);
    assert.doesNotMatch(chooseConcurrency(undefined, 7).line, /halved/);
  });
});

describe('core/run/concurrency: ImportConcurrency', () => {
  function setup(input: number | undefined, lines: number) {
    const clock = new FakeClock();
    const logged: string[] = [];
    const c = new ImportConcurrency(chooseConcurrency(input, lines), clock, (l) => logged.push(l));
    return { clock, logged, c };
  }

  it('a default is halved on the first 429 of each pause, never below 8, one line each time', async () => {
    const { clock, logged, c } = setup(undefined, 1000);
    assert.equal(c.limiter.limit, 32);
    c.throttled(1000);
    assert.equal(c.limiter.limit, 16);
    c.throttled(1000); // the same storm: answered while its pause runs
    await clock.run(clock.sleep(500));
    c.throttled(1000); // still within the first pause (which now runs to 1500)
    assert.equal(c.limiter.limit, 16);
    await clock.run(clock.sleep(1500));
    c.throttled(2000); // a new pause
    assert.equal(c.limiter.limit, 8);
    await clock.run(clock.sleep(5000));
    c.throttled(1000);
    assert.equal(c.limiter.limit, 8, 'never below 8');
    assert.deepEqual(logged, [
      'concurrency 32 -> 16: ARM is throttling the imports (429); set the concurrency input to fix it',
      'concurrency 16 -> 8: ARM is throttling the imports (429); set the concurrency input to fix it',
    ]);
  });

  it('an input value never changes; a short list (8) has nothing to halve', () => {
    for (const [input, lines, limit] of [
      [32, 1000, 32],
      [undefined, 20, 8],
    ] as const) {
      const { logged, c } = setup(input, lines);
      c.throttled(1000);
      assert.equal(c.limiter.limit, limit);
      assert.deepEqual(logged, []);
    }
  });

  it('the scheduler starts no new import past the halved limit; the ones running finish', async () => {
    const clock = new FakeClock();
    const c = new ImportConcurrency(chooseConcurrency(undefined, 128), clock, () => undefined);
    assert.equal(c.limiter.limit, 16);
    let inFlight = 0;
    const peaks: number[] = [];
    const gate = new ThrottleGate(clock, fixedRandom(0));
    let throttledOnce = false;
    const toFailure = (err: unknown): Failure => err as Failure;
    const outcomes = await clock.run(
      runScheduled(
        Array.from({ length: 64 }, (_, i) => i),
        async (i, ctx) => {
          if (i === 0 && ctx.attempt === 1 && !throttledOnce) {
            throttledOnce = true;
            await clock.sleep(100);
            throw { message: 'throttled', statusCode: 429, retryAfterMs: 1000 } as Failure;
          }
          inFlight++;
          peaks.push(inFlight);
          await clock.sleep(2000);
          inFlight--;
        },
        toFailure,
        {
          concurrency: 16,
          retries: 0,
          timeoutMs: 600000,
          clock,
          random: fixedRandom(0),
          gate,
          limiter: c.limiter,
          onEvent: (e) => e.type === 'retry' && e.throttled && c.throttled(e.delayMs),
        },
      ),
    );
    assert.ok(outcomes.every((o) => o.status === 'done'));
    assert.equal(c.limiter.limit, 8);
    // Before the 429: up to 15 others at once besides the throttled one; after it, 8 at most.
    assert.equal(Math.max(...peaks.slice(0, 15)), 15);
    assert.ok(Math.max(...peaks.slice(30)) <= 8, `${peaks.join(',')}`);
  });
});

describe('core/run/lineStages', () => {
  it('eachLine: a line goes on to its next stage as soon as its own is done, records in order', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const records = await clock.run(
      eachLine(
        [300, 100, 200],
        async (ms, i) => {
          await clock.sleep(ms);
          return { i, ms };
        },
        [
          async (r) => {
            seen.push(`import ${r.i} at ${clock.now()}`);
          },
        ],
      ),
    );
    assert.deepEqual(
      records.map((r) => r.i),
      [0, 1, 2],
    );
    assert.deepEqual(seen, ['import 1 at 100', 'import 2 at 200', 'import 0 at 300']);
  });

  it('Limiter: at most its limit, in the order asked; a lowered limit waits for releases; abort rejects a waiter', async () => {
    const l = new Limiter(2);
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const take = (n: number, signal?: AbortSignal) =>
      l.acquire(signal).then((release) => {
        order.push(n);
        releases.push(release);
      });
    const a = [take(1), take(2), take(3), take(4)];
    const ac = new AbortController();
    const aborted = take(5, ac.signal);
    await Promise.all(a.slice(0, 2));
    assert.deepEqual(order, [1, 2]);
    assert.equal(l.running, 2);
    l.setLimit(1);
    releases[0]!();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [1, 2], 'one still holds a slot: the new limit is 1');
    releases[1]!();
    await a[2];
    assert.deepEqual(order, [1, 2, 3]);
    ac.abort();
    await assert.rejects(aborted, /aborted/);
    l.setLimit(3);
    await a[3];
    assert.deepEqual(order, [1, 2, 3, 4]);
    releases[2]!();
    releases[3]!();
    releases[3]!(); // a second release is ignored
    assert.equal(l.running, 0);
  });

  it('Countdown: opens after the last arrival and its onOpen; 0 is open at once; a failing onOpen still opens', async () => {
    const events: string[] = [];
    const c = new Countdown(2, async () => {
      events.push('onOpen');
    });
    const waited = c.wait().then(() => events.push('open'));
    c.arrive();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, []);
    c.arrive();
    await waited;
    assert.deepEqual(events, ['onOpen', 'open']);
    await new Countdown(0).wait();
    const failing = new Countdown(1, () => {
      throw new Error('probe failed');
    });
    failing.arrive();
    await failing.wait();
  });
});
