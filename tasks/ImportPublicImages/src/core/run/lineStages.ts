// The per-line pipeline: each line of the list goes through the run's stages on its own (check,
// decide, import, ...) as soon as its previous stage is done, instead of every line waiting for
// the slowest line of each step. What bounds a stage is a Limiter (how many lines are in it at
// once); what holds some lines until others have arrived is a Countdown. Pure.
import { abortError } from './clock';

/** One per-line stage after the first: runs on the line's record, in the stages' order. */
export type LineStage<R> = (record: R) => Promise<void>;

/**
 * Runs every item through `first` (which makes its record), then through each stage in turn, each
 * line on its own: a line's stage starts when that line's previous stage is done. Concurrency is
 * each stage's own (a Limiter inside it). Resolves with the records, in the items' order, once
 * every line has been through every stage.
 */
export async function eachLine<T, R>(
  items: readonly T[],
  first: (item: T, index: number) => Promise<R>,
  stages: readonly LineStage<R>[],
): Promise<R[]> {
  return Promise.all(
    items.map(async (item, index) => {
      const record = await first(item, index);
      for (const stage of stages) await stage(record);
      return record;
    }),
  );
}

/**
 * At most `limit` holders at once; the others wait in the order they asked. The limit can be
 * lowered (or raised) while running: holders keep their slot, new ones wait until fewer than the
 * new limit hold one.
 */
export class Limiter {
  private active = 0;
  /** Waiters in the order they asked, from `head` on (a plain array shift is O(n) when long). */
  private queue: Waiter[] = [];
  private head = 0;
  /** One abort listener per signal, not per waiter: 200,000 lines wait on the run's signal. */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private max: number) {
    this.max = Math.max(1, Math.floor(max));
  }

  get limit(): number {
    return this.max;
  }

  /** Holders now. */
  get running(): number {
    return this.active;
  }

  setLimit(limit: number): void {
    this.max = Math.max(1, Math.floor(limit));
    this.drain();
  }

  /** A slot; rejects (AbortError) when the signal aborts first. Call the returned release once. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      if (signal) this.watch(signal);
      this.queue.push({ resolve, reject, signal });
      this.drain();
    });
  }

  /** fn in a slot. */
  async run<V>(fn: () => Promise<V>, signal?: AbortSignal): Promise<V> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private watch(signal: AbortSignal): void {
    if (this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        const waiting = this.queue.slice(this.head);
        this.queue = waiting.filter((w) => w.signal !== signal);
        this.head = 0;
        for (const w of waiting) if (w.signal === signal) w.reject(abortError());
      },
      { once: true },
    );
  }

  private drain(): void {
    while (this.active < this.max && this.head < this.queue.length) {
      const w = this.queue[this.head] as Waiter;
      this.queue[this.head++] = undefined as unknown as Waiter; // let it go
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.active++;
      let released = false;
      w.resolve(() => {
        if (released) return;
        released = true;
        this.active--;
        this.drain();
      });
    }
  }
}

/** What waits for a slot: a Limiter, or one line's share of it (LineSlots). */
export type Slots = Pick<Limiter, 'acquire'>;

/**
 * One slot of `limiter` per line, however many imports the line has in flight at once (its image
 * and the signatures carried with it): the line's first acquire takes a slot, the others share
 * it, and the last release gives it back.
 */
export class LineSlots<K extends object> {
  private readonly held = new Map<K, { holders: number; slot: Promise<() => void> }>();

  constructor(private readonly limiter: Slots) {}

  /** The slots of one line. */
  for(line: K): Slots {
    return { acquire: (signal) => this.acquire(line, signal) };
  }

  private async acquire(line: K, signal?: AbortSignal): Promise<() => void> {
    let shared = this.held.get(line);
    if (!shared) {
      const entry = { holders: 0, slot: this.limiter.acquire(signal) };
      shared = entry;
      this.held.set(line, entry);
      entry.slot.catch(() => this.held.get(line) === entry && this.held.delete(line));
    }
    const entry = shared;
    entry.holders++;
    let release: () => void;
    try {
      release = await entry.slot;
    } catch (err) {
      entry.holders--;
      throw err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--entry.holders > 0) return;
      if (this.held.get(line) === entry) this.held.delete(line);
      release();
    };
  }
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
}

/**
 * Opens once `count` arrivals have been counted, after `onOpen` has run (awaited): lines that must
 * wait for others (every docker.io line decided before the first docker.io import) arrive, then
 * wait. A count of 0 is open at once.
 */
export class Countdown {
  private left: number;
  private open: () => void = () => undefined;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));

  constructor(
    count: number,
    private readonly onOpen: () => Promise<void> | void = () => undefined,
  ) {
    this.left = count;
    if (count <= 0) void this.fire();
  }

  arrive(): void {
    if (--this.left === 0) void this.fire();
  }

  wait(): Promise<void> {
    return this.opened;
  }

  private async fire(): Promise<void> {
    try {
      await this.onOpen();
    } catch {
      // onOpen is best effort (a warning): the lines waiting go on either way
    } finally {
      this.open();
    }
  }
}
