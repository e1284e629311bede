// Anthropic Messages request -> the model's dialect (model-dialect.md): ChatML turns whose
// assistant text carries `<tool_call>` blocks and whose tool results travel as ONE user turn of
// `<tool_response>` blocks. Pure.
//
// Decisions, each because of what the 4B model was trained on:
// - System prompt: `training` (the short training-time prompt) whenever the request offers
//   tools, since that is the only prompt the model learned the calling convention from; the
//   client's own prompt is kept for tool-less requests (`auto`, the default), where it is the
//   task itself (titles, summaries). `client` keeps the client's prompt and appends the Qwen
//   `# Tools` section so the convention is still stated; `qwen-tools` is the template variant.
// - `role: system` messages inside `messages` become `<system-reminder>` text in a user turn,
//   the form Claude Code itself uses for mid-conversation instructions (ChatML templates
//   reject a system turn after the first).
// - Images and documents are dropped with a note in their place: the model reads text only.
// - Claude Code >= 2.1 names its sub-agent tool `Agent`; the model's vocabulary says `Task`
//   (same arguments). History is rendered with the model's name and its calls are mapped back.
import type { ChatMessage, ToolCall } from './messages.js';
import type { AnthropicMessage, ContentBlock, CountTokensRequest } from './anthropic-messages.js';
import { bindClientTools, TOOL_ALIASES, toTrainingReadFormat, type ClientBinding } from './client-binding.js';
import { fillTemplate, LOCOOPERATOR_PROFILE, renderSystemPrompt, type Profile, type PromptEnvironment } from './profile.js';
import { buildSystemPrompt, qwenToolsSection, trainingSystemPrompt, type PromptTool, type ToolSignature } from './system-prompt.js';
import { renderAssistantTurn, renderToolResults } from './tool-call-codec.js';

export { TOOL_ALIASES, toTrainingReadFormat };

export type LocalSystemPrompt = 'auto' | 'training' | 'qwen-tools' | 'client';


const BILLING_LINE = /^x-anthropic-billing-header:/;
export const IMAGE_NOTE = '[image omitted: the local model reads text only]';

export interface DialectConversion {
  messages: ChatMessage[];
  /** The request's client tools, under the model's names. */
  tools: ToolSignature[];
  /** How model calls map back onto the client's tools. */
  binding: ClientBinding;
  /** Assistant turns in the history (consecutive assistant messages count once). */
  assistantTurns: number;
  /** The request ends on an assistant turn to be continued (prefill). */
  prefill: boolean;
  /** Images and documents replaced by a note. */
  droppedAttachments: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The client tool a model call names: itself, or its alias when only the alias exists. */
export function clientToolName(name: string, clientNames: ReadonlySet<string>): string {
  if (clientNames.has(name)) return name;
  const alias = TOOL_ALIASES[name];
  return alias !== undefined && clientNames.has(alias) ? alias : name;
}

export function systemText(system: CountTokensRequest['system']): string {
  if (system === undefined) return '';
  if (typeof system === 'string') return system;
  return system
    .map((block) => block.text ?? '')
    .filter((text) => text !== '' && !BILLING_LINE.test(text))
    .join('\n\n');
}

/**
 * The working environment a profile's prompt describes, as far as a client's system prompt
 * says it (Claude Code's `<env>` block: `Working directory:`, `Platform:`); the listing is
 * the caller's to add.
 */
export function clientEnvironment(clientSystem: string): PromptEnvironment {
  const field = (name: string): string | undefined => new RegExp(`^\\s*${name}:\\s*(.+?)\\s*$`, 'm').exec(clientSystem)?.[1];
  const platform = field('Platform');
  const os = platform === undefined ? 'Linux' : ({ linux: 'Linux', darwin: 'Darwin', win32: 'Windows' } as Record<string, string>)[platform] ?? platform;
  return { os, shell: field('Shell') ?? 'bash', workspace: field('Working directory') ?? '', listing: [] };
}

function systemPromptFor(strategy: LocalSystemPrompt, clientSystem: string, binding: ClientBinding, profile: Profile, environment: PromptEnvironment): string {
  const { tools } = binding;
  const effective = strategy === 'auto' ? (tools.length > 0 ? 'profile' : 'client') : strategy;
  if (effective === 'client') return tools.length > 0 ? [clientSystem, qwenToolsSection(tools)].filter((part) => part !== '').join('\n\n') : clientSystem;
  if (effective === 'qwen-tools') return buildSystemPrompt('qwen-tools', tools);
  if (effective === 'training') return trainingSystemPrompt(binding.listed);
  return renderSystemPrompt(profile, tools, environment, binding.listed);
}

type ToolResultBlock = Extract<ContentBlock, { type: 'tool_result' }>;

interface Counters {
  droppedAttachments: number;
}

function attachmentNote(block: { type: string }, counters: Counters): string {
  counters.droppedAttachments += 1;
  return block.type === 'image' ? IMAGE_NOTE : `[${block.type} omitted: the local model reads text only]`;
}

interface Conversion {
  binding: ClientBinding;
  counters: Counters;
  /** tool_use id -> the client's call, so results can be shown in the form the model was trained on. */
  calls: Map<string, { name: string; input: Record<string, unknown> }>;
}

function toolResultText(block: ToolResultBlock, conversion: Conversion): string {
  const { content } = block;
  let text: string;
  if (content === undefined) text = '';
  else if (typeof content === 'string') text = content;
  else {
    text = content
      .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : attachmentNote(part, conversion.counters)))
      .join('\n');
  }
  const call = conversion.calls.get(block.tool_use_id);
  return call ? conversion.binding.resultText(call.name, call.input, text, block.is_error === true) : conversion.binding.clientText(text);
}

