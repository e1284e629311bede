// Backend for OpenAI-compatible chat-completions servers (llama.cpp server, vLLM, Ollama,
// OpenRouter, OpenAI). Sends the dialect text verbatim, streams the raw assistant text back,
// retries only while nothing has reached the caller, and reports every failure as a final
// `error` event whose message names the fix. Server differences are capability flags.
//
// Timeouts: `connectMs` bounds the TCP connect; `firstTokenMs` bounds the time from sending
// the request to the first text token (streaming) or first body byte (non-streaming), so it
// must cover prompt processing; `idleMs` bounds each gap between body chunks after that.
// Abort: the stream ends with `finish { reason: 'aborted' }` carrying the text so far.
import { backoffDelay } from '../backoff.js';
import { createParser } from 'eventsource-parser';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request as httpRequest, type Dispatcher } from 'undici';
import { LocoError, toLocoError } from '../errors.js';
import type { Backend, BackendEvent, BackendInfo, BackendRequest, FinishReason } from './types.js';
import {
  buildChatBody,
  completeUsage,
  errorFromAnswer,
  excerpt,
  readStreamData,
  readWholeAnswer,
  retryAfterMs,
  type ServerCapabilities,
  type StreamState,
} from './openai-wire.js';

export type { CacheReport, ServerCapabilities } from './openai-wire.js';

export type ServerKind = 'llamacpp' | 'vllm' | 'ollama' | 'openrouter' | 'openai';

export const serverPresets: Readonly<Record<ServerKind, Readonly<ServerCapabilities>>> = Object.freeze({
  llamacpp: Object.freeze({ sendsTopK: true, streamUsage: true, cacheReport: 'timings', readsProps: true }),
  vllm: Object.freeze({ sendsTopK: true, streamUsage: true, cacheReport: 'prompt-tokens-details', readsProps: false }),
  // Ollama's OpenAI endpoint has no top_k and reports no cache use.
  ollama: Object.freeze({ sendsTopK: false, streamUsage: true, cacheReport: 'none', readsProps: false }),
  openrouter: Object.freeze({ sendsTopK: true, streamUsage: true, cacheReport: 'prompt-tokens-details', readsProps: false }),
  openai: Object.freeze({ sendsTopK: false, streamUsage: true, cacheReport: 'prompt-tokens-details', readsProps: false }),
});

export interface BackendTimeouts {
  connectMs: number;
  firstTokenMs: number;
  idleMs: number;
}

