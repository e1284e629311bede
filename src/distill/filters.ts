// The conversation filters of `loco distill build` that look at one conversation alone:
// explorer shape, tool calls against the tools' closed schemas (dropped or repaired), and
// errors the teacher never recovered from. Each returns the reason it dropped a conversation,
// so every drop is counted under its name.
import { validateToolCall } from '../eval/tool-schemas.js';
import { toolCatalog } from '../tools/catalog.js';
import type { AssistantMessage, Conversation, ConversationMessage, ConversationToolCall } from './conversation.js';

export interface ShapeOptions {
  /** Keep only sub-agent conversations (Claude Code sidechains, loco Task children). */
  subagentsOnly: boolean;
  /** The tools an explorer may call; a conversation calling any other is not explorer-shaped. */
  tools: ReadonlySet<string>;
  /** Keep conversations without a single tool call. */
  allowNoCalls: boolean;
}

/** The catalog's read-only tools: what loco's explorer offers. */
export function readOnlyToolNames(): Set<string> {
  return new Set([...toolCatalog().values()].filter((tool) => tool.readOnly).map((tool) => tool.name));
}

function calls(conversation: Pick<Conversation, 'messages'>): ConversationToolCall[] {
  return conversation.messages.flatMap((message) => (message.role === 'assistant' ? message.toolCalls : []));
}

/** Why a conversation is not explorer-shaped, or undefined when it is. */
export function shapeProblem(conversation: Conversation, options: ShapeOptions): string | undefined {
  if (options.subagentsOnly && !conversation.subagent) return 'not a sub-agent';
  if (!conversation.messages.some((message) => message.role === 'user')) return 'no user message';
  const all = calls(conversation);
  if (all.length === 0 && !options.allowNoCalls) return 'no tool calls';
  const other = all.find((call) => !options.tools.has(call.name));
  return other ? `calls ${other.name}` : undefined;
}

export type InvalidCallPolicy = 'drop' | 'repair';

/** Unknown keys removed, numbers and booleans written as strings converted; undefined when that is not enough. */
export function repairCall(call: ConversationToolCall): ConversationToolCall | undefined {
  const tool = toolCatalog().get(call.name);
  if (!tool) return undefined;
  const shape = tool.schema.shape as Record<string, { safeParse(value: unknown): { success: boolean } }>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(call.arguments)) {
    const field = shape[key];
    if (!field) continue;
    if (field.safeParse(value).success) {
      args[key] = value;
      continue;
    }
    const converted = typeof value === 'string' ? (/^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value === 'true' ? true : value === 'false' ? false : undefined) : undefined;
    if (converted === undefined || !field.safeParse(converted).success) return undefined;
    args[key] = converted;
  }
  const repaired = { ...call, arguments: args };
  return validateToolCall(repaired).ok ? repaired : undefined;
}

export interface CallCheck {
  conversation?: Conversation;
  invalid: number;
  repaired: number;
  /** Set when the conversation is dropped. */
  problem?: string;
}

/** Checks every call against its tool's schema; repairs or drops as the policy says. */
export function checkCalls(conversation: Conversation, policy: InvalidCallPolicy): CallCheck {
  let invalid = 0;
  let repaired = 0;
  let problem: string | undefined;
  const messages = conversation.messages.map((message): ConversationMessage => {
    if (message.role !== 'assistant' || problem) return message;
    const toolCalls = message.toolCalls.map((call) => {
      if (validateToolCall(call).ok) return call;
      invalid += 1;
      const fixed = policy === 'repair' ? repairCall(call) : undefined;
      if (fixed) repaired += 1;
      else problem ??= Object.keys(call.arguments).length === 0 ? `${call.name} call with empty arguments` : `invalid ${call.name} call`;
      return fixed ?? call;
    });
    return { ...message, toolCalls };
  });
  return problem ? { invalid, repaired, problem } : { conversation: { ...conversation, messages }, invalid, repaired };
}

/** Consecutive assistant turns whose results were all errors before the teacher is judged stuck. */
export const STUCK_TURNS = 3;

/** Why the conversation ended in an error the teacher did not recover from, or undefined. */
export function unrecoverableError(conversation: Conversation): string | undefined {
  if (conversation.outcome === 'error' || conversation.outcome === 'aborted') return `run ended: ${conversation.outcome}`;
  const messages = conversation.messages;
  let failedTurns = 0;
  let lastAssistant: AssistantMessage | undefined;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index];
    if (message.role !== 'assistant') continue;
    lastAssistant = message;
    if (message.toolCalls.length === 0) {
      failedTurns = 0;
      continue;
    }
    const results = messages.slice(index + 1, index + 1 + message.toolCalls.length);
    const allFailed = results.length > 0 && results.every((result) => result.role === 'tool' && result.isError);
    failedTurns = allFailed ? failedTurns + 1 : 0;
    if (failedTurns >= STUCK_TURNS) return `${STUCK_TURNS} turns in a row whose calls all failed`;
  }
  if (!lastAssistant) return 'no assistant message';
  const tail = messages.slice(messages.lastIndexOf(lastAssistant) + 1);
  if (tail.length > 0 && tail.every((message) => message.role === 'tool' && message.isError)) return 'ends on failed calls';
  return undefined;
}
