// The model's streamed output (ToolCallStreamParser parts) -> Anthropic stream events, as the
// text arrives: visible text streams as `text_delta` at once; each `<tool_call>` becomes a
// `tool_use` block whose input arrives as `input_json_delta`. Pure (ids come from an injectable
// generator).
//
// A call is emitted when its `</tool_call>` closes it, not token by token: a tool_use block
// cannot be taken back once started, and a call whose JSON turns out malformed must become
// visible text instead (never a silent drop). Clients run a tool only once its block stops,
// so nothing observable is lost by waiting for the closing tag.
//
// A call naming a tool the request does not offer is still sent as tool_use: Claude Code then
// answers `No such tool available: X`, the error the model was trained to recover from. With
// no tools in the request at all, calls stay text: such a client cannot take a tool_use.
import { randomBytes } from 'node:crypto';
import type { Usage } from './messages.js';
import type { ParsedPart } from './tool-call-parser.js';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from './tool-call-codec.js';
import { clientToolName } from './anthropic-dialect.js';
import type { ClientCall } from './client-binding.js';
import type { AnthropicResponse, AnthropicStreamEvent, AnthropicUsage, OutputBlock, StopReason } from './anthropic-messages.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `prefix` + 24 base62 characters, the shape of Anthropic's ids (`toolu_…`, `msg_…`). */
export function newAnthropicId(prefix: string): string {
  const bytes = randomBytes(24);
  let id = prefix;
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export interface StreamEncoderOptions {
  messageId: string;
  /** The model name reported to the client: the one it asked for. */
  model: string;
  /** Prompt tokens as estimated before generation (message_start must carry a number). */
  estimatedInputTokens: number;
  /** The client tools the request offers; empty means calls stay text. */
  clientTools: ReadonlySet<string>;
  /** A model call as the client's tool_use (a profile's names and arguments); default: Task -> Agent only. */
  toClient?: (modelName: string, args: Record<string, unknown>) => ClientCall;
  newToolId?: () => string;
}

export interface EncoderReport {
  toolCalls: number;
  /** Calls whose JSON could not be decoded; sent as text with a note. */
  malformedToolCalls: number;
  /** Calls naming a tool the request does not offer. */
  unknownToolCalls: number;
  /** The model began inventing a `<tool_response>`; the rest of its output was dropped. */
  inventedResponse: boolean;
}

export function malformedCallNote(raw: string, message: string): string {
  return `${TOOL_CALL_OPEN}${raw}${TOOL_CALL_CLOSE}\n[loco proxy: this tool call was not run: ${message}]\n`;
}

export function toAnthropicUsage(usage: Usage): AnthropicUsage {
  return {
    input_tokens: Math.max(0, usage.promptTokens - usage.cachedTokens),
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedTokens,
  };
}

export class AnthropicStreamEncoder {
  readonly report: EncoderReport = { toolCalls: 0, malformedToolCalls: 0, unknownToolCalls: 0, inventedResponse: false };
  private blockIndex = -1;
  private textOpen = false;
  /** Whitespace not yet sent: between calls (`\n`) it would make empty-looking text blocks. */
  private pendingWhitespace = '';
  private readonly newToolId: () => string;

  constructor(private readonly options: StreamEncoderOptions) {
    this.newToolId = options.newToolId ?? (() => newAnthropicId('toolu_'));
  }

  start(): AnthropicStreamEvent[] {
    const usage: AnthropicUsage = { input_tokens: this.options.estimatedInputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const message: AnthropicResponse = { id: this.options.messageId, type: 'message', role: 'assistant', model: this.options.model, content: [], stop_reason: null, stop_sequence: null, usage };
    return [{ type: 'message_start', message }, { type: 'ping' }];
  }

  push(parts: readonly ParsedPart[]): AnthropicStreamEvent[] {
    const events: AnthropicStreamEvent[] = [];
    for (const part of parts) {
      if (part.type === 'text') this.text(part.text, events);
      else if (part.type === 'tool-call') this.toolCall(part.call.name, part.call.arguments, part.raw, events);
      else if (part.type === 'tool-call-error') {
        this.report.malformedToolCalls += 1;
        this.text(malformedCallNote(part.raw, part.message), events);
      } else if (part.type === 'invented-response') this.report.inventedResponse = true;
    }
    return events;
  }

  /**
   * `reason` is the backend's finish reason (`length`: the token limit cut the answer);
   * `stopSequence`, the client's stop sequence that ended it, wins over both.
   */
  finish(reason: 'stop' | 'length' | 'aborted', usage: Usage, stopSequence?: string): AnthropicStreamEvent[] {
    const events: AnthropicStreamEvent[] = [];
    this.closeBlock(events);
    const stopReason: StopReason = stopSequence !== undefined ? 'stop_sequence' : this.report.toolCalls > 0 ? 'tool_use' : reason === 'length' ? 'max_tokens' : 'end_turn';
    events.push({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: stopSequence ?? null }, usage: toAnthropicUsage(usage) });
    events.push({ type: 'message_stop' });
    return events;
  }

  private text(text: string, events: AnthropicStreamEvent[]): void {
    if (!this.textOpen) {
      const combined = this.pendingWhitespace + text;
      if (combined.trim() === '') {
        this.pendingWhitespace = combined;
        return;
      }
      this.pendingWhitespace = '';
      this.blockIndex += 1;
      this.textOpen = true;
      events.push({ type: 'content_block_start', index: this.blockIndex, content_block: { type: 'text', text: '' } });
      events.push({ type: 'content_block_delta', index: this.blockIndex, delta: { type: 'text_delta', text: combined } });
      return;
    }
    events.push({ type: 'content_block_delta', index: this.blockIndex, delta: { type: 'text_delta', text } });
  }

  private toolCall(modelName: string, input: Record<string, unknown>, raw: string, events: AnthropicStreamEvent[]): void {
    const { clientTools } = this.options;
    if (clientTools.size === 0) {
      this.report.unknownToolCalls += 1;
      this.text(`${TOOL_CALL_OPEN}${raw}${TOOL_CALL_CLOSE}`, events);
      return;
    }
    const mapped = this.options.toClient?.(modelName, input);
    if (mapped?.hidden === true) {
      // The client has the tool but the model was not offered it: shown, never run.
      this.report.unknownToolCalls += 1;
      this.text(`${TOOL_CALL_OPEN}${raw}${TOOL_CALL_CLOSE}\n[loco proxy: this tool call was not run: the profile offers no tool ${modelName}]\n`, events);
      return;
    }
    const name = mapped?.name ?? clientToolName(modelName, clientTools);
    if (mapped ? !mapped.known : !clientTools.has(name)) this.report.unknownToolCalls += 1;
    input = mapped?.input ?? input;
    this.report.toolCalls += 1;
    this.closeBlock(events);
    this.pendingWhitespace = '';
    this.blockIndex += 1;
    const index = this.blockIndex;
    events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: this.newToolId(), name, input: {} } });
    events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } });
    events.push({ type: 'content_block_stop', index });
  }

  private closeBlock(events: AnthropicStreamEvent[]): void {
    if (!this.textOpen) return;
    events.push({ type: 'content_block_stop', index: this.blockIndex });
    this.textOpen = false;
  }
}

