// One chat completion over the engine, independent of HTTP: the validated OpenAI request
// becomes an engine request (dialect messages, sampling, grammar), and the engine's raw text
// becomes OpenAI parts (content, tool calls) with usage and llama.cpp-style timings. `stop`
// strings and a model that starts inventing a `<tool_response>` end generation early.
import type { EmbeddedRequest, EmbeddedStats } from '../backends/embedded/index.js';
import type { BackendEvent, BackendInfo } from '../backends/types.js';
import type { LocoError } from '../errors.js';
import { DEFAULT_SAMPLING, type Usage } from '../protocol/messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import { streamTurn } from '../backends/turn-stream.js';
import { openAIToDialect, toolSignatures } from '../protocol/openai-dialect.js';
import { AssistantOutputConverter, type OpenAIToolCall } from '../protocol/openai-output.js';
import { ProtocolError } from '../protocol/protocol-error.js';
import type { RawTurnMemory } from './raw-turns.js';
import type { ChatCompletionRequest } from './chat-request.js';
import { invalidRequest } from './errors.js';

/** What the server needs of the engine: the embedded backend, or a fake in tests. */
export interface ServeEngine {
  readonly info: BackendInfo;
  stream(request: EmbeddedRequest, signal?: AbortSignal): AsyncIterable<BackendEvent>;
  load(): Promise<void>;
  stats(): EmbeddedStats;
  close(): Promise<void>;
}

export interface PreparedCompletion {
  engineRequest: EmbeddedRequest;
  /** The request has tools (and tool_choice is not 'none'): `<tool_call>` text becomes tool_calls. */
  parseToolCalls: boolean;
  stops: string[];
  stream: boolean;
  includeUsage: boolean;
}

/** Without max_tokens the answer may run to the end of the context, as with llama.cpp. */
const FALLBACK_MAX_TOKENS = 16_384;

/**
 * Builds the engine request. tool_choice 'required' or a named function forces exactly one
 * call, grammar-constrained to the tools' schemas; 'none' leaves the tools out of the prompt.
 * Throws HttpError(400) for requests that cannot be served.
 */
export function prepareCompletion(request: ChatCompletionRequest, options: { contextSize?: number; rawTurns?: RawTurnMemory }): PreparedCompletion {
  const choice = request.tool_choice ?? 'auto';
  const offered = toolSignatures(request.tools ?? []);
  if (offered.length === 0 && choice !== 'auto' && choice !== 'none') throw invalidRequest('tool_choice needs tools', 'tool_choice');
  const tools = choice === 'none' ? [] : offered;
  let forced: ToolSignature[] | undefined;
  if (choice === 'required') forced = tools;
  else if (typeof choice === 'object') {
    forced = tools.filter((tool) => tool.name === choice.function.name);
    if (forced.length === 0) throw invalidRequest(`tool_choice names "${choice.function.name}", which is not among the tools`, 'tool_choice.function.name');
  }
  const messages = dialectMessages(request, tools, options.rawTurns);
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? options.contextSize ?? FALLBACK_MAX_TOKENS;
  const engineRequest: EmbeddedRequest = {
    messages,
    sampling: {
      temperature: request.temperature ?? DEFAULT_SAMPLING.temperature,
      topP: request.top_p ?? DEFAULT_SAMPLING.topP,
      topK: request.top_k ?? DEFAULT_SAMPLING.topK,
      maxTokens,
    },
    conversationId: request.conversation_id ?? undefined,
    // llama.cpp seeds are 32-bit; OpenAI allows any integer.
    seed: request.seed === undefined || request.seed === null ? undefined : request.seed >>> 0,
    constrainToolCalls: false,
  };
  const format = request.response_format;
  if (format?.type === 'json_object') engineRequest.responseFormat = { jsonSchema: { type: 'object' } };
  else if (format?.type === 'json_schema') engineRequest.responseFormat = { jsonSchema: format.json_schema.schema ?? { type: 'object' } };
  else if (forced) {
    // The engine's own forced call (as for the proxy): a bias opens it at once, a grammar
    // (built once per tool set) keeps its JSON valid, and one call ends the turn.
    engineRequest.requiredToolCall = { tools: forced };
    delete engineRequest.constrainToolCalls;
  }
  const stop = request.stop ?? [];
  return {
    engineRequest,
    parseToolCalls: tools.length > 0 && engineRequest.responseFormat === undefined,
    stops: typeof stop === 'string' ? [stop] : stop,
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
  };
}

