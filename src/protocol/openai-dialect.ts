// OpenAI chat messages -> the model's dialect (model-dialect.md sections 2-4), the way Qwen's
// chat template renders them: the client's system text first, then the `# Tools` section
// when the request has tools; assistant tool_calls as `<tool_call>` blocks after the text;
// consecutive `tool` messages as ONE user turn of `<tool_response>` blocks, in order. Pure:
// `loco serve` renders requests with it, eval renders samples with it. The message types are
// the OpenAI shapes any validated source can produce (call ids are optional: the dialect has
// none).
import type { ChatMessage, ToolCall } from './messages.js';
import { nestingProblem } from './json-depth.js';
import { ProtocolError } from './protocol-error.js';
import { qwenToolsSection, type ToolSignature } from './system-prompt.js';
import { renderAssistantTurn, renderToolResults } from './tool-call-codec.js';

export type OpenAIMessageContent = string | readonly { type: string; text?: unknown }[];

export interface OpenAIRequestToolCall {
  id?: string;
  type?: 'function';
  /** OpenAI sends a JSON string; some clients send the object itself. */
  function: { name: string; arguments: string | Record<string, unknown> };
}

export interface OpenAIAssistantMessage {
  role: 'assistant';
  content?: OpenAIMessageContent | null;
  tool_calls?: readonly OpenAIRequestToolCall[] | null;
}

export type OpenAIMessage =
  | { role: 'system' | 'developer' | 'user'; content: OpenAIMessageContent }
  | OpenAIAssistantMessage
  | { role: 'tool'; content: OpenAIMessageContent; tool_call_id?: string };

export interface OpenAIFunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** The model's raw text for an assistant message the server itself produced, when remembered. */
export type RawAssistantLookup = (message: OpenAIAssistantMessage) => string | undefined;

/** Text of a string or of text parts (joined by newlines, as vLLM does). */
export function contentText(content: OpenAIMessageContent | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('\n');
}

/** OpenAI function tools as the signatures the Qwen `# Tools` section lists. */
export function toolSignatures(tools: readonly OpenAIFunctionTool[]): ToolSignature[] {
  return tools.map((tool) => ({
    name: tool.function.name,
    description: tool.function.description ?? '',
    // A tool without parameters takes an empty object (OpenAI's reading too).
    parameters: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
}

/** An assistant message's tool calls with their arguments as objects; throws a ProtocolError naming the bad one. */
export function assistantToolCalls(message: OpenAIAssistantMessage, messageIndex: number): ToolCall[] {
  return (message.tool_calls ?? []).map((call, callIndex) => {
    const param = `messages[${messageIndex}].tool_calls[${callIndex}].function.arguments`;
    let args: unknown = call.function.arguments;
    if (typeof args === 'string') {
      const tooDeep = nestingProblem(args, param);
      if (tooDeep !== undefined) throw new ProtocolError(tooDeep, param);
      try {
        args = args.trim() === '' ? {} : JSON.parse(args);
      } catch {
        throw new ProtocolError(`${param} is not valid JSON`, param);
      }
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new ProtocolError(`${param} must be a JSON object`, param);
    return { name: call.function.name, arguments: args as Record<string, unknown> };
  });
}

export interface DialectOptions {
  /** Tools of the request; when non-empty their `# Tools` section joins the system prompt. */
  tools?: readonly ToolSignature[];
  rawAssistantText?: RawAssistantLookup;
}

/**
 * The conversation as ChatML turns. Throws a ProtocolError for an assistant tool call whose
 * arguments are not a JSON object.
 */
export function openAIToDialect(messages: readonly OpenAIMessage[], options: DialectOptions = {}): ChatMessage[] {
  const out: ChatMessage[] = [];
  const tools = options.tools ?? [];
  let start = 0;
  if (tools.length > 0) {
    // Qwen's template: the first system message's text, a blank line, then the tools section.
    const first = messages[0];
    const leading = first !== undefined && (first.role === 'system' || first.role === 'developer') ? contentText(first.content) : undefined;
    if (leading !== undefined) start = 1;
    const section = qwenToolsSection(tools);
    out.push({ role: 'system', content: leading === undefined ? section : `${leading}\n\n${section}` });
  }
  let results: string[] = [];
  const flushResults = (): void => {
    if (results.length === 0) return;
    out.push({ role: 'user', content: renderToolResults(results) });
    results = [];
  };
  for (let index = start; index < messages.length; index++) {
    const message = messages[index];
    if (message.role === 'tool') {
      results.push(contentText(message.content));
      continue;
    }
    flushResults();
    switch (message.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content: contentText(message.content) });
        break;
      case 'user':
        out.push({ role: 'user', content: contentText(message.content) });
        break;
      case 'assistant': {
        const calls = assistantToolCalls(message, index);
        const raw = options.rawAssistantText?.(message);
        const text = contentText(message.content);
        // Verbatim text keeps the KV cache's prefix; calls are re-serialised only when the raw turn is unknown.
        out.push({ role: 'assistant', content: raw ?? (calls.length === 0 ? text : renderAssistantTurn(text, calls)) });
        break;
      }
    }
  }
  flushResults();
  return out;
}
