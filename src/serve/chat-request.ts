// The OpenAI chat-completions request body `loco serve` accepts, validated with zod. Pure.
//
// Top-level fields are checked strictly: a field the server does not know is rejected with a
// message naming the accepted ones, so a typo (`max_token`) or a feature we lack (`grammar`,
// `logprobs: true`, `n: 2`) never silently changes the answer. Fields OpenAI clients send by
// habit are accepted when they cannot change the answer (`user`, `metadata`, `store`, zero
// penalties, `logprobs: false`). Inside messages and tools unknown keys are ignored: clients
// echo back what they received (`refusal`, `annotations`), and it never matters to the model.
import { z } from 'zod';
import { invalidRequest, type HttpError } from './errors.js';

/** Tool names the `<tool_call>` parser accepts. */
const TOOL_NAME = /^[A-Za-z_][\w.-]{0,63}$/;

const contentPart = z.looseObject({ type: z.string(), text: z.unknown().optional() }).superRefine((part, context) => {
  if (part.type !== 'text') context.addIssue({ code: 'custom', message: `only text content parts are supported, not "${part.type}"`, path: ['type'] });
  else if (typeof part.text !== 'string') context.addIssue({ code: 'custom', message: 'a text part needs a "text" string', path: ['text'] });
});
const content = z.union([z.string(), z.array(contentPart)]);

const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({
    name: z.string().regex(TOOL_NAME, 'a tool name is a letter or _ then up to 63 letters, digits, _ . -'),
    // OpenAI sends a JSON string; some clients send the object itself.
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
  }),
});

const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content, name: z.string().optional() }),
  // OpenAI's newer name for the system role.
  z.object({ role: z.literal('developer'), content, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content, name: z.string().optional() }),
  z.object({ role: z.literal('assistant'), content: content.nullish(), tool_calls: z.array(toolCall).nullish(), name: z.string().optional() }),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string() }),
]);

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(TOOL_NAME, 'a tool name is a letter or _ then up to 63 letters, digits, _ . -'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) })]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({ name: z.string().optional(), description: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
  }),
]);

/** Accepted only with values that change nothing. */
const zeroOrNull = z.number().nullish().refine((value) => value === undefined || value === null || value === 0, 'only 0 is supported (the engine has no repetition penalties)');

const requestSchema = z.strictObject({
  model: z.string().optional(),
  messages: z.array(messageSchema).min(1, 'messages must hold at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  /** llama.cpp and vLLM accept it; the model card samples with 20. */
  top_k: z.number().int().min(0).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(4)]).nullish(),
  n: z.number().int().nullish().refine((value) => value === undefined || value === null || value === 1, 'only n = 1 is supported'),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
  /** loco's extension: keeps a conversation's KV cache in one slot across requests. */
  conversation_id: z.string().min(1).max(256).nullish(),
  // Accepted, no effect on the answer.
  user: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  store: z.boolean().nullish(),
  service_tier: z.string().nullish(),
  reasoning_effort: z.string().nullish(),
  /** llama.cpp's flag; the prompt cache is always used. */
  cache_prompt: z.boolean().nullish(),
  frequency_penalty: zeroOrNull,
  presence_penalty: zeroOrNull,
  logprobs: z.boolean().nullish().refine((value) => value !== true, 'logprobs are not supported'),
  top_logprobs: zeroOrNull,
  logit_bias: z
    .record(z.string(), z.number())
    .nullish()
    .refine((value) => !value || Object.keys(value).length === 0, 'logit_bias is not supported'),
});

export type ChatCompletionRequest = z.infer<typeof requestSchema>;
export type RequestMessage = ChatCompletionRequest['messages'][number];
export type AssistantRequestMessage = Extract<RequestMessage, { role: 'assistant' }>;
export type RequestToolCall = NonNullable<AssistantRequestMessage['tool_calls']>[number];
export type RequestTool = NonNullable<ChatCompletionRequest['tools']>[number];
export type MessageContent = z.infer<typeof content>;

export const ACCEPTED_FIELDS: readonly string[] = Object.keys(requestSchema.shape);

/** Fields that name a feature loco serve lacks, with what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  grammar: 'raw GBNF grammars are not supported by loco serve: use response_format {"type": "json_schema", "json_schema": {"schema": ...}}',
  json_schema: 'a top-level json_schema is not supported: use response_format {"type": "json_schema", "json_schema": {"schema": ...}}',
  functions: '"functions" is the deprecated form of tools: send "tools" instead',
  function_call: '"function_call" is the deprecated form of tool_choice: send "tool_choice" instead',
};

/** `['messages', 0, 'content']` -> `messages[0].content`. */
export function paramPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/**
 * For a value matching no branch of a union (content: string or parts), the issue of the
 * branch that got furthest says what is wrong; its path is made absolute.
 */
function innermost(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    for (const nested of branch) {
      if (best === undefined || nested.path.length > best.path.length) best = nested;
    }
  }
  if (best === undefined || best.path.length === 0) return issue;
  return innermost({ ...best, path: [...issue.path, ...best.path] } as Issue);
}

/** Validates a parsed JSON body; returns the request or the 400 to send. */
export function parseChatRequest(body: unknown): ChatCompletionRequest | HttpError {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalidRequest('the body must be a JSON object');
  for (const [field, message] of Object.entries(UNSUPPORTED)) {
    if (field in body) return invalidRequest(message, field, 'unsupported_parameter');
  }
  const parsed = requestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = innermost(parsed.error.issues[0]);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    return invalidRequest(`unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}; accepted fields: ${ACCEPTED_FIELDS.join(', ')}`, issue.keys[0], 'unknown_parameter');
  }
  const param = paramPath(issue.path);
  if (issue.code === 'invalid_union' && issue.path[issue.path.length - 1] === 'role') {
    return invalidRequest(`${param}: the role must be one of system, developer, user, assistant, tool`, param);
  }
  return invalidRequest(param === '' ? issue.message : `${param}: ${issue.message}`, param === '' ? undefined : param);
}
