// The Messages API's rules on a conversation beyond each block's shape, so the proxy answers
// 400 `invalid_request_error` where the API would instead of answering what it must reject:
// no messages, empty content (except a final assistant prefill), block types the API does not
// know, empty text blocks, and `tool_result` blocks whose `tool_use_id` names no `tool_use` of
// the assistant message before them (or answers one twice), and `tool_use` blocks left
// without a result in the user turn after them. Messages read the API's. Pure. Both routes
// give a request the same verdict: what the remote would reject, the local route rejects.

/** What the checks read of a message (anthropic-messages.ts validates the rest and calls them). */
interface CheckedMessage {
  role: string;
  content: string | readonly ({ type: string } & Record<string, unknown>)[];
}

/** Block types the Messages API accepts in `messages[].content`. */
export const API_BLOCK_TYPES: ReadonlySet<string> = new Set([
  'text',
  'image',
  'document',
  'search_result',
  'thinking',
  'redacted_thinking',
  'tool_use',
  'tool_result',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'container_upload',
]);

export interface ConversationIssue {
  /** Relative to `messages`. */
  path: (string | number)[];
  message: string;
}

function isEmptyContent(content: CheckedMessage['content']): boolean {
  return typeof content === 'string' ? content === '' : content.length === 0;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The first rule the conversation breaks, or undefined. */
export function conversationIssue(messages: readonly CheckedMessage[]): ConversationIssue | undefined {
  if (messages.length === 0) return { path: [], message: 'at least one message is required' };
  // tool_use ids of the last assistant message, while only user turns have followed it.
  let open: Set<string> | undefined;
  const answered = new Set<string>();
  /** Index of the first user message after the last assistant message. */
  let replyAt: number | undefined;
  const unanswered = (): ConversationIssue | undefined => {
    const missing = [...(open ?? [])].filter((id) => !answered.has(id));
    if (replyAt === undefined || missing.length === 0) return undefined;
    return {
      path: [replyAt, 'content'],
      message: `\`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
    };
  };
  for (const [index, message] of messages.entries()) {
    const final = index === messages.length - 1;
    if (isEmptyContent(message.content) && !(final && message.role === 'assistant')) {
      return { path: [index, 'content'], message: `${message.role} messages must have non-empty content except for the optional final assistant message` };
    }
    if (message.role === 'assistant') {
      const issue = unanswered();
      if (issue) return issue;
      open = new Set();
      answered.clear();
      replyAt = undefined;
    } else {
      replyAt ??= index;
    }
    if (typeof message.content === 'string') continue;
    for (const [at, block] of message.content.entries()) {
      const where = [index, 'content', at];
      if (!API_BLOCK_TYPES.has(block.type)) {
        return { path: [...where, 'type'], message: `unknown content block type "${block.type}"; expected one of ${[...API_BLOCK_TYPES].join(', ')}` };
      }
      if (block.type === 'text' && block.text === '') return { path: [...where, 'text'], message: 'text content blocks must be non-empty' };
      const id = str((block as { id?: unknown }).id);
      if (block.type === 'tool_use' && message.role === 'assistant' && id !== undefined) open?.add(id);
      if (block.type !== 'tool_result') continue;
      const useId = str((block as { tool_use_id?: unknown }).tool_use_id) ?? '';
      if (message.role === 'assistant' || open === undefined || !open.has(useId)) {
        return {
          path: [...where, 'tool_use_id'],
          message: `unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${useId}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        };
      }
      if (answered.has(useId)) return { path: [...where, 'tool_use_id'], message: `each \`tool_use\` must have a single result. Found multiple \`tool_result\` blocks with id: ${useId}` };
      answered.add(useId);
    }
  }
  return unanswered();
}
