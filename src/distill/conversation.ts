// The normalized conversation record every `loco distill` source becomes (one JSON object per
// line of `conversations.jsonl`): where it came from, which model wrote it, in which
// repository, and its messages with tool calls as data and each tool result as its own
// message in call order. `build` renders these into the model's dialect and training formats.
import { z } from 'zod';

export const CONVERSATION_VERSION = 1;

const toolCall = z.object({
  /** The client's call id (Claude Code `toolu_...`), where the source has one. */
  id: z.string().optional(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
});

export const conversationMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(toolCall) }),
  z.object({ role: z.literal('tool'), toolCallId: z.string().optional(), name: z.string(), content: z.string(), isError: z.boolean() }),
]);

export const conversationSchema = z.object({
  v: z.literal(CONVERSATION_VERSION),
  id: z.string().min(1),
  origin: z.object({
    source: z.enum(['claude-code', 'loco-trace']),
    /** The file it was read from. */
    file: z.string(),
    sessionId: z.string().optional(),
    /** Sub-agent id (Claude Code `agent-...`, loco `agent-...`). */
    agentId: z.string().optional(),
    /** Sub-agent kind (Claude Code `.meta.json` `agentType`, e.g. `Explore`). */
    agentType: z.string().optional(),
    /** Version of the program that wrote the source (Claude Code `version`). */
    version: z.string().optional(),
  }),
  /** True for a sub-agent's own conversation (Claude Code sidechain, loco Task child). */
  subagent: z.boolean(),
  model: z.string().optional(),
  /** The repository's path, from the working directory the conversation ran in. */
  repo: z.string().optional(),
  commit: z.string().optional(),
  branch: z.string().optional(),
  /** How the run ended, where the source says (loco `finish`). */
  outcome: z.enum(['answer', 'max-turns', 'context-budget', 'aborted', 'error']).optional(),
  messages: z.array(conversationMessageSchema),
});

export type Conversation = z.infer<typeof conversationSchema>;
export type ConversationMessage = z.infer<typeof conversationMessageSchema>;
export type AssistantMessage = Extract<ConversationMessage, { role: 'assistant' }>;
export type ToolMessage = Extract<ConversationMessage, { role: 'tool' }>;
export type ConversationToolCall = z.infer<typeof toolCall>;
