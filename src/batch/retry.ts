// When and how long a batch waits before running a failed query again, and the per-query
// signal that ends it on Ctrl-C or on its time limit.
import type { LocoError } from '../errors.js';

/** How often a whole query runs again (not to be confused with a backend's own request retries). */
export interface BatchRetryPolicy {
  /** Retries after the first attempt (default 2). */
  retries: number;
  /** First backoff; each retry doubles it (default 1000 ms). */
  baseDelayMs: number;
  /** Longest backoff (default 30 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<BatchRetryPolicy> = Object.freeze({ retries: 2, baseDelayMs: 1_000, maxDelayMs: 30_000 });

/**
 * A query is worth running again when its backend failed (unreachable, HTTP error, garbled
 * stream, timeout) or said a retry may help. Bad usage, a full context or a broken tool will
 * fail the same way again.
 */
export function isRetryableFailure(error: LocoError): boolean {
  return error.retryable || error.code.startsWith('backend-');
}

export { backoffDelay } from '../backoff.js';

/** Waits `ms`; resolves false at once if the signal aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      resolve(false);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface QuerySignal {
  signal: AbortSignal;
  /** The time limit, not the batch, ended the query. */
  timedOut(): boolean;
  /** Stops the timer and detaches from the batch signal. */
  dispose(): void;
}

/**
 * The batch's signal plus an optional time limit. Built by hand rather than with
 * AbortSignal.any: the batch signal outlives thousands of queries, and each must let go of it.
 */
export function createQuerySignal(batch: AbortSignal | undefined, timeoutMs: number | undefined): QuerySignal {
  const controller = new AbortController();
  let expired = false;
  const onBatchAbort = () => controller.abort(batch?.reason);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          if (controller.signal.aborted) return;
          expired = true;
          controller.abort(new Error(`timed out after ${timeoutMs / 1000} s`));
        }, timeoutMs);
  if (batch?.aborted) controller.abort(batch.reason);
  else batch?.addEventListener('abort', onBatchAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      batch?.removeEventListener('abort', onBatchAbort);
    },
  };
}
