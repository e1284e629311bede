// The embedded backend's public shapes: construction options, the request extension
// (grammar-constrained answers, per-request token bias), timings and pool statistics.
import type { ToolSignature } from '../../protocol/system-prompt.js';
import type { Backend, BackendEvent, BackendRequest } from '../types.js';
import type { GrammarLimits } from './json-grammar.js';

export type EmbeddedLogLevel = 'quiet' | 'error' | 'warn' | 'info' | 'debug';

/**
 * Token text -> bias. A number is added to the token's logit (+100 forces it, -100 all but
 * bans it); 'never' bans it. Text that tokenizes to several tokens biases each of them.
 * End-of-generation tokens (`<|im_end|>`, `<|endoftext|>`) cannot be biased (node-llama-cpp
 * ignores them): a turn can always end.
 */
export type TokenBiasSpec = Readonly<Record<string, number | 'never'>> | ReadonlyMap<string, number | 'never'>;

export interface ToolCallConstraint {
  /** Once the model writes `<tool_call>`, its JSON must be a call of one of these, with that tool's arguments. */
  tools: readonly ToolSignature[];
  /** Caps that make every value finite; defaults suit a real model (strings up to 2048 characters). */
  limits?: Partial<GrammarLimits>;
  /** End the turn once this many calls are closed (tests, one-call-per-turn harnesses). */
  stopAfterCalls?: number;
}

export interface EmbeddedBackendOptions {
  /** A GGUF file (the first part of a split model). */
  modelPath: string;
  /** Default: 1 for models under 50 MB, else the math cores up to 4 (never more than the machine has). */
  threads?: number;
  /** Tokens per sequence. Default: as much as memory allows up to min(trained context, 16384). */
  contextSize?: number;
  /** Layers on the GPU: 'auto' (default) fits what the GPU holds; 0 forces the CPU. */
  gpuLayers?: 'auto' | number;
  /** Tokens per llama.cpp decode call (default node-llama-cpp's, 512). */
  batchSize?: number;
  /** Parallel conversations, one KV sequence each (default 4). Each costs `contextSize` tokens of KV memory. */
  sequences?: number;
  /**
   * Reuse the evaluated prefix of a conversation's sequence across turns (default true).
   * False re-evaluates every prompt whole: the baseline the engine benchmark compares with.
   */
  prefixReuse?: boolean;
  /**
   * llama.cpp flash attention; default: node-llama-cpp's choice. On CPUs it makes batches under
   * 64 tokens (single-token generation included) slower on small models: measure before choosing.
   */
  flashAttention?: boolean;
  /** Applied to free (unconstrained) generation of every request. */
  tokenBias?: TokenBiasSpec;
  /**
   * Constrain the JSON of every tool call to the tools' schemas: to these tools, or with
   * `true` to the tools each request names (`BackendRequest.tools`).
   */
  constrainToolCalls?: ToolCallConstraint | true;
  /** llama.cpp log output on stderr; 'quiet' (default) keeps warnings for error messages only. */
  logLevel?: EmbeddedLogLevel;
}

/** A backend request with the embedded engine's extras; plain BackendRequests work unchanged. */
export interface EmbeddedRequest extends BackendRequest {
  /** Constrain the whole answer to one JSON value matching this schema (OpenAI `response_format`). */
  responseFormat?: { jsonSchema: object; limits?: Partial<GrammarLimits> };
  /** Replaces the backend's token bias for this request. */
  tokenBias?: TokenBiasSpec;
  /** Replaces the backend's tool-call constraint for this request; false turns it off. */
  constrainToolCalls?: ToolCallConstraint | false;
  /** Sampling seed for temperature > 0 (default: time-based). */
  seed?: number;
}

/** Where one turn's time went, for the harness-overhead benchmark. */
export interface EmbeddedTurnTimings {
  conversationId?: string;
  /** Which KV sequence served the turn. */
  sequence: number;
  promptTokens: number;
  /** Prompt tokens reused from the sequence's KV cache. */
  cachedTokens: number;
  /** Prompt tokens evaluated this turn (promptTokens - cachedTokens). */
  evaluatedPromptTokens: number;
  /** Milliseconds inside llama.cpp evaluating the prompt (cache trimming included). */
  promptMs: number;
  /** Tokens generated without a grammar, and the milliseconds inside llama.cpp for them. */
  freeTokens: number;
  freeMs: number;
  /** Tokens generated under a grammar (tool-call JSON, responseFormat), and their milliseconds. */
  constrainedTokens: number;
  constrainedMs: number;
  /** promptMs + freeMs + constrainedMs: all time awaited on llama.cpp. */
  llamaMs: number;
  /** Waiting for a free sequence. */
  waitMs: number;
  /** The whole stream() call, from request to final event. */
  turnMs: number;
  /** Tool calls closed under the grammar. */
  constrainedCalls: number;
}

export interface EmbeddedStats {
  loaded: boolean;
  sequences: number;
  /** Sequences serving a request now. */
  busy: number;
  /** Requests waiting for a free sequence. */
  waiting: number;
  /** Conversation ids whose KV cache is kept, most recent first. */
  conversations: string[];
  threads?: number;
  contextSize?: number;
}

export interface EmbeddedBackend extends Backend {
  stream(request: EmbeddedRequest, signal?: AbortSignal): AsyncIterable<BackendEvent>;
  /** Loads the model now instead of on the first request; rejects with a LocoError naming the fix. */
  load(): Promise<void>;
  stats(): EmbeddedStats;
  /** The last finished turn, of one conversation or of any. */
  lastTurnTimings(conversationId?: string): EmbeddedTurnTimings | undefined;
}

export const DEFAULT_SEQUENCES = 4;
