// The Anthropic Messages API shapes the proxy reads and writes, validated with zod. Pure.
//
// Validation is structural and lenient about keys: unknown keys are kept (clients add fields
// faster than we follow them), block types the API knows but the converter does not (server
// tool results) pass as `{ type }` and are dealt with by the converter, but a known block with
// a broken shape (a tool_use without an id) is an error naming where it is, so a client bug is
// never silently turned into a different request. What the API rejects beyond shapes (empty
// conversations, unknown block types, orphan tool results) is checked by anthropic-checks.ts.
import { z } from 'zod';
import { conversationIssue } from './anthropic-checks.js';

const KNOWN_BLOCKS = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking']);

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const imageBlock = z.looseObject({ type: z.literal('image') });
const documentBlock = z.looseObject({ type: z.literal('document') });
const thinkingBlock = z.looseObject({ type: z.enum(['thinking', 'redacted_thinking']) });
const toolUseBlock = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() });
const resultPart = z.union([textBlock, imageBlock, documentBlock, z.looseObject({ type: z.string() })]);
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(resultPart)]).optional(),
  is_error: z.boolean().optional(),
});
const otherBlock = z.looseObject({ type: z.string().refine((type) => !KNOWN_BLOCKS.has(type), 'a known block type with a broken shape') });

export const contentBlockSchema = z.union([textBlock, imageBlock, documentBlock, thinkingBlock, toolUseBlock, toolResultBlock, otherBlock]);

const messageSchema = z.looseObject({
  // `system` is not in Anthropic's API, but some clients send it inside `messages`.
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlockSchema)]),
});

const systemSchema = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]);

const toolSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  // Server tools (web search, code execution) have a `type` and no input_schema.
  input_schema: z.record(z.string(), z.unknown()).optional(),
  type: z.string().optional(),
});

const messagesSchema = z.array(messageSchema).superRefine((messages, context) => {
  const issue = conversationIssue(messages);
  if (issue) context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

const toolChoiceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
]);

const countTokensShape = {
  model: z.string().min(1),
  messages: messagesSchema,
  system: systemSchema.optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
};

export const countTokensRequestSchema = z.looseObject(countTokensShape);

export const messagesRequestSchema = z.looseObject({
  ...countTokensShape,
  max_tokens: z.number().int().positive(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
});

export type ContentBlock = z.infer<typeof contentBlockSchema>;
export type AnthropicMessage = z.infer<typeof messageSchema>;
export type AnthropicTool = z.infer<typeof toolSchema>;
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

/** The first problem of a failed parse, as `messages.2.content.0.id: Invalid input`. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
  return `${where}: ${issue.message}`;
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type OutputBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** A whole (non-streaming) answer. */
export interface AnthropicResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: OutputBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** The events of a streamed answer, in the order the API sends them. */
export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicResponse }
  | { type: 'ping' }
  | { type: 'content_block_start'; index: number; content_block: { type: 'text'; text: '' } | { type: 'tool_use'; id: string; name: string; input: Record<string, never> } }
  | { type: 'content_block_delta'; index: number; delta: { type: 'text_delta'; text: string } | { type: 'input_json_delta'; partial_json: string } }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason: StopReason; stop_sequence: string | null }; usage: Partial<AnthropicUsage> & { output_tokens: number } }
  | { type: 'message_stop' }
  | { type: 'error'; error: { type: AnthropicErrorType; message: string } };

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

const STATUS_TYPES: Readonly<Record<number, AnthropicErrorType>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function errorTypeForStatus(status: number): AnthropicErrorType {
  return STATUS_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function anthropicError(type: AnthropicErrorType, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message } };
}
