// Claude Code transcript lines for tests, in the shape Claude Code 2.1 writes them: one
// content block per assistant entry (parallel calls share `message.id` and `requestId`),
// `parentUuid` chains, tool results as user entries, sub-agents under `subagents/`.
let clock = Date.parse('2026-03-01T10:00:00.000Z');

export interface EntryOptions {
  uuid: string;
  parent: string | null;
  cwd?: string;
  sessionId?: string;
  sidechain?: boolean;
  agentId?: string;
  /** Milliseconds after the previous entry (default 1000). */
  after?: number;
}

function base(options: EntryOptions): Record<string, unknown> {
  clock += options.after ?? 1000;
  return {
    parentUuid: options.parent,
    isSidechain: options.sidechain ?? false,
    userType: 'external',
    cwd: options.cwd ?? '/home/dev/work/shop-api',
    sessionId: options.sessionId ?? 'session-1',
    version: '2.1.112',
    gitBranch: 'main',
    ...(options.agentId === undefined ? {} : { agentId: options.agentId }),
    uuid: options.uuid,
    timestamp: new Date(clock).toISOString(),
  };
}

export function userText(text: string, options: EntryOptions): string {
  return JSON.stringify({ ...base(options), type: 'user', message: { role: 'user', content: text } });
}

export function toolResult(toolUseId: string, content: string, options: EntryOptions & { isError?: boolean }): string {
  return JSON.stringify({
    ...base(options),
    type: 'user',
    message: { role: 'user', content: [{ tool_use_id: toolUseId, type: 'tool_result', content, ...(options.isError ? { is_error: true } : {}) }] },
    toolUseResult: { stdout: content },
  });
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> } | { type: 'thinking'; thinking: string };

export function assistantBlock(messageId: string, requestId: string, block: Block, options: EntryOptions & { model?: string }): string {
  return JSON.stringify({
    ...base(options),
    type: 'assistant',
    message: { id: messageId, type: 'message', role: 'assistant', model: options.model ?? 'claude-haiku-4-5', content: [block], stop_reason: null, usage: { input_tokens: 10, output_tokens: 5 } },
    requestId,
  });
}

export function lines(...entries: string[]): string {
  return `${entries.join('\n')}\n`;
}
