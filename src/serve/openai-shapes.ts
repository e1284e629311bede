// The OpenAI response objects `loco serve` sends: chat.completion, chat.completion.chunk and
// usage (with prompt_tokens_details.cached_tokens, as vLLM and OpenAI report the cache), plus
// llama.cpp's `timings` (cache_n), so clients of either server read the cached tokens. Pure.
import { randomBytes } from 'node:crypto';
import type { Usage } from '../protocol/messages.js';
import type { OpenAIToolCall } from '../protocol/openai-output.js';
import type { OpenAIFinishReason, LlamaTimings } from './completion.js';

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  tool_calls?: (OpenAIToolCall & { index: number })[];
}

export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function newCompletionIdentity(model: string): CompletionIdentity {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

export function openAIUsage(usage: Usage): OpenAIUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

export function completionChunk(identity: CompletionIdentity, delta: ChunkDelta, finishReason: OpenAIFinishReason | null = null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...extra,
  };
}

/** The usage chunk of `stream_options.include_usage`: no choices, as OpenAI sends it. */
export function usageChunk(identity: CompletionIdentity, usage: Usage, timings: LlamaTimings): Record<string, unknown> {
  return { id: identity.id, object: 'chat.completion.chunk', created: identity.created, model: identity.model, choices: [], usage: openAIUsage(usage), timings };
}

export function chatCompletion(
  identity: CompletionIdentity,
  answer: { content: string; toolCalls: readonly OpenAIToolCall[]; finishReason: OpenAIFinishReason; usage: Usage; timings: LlamaTimings },
): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: answer.toolCalls.length > 0 && answer.content === '' ? null : answer.content };
  if (answer.toolCalls.length > 0) message.tool_calls = answer.toolCalls;
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: answer.finishReason }],
    usage: openAIUsage(answer.usage),
    timings: answer.timings,
  };
}