export interface RetryPolicy {
  /** Retries after the first attempt (so up to maxRetries + 1 requests). */
  maxRetries: number;
  /** First backoff; doubles each retry, with jitter in [half, full]. */
  baseDelayMs: number;
  /** Cap on any single wait, Retry-After included. */
  maxDelayMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<BackendTimeouts> = Object.freeze({ connectMs: 5_000, firstTokenMs: 300_000, idleMs: 60_000 });
export const DEFAULT_RETRIES: Readonly<RetryPolicy> = Object.freeze({ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000 });
export const DEFAULT_MODEL = 'LocoOperator-4B';

export interface OpenAICompatibleOptions {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:8080/v1. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; never written to messages or logs. */
  apiKey?: string;
  /** Model to ask for when the request names none (llama.cpp ignores it). */
  model?: string;
  /** Defaults to serverPresets.llamacpp. */
  capabilities?: ServerCapabilities;
  /** Stream the answer (default true). */
  stream?: boolean;
  timeouts?: Partial<BackendTimeouts>;
  retries?: Partial<RetryPolicy>;
  /** Extra request headers, e.g. OpenRouter's HTTP-Referer / X-Title. */
  headers?: Record<string, string>;
}

/** How one HTTP attempt ended: its final event was yielded, or it may be retried. */
type AttemptOutcome = { kind: 'done' } | { kind: 'retry'; error: LocoError; waitMs?: number };

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const MAX_ERROR_BODY = 64 * 1024;

export function createOpenAICompatibleBackend(options: OpenAICompatibleOptions): Backend {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const endpoint = `${baseUrl}/chat/completions`;
  const capabilities = options.capabilities ?? serverPresets.llamacpp;
  const timeouts: BackendTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const retries: RetryPolicy = { ...DEFAULT_RETRIES, ...options.retries };
  const streaming = options.stream ?? true;
  const apiKey = options.apiKey;
  // Undici's own header/body timeouts are off: the watchdog below implements ours.
  const agent = new Agent({ connect: { timeout: timeouts.connectMs }, headersTimeout: 0, bodyTimeout: 0 });
  const info: BackendInfo = { description: `openai-compatible ${baseUrl}` };
  let propsRead: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  const headers: Record<string, string> = { 'content-type': 'application/json', accept: streaming ? 'text/event-stream' : 'application/json', ...options.headers };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  /** Server text may echo the key back (some servers quote it in 401 answers). */
  function redact(error: LocoError): LocoError {
    if (!apiKey || !error.message.includes(apiKey)) return error;
    return new LocoError(error.code, error.message.split(apiKey).join('[redacted]'), { status: error.status, retryable: error.retryable });
  }

  /** llama.cpp reports its context size at GET /props; read once, failures ignored (optional info). */
  function readProps(): Promise<void> {
    propsRead ??= (async () => {
      const propsUrl = `${baseUrl.replace(/\/v1$/, '')}/props`;
      const response = await httpRequest(propsUrl, { dispatcher: agent, method: 'GET', headers, signal: AbortSignal.timeout(timeouts.connectMs) });
      const text = await response.body.text();
      if (response.statusCode !== 200) return;
      const props: unknown = JSON.parse(text);
      const settings = typeof props === 'object' && props !== null ? (props as Record<string, unknown>) : {};
      const generation = settings.default_generation_settings;
      const fromSettings = typeof generation === 'object' && generation !== null ? (generation as Record<string, unknown>).n_ctx : undefined;
      const size = fromSettings ?? settings.n_ctx;
      if (typeof size === 'number' && size > 0) info.contextSize = size;
    })().catch(() => undefined);
    return propsRead;
  }

  function connectionFailure(error: unknown): LocoError {
    const code = errorCode(error);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new LocoError('backend-timeout', `could not connect to ${baseUrl} within ${timeouts.connectMs} ms: is the server running? start llama.cpp server or pass --backend URL`, { retryable: true, cause: error });
    }
    if (code !== undefined && CONNECTION_CODES.has(code)) {
      return new LocoError('backend-unreachable', `cannot reach ${baseUrl} (${code}): is the server running? start llama.cpp server or pass --backend URL`, { retryable: true, cause: error });
    }
    return new LocoError('backend-unreachable', `request to ${endpoint} failed: ${error instanceof Error ? error.message : String(error)}`, { retryable: true, cause: error });
  }

