// Rendering of assistant tool calls and tool-result turns in the model's dialect
// (model-dialect.md sections 3 and 4).
import type { ToolCall } from './messages.js';

export const TOOL_CALL_OPEN = '<tool_call>';
export const TOOL_CALL_CLOSE = '</tool_call>';
export const TOOL_RESPONSE_OPEN = '<tool_response>';
export const TOOL_RESPONSE_CLOSE = '</tool_response>';

/**
 * JSON with Python's default separators (`", "` and `": "`), the form the training traces
 * used. Non-ASCII characters are kept as they are.
 */
export function toDialectJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((item) => toDialectJson(item)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([key, v]) => `${JSON.stringify(key)}: ${toDialectJson(v)}`).join(', ')}}`;
}

/** One call: `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`. */
export function renderToolCall(call: ToolCall): string {
  return `${TOOL_CALL_OPEN}\n${toDialectJson({ name: call.name, arguments: call.arguments })}\n${TOOL_CALL_CLOSE}`;
}

/** An assistant turn re-serialised from parts, for when the model's raw text is not at hand. */
export function renderAssistantTurn(text: string, calls: readonly ToolCall[]): string {
  const parts = text.trim() === '' ? [] : [text.trim()];
  for (const call of calls) parts.push(renderToolCall(call));
  return parts.join('\n');
}

/** All results of one assistant turn, in call order, as ONE user turn. */
export function renderToolResults(results: readonly string[]): string {
  return results.map((result) => `${TOOL_RESPONSE_OPEN}\n${result}\n${TOOL_RESPONSE_CLOSE}`).join('\n');
}
