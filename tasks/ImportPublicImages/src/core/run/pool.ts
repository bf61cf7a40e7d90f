// A bounded worker pool for reads (the registry clients' digest checks and listings). Pure: I/O
// comes from the `fn` callback.

/**
 * The one worker pool: runs fn over items with at most `limit` at once, in order of index, and
 * keeps the results in that order. Once `signal` aborts, no new item starts (its result stays
 * undefined).
 */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<(R | undefined)[]> {
  // Filled, not sparse: map() skips holes, and an item never started must still be mapped.
  const out: (R | undefined)[] = Array.from(items, () => undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
