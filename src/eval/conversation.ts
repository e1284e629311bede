// Turns a sample's OpenAI-shaped conversation into the dialect's ChatML turns
// (model-dialect.md sections 3 and 4), exactly as the model saw such turns in training:
// assistant `tool_calls` become `<tool_call>` blocks after the text, and consecutive `tool`
// messages become ONE user turn of `<tool_response>` blocks in order. The rendering is
// the same OpenAI converter `loco serve` uses, so eval measures the model on the prompt serve
// would send.
import type { ChatMessage } from '../protocol/messages.js';
import { trainingSystemPrompt } from '../protocol/system-prompt.js';
import { openAIToDialect, type OpenAIMessage } from '../protocol/openai-dialect.js';
import { promptTools } from '../tools/catalog.js';
import type { SampleMessage } from './samples.js';
import { EVAL_TOOL_NAMES } from './tool-schemas.js';

/** Samples are validated already: their calls' arguments are objects. */
function toOpenAIMessages(messages: readonly SampleMessage[]): OpenAIMessage[] {
  return messages.map((message): OpenAIMessage => {
    switch (message.role) {
      case 'assistant':
        return { role: 'assistant', content: message.content, tool_calls: message.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })) };
      case 'tool':
        return { role: 'tool', content: message.content };
      default:
        return { role: message.role, content: message.content };
    }
  });
}

export function toDialectMessages(messages: readonly SampleMessage[]): ChatMessage[] {
  return openAIToDialect(toOpenAIMessages(messages));
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
