// The emulator's ARM throttling (test/emulator/armThrottle.ts) is ARM's token bucket: per principal
// and operation kind, refilled over time, a Retry-After computed from the bucket, nothing spent by
// a throttled request.
import assert from 'node:assert/strict';
import { ArmTokenBuckets, operationKind } from '../../test/emulator/armThrottle';

describe('emulator: ARM token buckets', () => {
  const setup = (rules = [{ kind: 'armTokenBucket' as const }]) => {
    let t = 0;
    const b = new ArmTokenBuckets(() => t);
    b.configure(rules);
    return { b, at: (ms: number) => (t = ms) };
  };

  it("ARM's published sizes: 200 writes at once, then 10 a second", () => {
    const { b, at } = setup();
    for (let i = 0; i < 200; i++) assert.equal(b.take('sp', 'writes').ok, true, `write ${i}`);
    assert.deepEqual(b.take('sp', 'writes'), { ok: false, remaining: 0, retryAfterSeconds: 1 });
    at(1000); // 10 tokens back
    for (let i = 0; i < 10; i++) assert.equal(b.take('sp', 'writes').ok, true);
    assert.equal(b.take('sp', 'writes').ok, false);
  });

  it('per principal and per kind: one bucket empty, the others full', () => {
    const { b } = setup();
    for (let i = 0; i < 200; i++) b.take('sp', 'writes');
    assert.equal(b.take('sp', 'writes').ok, false);
    assert.deepEqual(b.take('sp', 'reads'), { ok: true, remaining: 249 });
    assert.deepEqual(b.take('other', 'writes'), { ok: true, remaining: 199 });
  });

  it('Retry-After is the time until a token is back, and a throttled request spends none', () => {
    const { b, at } = setup([
      { kind: 'armTokenBucket', writes: { capacity: 2, refillPerSecond: 0.25 } } as never,
    ]);
    b.take('sp', 'writes');
    b.take('sp', 'writes');
    assert.deepEqual(b.take('sp', 'writes'), { ok: false, remaining: 0, retryAfterSeconds: 4 });
    at(2000); // half a token back
    assert.deepEqual(b.take('sp', 'writes'), { ok: false, remaining: 0, retryAfterSeconds: 2 });
    at(4000);
    assert.equal(b.take('sp', 'writes').ok, true, 'the 429s spent nothing');
  });

  it('off without the rule; GET/HEAD read, DELETE deletes, the rest write', () => {
    const { b } = setup([]);
    assert.equal(b.on, false);
    assert.deepEqual(['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH'].map(operationKind), [
      'reads',
      'reads',
      'deletes',
      'writes',
      'writes',
      'writes',
    ]);
  });
});
