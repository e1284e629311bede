// The model's raw output -> OpenAI content and tool_calls, as a stream transform over
// ToolCallStreamParser: visible text goes out as soon as it is known, each `<tool_call>`
// becomes one OpenAI tool call (id `call_…`, arguments as a JSON string) when it closes.
// Streaming and non-streaming answers are built from the same parts, so they agree.
// A call whose JSON cannot be read is returned as content, verbatim, never dropped
// (model-dialect.md section 3). Also remembers the raw text behind each answer, so the
// conversation's next request can be rendered with the model's exact text (KV-cache reuse).
import { randomBytes } from 'node:crypto';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from '../protocol/tool-call-codec.js';
import { ToolCallStreamParser } from '../protocol/tool-call-parser.js';
import type { AssistantRequestMessage } from './chat-request.js';
import { contentText } from './chat-dialect.js';

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OutputPart =
  | { type: 'content'; text: string }
  | { type: 'tool-call'; index: number; call: OpenAIToolCall }
  /** The model began writing a `<tool_response>` itself: nothing after it is the answer, stop generating. */
  | { type: 'end' };

export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

/**
 * With tools, the content is the text outside the calls with its leading and trailing
 * whitespace dropped (the newlines around `<tool_call>` blocks are layout); trailing
 * whitespace is held back until more text shows it is inside the content. Without tools the
 * text passes through untouched.
 */
export class AssistantOutputConverter {
  private readonly parser = new ToolCallStreamParser();
  private readonly calls: OpenAIToolCall[] = [];
  private content = '';
  private pendingSpace = '';
  private ended = false;

  constructor(
    private readonly parseToolCalls: boolean,
    private readonly newId: () => string = newToolCallId,
  ) {}

  get toolCalls(): readonly OpenAIToolCall[] {
    return this.calls;
  }

  /** The content sent so far (null in an answer with calls and no text). */
  get text(): string {
    return this.content;
  }

  push(chunk: string): OutputPart[] {
    if (this.ended) return [];
    if (!this.parseToolCalls) return this.emit(chunk);
    return this.convert(this.parser.push(chunk));
  }

  finish(): OutputPart[] {
    if (!this.parseToolCalls || this.ended) return [];
    // Trailing whitespace of a tool-mode answer is dropped.
    const parts = this.convert(this.parser.finish());
    this.pendingSpace = '';
    return parts;
  }

  private convert(parsed: ReturnType<ToolCallStreamParser['push']>): OutputPart[] {
    const out: OutputPart[] = [];
    for (const part of parsed) {
      if (this.ended) break;
      // Loops, not push(...parts): the number of parts follows the model's output.
      if (part.type === 'text') for (const visible of this.visibleText(part.text)) out.push(visible);
      else if (part.type === 'tool-call-error') for (const visible of this.visibleText(`${TOOL_CALL_OPEN}${part.raw}${TOOL_CALL_CLOSE}`)) out.push(visible);
      else if (part.type === 'tool-call') {
        const call: OpenAIToolCall = { id: this.newId(), type: 'function', function: { name: part.call.name, arguments: JSON.stringify(part.call.arguments) } };
        out.push({ type: 'tool-call', index: this.calls.length, call });
        this.calls.push(call);
      } else if (part.type === 'invented-response') {
        this.ended = true;
        out.push({ type: 'end' });
      }
    }
    return out;
  }

  /** Tool-mode text: hold trailing whitespace until more text shows it is inside the content. */
  private visibleText(text: string): OutputPart[] {
    const body = text.trimEnd();
    if (body === '') {
      if (this.content !== '') this.pendingSpace += text;
      return [];
    }
    const visible = this.content === '' ? body.trimStart() : `${this.pendingSpace}${body}`;
    this.pendingSpace = text.slice(body.length);
    return visible === '' ? [] : this.emit(visible);
  }

  private emit(text: string): OutputPart[] {
    if (text === '') return [];
    this.content += text;
    return [{ type: 'content', text }];
  }
}

/** The identity of an assistant turn as a client echoes it back: its text and its calls. */
export function assistantTurnKey(content: string, calls: readonly OpenAIToolCall[]): string {
  return JSON.stringify([content, calls.map((call) => [call.id, call.function.name, call.function.arguments])]);
}

/** The key of an assistant message in a request, comparable with assistantTurnKey. */
export function requestTurnKey(message: AssistantRequestMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => ({
    id: call.id,
    type: 'function' as const,
    function: { name: call.function.name, arguments: typeof call.function.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function.arguments) },
  }));
  return assistantTurnKey(contentText(message.content), calls);
}

/**
 * Raw model text of recent answers that the converter changed (calls extracted, whitespace
 * trimmed), keyed by what the client sees. Bounded; the oldest entries go first.
 */
export class RawTurnMemory {
  private readonly turns = new Map<string, string>();

  constructor(private readonly limit = 512) {}

  remember(content: string, calls: readonly OpenAIToolCall[], raw: string): void {
    if (calls.length === 0 && content === raw) return;
    const key = assistantTurnKey(content, calls);
    this.turns.delete(key);
    this.turns.set(key, raw);
    if (this.turns.size > this.limit) this.turns.delete(this.turns.keys().next().value as string);
  }

  lookup(message: AssistantRequestMessage): string | undefined {
    if (this.turns.size === 0) return undefined;
    return this.turns.get(requestTurnKey(message));
  }

  get size(): number {
    return this.turns.size;
  }
}
