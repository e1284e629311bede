// The raw model text behind `loco serve`'s answers, so the conversation's next request can be
// rendered with the model's exact text (KV-cache reuse): keyed by what the client sees.
import { LRUCache } from 'lru-cache';
import { contentText, type OpenAIAssistantMessage } from '../protocol/openai-dialect.js';
import type { OpenAIToolCall } from '../protocol/openai-output.js';

/** The identity of an assistant turn as a client echoes it back: its text and its calls. */
export function assistantTurnKey(content: string, calls: readonly OpenAIToolCall[]): string {
  return JSON.stringify([content, calls.map((call) => [call.id, call.function.name, call.function.arguments])]);
}

/** The key of an assistant message in a request, comparable with assistantTurnKey. */
export function requestTurnKey(message: OpenAIAssistantMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => ({
    id: call.id ?? '',
    type: 'function' as const,
    function: { name: call.function.name, arguments: typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments) },
  }));
  return assistantTurnKey(contentText(message.content), calls);
}

/**
 * Raw model text of recent answers that the converter changed (calls extracted, whitespace
 * trimmed), keyed by what the client sees. Bounded; the least recently used go first.
 */
export class RawTurnMemory {
  private readonly turns: LRUCache<string, string>;

  constructor(limit = 512) {
    this.turns = new LRUCache({ max: limit });
  }

  remember(content: string, calls: readonly OpenAIToolCall[], raw: string): void {
    if (calls.length === 0 && content === raw) return;
    const key = assistantTurnKey(content, calls);
    this.turns.set(key, raw);
  }

  lookup(message: OpenAIAssistantMessage): string | undefined {
    if (this.turns.size === 0) return undefined;
    return this.turns.get(requestTurnKey(message));
  }

  get size(): number {
    return this.turns.size;
  }
}