/** Folds stream events into the whole message a non-streaming request answers with. */
export function accumulateResponse(events: readonly AnthropicStreamEvent[]): AnthropicResponse {
  let message: AnthropicResponse | undefined;
  const json = new Map<number, string>();
  for (const event of events) {
    if (event.type === 'message_start') message = { ...event.message, content: [], usage: { ...event.message.usage } };
    if (!message) continue;
    if (event.type === 'content_block_start') {
      const block = event.content_block;
      message.content[event.index] = block.type === 'text' ? { type: 'text', text: '' } : { type: 'tool_use', id: block.id, name: block.name, input: {} };
    } else if (event.type === 'content_block_delta') {
      const block: OutputBlock | undefined = message.content[event.index];
      if (event.delta.type === 'text_delta' && block?.type === 'text') block.text += event.delta.text;
      if (event.delta.type === 'input_json_delta') json.set(event.index, (json.get(event.index) ?? '') + event.delta.partial_json);
    } else if (event.type === 'content_block_stop') {
      const block = message.content[event.index];
      const text = json.get(event.index);
      if (block?.type === 'tool_use' && text !== undefined) block.input = JSON.parse(text) as Record<string, unknown>;
    } else if (event.type === 'message_delta') {
      message.stop_reason = event.delta.stop_reason;
      message.stop_sequence = event.delta.stop_sequence;
      message.usage = { ...message.usage, ...event.usage };
    }
  }
  if (!message) throw new Error('accumulateResponse: no message_start event');
  return message;
}