  async function* attempt(request: BackendRequest, payload: string, signal: AbortSignal | undefined): AsyncGenerator<BackendEvent, AttemptOutcome> {
    const controller = new AbortController();
    const forwardAbort = (): void => controller.abort();
    signal?.addEventListener('abort', forwardAbort, { once: true });
    const watchdog = createWatchdog(controller, timeouts);
    let text = '';
    const aborted = (): BackendEvent => ({ type: 'finish', reason: 'aborted', usage: completeUsage({}, request, text), text });
    try {
      let response: Dispatcher.ResponseData;
      try {
        response = await httpRequest(endpoint, { dispatcher: agent, method: 'POST', headers, body: payload, signal: controller.signal });
      } catch (error) {
        if (signal?.aborted) return yield* finalEvent(aborted());
        if (watchdog.fired) return yield* finalEvent({ type: 'error', error: watchdog.error(endpoint) });
        return { kind: 'retry', error: connectionFailure(error) };
      }

      try {
        if (response.statusCode < 200 || response.statusCode > 299) {
          const body = await readText(response.body, watchdog, MAX_ERROR_BODY);
          const error = redact(errorFromAnswer(response.statusCode, body, endpoint));
          if (error.retryable && error.code === 'backend-http') return { kind: 'retry', error, waitMs: retryAfterMs(response.headers) };
          return yield* finalEvent({ type: 'error', error });
        }
        const contentType = String(response.headers['content-type'] ?? '');
        if (contentType.includes('text/html')) {
          const body = await readText(response.body, watchdog, 2048);
          return yield* finalEvent({ type: 'error', error: new LocoError('backend-protocol', `${endpoint} answered an HTML page, not a chat completion: ${excerpt(body)} (is the base URL an OpenAI-compatible /v1 endpoint?)`) });
        }
        // Some servers ignore `stream: true`; a JSON answer is then read as a whole.
        if (!streaming || contentType.includes('application/json')) {
          const body = await readText(response.body, watchdog, Number.POSITIVE_INFINITY);
          const answer = readWholeAnswer(body, capabilities.cacheReport, endpoint);
          if (answer instanceof LocoError) return yield* finalEvent({ type: 'error', error: redact(answer) });
          text = answer.text;
          if (text !== '') yield { type: 'text-delta', text };
          return yield* finalEvent({ type: 'finish', reason: finishReasonOf(answer.finishReason), usage: completeUsage(answer.usage, request, text), text });
        }

        const state: StreamState = { usage: {}, done: false, events: 0 };
        const datas: string[] = [];
        const parser = createParser({ onEvent: (event) => datas.push(event.data) });
        const decoder = new TextDecoder();
        let head = '';
        const consume = function* (): Generator<BackendEvent, LocoError | undefined> {
          for (const data of datas.splice(0)) {
            const step = readStreamData(data, state, capabilities.cacheReport, endpoint);
            if ('error' in step) return redact(step.error);
            for (const delta of step.deltas) {
              text += delta;
              watchdog.firstToken();
              yield { type: 'text-delta', text: delta };
            }
            if (state.finishReason !== undefined || state.done) watchdog.firstToken();
            if (state.done) return undefined;
          }
          return undefined;
        };
        for await (const part of response.body as AsyncIterable<Buffer>) {
          watchdog.touch();
          const decoded = decoder.decode(part, { stream: true });
          if (head.length < 300) head += decoded.slice(0, 300);
          parser.feed(decoded);
          const error = yield* consume();
          if (error) return yield* finalEvent({ type: 'error', error });
          if (state.done) break;
        }
        // A last event may lack its closing blank line.
        parser.feed(`${decoder.decode()}\n\n`);
        const error = yield* consume();
        if (error) return yield* finalEvent({ type: 'error', error });
        if (state.done || state.finishReason !== undefined) {
          return yield* finalEvent({ type: 'finish', reason: finishReasonOf(state.finishReason), usage: completeUsage(state.usage, request, text), text });
        }
        if (state.events === 0) {
          return yield* finalEvent({ type: 'error', error: new LocoError('backend-protocol', `${endpoint} did not answer with server-sent events: ${excerpt(head)} (is the base URL an OpenAI-compatible /v1 endpoint?)`) });
        }
        return yield* finalEvent({ type: 'error', error: new LocoError('backend-protocol', `the stream from ${endpoint} ended before the answer finished (no finish_reason, no [DONE]) after ${text.length} characters`, { retryable: true }) });
      } catch (error) {
        if (signal?.aborted) return yield* finalEvent(aborted());
        if (watchdog.fired) return yield* finalEvent({ type: 'error', error: watchdog.error(endpoint) });
        if (text === '') return { kind: 'retry', error: connectionFailure(error) };
        const cause = errorCode(error) ?? (error instanceof Error ? error.message : String(error));
        return yield* finalEvent({ type: 'error', error: new LocoError('backend-unreachable', `the connection to ${baseUrl} broke mid-answer after ${text.length} characters (${cause})`, { retryable: true, cause: error }) });
      }
    } finally {
      watchdog.clear();
      signal?.removeEventListener('abort', forwardAbort);
    }
  }

