// Awaits a condition with a deadline, for state that no event announces (files another
// process writes, counters a server keeps). Checks often; fails naming what it waited for.
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves with the first truthy value `check` returns; rejects after `ms` with `what`.
 * `check` may be async; a throwing check counts as not yet.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: { ms?: number; what?: string | (() => string) } = {}): Promise<NonNullable<T>> {
  const ms = options.ms ?? 3_000;
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'the condition');
      throw new Error(`${what} not met within ${ms} ms`);
    }
    await sleep(10);
  }
}
