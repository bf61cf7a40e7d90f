import assert from 'node:assert/strict';
import { runScheduled } from '../../tasks/ImportPublicImages/src/core/run/scheduler';
import {
  RetriesExhausted,
  withRetries,
  type RetryOptions,
} from '../../tasks/ImportPublicImages/src/core/run/retryLoop';
import { ThrottleGate } from '../../tasks/ImportPublicImages/src/core/run/throttleGate';
import type { ScheduleOptions } from '../../tasks/ImportPublicImages/src/core/run/scheduler';
import type { Failure } from '../../tasks/ImportPublicImages/src/core/run/retry';
import { FakeClock, fixedRandom } from './fakeClock';

class Fail extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}
const toFailure = (err: unknown): Failure =>
  err instanceof Fail ? err.failure : { message: err instanceof Error ? err.message : String(err) };

function options(clock: FakeClock, over: Partial<ScheduleOptions> = {}): ScheduleOptions {
  return {
    concurrency: 2,
    retries: 3,
    timeoutMs: 600000,
    clock,
    random: fixedRandom(0.5),
    backoff: { baseMs: 1000, maxMs: 30000 },
    ...over,
  };
}

describe('schedule: runScheduled', () => {
  it('never runs more than `concurrency` items at once and ends every item once', async () => {
    const clock = new FakeClock();
    let inFlight = 0;
    let peak = 0;
    const ends: number[] = [];
    const items = Array.from({ length: 10 }, (_, i) => i);
    const outcomes = await clock.run(
      runScheduled(
        items,
        async (i) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await clock.sleep(1000);
          inFlight--;
          return i * 2;
        },
        toFailure,
        options(clock, {
          concurrency: 3,
          onEvent: (e) => e.type === 'end' && ends.push(e.index),
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.equal(clock.now(), 4000);
    assert.deepEqual(
      outcomes.map((o) => o.value),
      items.map((i) => i * 2),
    );
    assert.ok(
      outcomes.every((o) => o.status === 'done' && o.attempts === 1 && o.durationMs === 1000),
    );
    assert.deepEqual(
      [...ends].sort((a, b) => a - b),
      items,
    );
  });

  it('ARM throttling does not use the retry budget; the timeout bounds it', async () => {
    const clock = new FakeClock();
    let aCalls = 0;
    const outcomes = await clock.run(
      runScheduled(
        ['a', 'b'],
        async (item) => {
          if (item === 'a' && ++aCalls <= 7) {
            throw new Fail({ message: 'Too many requests', statusCode: 429, retryAfterMs: 1000 });
          }
          if (item === 'b') throw new Fail({ message: 'Too many requests', statusCode: 429 });
          return item;
        },
        toFailure,
        options(clock, { concurrency: 1, retries: 2, timeoutMs: 120000 }),
      ),
    );
    // 'a': seven 429s (more than `retries` 2), then done; 'b': throttled until its timeout.
    assert.equal(outcomes[0]?.status, 'done');
    assert.equal(outcomes[0]?.attempts, 8);
    assert.equal(outcomes[1]?.status, 'timed-out');
  });

  it('a transient failure that is not throttling stops after `retries` retries', async () => {
    const clock = new FakeClock();
    const outcomes = await clock.run(
      runScheduled(
        ['a'],
        async () => {
          throw new Fail({ message: 'Internal error', statusCode: 500 });
        },
        toFailure,
        options(clock, { retries: 2 }),
      ),
    );
    assert.equal(outcomes[0]?.status, 'failed');
    assert.equal(outcomes[0]?.attempts, 3);
  });

  it("pauses every worker on a 429's Retry-After, not only the one that got it", async () => {
    const clock = new FakeClock();
    const starts: Record<string, number[]> = {};
    const outcomes = await clock.run(
      runScheduled(
        ['a', 'b', 'c', 'd'],
        async (name, ctx) => {
          (starts[name] ??= []).push(clock.now());
          if (name === 'a' && ctx.attempt === 1) {
            await clock.sleep(100);
            throw new Fail({ message: 'Too many requests', statusCode: 429, retryAfterMs: 5000 });
          }
          await clock.sleep(1000, ctx.signal);
          return name;
        },
        toFailure,
        options(clock),
      ),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['done', 'done', 'done', 'done'],
    );
    assert.equal(outcomes[0]?.attempts, 2);
    // b was already running; c is the next to start and must wait for the gate (100 + 5000).
    assert.deepEqual(starts.b, [0]);
    assert.ok((starts.c?.[0] ?? 0) >= 5100, `c started at ${starts.c?.[0]}`);
    assert.ok((starts.a?.[1] ?? 0) >= 5100);
  });

  it('does not retry a permanent failure', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const [o] = await clock.run(
      runScheduled(
        [1],
        async () => {
          calls++;
          throw new Fail({
            message: 'UNAUTHORIZED: authentication required',
            operationFailed: true,
          });
        },
        toFailure,
        options(clock),
      ),
    );
    assert.equal(calls, 1);
    assert.equal(o?.status, 'failed');
    assert.equal(o?.attempts, 1);
    assert.match(o?.failure?.message ?? '', /UNAUTHORIZED/);
  });

  it('retries a transient failure `retries` times with growing backoff, then fails', async () => {
    const clock = new FakeClock();
    const delays: number[] = [];
    const [o] = await clock.run(
      runScheduled(
        [1],
        async () => {
          throw new Fail({ message: 'toomanyrequests: rate limit', operationFailed: true });
        },
        toFailure,
        options(clock, {
          retries: 3,
          onEvent: (e) => e.type === 'retry' && delays.push(e.delayMs),
        }),
      ),
    );
    assert.equal(o?.status, 'failed');
    assert.equal(o?.attempts, 4);
    assert.deepEqual(delays, [750, 1500, 3000]);
  });

  it('succeeds when a transient failure clears within the budget', async () => {
    const clock = new FakeClock();
    const [o] = await clock.run(
      runScheduled(
        [1],
        async (_i, ctx) => {
          if (ctx.attempt < 3) throw new Fail({ message: 'socket hang up', code: 'ECONNRESET' });
          return 'ok';
        },
        toFailure,
        options(clock),
      ),
    );
    assert.equal(o?.status, 'done');
    assert.equal(o?.attempts, 3);
  });

  it('abandons an item past its timeout while the others finish', async () => {
    const clock = new FakeClock();
    let aborted = false;
    const outcomes = await clock.run(
      runScheduled(
        ['stuck', 'x', 'y', 'z'],
        async (name, ctx) => {
          if (name === 'stuck') {
            ctx.signal.addEventListener('abort', () => (aborted = true));
            await clock.sleep(1e12, ctx.signal);
          }
          await clock.sleep(1000, ctx.signal);
          return name;
        },
        toFailure,
        options(clock, { timeoutMs: 60000 }),
      ),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['timed-out', 'done', 'done', 'done'],
    );
    assert.equal(outcomes[0]?.durationMs, 60000);
    assert.match(outcomes[0]?.failure?.message ?? '', /abandoned after 1 min/);
    assert.ok(aborted, 'the stuck work is told to stop');
    assert.equal(clock.now(), 60000);
  });

  it('on cancellation starts nothing new and reports the rest as canceled', async () => {
    const clock = new FakeClock();
    const cancel = new AbortController();
    void clock.sleep(1500).then(() => cancel.abort());
    let started = 0;
    const ended: number[] = [];
    const outcomes = await clock.run(
      runScheduled(
        [0, 1, 2, 3, 4, 5],
        async (i, ctx) => {
          started++;
          await clock.sleep(1000, ctx.signal);
          return i;
        },
        toFailure,
        options(clock, {
          signal: cancel.signal,
          onEvent: (e) => void (e.type === 'end' && ended.push(e.index)),
        }),
      ),
    );
    assert.equal(started, 4);
    // every item ends once, the never-started ones too (each gets its log line)
    assert.deepEqual(
      [...ended].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['done', 'done', 'canceled', 'canceled', 'canceled', 'canceled'],
    );
    assert.deepEqual(
      outcomes.map((o) => o.attempts),
      [1, 1, 1, 1, 0, 0],
    );
    assert.match(outcomes[2]?.failure?.message ?? '', /may still complete/);
    assert.match(outcomes[5]?.failure?.message ?? '', /before this import started/);
    assert.equal(clock.now(), 1500);
  });

  it('a gate paused before the run delays the first start', async () => {
    const clock = new FakeClock();
    const gate = new ThrottleGate(clock, () => 0.5);
    gate.pause(2000);
    let first = -1;
    await clock.run(
      runScheduled(
        [1],
        async () => void (first = clock.now()),
        toFailure,
        options(clock, { gate }),
      ),
    );
    // the pause, plus this worker's jitter: half of min(1 s, 10 % of the pause)
    assert.equal(first, 2100);
  });

  it('a throttle storm costs its Retry-After pauses, not exponential backoff per item', async () => {
    // 7 items, the first 60 sends answered 429 with Retry-After 1 s (as ARM does for a burst),
    // each 429 read one 100 ms round trip after its send.
    const clock = new FakeClock();
    const gate = new ThrottleGate(clock, fixedRandom(0.5));
    let throttled = 0;
    let sends = 0;
    let sentInsidePause = 0;
    const outcomes = await clock.run(
      runScheduled(
        Array.from({ length: 7 }, (_, i) => i),
        async () => {
          sends++;
          if (gate.shut()) sentInsidePause++;
          if (throttled < 60) {
            throttled++;
            await clock.sleep(100);
            throw Object.assign(new Error('throttled'), { statusCode: 429, retryAfterMs: 1000 });
          }
          await clock.sleep(2000);
        },
        (err) => err as Failure,
        options(clock, { concurrency: 7, retries: 0, gate }),
      ),
    );
    assert.ok(outcomes.every((o) => o.status === 'done'));
    assert.equal(sends, 67);
    assert.equal(sentInsidePause, 0);
    // Each round of 7 sends gets 7 429s and one shared 1 s pause (plus the round trip and a
    // jitter <= 100 ms): ceil(60/7) = 9 rounds, then the 2 s import. Not serialised (one send a
    // pause: 60 rounds); exponential backoff took minutes.
    assert.ok(clock.now() <= 9 * 1200 + 2000 + 1200, `took ${clock.now()} ms`);
    assert.ok(clock.now() >= 9 * 1100 + 2000, `took ${clock.now()} ms`);
  });
});

describe('schedule: withRetries', () => {
  const opts = (clock: FakeClock, over: Partial<RetryOptions> = {}): RetryOptions => ({
    retries: 2,
    clock,
    random: fixedRandom(0.5),
    gate: new ThrottleGate(clock, fixedRandom(0)),
    backoff: { baseMs: 1000, maxMs: 30000 },
    ...over,
  });

  it('waits out a 503 for its Retry-After, then answers', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const value = await clock.run(
      withRetries(
        async () => {
          if (++calls === 1)
            throw Object.assign(new Error('busy'), { statusCode: 503, retryAfterMs: 3000 });
          return 'registry';
        },
        (err) => err as Failure,
        opts(clock),
      ),
    );
    assert.equal(value, 'registry');
    assert.equal(clock.now(), 3150); // Retry-After + the 5 % jitter of random 0.5
  });

  it('a pause that begins while an open wait is ending still holds the attempt (no POST slips through)', async () => {
    const clock = new FakeClock();
    const o = opts(clock);
    let startedAt = -1;
    const p = withRetries(
      async () => {
        startedAt = clock.now();
        return 'sent';
      },
      (err) => err as Failure,
      o,
    );
    // The gate was open when the wait ran; another worker's 429 is read before its end is handled.
    o.gate.pause(1000);
    assert.equal(await clock.run(p), 'sent');
    assert.ok(startedAt >= 1000, `the attempt started at ${startedAt} ms, inside the pause`);
  });

  it('a pause that begins during the jitter after a pause still holds the attempt (strict gate)', async () => {
    const clock = new FakeClock();
    // Jitter span of a 1000 ms pause is 100 ms; random 0.5 makes this worker's jitter 50 ms.
    const o = opts(clock, { gate: new ThrottleGate(clock, fixedRandom(0.5)) });
    o.gate.pause(1000);
    const starts: number[] = [];
    const p = withRetries(
      async () => {
        starts.push(clock.now());
        return 'sent';
      },
      (err) => err as Failure,
      o,
    );
    // Another worker's 429 is read at 1020 ms: after the first pause, inside this jitter sleep.
    const other = clock.sleep(1020).then(() => o.gate.pause(1000));
    await clock.run(Promise.all([p, other]));
    assert.equal(starts.length, 1);
    // The second pause runs to 2020 ms, then this worker's jitter again (50 ms).
    assert.equal(starts[0], 2070, `the attempt started at ${starts[0]} ms`);
  });

  it('a 429 pauses the shared gate, so other callers wait too, and uses no retry', async () => {
    const clock = new FakeClock();
    const gate = new ThrottleGate(clock, fixedRandom(0));
    let calls = 0;
    const throttledRead = withRetries(
      async () => {
        if (++calls <= 3)
          throw Object.assign(new Error('slow down'), { statusCode: 429, retryAfterMs: 2000 });
        return calls;
      },
      (err) => err as Failure,
      opts(clock, { gate, retries: 0 }),
    );
    assert.equal(await clock.run(throttledRead), 4);
    assert.equal(clock.now(), 6000);
    let otherStarted = -1;
    gate.pause(500);
    await clock.run(
      withRetries(
        async () => void (otherStarted = clock.now()),
        (err) => err as Failure,
        opts(clock, { gate }),
      ),
    );
    assert.equal(otherStarted, 6500);
  });

  it('a permanent failure ends at once with RetriesExhausted carrying it', async () => {
    const clock = new FakeClock();
    await assert.rejects(
      clock.run(
        withRetries(
          async () => {
            throw Object.assign(new Error('denied'), { statusCode: 403 });
          },
          (err) => err as Failure,
          opts(clock),
        ),
      ),
      (e: unknown) =>
        e instanceof RetriesExhausted && e.attempts === 1 && e.failure.statusCode === 403,
    );
  });

  it('a 500 after many 429s backs off from its own first retry, not from the attempt count', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const delays: number[] = [];
    await clock.run(
      withRetries(
        async () => {
          calls++;
          if (calls <= 19)
            throw Object.assign(new Error('slow down'), { statusCode: 429, retryAfterMs: 1000 });
          if (calls === 20) throw Object.assign(new Error('internal'), { statusCode: 500 });
        },
        (err) => err as Failure,
        opts(clock, {
          retries: 1,
          onRetry: (r) => void (!r.throttled && delays.push(r.delayMs)),
        }),
      ),
    );
    assert.equal(calls, 21);
    assert.deepEqual(delays, [750]); // base 1 s x 2^0, jitter 0.75 (random 0.5)
  });

  it('a deadline ends a 429 storm with the failure instead of waiting forever', async () => {
    const clock = new FakeClock();
    let calls = 0;
    await assert.rejects(
      clock.run(
        withRetries(
          async () => {
            calls++;
            throw Object.assign(new Error('slow down'), { statusCode: 429, retryAfterMs: 1000 });
          },
          (err) => err as Failure,
          opts(clock, { deadlineMs: 5000 }),
        ),
      ),
      (e: unknown) => e instanceof RetriesExhausted && e.failure.statusCode === 429,
    );
    assert.ok(calls >= 4 && calls <= 6, `${calls} attempts`);
    assert.ok(clock.now() <= 5000, `${clock.now()} ms`);
  });
});