function dialectMessages(request: ChatCompletionRequest, tools: readonly ToolSignature[], rawTurns: RawTurnMemory | undefined) {
  try {
    return openAIToDialect(request.messages, { tools, rawAssistantText: rawTurns ? (message) => rawTurns.lookup(message) : undefined });
  } catch (error) {
    if (error instanceof ProtocolError) throw invalidRequest(error.message, error.param);
    throw error;
  }
}

/** llama.cpp server's `timings`; prompt_n counts only the evaluated prompt tokens. */
export interface LlamaTimings {
  prompt_n: number;
  prompt_ms: number;
  prompt_per_token_ms: number;
  prompt_per_second: number;
  predicted_n: number;
  predicted_ms: number;
  predicted_per_token_ms: number;
  predicted_per_second: number;
  cache_n: number;
}

/** `finish_reason` as OpenAI clients read it (the backend's own is backends/types.ts `FinishReason`). */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls';

export type CompletionEvent =
  /** The engine began answering: errors from here on arrive inside the answer. */
  | { type: 'started' }
  | { type: 'content'; text: string }
  | { type: 'tool-call'; index: number; call: OpenAIToolCall }
  | { type: 'done'; finishReason: OpenAIFinishReason; content: string; toolCalls: readonly OpenAIToolCall[]; usage: Usage; timings: LlamaTimings }
  | { type: 'error'; error: LocoError }
  /** The caller's signal aborted (client gone, server closing). */
  | { type: 'aborted'; usage: Usage };

/**
 * Times are wall-clock as the server sees them: prompt_ms runs from the request to the first
 * token (queueing included), predicted_ms from there to the end.
 */
export function llamaTimings(usage: Usage, promptMs: number, predictedMs: number): LlamaTimings {
  const evaluated = Math.max(0, usage.promptTokens - usage.cachedTokens);
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  const perToken = (ms: number, count: number): number => (count > 0 ? round(ms / count) : 0);
  const perSecond = (ms: number, count: number): number => (ms > 0 ? round((count * 1000) / ms) : 0);
  return {
    prompt_n: evaluated,
    prompt_ms: round(promptMs),
    prompt_per_token_ms: perToken(promptMs, evaluated),
    prompt_per_second: perSecond(promptMs, evaluated),
    predicted_n: usage.completionTokens,
    predicted_ms: round(predictedMs),
    predicted_per_token_ms: perToken(predictedMs, usage.completionTokens),
    predicted_per_second: perSecond(predictedMs, usage.completionTokens),
    cache_n: usage.cachedTokens,
  };
}

export async function* runCompletion(engine: ServeEngine, prepared: PreparedCompletion, signal: AbortSignal, rawTurns?: RawTurnMemory): AsyncGenerator<CompletionEvent> {
  const converter = new AssistantOutputConverter(prepared.parseToolCalls);
  const options = { parseToolCalls: prepared.parseToolCalls, stopSequences: prepared.stops };
  let begun = false;
  for await (const part of streamTurn(engine, prepared.engineRequest, signal, options)) {
    // An error before any output is the request's answer (an HTTP error); later ones arrive inside it.
    if (part.type === 'error') return yield { type: 'error', error: part.error };
    if (!begun) {
      begun = true;
      yield { type: 'started' };
    }
    if (part.type === 'aborted') return yield { type: 'aborted', usage: part.usage };
    if (part.type !== 'finish') {
      for (const output of converter.push(part)) yield output.type === 'content' ? output : { type: 'tool-call', index: output.index, call: output.call };
      continue;
    }
    converter.finish();
    const calls = converter.toolCalls;
    const finishReason: OpenAIFinishReason = part.reason === 'length' ? 'length' : calls.length > 0 ? 'tool_calls' : 'stop';
    // A turn cut short is not what the model would continue from; only whole turns are remembered.
    if (part.reason !== 'stop-sequence' && !part.inventedResponse) rawTurns?.remember(converter.text, calls, part.rawText);
    const firstTokenMs = part.firstTokenMs ?? part.durationMs;
    const timings = llamaTimings(part.usage, firstTokenMs, part.durationMs - firstTokenMs);
    yield { type: 'done', finishReason, content: converter.text, toolCalls: calls, usage: part.usage, timings };
    return;
  }
}
