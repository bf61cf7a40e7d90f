// core/run/lineStages.ts LineSlots: a line's image and the signatures carried with it import at
// once in one slot of the run's import limiter (no second wave of imports for the signatures).
import assert from 'node:assert/strict';
import { Limiter, LineSlots } from '../../tasks/ImportPublicImages/src/core/run/lineStages';

describe('core/run/lineStages: LineSlots', () => {
  it("a line's imports share one slot; another line waits until the last of them releases it", async () => {
    const limiter = new Limiter(1);
    const slots = new LineSlots<object>(limiter);
    const a = {};
    const b = {};
    const image = await slots.for(a).acquire();
    const signature = await slots.for(a).acquire(); // the same line: no wait
    assert.equal(limiter.running, 1);
    let bHolds = false;
    const other = slots
      .for(b)
      .acquire()
      .then((release) => ((bHolds = true), release));
    image();
    image(); // a release is counted once
    await Promise.resolve();
    assert.equal(bHolds, false, 'the signature still holds the slot of line a');
    signature();
    (await other)();
    assert.equal(bHolds, true);
    assert.equal(limiter.running, 0);
  });

  it('a line that acquires again after releasing takes a new slot; an abort rejects every waiter of the line', async () => {
    const limiter = new Limiter(1);
    const slots = new LineSlots<object>(limiter);
    const a = {};
    const b = {};
    (await slots.for(a).acquire())();
    const held = await slots.for(a).acquire();
    assert.equal(limiter.running, 1);
    const cancel = new AbortController();
    const waiting = [slots.for(b).acquire(cancel.signal), slots.for(b).acquire(cancel.signal)];
    cancel.abort();
    for (const w of waiting) await assert.rejects(w, /abort/i);
    held();
    assert.equal(limiter.running, 0);
    (await slots.for(b).acquire())(); // b's failed share is forgotten: a new one takes a slot
    assert.equal(limiter.running, 0);
  });
});
