// Canonical conversation shapes shared by the agent loop, backends, proxy and eval.
// A conversation is a list of ChatML turns whose content is the raw dialect text
// (docs: model-dialect.md): assistant turns keep the model's `<tool_call>` blocks verbatim,
// tool results travel inside one user turn of `<tool_response>` blocks.

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A tool call as the model wrote it. */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** Token accounting for one backend turn (or a sum of turns). */
export interface Usage {
  /** Tokens in the prompt the backend saw. */
  promptTokens: number;
  /** Prompt tokens the backend served from its cache (not evaluated again). */
  cachedTokens: number;
  /** Tokens generated. */
  completionTokens: number;
}

export function emptyUsage(): Usage {
  return { promptTokens: 0, cachedTokens: 0, completionTokens: 0 };
}

export function addUsage(total: Usage, more: Usage): Usage {
  return {
    promptTokens: total.promptTokens + more.promptTokens,
    cachedTokens: total.cachedTokens + more.cachedTokens,
    completionTokens: total.completionTokens + more.completionTokens,
  };
}

/** Sampling settings; the defaults are the model card's (model-dialect.md section 2). */
export interface Sampling {
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
}

export const DEFAULT_SAMPLING: Readonly<Sampling> = Object.freeze({ temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 4096 });
