// The backend contract: given a conversation, stream the assistant's raw text.
// Once called, a backend never throws: every failure arrives as a final `error` event.
import type { LocoError } from '../errors.js';
import type { ChatMessage, Sampling, Usage } from '../protocol/messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';

export interface BackendRequest {
  messages: ChatMessage[];
  sampling: Sampling;
  /** Identifies the conversation so stateful backends can keep a cache per conversation. */
  conversationId?: string;
  /** Model name to ask for, where the backend serves several. */
  model?: string;
  /**
   * The tools this conversation may call. The dialect names them in the system prompt, so
   * backends need not send them; a backend that can constrain tool calls uses them.
   */
  tools?: readonly ToolSignature[];
  /**
   * The answer must be exactly one call of one of these tools (Anthropic `tool_choice` any or
   * tool, OpenAI `required`). Only for backends whose `info.forcesToolCalls` is true; others
   * would ignore it, so callers check the flag first.
   */
  requiredToolCall?: { tools: readonly ToolSignature[] };
}

export type FinishReason = 'stop' | 'length' | 'aborted';

export type BackendEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; reason: FinishReason; usage: Usage; text: string }
  | { type: 'error'; error: LocoError };

export interface BackendInfo {
  /** Human-readable description, e.g. `openai-compatible http://127.0.0.1:8080/v1`. */
  description: string;
  /** Context window in tokens when known. */
  contextSize?: number;
  /** Honours `BackendRequest.requiredToolCall` (a grammar-forced call). */
  forcesToolCalls?: boolean;
}

export interface Backend {
  readonly info: BackendInfo;
  stream(request: BackendRequest, signal?: AbortSignal): AsyncIterable<BackendEvent>;
  /** Releases sockets, models, files. Safe to call twice. */
  close(): Promise<void>;
}
