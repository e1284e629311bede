// When a request routed local goes to the remote instead. Fallback happens only while nothing
// has reached the client: before the local answer starts (checks below), or when the local
// backend fails or stays silent before its first token. Every fallback carries its reason
// into the request log and the stats.
import type { LocoError } from '../errors.js';
import type { DialectConversion } from '../protocol/anthropic-dialect.js';
import { estimateMessagesTokens } from '../agent/context-budget.js';

export type FallbackReason =
  /** The prompt does not fit the local context (estimated before sending, or the backend said so). */
  | 'context-overflow'
  /** The conversation already has as many assistant turns as the local model may take. */
  | 'turn-limit'
  /** The request asks for something the local route does not do (assistant prefill). */
  | 'unsupported'
  /** tool_choice any/tool needs a forced call, and the local backend cannot force one. */
  | 'tool-choice-unsupported'
  | 'local-timeout'
  | 'local-error';

export interface Fallback {
  reason: FallbackReason;
  detail: string;
}

export interface LocalLimits {
  maxTurns: number;
  /** Context window in tokens; undefined when unknown (then only the backend can say). */
  contextSize?: number;
  /** Tokens the answer may take. */
  maxTokens: number;
}

/** Fewest answer tokens worth starting a local turn for. */
export const MIN_ANSWER_TOKENS = 1024;

export interface LocalPlan {
  promptTokens: number;
  /** Answer tokens to ask for: maxTokens, shrunk to what the context has room for. */
  maxTokens: number;
}

/** Checks a converted request against the local limits; a Fallback when it must go remote. */
export function planLocal(conversion: DialectConversion, limits: LocalLimits): LocalPlan | Fallback {
  if (conversion.prefill) return { reason: 'unsupported', detail: 'the request ends with an assistant turn to continue (prefill)' };
  if (conversion.assistantTurns >= limits.maxTurns) {
    return { reason: 'turn-limit', detail: `the conversation has ${conversion.assistantTurns} assistant turns; the local limit is ${limits.maxTurns}` };
  }
  const promptTokens = estimateMessagesTokens(conversion.messages);
  if (limits.contextSize === undefined) return { promptTokens, maxTokens: limits.maxTokens };
  const room = limits.contextSize - promptTokens;
  if (room < Math.min(limits.maxTokens, MIN_ANSWER_TOKENS)) {
    return { reason: 'context-overflow', detail: `the prompt is about ${promptTokens} tokens and the local context holds ${limits.contextSize}` };
  }
  return { promptTokens, maxTokens: Math.min(limits.maxTokens, room) };
}

export function isFallback(value: LocalPlan | Fallback): value is Fallback {
  return 'reason' in value;
}

/** The fallback for a backend failure that happened before anything was sent. */
export function fallbackForError(error: LocoError): Fallback {
  if (error.code === 'context-overflow') return { reason: 'context-overflow', detail: error.message };
  if (error.code === 'backend-timeout') return { reason: 'local-timeout', detail: error.message };
  return { reason: 'local-error', detail: `${error.code}: ${error.message}` };
}
