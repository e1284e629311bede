// The `<tool_call>` extractor: a stream transform over the model's raw text. It holds back a
// possible partial tag at a chunk's end, so tags split across chunks are found, emits the
// visible text around calls as soon as it is known, and turns each call's JSON into a
// ToolCall, repairing malformed JSON only where the result is unambiguous.
import { jsonrepair } from 'jsonrepair';
import type { ToolCall } from './messages.js';
import { nestingProblem } from './json-depth.js';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, TOOL_RESPONSE_OPEN } from './tool-call-codec.js';

export type ParsedPart =
  | { type: 'text'; text: string }
  /** A `<tool_call>` tag was seen; the call's JSON follows as deltas. */
  | { type: 'tool-call-start'; index: number }
  | { type: 'tool-call-delta'; index: number; text: string }
  | { type: 'tool-call'; index: number; call: ToolCall; raw: string; repaired: boolean }
  | { type: 'tool-call-error'; index: number; raw: string; message: string }
  /**
   * The model began writing a `<tool_response>` itself: what follows is invented and dropped.
   * `offset` is where the tag starts in the raw text pushed so far.
   */
  | { type: 'invented-response'; offset: number };

/** The parts a parsed turn carries to its consumers (the streaming detail and the cut left out). */
export type TurnContentPart = Extract<ParsedPart, { type: 'text' | 'tool-call' | 'tool-call-error' }>;

export interface ParsedCall {
  index: number;
  call: ToolCall;
  raw: string;
  repaired: boolean;
}

export interface FailedCall {
  index: number;
  raw: string;
  message: string;
}

