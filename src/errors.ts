// Typed errors shared by every layer: a stable `code`, whether a retry may help, and a
// message that names the fix. The CLI prints `message` alone; no stack traces for users.

export type LocoErrorCode =
  | 'usage' // bad flags or arguments (exit 2)
  | 'config' // bad configuration file or environment
  | 'backend-unreachable' // connection refused, DNS failure
  | 'backend-http' // non-2xx answer from a backend
  | 'backend-protocol' // the backend answered something we cannot read
  | 'backend-timeout'
  | 'context-overflow'
  | 'aborted'
  | 'io'
  | 'internal';

export class LocoError extends Error {
  readonly code: LocoErrorCode;
  readonly retryable: boolean;
  /** HTTP status when the error came from an HTTP answer. */
  readonly status?: number;

  constructor(code: LocoErrorCode, message: string, options: { retryable?: boolean; status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocoError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
  }
}

/** Wraps anything thrown into a LocoError without losing an existing code. */
export function toLocoError(error: unknown, fallbackCode: LocoErrorCode = 'internal'): LocoError {
  if (error instanceof LocoError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new LocoError('aborted', 'aborted', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new LocoError(fallbackCode, message, { cause: error });
}
