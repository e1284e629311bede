// A parsed model turn -> OpenAI content and tool_calls: visible text goes out as soon as it
// is known, each `<tool_call>` becomes one OpenAI tool call (id `call_…`, arguments as a JSON
// string) when it closes. Streaming and non-streaming answers are built from the same parts,
// so they agree. A call whose JSON cannot be read is returned as content, verbatim, never
// dropped (model-dialect.md section 3). Pure.
import { randomBytes } from 'node:crypto';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from './tool-call-codec.js';
import type { TurnContentPart } from './tool-call-parser.js';

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OutputPart = { type: 'content'; text: string } | { type: 'tool-call'; index: number; call: OpenAIToolCall };

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
  private readonly calls: OpenAIToolCall[] = [];
  private content = '';
  private pendingSpace = '';

  /** `parseToolCalls`: the turn's calls were parsed (the request has tools); otherwise text passes untouched. */
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

  push(part: TurnContentPart): OutputPart[] {
    if (!this.parseToolCalls) return part.type === 'text' ? this.emit(part.text) : [];
    if (part.type === 'text') return this.visibleText(part.text);
    if (part.type === 'tool-call-error') return this.visibleText(`${TOOL_CALL_OPEN}${part.raw}${TOOL_CALL_CLOSE}`);
    const call: OpenAIToolCall = { id: this.newId(), type: 'function', function: { name: part.call.name, arguments: JSON.stringify(part.call.arguments) } };
    this.calls.push(call);
    return [{ type: 'tool-call', index: this.calls.length - 1, call }];
  }

  /** The end of the turn: trailing whitespace of a tool-mode answer is dropped. */
  finish(): void {
    this.pendingSpace = '';
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