/** A message's text for the model, tool results left out (they are placed by `orderToolResults`). */
function userText(content: AnthropicMessage['content'], counters: Counters): string {
  if (typeof content === 'string') return content;
  const texts: string[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') continue;
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'thinking' || block.type === 'redacted_thinking') continue;
    else texts.push(attachmentNote(block, counters));
  }
  return texts.join('\n');
}

function toolResultsOf(content: AnthropicMessage['content']): ToolResultBlock[] {
  return typeof content === 'string' ? [] : content.filter((block): block is ToolResultBlock => block.type === 'tool_result');
}

/** The `<tool_response>` text of a call the client sent no result for. */
export const MISSING_RESULT = '<tool_use_error>loco proxy: the client sent no result for this call</tool_use_error>';

/**
 * The results for one assistant turn's calls, in call order: the dialect has no ids, so the
 * n-th `<tool_response>` answers the n-th `<tool_call>`, while clients (Claude Code) send
 * results in completion order. A call without a result gets MISSING_RESULT in its slot;
 * results naming no call (rejected by the request checks before conversion) go last, never
 * dropped.
 */
export function orderToolResults<T extends { tool_use_id: string }>(callIds: readonly string[], results: readonly T[]): (T | undefined)[] {
  const byId = new Map<string, T>();
  for (const result of results) if (!byId.has(result.tool_use_id)) byId.set(result.tool_use_id, result);
  const ordered: (T | undefined)[] = callIds.map((id) => byId.get(id));
  const calls = new Set(callIds);
  for (const result of results) if (!calls.has(result.tool_use_id)) ordered.push(result);
  return ordered;
}

/** One user turn from consecutive non-assistant messages (Anthropic merges them; ChatML alternates). */
function userGroupTurn(group: readonly AnthropicMessage[], callIds: readonly string[], conversion: Conversion, query?: (text: string) => string, reminder?: string): string {
  const { binding, counters } = conversion;
  const results = orderToolResults(callIds, group.flatMap((message) => toolResultsOf(message.content)));
  const texts = group
    .map((message) => binding.clientText(message.role === 'system' ? systemReminder(message.content) : userText(message.content, counters)))
    .filter((text) => text !== '');
  const responses = results.map((result) => (result === undefined ? MISSING_RESULT : toolResultText(result, conversion)));
  const text = query ? query(texts.join('\n\n')) : texts.join('\n\n');
  // All results of one assistant turn in ONE user turn, in call order; the client's text after.
  const rendered = responses.length > 0 ? renderToolResults(responses) + (reminder === undefined ? '' : `\n${reminder}`) : '';
  return [rendered, text].filter((part) => part !== '').join('\n');
}

