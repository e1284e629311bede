// The agent's event vocabulary, used by the CLI renderer, the trace writer, batch and eval.
import type { LocoError } from '../errors.js';
import type { ChatMessage, Usage } from '../protocol/messages.js';
import type { TurnEndReason } from '../backends/turn-stream.js';

export type StopReason = 'answer' | 'max-turns' | 'context-budget' | 'aborted' | 'error';

export interface ToolCallRecord {
  turn: number;
  index: number;
  name: string;
  arguments: Record<string, unknown>;
  ok: boolean;
  /** The JSON was repaired (or the call unterminated) before it could be used. */
  repaired: boolean;
  /** The call could not be parsed at all. */
  invalid: boolean;
  durationMs: number;
  resultChars: number;
}

export interface AgentResult {
  answer: string;
  turns: number;
  toolCalls: ToolCallRecord[];
  usage: Usage;
  stopReason: StopReason;
  messages: ChatMessage[];
  error?: LocoError;
  durationMs: number;
}

interface Tagged {
  /** Which agent emitted the event: `main`, or a sub-agent id. */
  agentId: string;
  /** The conversation the backend was asked in, on tool and finish events (trace lines join on it). */
  conversationId?: string;
}

export type AgentEvent = Tagged &
  (
    | { type: 'turn-start'; turn: number; final: boolean }
    | { type: 'text-delta'; turn: number; text: string }
    | { type: 'tool-call'; turn: number; index: number; name: string; arguments: Record<string, unknown>; repaired: boolean }
    | { type: 'tool-result'; turn: number; index: number; name: string; output: string; isError: boolean; durationMs: number; truncated: boolean }
    | { type: 'turn-end'; turn: number; rawText: string; usage: Usage; finishReason: TurnEndReason; durationMs: number }
    | { type: 'error'; error: LocoError }
    | { type: 'finish'; result: AgentResult }
  );

export type AgentEventListener = (event: AgentEvent) => void;
