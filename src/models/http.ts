// HTTP plumbing shared by the hub listing and the download: one undici dispatcher that follows
// redirects (the hub answers downloads with a redirect to its CDN; undici drops Authorization
// when a redirect leaves the origin), the hub endpoint and token from the environment, and the
// mapping of network failures to LocoErrors that say what to do next.
import { Agent, interceptors, type Dispatcher } from 'undici';
import { LocoError } from '../errors.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
const MAX_REDIRECTIONS = 5;
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/**
 * No name, no route, nobody listening, or no connection at all: trying again a second later
 * gives the same answer, so these fail at once instead of being retried.
 */
const HOPELESS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** Name lookup plus TCP (and TLS) connect; a reachable hub or CDN takes well under a second. */
export const CONNECT_TIMEOUT_MS = 5_000;

export interface HttpOptions {
  /** Give up on a connection that sends nothing for this long (headers or body); default 30 s. */
  idleTimeoutMs?: number;
  /** Hub base URL; default LOCO_HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Bearer token for the hub; default HF_TOKEN. Sent only to the hub's own origin. */
  token?: string;
}

export interface HttpClient {
  dispatcher: Dispatcher;
  endpoint: string;
  /** Headers for a request to `url`: the token only when `url` is on the hub's origin. */
  headersFor(url: string, extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/** The hub endpoint without a trailing slash: LOCO_HF_ENDPOINT, else huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv): string {
  const configured = env.LOCO_HF_ENDPOINT?.trim();
  return (configured === undefined || configured === '' ? DEFAULT_HUB_ENDPOINT : configured).replace(/\/+$/, '');
}

export function createHttpClient(env: NodeJS.ProcessEnv, options: HttpOptions = {}): HttpClient {
  const idle = options.idleTimeoutMs ?? 30_000;
  const endpoint = (options.endpoint ?? hubEndpoint(env)).replace(/\/+$/, '');
  const token = options.token ?? env.HF_TOKEN?.trim();
  let hubOrigin: string | undefined;
  try {
    hubOrigin = new URL(endpoint).origin;
  } catch {
    throw new LocoError('config', `LOCO_HF_ENDPOINT is not a URL: ${JSON.stringify(endpoint)} (unset it to use ${DEFAULT_HUB_ENDPOINT})`);
  }
  // headersTimeout and bodyTimeout are undici's per-read idle timers: a stalled CDN connection
  // fails after `idle` ms instead of hanging a multi-gigabyte download forever.
  // The connect timer also covers the name lookup, so a resolver that never answers fails fast.
  const agent = new Agent({ connect: { timeout: Math.min(idle, CONNECT_TIMEOUT_MS) }, headersTimeout: idle, bodyTimeout: idle });
  const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }));
  return {
    dispatcher,
    endpoint,
    headersFor(url, extra = {}) {
      const headers: Record<string, string> = { 'user-agent': 'loco-operator/0.1 (model download)', ...extra };
      if (token && new URL(url).origin === hubOrigin) headers.authorization = `Bearer ${token}`;
      return headers;
    },
    close: () => agent.close(),
  };
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || errorCode(error) === 'UND_ERR_ABORTED' || errorCode(error) === 'ABORT_ERR');
}

/** A network failure while talking to `url`, as a LocoError naming the fixes; retryable unless hopeless. */
export function networkError(url: string, error: unknown, idleTimeoutMs: number, fromHub = true): LocoError {
  if (error instanceof LocoError) return error;
  const code = errorCode(error);
  const origin = safeOrigin(url);
  const fixes = `check the network ${fromHub ? 'or set LOCO_HF_ENDPOINT' : 'and the URL'}, or download the file yourself and pass --backend gguf:<path>`;
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new LocoError('backend-timeout', `${origin} sent nothing for ${formatWait(idleTimeoutMs)}: ${fixes}`, { retryable: true, cause: error });
  }
  const reason = code === 'UND_ERR_CONNECT_TIMEOUT' ? `no connection within ${formatWait(CONNECT_TIMEOUT_MS)}` : failureReason(error);
  const kind = code !== undefined && CONNECTION_CODES.has(code) ? 'cannot reach' : 'request failed to';
  const retryable = code === undefined || !HOPELESS_CODES.has(code);
  return new LocoError('backend-unreachable', `${kind} ${origin} (${reason}): ${fixes}`, { retryable, cause: error });
}

export function formatWait(milliseconds: number): string {
  return milliseconds < 1000 ? `${milliseconds} ms` : `${Math.round(milliseconds / 1000)} s`;
}

/** A short reason for a failure: the system or undici code when there is one. */
export function failureReason(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
