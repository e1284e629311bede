// A normalized conversation in the model's dialect (model-dialect.md): the training system
// prompt, assistant turns as text then `<tool_call>` blocks, all results of one turn as ONE
// user turn of `<tool_response>` blocks, and results re-rendered in the forms the model was
// trained on (Read's `N<TAB>` line numbers as `{N:>6}→`, Grep's and Glob's headers as loco's
// tools write them). The same turns are what loco sends at inference, so the training text
// and the inference prompt cannot drift apart.
import type { ChatMessage } from '../protocol/messages.js';
import { toTrainingReadFormat } from '../protocol/anthropic-dialect.js';
import { renderAssistantTurn, renderToolResults, TOOL_RESPONSE_CLOSE } from '../protocol/tool-call-codec.js';
import type { Conversation, ConversationMessage, ToolMessage } from './conversation.js';

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}

/**
 * A tool result in the training form. Claude Code writes Read lines as `N\ttext` and adds
 * paging notes to Grep's `Found N files` line; Glob gets no header in the training form.
 */
export function trainingResultText(message: Pick<ToolMessage, 'name' | 'content' | 'isError'>): string {
  if (message.isError) return message.content;
  // Claude Code appends a `<system-reminder>` to every Read result; loco's Read never does.
  if (message.name === 'Read') return toTrainingReadFormat(message.content.replace(/\n*<system-reminder>[\s\S]*?<\/system-reminder>\s*$/, ''));
  if (message.name === 'Grep') {
    return message.content.replace(/^Found (\d+) files?\b[^\n]*/, (_match, count: string) => `Found ${count} ${plural(Number(count), 'file')}`);
  }
  if (message.name === 'Glob') return message.content.replace(/^Found \d+ files?\b[^\n]*\n/, '');
  return message.content;
}

export interface RenderOptions {
  /** The system prompt when the conversation has none (the sources rarely keep it). */
  systemPrompt: string;
}

/** The conversation as ChatML turns, exactly as loco's agent loop builds them at inference. */
export function toDialectTurns(conversation: Pick<Conversation, 'messages'>, options: RenderOptions): ChatMessage[] {
  const turns: ChatMessage[] = [];
  const push = (role: ChatMessage['role'], content: string): void => {
    const last = turns.at(-1);
    // ChatML turns alternate: a user text after results joins their turn, as the proxy does.
    if (last && last.role === role && role !== 'system') last.content = `${last.content}${last.content.endsWith(TOOL_RESPONSE_CLOSE) ? '\n' : '\n\n'}${content}`;
    else turns.push({ role, content });
  };
  if (conversation.messages[0]?.role !== 'system') turns.push({ role: 'system', content: options.systemPrompt });
  let results: string[] = [];
  const flush = (): void => {
    if (results.length > 0) push('user', renderToolResults(results));
    results = [];
  };
  for (const message of conversation.messages) {
    if (message.role === 'tool') {
      results.push(trainingResultText(message));
      continue;
    }
    flush();
    if (message.role === 'assistant') push('assistant', renderAssistantTurn(message.content, message.toolCalls));
    else push(message.role, message.content);
  }
  flush();
  return turns;
}

/** ChatML text of turns: `<|im_start|>{role}\n{content}<|im_end|>\n` each (model-dialect.md section 1). */
export function chatMlText(turns: readonly ChatMessage[]): string {
  return turns.map((turn) => `<|im_start|>${turn.role}\n${turn.content}<|im_end|>\n`).join('');
}

/**
 * The messages as every output renders them alike: consecutive user (or assistant) messages
 * merged into one, and the conversation ended at its last assistant message (training needs a
 * reply to learn). Returns how many messages were merged.
 */
export function normalizeMessages(messages: readonly ConversationMessage[]): { messages: ConversationMessage[]; merged: number } {
  const out: ConversationMessage[] = [];
  let merged = 0;
  for (const message of messages) {
    const last = out.at(-1);
    if (last?.role === 'user' && message.role === 'user') {
      out[out.length - 1] = { role: 'user', content: `${last.content}\n\n${message.content}` };
      merged += 1;
    } else if (last?.role === 'assistant' && message.role === 'assistant' && last.toolCalls.length === 0) {
      out[out.length - 1] = { role: 'assistant', content: [last.content.trim(), message.content.trim()].filter((text) => text !== '').join('\n\n'), toolCalls: message.toolCalls };
      merged += 1;
    } else out.push(message);
  }
  let end = out.length;
  while (end > 0 && out[end - 1].role !== 'assistant') end -= 1;
  return { messages: out.slice(0, end), merged };
}
