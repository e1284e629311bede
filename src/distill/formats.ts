// Training-file formats of one normalized conversation (already merged and ended at an
// assistant turn: render.ts `normalizeMessages`):
// - MS-SWIFT: `messages` with roles system/user/assistant/tool_call/tool_response, which its
//   `hermes` agent template renders to the model's dialect. Two rules of that renderer shape
//   the rows: consecutive assistant messages are joined with nothing between them, so text
//   before calls ends in the newline the dialect puts there; a tool-results turn that also
//   carries user text is one pre-rendered `user` message (a `tool` turn followed by a `user`
//   turn is not a valid round there). A call whose JSON holds non-ASCII text stays inside its
//   assistant message, pre-rendered: newer `hermes` versions write calls with `ensure_ascii`,
//   which would escape what the model saw verbatim.
// - LLaMA-Factory sharegpt: `system` plus alternating human/gpt turns of dialect text.
// - OpenAI fine-tuning: `messages` with `tool_calls` (arguments as JSON strings) and `tool`.
import type { ChatMessage } from '../protocol/messages.js';
import { renderAssistantTurn, toDialectJson } from '../protocol/tool-call-codec.js';
import type { ConversationMessage, ToolMessage } from './conversation.js';
import { trainingResultText } from './render.js';

export type SwiftRole = 'system' | 'user' | 'assistant' | 'tool_call' | 'tool_response';

export interface SwiftRow {
  messages: { role: SwiftRole; content: string }[];
  /** JSON text of the tool signatures, only with the `qwen-tools` prompt style. */
  tools?: string;
}

export interface FormatCounters {
  /** Assistant turns written pre-rendered (non-ASCII call JSON). */
  preRenderedTurns: number;
  /** Result turns with user text, written as one pre-rendered user message. */
  preRenderedResultTurns: number;
}

const NON_ASCII = /[\u0080-\uffff]/;

/** Groups messages into turns: each run of tool messages with the user text that follows it. */
function* turnsOf(messages: readonly ConversationMessage[]): Generator<ConversationMessage | { role: 'results'; results: ToolMessage[]; text?: string }> {
  let index = 0;
  while (index < messages.length) {
    const message = messages[index];
    if (message.role !== 'tool') {
      yield message;
      index += 1;
      continue;
    }
    const results: ToolMessage[] = [];
    while (index < messages.length && messages[index].role === 'tool') results.push(messages[index++] as ToolMessage);
    const next = messages[index];
    if (next?.role === 'user') {
      index += 1;
      yield { role: 'results', results, text: next.content };
    } else yield { role: 'results', results };
  }
}

export function swiftRow(system: string, messages: readonly ConversationMessage[], counters: FormatCounters, tools?: string): SwiftRow {
  const out: SwiftRow['messages'] = [{ role: 'system', content: system }];
  for (const turn of turnsOf(messages)) {
    if (turn.role === 'results') {
      const rendered = turn.results.map((result) => trainingResultText(result));
      if (turn.text === undefined) for (const content of rendered) out.push({ role: 'tool_response', content });
      else {
        counters.preRenderedResultTurns += 1;
        out.push({ role: 'user', content: `${rendered.map((content) => `<tool_response>\n${content}\n</tool_response>`).join('\n')}\n${turn.text}` });
      }
    } else if (turn.role === 'assistant') {
      const calls = turn.toolCalls.map((call) => toDialectJson({ name: call.name, arguments: call.arguments }));
      if (calls.length === 0) out.push({ role: 'assistant', content: renderAssistantTurn(turn.content, []) });
      else if (calls.some((json) => NON_ASCII.test(json))) {
        counters.preRenderedTurns += 1;
        out.push({ role: 'assistant', content: renderAssistantTurn(turn.content, turn.toolCalls) });
      } else {
        const text = turn.content.trim();
        if (text !== '') out.push({ role: 'assistant', content: `${text}\n` });
        for (const json of calls) out.push({ role: 'tool_call', content: json });
      }
    } else if (turn.role === 'user') out.push({ role: 'user', content: turn.content });
  }
  return tools === undefined ? { messages: out } : { messages: out, tools };
}

/** LLaMA-Factory sharegpt: the dialect turns themselves (its Qwen template adds only the ChatML framing). */
export function sharegptRow(turns: readonly ChatMessage[]): { system: string; conversations: { from: 'human' | 'gpt'; value: string }[] } {
  const system = turns[0]?.role === 'system' ? turns[0].content : '';
  const rest = turns[0]?.role === 'system' ? turns.slice(1) : turns;
  return { system, conversations: rest.map((turn) => ({ from: turn.role === 'assistant' ? 'gpt' : 'human', value: turn.content })) };
}

type OpenAIRow = { messages: Record<string, unknown>[] };

export function openAIRow(system: string, messages: readonly ConversationMessage[]): OpenAIRow {
  const out: Record<string, unknown>[] = [{ role: 'system', content: system }];
  let callNumber = 0;
  let openIds: string[] = [];
  for (const message of messages) {
    if (message.role === 'assistant') {
      openIds = message.toolCalls.map(() => `call_${++callNumber}`);
      out.push({
        role: 'assistant',
        content: message.content.trim() === '' && message.toolCalls.length > 0 ? null : message.content.trim(),
        ...(message.toolCalls.length === 0 ? {} : { tool_calls: message.toolCalls.map((call, index) => ({ id: openIds[index], type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } })) }),
      });
    } else if (message.role === 'tool') {
      out.push({ role: 'tool', tool_call_id: openIds.shift() ?? `call_${++callNumber}`, content: trainingResultText(message) });
    } else out.push({ role: message.role, content: message.content });
  }
  return { messages: out };
}
