// Turns a sample's OpenAI-shaped conversation into the dialect's ChatML turns
// (model-dialect.md sections 3 and 4), exactly as the model saw such turns in training:
// assistant `tool_calls` become `<tool_call>` blocks after the text, and consecutive `tool`
// messages become ONE user turn of `<tool_response>` blocks in order. The rendering is
// `loco serve`'s own converter, so eval measures the model on the prompt serve would send.
import type { ChatMessage } from '../protocol/messages.js';
import { trainingSystemPrompt } from '../protocol/system-prompt.js';
import { promptTools } from '../tools/catalog.js';
import { EVAL_TOOL_NAMES } from './tool-schemas.js';
import { toDialectMessages as requestToDialect } from '../serve/chat-dialect.js';
import type { RequestMessage } from '../serve/chat-request.js';
import type { SampleMessage } from './samples.js';

/** Samples are validated already; serve's shape wants call ids, which the rendering never shows. */
function toRequestMessages(messages: readonly SampleMessage[]): RequestMessage[] {
  let calls = 0;
  return messages.map((message): RequestMessage => {
    switch (message.role) {
      case 'assistant':
        return {
          role: 'assistant',
          content: message.content,
          tool_calls: message.toolCalls.map((call) => ({ id: `call_${++calls}`, type: 'function', function: { name: call.name, arguments: call.arguments } })),
        };
      case 'tool':
        return { role: 'tool', content: message.content, tool_call_id: `call_${calls}` };
      default:
        return { role: message.role, content: message.content };
    }
  });
}

export function toDialectMessages(messages: readonly SampleMessage[]): ChatMessage[] {
  return requestToDialect(toRequestMessages(messages));
}

/**
 * The prompt sent for a sample. A sample without a system turn gets the training-time
 * system prompt for the seven eval tools: without the calling convention a model of this
 * size rarely writes `<tool_call>` at all, which would measure the prompt, not the model.
 */
export function promptFor(messages: readonly SampleMessage[]): ChatMessage[] {
  const turns = toDialectMessages(messages);
  if (turns[0]?.role === 'system') return turns;
  return [{ role: 'system', content: trainingSystemPrompt(promptTools(EVAL_TOOL_NAMES)) }, ...turns];
}