function assistantTurn(content: AnthropicMessage['content'], callIds: string[], conversion: Conversion): string {
  if (typeof content === 'string') return content;
  let text = '';
  const calls: ToolCall[] = [];
  for (const block of content) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use') {
      const use = block as Extract<ContentBlock, { type: 'tool_use' }>;
      const input = isRecord(use.input) ? use.input : {};
      conversion.calls.set(use.id, { name: use.name, input });
      callIds.push(use.id);
      calls.push(conversion.binding.toModel(use.name, input));
    } else if (block.type === 'thinking' || block.type === 'redacted_thinking') continue;
    else text += attachmentNote(block, conversion.counters);
  }
  return calls.length === 0 ? text : renderAssistantTurn(text, calls);
}

function systemReminder(content: AnthropicMessage['content']): string {
  const text = typeof content === 'string' ? content : content.map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('\n');
  return `<system-reminder>\n${text}\n</system-reminder>`;
}

export interface DialectOptions {
  /** False (Anthropic `tool_choice: none`): no tools in the prompt or in `tools`. */
  offerTools?: boolean;
  /** The model profile the request is rendered for; default locooperator. */
  profile?: Profile;
  /** What a profile's prompt says of the workspace; default what the client's system prompt says. */
  environment?: PromptEnvironment;
  /** The local turn limit, for a profile's `reminders.turnsLeft`. */
  maxTurns?: number;
}

/**
 * `trainingTools`: the training prompt's tools in its order (tools/catalog.ts `trainingPromptTools`).
 * `offerTools: false` (Anthropic `tool_choice: none`) leaves the tools out of the system prompt
 * and of `tools`, as `loco serve` does for OpenAI's `none`: the model is not told it can call.
 * The profile decides the tools' names, schemas and result forms, the reminder policy, the
 * first turn's wrapper and (with strategy `auto`) the system prompt.
 */
export function anthropicToDialect(
  request: CountTokensRequest,
  strategy: LocalSystemPrompt,
  trainingTools: readonly PromptTool[],
  options: DialectOptions = {},
): DialectConversion {
  const profile = options.profile ?? LOCOOPERATOR_PROFILE;
  const clientSystem = systemText(request.system);
  const environment = options.environment ?? clientEnvironment(clientSystem);
  const binding = bindClientTools(profile, request.tools, {
    offerTools: options.offerTools !== false,
    promptUses: new Map(trainingTools.map((tool) => [tool.name, tool.use])),
    workspace: environment.workspace,
  });
  const conversion: Conversion = { binding, counters: { droppedAttachments: 0 }, calls: new Map() };
  const turns: ChatMessage[] = [];
  const push = (role: ChatMessage['role'], content: string): void => {
    const last = turns.at(-1);
    // Anthropic merges consecutive same-role messages; ChatML needs alternating turns.
    if (last && last.role === role && role !== 'system') last.content = [last.content, content].filter((part) => part !== '').join('\n\n');
    else turns.push({ role, content });
  };
  // tool_use ids of the latest assistant turn, until the user turn after it has answered them.
  let callIds: string[] = [];
  let group: AnthropicMessage[] = [];
  const flushGroup = (): void => {
    if (group.length === 0) return;
    const query = turns.length === 0 ? (text: string) => binding.query(text, environment.workspace) : undefined;
    // The profile's turns-left note after each turn's results, as its explorer adds it.
    const assistantTurns = turns.filter((turn) => turn.role === 'assistant').length;
    const turnsLeft = profile.reminders.turnsLeft;
    const reminder = turnsLeft !== undefined && options.maxTurns !== undefined ? fillTemplate(turnsLeft, { turns_left: String(Math.max(0, options.maxTurns - assistantTurns)) }) : undefined;
    push('user', userGroupTurn(group, callIds, conversion, query, reminder));
    group = [];
    callIds = [];
  };
  for (const [index, message] of request.messages.entries()) {
    if (message.role !== 'assistant') {
      group.push(message);
      continue;
    }
    // An empty final assistant message (the API accepts one) continues nothing: not a prefill.
    if (index === request.messages.length - 1 && message.content.length === 0) break;
    flushGroup();
    push('assistant', assistantTurn(message.content, callIds, conversion));
  }
  flushGroup();
  const system = systemPromptFor(strategy, clientSystem, binding, profile, environment);
  const messages: ChatMessage[] = system === '' ? turns : [{ role: 'system', content: system }, ...turns];
  return {
    messages,
    tools: binding.tools,
    binding,
    assistantTurns: turns.filter((turn) => turn.role === 'assistant').length,
    prefill: turns.at(-1)?.role === 'assistant',
    droppedAttachments: conversion.counters.droppedAttachments,
  };
}