/** Length of the longest suffix of `text` that is a proper prefix of one of `tags`. */
function partialTagLength(text: string, tags: readonly string[]): number {
  let longest = 0;
  for (const tag of tags) {
    const max = Math.min(tag.length - 1, text.length);
    for (let length = max; length > longest; length--) {
      if (text.endsWith(tag.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}

const TOOL_NAME = /^[A-Za-z_][\w.-]{0,63}$/;
const FORMAT_HINT = 'Write each call as <tool_call>\n{"name": <tool-name>, "arguments": <args-json-object>}\n</tool_call>';

type Decoded = { ok: true; call: ToolCall; repaired: boolean } | { ok: false; message: string };

function shapeOf(value: unknown, repaired: boolean): Decoded {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: 'the tool call must be a JSON object with "name" and "arguments"' };
  }
  const record = value as Record<string, unknown>;
  if (typeof record.name !== 'string' || !TOOL_NAME.test(record.name)) {
    return { ok: false, message: 'the tool call has no valid "name" string' };
  }
  let args = record.arguments ?? record.input ?? {};
  if (typeof args === 'string') {
    // Some models send arguments as a JSON string (OpenAI style); accept it as a repair.
    const tooDeep = nestingProblem(args, '"arguments"');
    if (tooDeep !== undefined) return { ok: false, message: tooDeep };
    try {
      args = JSON.parse(args);
      repaired = true;
    } catch {
      return { ok: false, message: '"arguments" is a string that is not a JSON object' };
    }
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    return { ok: false, message: '"arguments" must be a JSON object' };
  }
  return { ok: true, call: { name: record.name, arguments: args as Record<string, unknown> }, repaired };
}

/**
 * A repair is ambiguous when it had to invent content: a value filled in as null, or a
 * string closed that the model left open (its value was cut short).
 */
function inventsContent(body: string, repaired: unknown): boolean {
  const quotes = body.replace(/\\./g, '').split('"').length - 1;
  if (quotes % 2 === 1) return true;
  const nulls = (text: string) => text.match(/\bnull\b/g)?.length ?? 0;
  return nulls(JSON.stringify(repaired)) > nulls(body);
}

/** Decodes the text between `<tool_call>` and `</tool_call>`. */
export function decodeToolCall(raw: string): Decoded {
  const body = raw.trim();
  if (body === '') return { ok: false, message: `empty tool call. ${FORMAT_HINT}` };
  // Checked before parsing: everything downstream (traces, JSON output, rendering) recurses per level.
  const tooDeep = nestingProblem(body, 'the tool call');
  if (tooDeep !== undefined) return { ok: false, message: tooDeep };
  try {
    return shapeOf(JSON.parse(body), false);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    let repairedValue: unknown;
    try {
      const repairedText = jsonrepair(body);
      // The repair may read brackets the scan above took for string content.
      const repairedTooDeep = nestingProblem(repairedText, 'the tool call');
      if (repairedTooDeep !== undefined) return { ok: false, message: repairedTooDeep };
      repairedValue = JSON.parse(repairedText);
    } catch {
      return { ok: false, message: `invalid JSON in tool call (${reason}). ${FORMAT_HINT}` };
    }
    if (inventsContent(body, repairedValue)) {
      return { ok: false, message: `invalid JSON in tool call (${reason}); it cannot be repaired without guessing. ${FORMAT_HINT}` };
    }
    const decoded = shapeOf(repairedValue, true);
    return decoded.ok ? decoded : { ok: false, message: `invalid JSON in tool call (${reason}). ${FORMAT_HINT}` };
  }
}

/**
 * The first `<tool_call>` that opens a call: one followed by a line break (the dialect's
 * form), a JSON object or the closing tag. Followed by anything else it is text: prose about
 * the tags, or a Grep pattern inside a call's JSON. `pending`: what follows cannot tell yet.
 */
function findOpening(buffer: string, atEnd: boolean): { index: number; pending: boolean } | undefined {
  for (let from = 0; ; ) {
    const index = buffer.indexOf(TOOL_CALL_OPEN, from);
    if (index === -1) return undefined;
    const after = buffer.slice(index + TOOL_CALL_OPEN.length);
    if (after.startsWith('\n') || after.startsWith('\r\n')) return { index, pending: false };
    const next = after.replace(/^[ \t]+/, '');
    if (next === '' || next === '\r' || (TOOL_CALL_CLOSE.startsWith(next) && next !== TOOL_CALL_CLOSE)) {
      if (!atEnd) return { index, pending: true };
      if (next === '' || next === '\r') return { index, pending: false };
    }
    if (next.startsWith('{') || next.startsWith('\n') || next.startsWith('\r\n') || next.startsWith(TOOL_CALL_CLOSE)) return { index, pending: false };
    from = index + TOOL_CALL_OPEN.length;
  }
}

export class ToolCallStreamParser {
  private buffer = '';
  private inCall = false;
  private callRaw = '';
  private nextIndex = 0;
  private stopped = false;
  /** Characters pushed so far; with the buffer's length, gives raw offsets. */
  private pushed = 0;

  /** Feeds a chunk of model output; returns what can be decided so far. */
  push(chunk: string): ParsedPart[] {
    if (this.stopped) return [];
    this.pushed += chunk.length;
    this.buffer += chunk;
    const parts: ParsedPart[] = [];
    this.drain(parts, false);
    return parts;
  }

  /** Ends the stream: flushes held-back text and closes an unterminated call. */
  finish(): ParsedPart[] {
    const parts: ParsedPart[] = [];
    if (!this.stopped) this.drain(parts, true);
    if (this.inCall) this.closeCall(parts, true);
    this.stopped = true;
    return parts;
  }

  private drain(parts: ParsedPart[], atEnd: boolean): void {
    for (;;) {
      if (this.inCall) {
        const close = this.buffer.indexOf(TOOL_CALL_CLOSE);
        const reopen = findOpening(this.buffer, atEnd);
        if (close !== -1 && (reopen === undefined || close < reopen.index)) {
          this.appendCall(parts, this.buffer.slice(0, close));
          this.buffer = this.buffer.slice(close + TOOL_CALL_CLOSE.length);
          this.closeCall(parts, false);
          continue;
        }
        if (reopen?.pending) {
          this.appendCall(parts, this.buffer.slice(0, reopen.index));
          this.buffer = this.buffer.slice(reopen.index);
          return;
        }
        if (reopen !== undefined) {
          // A new call opened before this one closed: close it as best we can.
          this.appendCall(parts, this.buffer.slice(0, reopen.index));
          this.buffer = this.buffer.slice(reopen.index);
          this.closeCall(parts, true);
          continue;
        }
        const hold = atEnd ? 0 : partialTagLength(this.buffer, [TOOL_CALL_CLOSE, TOOL_CALL_OPEN]);
        this.appendCall(parts, this.buffer.slice(0, this.buffer.length - hold));
        this.buffer = this.buffer.slice(this.buffer.length - hold);
        return;
      }
      const open = findOpening(this.buffer, atEnd);
      const invented = this.buffer.indexOf(TOOL_RESPONSE_OPEN);
      if (invented !== -1 && (open === undefined || invented < open.index)) {
        const offset = this.pushed - this.buffer.length + invented;
        this.emitText(parts, this.buffer.slice(0, invented));
        this.buffer = '';
        this.stopped = true;
        parts.push({ type: 'invented-response', offset });
        return;
      }
      if (open?.pending) {
        this.emitText(parts, this.buffer.slice(0, open.index));
        this.buffer = this.buffer.slice(open.index);
        return;
      }
      if (open !== undefined) {
        this.emitText(parts, this.buffer.slice(0, open.index));
        this.buffer = this.buffer.slice(open.index + TOOL_CALL_OPEN.length);
        this.inCall = true;
        this.callRaw = '';
        parts.push({ type: 'tool-call-start', index: this.nextIndex });
        continue;
      }
      const hold = atEnd ? 0 : partialTagLength(this.buffer, [TOOL_CALL_OPEN, TOOL_RESPONSE_OPEN]);
      this.emitText(parts, this.buffer.slice(0, this.buffer.length - hold));
      this.buffer = this.buffer.slice(this.buffer.length - hold);
      return;
    }
  }

  private emitText(parts: ParsedPart[], text: string): void {
    if (text !== '') parts.push({ type: 'text', text });
  }

  private appendCall(parts: ParsedPart[], text: string): void {
    if (text === '') return;
    this.callRaw += text;
    parts.push({ type: 'tool-call-delta', index: this.nextIndex, text });
  }

  private closeCall(parts: ParsedPart[], unterminated: boolean): void {
    const index = this.nextIndex++;
    const raw = this.callRaw;
    this.inCall = false;
    this.callRaw = '';
    const decoded = decodeToolCall(raw);
    if (decoded.ok) {
      parts.push({ type: 'tool-call', index, call: decoded.call, raw, repaired: decoded.repaired || unterminated });
    } else {
      const message = unterminated ? `${decoded.message} (the call was not closed with </tool_call>)` : decoded.message;
      parts.push({ type: 'tool-call-error', index, raw, message });
    }
  }
}

export interface ParsedTurn {
  /** Visible text outside the calls, concatenated. */
  text: string;
  calls: ParsedCall[];
  failures: FailedCall[];
  /** True when the model started inventing its own `<tool_response>`. */
  inventedResponse: boolean;
}

/** Collects parser output into a whole turn. */
export function collectParts(parts: Iterable<ParsedPart>, into: ParsedTurn = emptyTurn()): ParsedTurn {
  for (const part of parts) {
    if (part.type === 'text') into.text += part.text;
    else if (part.type === 'tool-call') into.calls.push({ index: part.index, call: part.call, raw: part.raw, repaired: part.repaired });
    else if (part.type === 'tool-call-error') into.failures.push({ index: part.index, raw: part.raw, message: part.message });
    else if (part.type === 'invented-response') into.inventedResponse = true;
  }
  return into;
}

export function emptyTurn(): ParsedTurn {
  return { text: '', calls: [], failures: [], inventedResponse: false };
}

/** Parses a complete assistant text. */
export function parseAssistantText(text: string): ParsedTurn {
  const parser = new ToolCallStreamParser();
  const turn = collectParts(parser.push(text));
  return collectParts(parser.finish(), turn);
}
