// The OpenAI chat-completions wire format, kept pure (no I/O) so it can be tested alone:
// the request body, reading one streamed chunk or a whole answer, usage in both cache
// report styles, and turning an HTTP error answer into a LocoError that names the fix.
import { LocoError } from '../errors.js';
import type { BackendRequest } from './types.js';
import type { Usage } from '../protocol/messages.js';

/** Where a server reports prompt tokens served from its cache. */
export type CacheReport =
  /** `usage.prompt_tokens_details.cached_tokens`: vLLM, OpenAI, OpenRouter. */
  | 'prompt-tokens-details'
  /** llama.cpp's `timings.cache_n` (falling back to prompt_tokens_details when timings are absent). */
  | 'timings'
  | 'none';

/** Differences between OpenAI-compatible servers, as flags rather than URL checks. */
export interface ServerCapabilities {
  /** The server accepts `top_k` (llama.cpp, vLLM, OpenRouter); plain OpenAI rejects it. */
  sendsTopK: boolean;
  /** Ask for a final usage chunk with `stream_options.include_usage`. */
  streamUsage: boolean;
  cacheReport: CacheReport;
  /** llama.cpp's GET /props reports the context size (`n_ctx`). */
  readsProps: boolean;
}

/** Token counts as a server reported them; a missing field is estimated later. */
export type UsageReport = Partial<Usage>;

export function buildChatBody(request: BackendRequest, model: string, capabilities: ServerCapabilities, stream: boolean): Record<string, unknown> {
  const { sampling } = request;
  const body: Record<string, unknown> = {
    model,
    // Verbatim dialect text: the server's chat template renders ChatML around it.
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    temperature: sampling.temperature,
    top_p: sampling.topP,
    max_tokens: sampling.maxTokens,
    stream,
  };
  if (capabilities.sendsTopK) body.top_k = sampling.topK;
  if (stream && capabilities.streamUsage) body.stream_options = { include_usage: true };
  return body;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberAt(value: unknown, key: string): number | undefined {
  if (!isRecord(value)) return undefined;
  const found = value[key];
  return typeof found === 'number' && Number.isFinite(found) ? found : undefined;
}

/** Merges the usage a chunk (or a whole answer) reports into `report`. */
export function mergeUsage(report: UsageReport, payload: Record<string, unknown>, cacheReport: CacheReport): void {
  const usage = payload.usage;
  if (isRecord(usage)) {
    report.promptTokens = numberAt(usage, 'prompt_tokens') ?? report.promptTokens;
    report.completionTokens = numberAt(usage, 'completion_tokens') ?? report.completionTokens;
    const details = numberAt(usage.prompt_tokens_details, 'cached_tokens');
    if (cacheReport === 'prompt-tokens-details') report.cachedTokens = details ?? report.cachedTokens;
    // Newer llama.cpp builds also fill the details; timings.cache_n wins whatever the chunk order.
    if (cacheReport === 'timings') report.cachedTokens ??= details;
  }
  const timings = payload.timings;
  if (isRecord(timings) && cacheReport === 'timings') {
    const cached = numberAt(timings, 'cache_n');
    const evaluated = numberAt(timings, 'prompt_n');
    report.cachedTokens = cached ?? report.cachedTokens;
    // llama.cpp's prompt_n counts only the evaluated tokens; the prompt is both parts.
    if (report.promptTokens === undefined && evaluated !== undefined) report.promptTokens = evaluated + (cached ?? 0);
    report.completionTokens ??= numberAt(timings, 'predicted_n');
  }
}

/** Fills what the server did not report with the ceil(chars / 4) estimate the fake also uses. */
export function completeUsage(report: UsageReport, request: BackendRequest, text: string): Usage {
  const promptChars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
  return {
    promptTokens: report.promptTokens ?? Math.ceil(promptChars / 4),
    cachedTokens: report.cachedTokens ?? 0,
    completionTokens: report.completionTokens ?? Math.ceil(text.length / 4),
  };
}

/** What the stream has said so far, updated chunk by chunk. */
export interface StreamState {
  finishReason?: string;
  usage: UsageReport;
  /** `data: [DONE]` arrived. */
  done: boolean;
  /** Number of `data:` events read. */
  events: number;
}

export type ChunkStep = { deltas: string[] } | { error: LocoError };

/** Reads one SSE `data:` payload of a chat-completions stream. */
export function readStreamData(data: string, state: StreamState, cacheReport: CacheReport, endpoint: string): ChunkStep {
  state.events += 1;
  if (data.trim() === '[DONE]') {
    state.done = true;
    return { deltas: [] };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return { error: new LocoError('backend-protocol', `${endpoint} streamed data that is not JSON: ${excerpt(data)}`) };
  }
  if (!isRecord(payload)) return { error: notChatCompletion(endpoint, data) };
  // Servers report failures inside an already-started stream as an `error` object.
  if (payload.error !== undefined) return { error: errorFromAnswer(undefined, payload, endpoint) };
  const choices = payload.choices;
  if (!Array.isArray(choices)) {
    if (isRecord(payload.usage) || isRecord(payload.timings)) {
      mergeUsage(state.usage, payload, cacheReport);
      return { deltas: [] };
    }
    return { error: notChatCompletion(endpoint, data) };
  }
  mergeUsage(state.usage, payload, cacheReport);
  const deltas: string[] = [];
  const choice: unknown = choices[0];
  if (isRecord(choice)) {
    const content = isRecord(choice.delta) ? choice.delta.content : undefined;
    if (typeof content === 'string' && content !== '') deltas.push(content);
    if (typeof choice.finish_reason === 'string') {
      if (choice.finish_reason === 'error') return { error: new LocoError('backend-http', `${endpoint} stopped the answer with an error mid-stream`, { retryable: true }) };
      state.finishReason = choice.finish_reason;
    }
  }
  return { deltas };
}

export interface WholeAnswer {
  text: string;
  finishReason?: string;
  usage: UsageReport;
}

/** Reads a non-streaming chat-completions answer. */
export function readWholeAnswer(body: string, cacheReport: CacheReport, endpoint: string): WholeAnswer | LocoError {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return new LocoError('backend-protocol', `${endpoint} answered something that is not JSON: ${excerpt(body)}`);
  }
  if (!isRecord(payload)) return notChatCompletion(endpoint, body);
  if (payload.error !== undefined) return errorFromAnswer(undefined, payload, endpoint);
  const choice: unknown = Array.isArray(payload.choices) ? payload.choices[0] : undefined;
  if (!isRecord(choice) || !isRecord(choice.message)) return notChatCompletion(endpoint, body);
  const content = choice.message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') return notChatCompletion(endpoint, body);
  const usage: UsageReport = {};
  mergeUsage(usage, payload, cacheReport);
  return { text: content ?? '', finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined, usage };
}

