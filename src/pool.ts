// A fixed pool of workers over a source of items: the one concurrency limit of batch
// queries and eval generations (and, later, any runner that drains a queue).

/**
 * Runs `work` on items taken from `next` with at most `concurrency` in flight. Items are
 * taken in order as workers free up; none is taken once `signal` aborted. Resolves when the
 * source is empty (undefined) and every started item is done.
 */
export async function runPool<T>(next: () => T | undefined | Promise<T | undefined>, concurrency: number, work: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  async function worker(): Promise<void> {
    while (!signal?.aborted) {
      const item = await next();
      if (item === undefined) return;
      await work(item);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