  async function* run(request: BackendRequest, signal: AbortSignal | undefined): AsyncGenerator<BackendEvent> {
    const abortedEarly: BackendEvent = { type: 'finish', reason: 'aborted', usage: completeUsage({}, request, ''), text: '' };
    if (signal?.aborted) return yield abortedEarly;
    if (closing) return yield { type: 'error', error: new LocoError('internal', `the backend for ${baseUrl} is closed`) };
    if (capabilities.readsProps) await readProps();
    const payload = JSON.stringify(buildChatBody(request, request.model ?? options.model ?? DEFAULT_MODEL, capabilities, streaming));
    for (let retry = 0; ; retry += 1) {
      const outcome = yield* attempt(request, payload, signal);
      if (outcome.kind === 'done') return;
      if (retry >= retries.maxRetries) {
        const { error } = outcome;
        const suffix = retries.maxRetries > 0 ? ` (gave up after ${retries.maxRetries} retries)` : '';
        return yield { type: 'error', error: new LocoError(error.code, `${error.message}${suffix}`, { status: error.status, retryable: error.retryable, cause: error }) };
      }
      const backoff = backoffDelay(retry + 1, retries);
      try {
        await sleep(Math.min(retries.maxDelayMs, outcome.waitMs ?? backoff), undefined, { signal });
      } catch {
        return yield abortedEarly;
      }
    }
  }

  return {
    info,
    async *stream(request, signal) {
      try {
        yield* run(request, signal);
      } catch (error) {
        // The contract: never throw. Anything unexpected becomes the final event.
        yield { type: 'error', error: redact(toLocoError(error)) };
      }
    },
    close() {
      closing ??= agent.destroy().catch(() => undefined);
      return closing;
    },
  };
}

/** Yields the attempt's final event and reports the attempt as done. */
function* finalEvent(event: BackendEvent): Generator<BackendEvent, AttemptOutcome> {
  yield event;
  return { kind: 'done' };
}

function finishReasonOf(reason: string | undefined): FinishReason {
  return reason === 'length' ? 'length' : 'stop';
}

function errorCode(error: unknown): string | undefined {
  // Connect failures arrive as the error itself, its cause, or an AggregateError of attempts.
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    if (typeof current !== 'object') return undefined;
    const { code } = current as { code?: unknown };
    if (typeof code === 'string') return code;
    const nested = current as { cause?: unknown; errors?: unknown };
    current = Array.isArray(nested.errors) && nested.errors.length > 0 ? nested.errors[0] : nested.cause;
  }
  return undefined;
}

interface Watchdog {
  readonly fired: 'first-token' | 'idle' | undefined;
  /** The first token (or non-streaming body byte) arrived: switch to idle timing. */
  firstToken(): void;
  /** Body bytes arrived: restart the idle timer once past the first token. */
  touch(): void;
  error(endpoint: string): LocoError;
  clear(): void;
}

function createWatchdog(controller: AbortController, timeouts: BackendTimeouts): Watchdog {
  let fired: 'first-token' | 'idle' | undefined;
  let phase: 'first-token' | 'idle' = 'first-token';
  const arm = (ms: number): NodeJS.Timeout =>
    setTimeout(() => {
      fired = phase;
      controller.abort();
    }, ms);
  let timer = arm(timeouts.firstTokenMs);
  return {
    get fired() {
      return fired;
    },
    firstToken() {
      if (phase === 'idle') return;
      phase = 'idle';
      clearTimeout(timer);
      timer = arm(timeouts.idleMs);
    },
    touch() {
      if (phase !== 'idle') return;
      clearTimeout(timer);
      timer = arm(timeouts.idleMs);
    },
    error(endpoint) {
      const message =
        fired === 'idle'
          ? `${endpoint} stopped sending for ${timeouts.idleMs} ms mid-answer`
          : `${endpoint} sent no token within ${timeouts.firstTokenMs} ms: the server may be overloaded or still processing a long prompt (raise the first-token timeout)`;
      return new LocoError('backend-timeout', message, { retryable: true });
    },
    clear() {
      clearTimeout(timer);
    },
  };
}

/** Reads a body as text up to `limit` characters; a non-streaming body's first byte counts as its first token. */
async function readText(body: AsyncIterable<Buffer>, watchdog: Watchdog, limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const part of body) {
    watchdog.firstToken();
    watchdog.touch();
    text += decoder.decode(part, { stream: true });
    if (text.length >= limit) break;
  }
  return text + decoder.decode();
}