function notChatCompletion(endpoint: string, raw: string): LocoError {
  return new LocoError('backend-protocol', `${endpoint} answered something that is not a chat completion: ${excerpt(raw)} (is the base URL an OpenAI-compatible /v1 endpoint?)`);
}

/** The readable part of an error answer: `error.message`, `error` as text, `message`, `detail`. */
function errorMessageOf(payload: Record<string, unknown>): { message?: string; type?: string; code?: string } {
  const error = payload.error;
  const pick = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);
  if (isRecord(error)) return { message: pick(error.message), type: pick(error.type), code: pick(error.code) };
  return { message: pick(error) ?? pick(payload.message) ?? pick(payload.detail) };
}

const OVERFLOW_PATTERN = /context (size|length|window)|maximum context|too many tokens|prompt is too long/i;

/**
 * Turns an error answer (HTTP status, or an error object inside a 200 stream when status is
 * undefined) into a LocoError. `rawOrPayload` is the body text or its parsed object.
 */
export function errorFromAnswer(status: number | undefined, rawOrPayload: string | Record<string, unknown>, endpoint: string): LocoError {
  let payload: Record<string, unknown> | undefined;
  if (typeof rawOrPayload === 'string') {
    try {
      const parsed: unknown = JSON.parse(rawOrPayload);
      if (isRecord(parsed)) payload = parsed;
    } catch {
      payload = undefined;
    }
  } else {
    payload = rawOrPayload;
  }
  const found = payload ? errorMessageOf(payload) : {};
  const detail = excerpt(found.message ?? (typeof rawOrPayload === 'string' ? rawOrPayload : JSON.stringify(rawOrPayload)));
  const where = status === undefined ? `${endpoint} sent an error inside the stream` : `${endpoint} answered HTTP ${status}`;
  const overflow =
    found.type === 'exceed_context_size_error' ||
    found.code === 'context_length_exceeded' ||
    ((status === undefined || status === 400 || status === 413) && OVERFLOW_PATTERN.test(found.message ?? ''));
  if (overflow) {
    return new LocoError('context-overflow', `${where}: ${detail}: the conversation no longer fits the model's context; start the server with a larger context (llama-server -c N) or give the task less to read`, { status });
  }
  const retryable = status === undefined || status === 408 || status === 429 || status >= 500;
  let hint = '';
  if (status === 401 || status === 403) hint = ': check the API key (set LOCO_API_KEY or OPENAI_API_KEY)';
  else if (status === 404) hint = ': check the base URL, which should end in /v1, and the model name';
  return new LocoError('backend-http', `${where}: ${detail}${hint}`, { status, retryable });
}

/** A short single-line excerpt; HTML tags are dropped so proxies' error pages read well. */
export function excerpt(text: string, limit = 200): string {
  let flat = text;
  if (/^\s*</.test(flat)) flat = flat.replace(/<[^>]*>/g, ' ');
  flat = flat.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
}

/** Milliseconds a 429/503 answer asks us to wait: `retry-after-ms`, then `retry-after` (seconds or a date). */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
  const milliseconds = Number.parseFloat(first(headers['retry-after-ms']) ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const raw = first(headers['retry-after']);
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
