// Exponential backoff with jitter, for everything that retries (backend requests, batch
// queries, model downloads): a random wait between half and all of the bound, so clients
// that failed together (a backend restart) do not all come back at the same moment.

export interface BackoffPolicy {
  /** The first retry's bound; each further retry doubles it. */
  baseDelayMs: number;
  /** Longest bound. */
  maxDelayMs: number;
}

/** The wait before retry number `retry` (counting from 1). `random` in [0, 1); `() => 1` turns jitter off. */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(bound * (0.5 + random() / 2));
}
