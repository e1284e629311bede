// What the local model is asked for one Anthropic request: the client's `tool_choice` and
// sampling settings turned into a backend request, or a fallback when the local backend cannot
// honour them. Pure.
//
// tool_choice, as the API defines it:
// - `none`: the model must not call. The tools are left out of the prompt (anthropicToDialect's
//   `offerTools: false`) and the client tools handed to the encoder are empty, so a
//   `<tool_call>` the model writes anyway reaches the client as text, never as tool_use.
// - `any` / `{type: "tool", name}`: exactly one call, grammar-forced by backends that can
//   (`info.forcesToolCalls`: the embedded engine); others fall back to the remote
//   (`tool-choice-unsupported`), since an unforced small model may answer in prose.
// - `auto` (or absent): the model decides.
// - `disable_parallel_tool_use`: at most one call; the first one ends the turn (the turn
//   stream's `maxToolCalls`).
// Sampling: the client's temperature / top_p / top_k, each unless the config pins it, else the
// model card's defaults.
import type { BackendInfo } from '../backends/types.js';
import { DEFAULT_SAMPLING, type Sampling } from '../protocol/messages.js';
import type { DialectConversion } from '../protocol/anthropic-dialect.js';
import type { MessagesRequest, ToolChoice } from '../protocol/anthropic-messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import type { Fallback } from './fallback.js';

export interface PinnedSampling {
  temperature?: number;
  topP?: number;
  topK?: number;
}

/** The client's sampling, each value unless pinned; the profile's (the model card's) where neither says. */
export function samplingFor(request: MessagesRequest, pinned: PinnedSampling, maxTokens: number, defaults: Omit<Sampling, 'maxTokens'> = DEFAULT_SAMPLING): Sampling {
  return {
    temperature: pinned.temperature ?? request.temperature ?? defaults.temperature,
    topP: pinned.topP ?? request.top_p ?? defaults.topP,
    topK: pinned.topK ?? request.top_k ?? defaults.topK,
    maxTokens,
  };
}

/** Whether the model is shown the tools (false only for `tool_choice: none`). */
export function offersTools(choice: ToolChoice | undefined): boolean {
  return choice?.type !== 'none';
}

/** A request-level rule the API enforces on tool_choice, as `path: message`, or undefined. */
export function toolChoiceIssue(request: MessagesRequest): string | undefined {
  const choice = request.tool_choice;
  if (choice === undefined || choice.type === 'auto' || choice.type === 'none') return undefined;
  const tools = request.tools ?? [];
  if (tools.length === 0) return 'tool_choice: tool_choice may only be specified while providing tools';
  if (choice.type === 'tool' && !tools.some((tool) => tool.name === choice.name)) {
    return `tool_choice.name: tool "${choice.name}" is not among the request's tools (${tools.map((tool) => tool.name).join(', ')})`;
  }
  return undefined;
}

/**
 * The tools one call must be chosen from, when the request requires a call; a Fallback when
 * the backend cannot force one. `clientName` maps model tool names back to the client's.
 */
export function requiredCallFor(
  choice: ToolChoice | undefined,
  conversion: DialectConversion,
  clientName: (modelName: string) => string,
  backend: BackendInfo,
): { tools: readonly ToolSignature[] } | Fallback | undefined {
  if (choice === undefined || (choice.type !== 'any' && choice.type !== 'tool')) return undefined;
  if (backend.forcesToolCalls !== true) {
    return { reason: 'tool-choice-unsupported', detail: `tool_choice "${choice.type}" needs a forced tool call, which the local backend (${backend.description}) cannot make` };
  }
  const tools = choice.type === 'any' ? conversion.tools : conversion.tools.filter((tool) => clientName(tool.name) === choice.name);
  return { tools };
}

/**
 * Calls allowed in one answer: one under `disable_parallel_tool_use`, else no limit. (A
 * profile whose harness runs calls one after another still writes several per turn; the
 * client decides how to run them.)
 */
export function callLimitFor(choice: ToolChoice | undefined): number | undefined {
  return choice !== undefined && choice.type !== 'none' && choice.disable_parallel_tool_use === true ? 1 : undefined;
}
