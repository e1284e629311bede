// A model profile meeting a client's tool set (Claude Code's, through `loco proxy`): which
// tools the model is offered and under which names and schemas, how a client tool_use in the
// history becomes the model's call and a model call becomes the client's tool_use, how the
// client's results are re-rendered in the forms the profile's tools write, what happens to
// the client's `<system-reminder>` blocks, and how the first user turn is wrapped. All of
// it is read from the profile (`tools[].client`, `tools[].implementation`, `reminders`,
// `clientHarness`). Pure.
import type { AnthropicTool } from './anthropic-messages.js';
import { fromClaudeCodeGlob, fromClaudeCodeGrep, fromClaudeCodeRead } from './fastcontext-format.js';
import type { ToolCall } from './messages.js';
import { fillTemplate, renderQuery, type Profile, type ProfileToolSpec } from './profile.js';
import type { PromptTool, ToolSignature } from './system-prompt.js';

/** Model name -> the client tool it stands for, when the client lacks the model's name. */
export const TOOL_ALIASES: Readonly<Record<string, string>> = Object.freeze({ Task: 'Agent' });

/**
 * Claude Code's Read numbers lines as `N\t`; the model was trained on `{N:>6}→` (U+2192).
 * Rewrites the line-number prefixes of a Read result into the training form.
 */
export function toTrainingReadFormat(text: string): string {
  return text.replace(/^ *(\d+)\t/gm, (_match, number: string) => `${number.padStart(6)}→`);
}

const REMINDER_BLOCK = /<system-reminder>[\s\S]*?<\/system-reminder>/g;

/** Text without its `<system-reminder>` blocks and the blank lines they leave. */
export function stripReminders(text: string): string {
  if (!text.includes('<system-reminder>')) return text;
  return text.replace(REMINDER_BLOCK, '').replace(/\n{3,}/g, '\n\n').trim();
}

export interface ClientCall {
  name: string;
  input: Record<string, unknown>;
  known: boolean;
  hidden?: boolean;
}

export interface ClientBinding {
  /** The client's tool names (tools with a schema). */
  readonly clientNames: ReadonlySet<string>;
  /** What the model is offered, under its names and schemas. */
  readonly tools: ToolSignature[];
  /** The offered tools a training-style prompt lists (`{tool_uses}`), with their lines. */
  readonly listed: PromptTool[];
  /** A client tool_use of the history as the model's call. */
  toModel(clientName: string, input: Record<string, unknown>): ToolCall;
  /**
   * A model call as the client's tool_use. `known` is false when the model was not offered the
   * tool; `hidden` when the client has it but the profile did not offer it, so it must not run.
   */
  toClient(modelName: string, args: Record<string, unknown>): ClientCall;
  /** A client's tool result as the profile's tool writes it; `input` is the call's client input. */
  resultText(clientName: string, input: Record<string, unknown>, text: string, isError: boolean): string;
  /** Client text (user turns, mid-conversation instructions) under the reminder policy; '' drops it. */
  clientText(text: string): string;
  /** The first user turn as the profile's harness sends it. */
  query(text: string, workspace: string): string;
}

/**
 * Arguments the model wrote under an alias, under the schema's name; when both are given the
 * schema's wins and the alias is dropped, so a later rename cannot collide with it.
 */
function unaliased(input: Record<string, unknown>, aliases: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  if (!aliases) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const target = aliases[key];
    if (target === undefined) out[key] = value;
    else if (!Object.hasOwn(input, target)) out[target] = value;
  }
  return out;
}

function renamed(input: Record<string, unknown>, names: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  if (!names) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) out[names[key] ?? key] = value;
  return out;
}

function inverse(names: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  return names && Object.fromEntries(Object.entries(names).map(([model, client]) => [client, model]));
}

/** A client JSON Schema with its property names (and `required`) renamed to the model's. */
function renamedSchema(schema: Record<string, unknown>, clientToModel: Record<string, string> | undefined): Record<string, unknown> {
  if (!clientToModel) return schema;
  const properties = schema.properties as Record<string, unknown> | undefined;
  const required = schema.required as unknown[] | undefined;
  return {
    ...schema,
    ...(properties && { properties: renamed(properties, clientToModel) }),
    ...(Array.isArray(required) && { required: required.map((name) => (typeof name === 'string' ? (clientToModel[name] ?? name) : name)) }),
  };
}

/** What the training prompt says of a Claude Code tool (`promptUse` lines, for `{tool_uses}`). */
export type PromptUses = ReadonlyMap<string, string | undefined>;

export function bindClientTools(
  profile: Profile,
  requestTools: readonly AnthropicTool[] | undefined,
  options: { offerTools: boolean; promptUses: PromptUses; /** The client's working directory, which its relative paths are relative to. */ workspace?: string },
): ClientBinding {
  const withSchema = (requestTools ?? []).filter((tool) => tool.input_schema !== undefined);
  const clientNames = new Set(withSchema.map((tool) => tool.name));
  const clientByName = new Map(withSchema.map((tool) => [tool.name, tool]));

  // Each profile tool's client tool: its own name when the client has it, else `client.name`
  // (or the Task -> Agent alias of Claude Code >= 2.1).
  const clientNameOf = (spec: ProfileToolSpec): string => {
    if (clientNames.has(spec.name)) return spec.name;
    const alternative = spec.client?.name ?? TOOL_ALIASES[spec.name];
    return alternative !== undefined && clientNames.has(alternative) ? alternative : spec.name;
  };
  const specByClient = new Map<string, ProfileToolSpec>();
  for (const spec of profile.tools) {
    const clientName = clientNameOf(spec);
    if (clientNames.has(clientName) && !specByClient.has(clientName)) specByClient.set(clientName, spec);
  }
  const specByModel = new Map(profile.tools.map((spec) => [spec.name, spec]));

  const modelNameOf = (clientName: string): string => {
    const spec = specByClient.get(clientName);
    if (spec) return spec.name;
    // A client tool the profile does not name keeps its name, unless a profile tool is called that.
    for (const [model, client] of Object.entries(TOOL_ALIASES)) if (client === clientName && !clientNames.has(model)) return model;
    return clientName;
  };
  // History may name tools this request does not offer (a request without tools, a tool
  // without a schema): they are still the profile's, by their model name.
  const specOfClient = (clientName: string): ProfileToolSpec | undefined => specByClient.get(clientName) ?? specByModel.get(modelNameOf(clientName));
  const profileOnly = profile.clientHarness.tools === 'profile';

  const offered: ToolSignature[] = [];
  if (options.offerTools) {
    if (profile.clientHarness.tools === 'all') {
      for (const tool of withSchema) {
        const spec = specByClient.get(tool.name);
        const clientToModel = inverse(spec?.client?.arguments);
        offered.push({
          name: modelNameOf(tool.name),
          description: spec?.description ?? tool.description ?? '',
          parameters: spec?.parameters ?? renamedSchema(tool.input_schema ?? {}, clientToModel),
        });
      }
    } else {
      for (const spec of profile.tools) {
        const tool = clientByName.get(clientNameOf(spec));
        if (!tool) continue;
        offered.push({
          name: spec.name,
          description: spec.description ?? tool.description ?? '',
          parameters: spec.parameters ?? renamedSchema(tool.input_schema ?? {}, inverse(spec.client?.arguments)),
        });
      }
    }
  }
  // A training-style prompt lists the Claude Code tools it has a line for, in its order.
  const offeredNames = new Set(offered.map((tool) => tool.name));
  const known = [...options.promptUses].filter(([name]) => offeredNames.has(name)).map(([name, use]) => ({ name, use }));
  const listed = known.length > 0 ? known : offered.map((tool) => ({ name: tool.name }));

  const strip = profile.reminders.client === 'strip';
  return {
    clientNames,
    tools: offered,
    listed,
    toModel(clientName, input) {
      const spec = specOfClient(clientName);
      return { name: modelNameOf(clientName), arguments: renamed(input, inverse(spec?.client?.arguments)) };
    },
    toClient(modelName, args) {
      const spec = specByModel.get(modelName);
      if (spec && specByClient.get(clientNameOf(spec)) === spec) {
        return { name: clientNameOf(spec), input: renamed(unaliased(args, spec.aliases), spec.client?.arguments), known: true };
      }
      const alias = TOOL_ALIASES[modelName];
      const clientName = clientNames.has(modelName) ? modelName : alias !== undefined && clientNames.has(alias) ? alias : undefined;
      if (clientName === undefined) return { name: modelName, input: args, known: false };
      // A client tool the profile does not offer is not the model's to run.
      return profileOnly ? { name: clientName, input: args, known: false, hidden: true } : { name: clientName, input: args, known: true };
    },
    resultText(clientName, input, text, isError) {
      const spec = specOfClient(clientName);
      const implementation = spec?.implementation;
      if (isError) {
        // The client's "no such tool" for a tool the profile does not have, in the profile's words.
        if (!spec && profileOnly) return fillTemplate(profile.errors.unknownTool, { name: clientName });
        if (!spec || !implementation || implementation.startsWith('claude-code.')) return text;
        // The client's `<tool_use_error>` wrapper, re-worded as the profile's tools word errors.
        const message = text.replace(/^\s*<tool_use_error>([\s\S]*)<\/tool_use_error>\s*$/, '$1');
        return fillTemplate(profile.errors.toolError, { name: spec.name, message: strip ? stripReminders(message) : message });
      }
      const plain = strip ? stripReminders(text) : text;
      switch (implementation) {
        case 'claude-code.read':
          return toTrainingReadFormat(plain);
        case 'fastcontext.read':
          return fromClaudeCodeRead(text, typeof input.file_path === 'string' ? input.file_path : String(input.path ?? ''), profile.caps, typeof input.limit === 'number' ? input.limit : undefined);
        case 'fastcontext.grep':
          return fromClaudeCodeGrep(plain, typeof input.output_mode === 'string' ? input.output_mode : undefined, profile.caps, options.workspace);
        case 'fastcontext.glob':
          return fromClaudeCodeGlob(plain, profile.caps, options.workspace);
        default:
          return plain;
      }
    },
    clientText(text) {
      return strip ? stripReminders(text) : text;
    },
    query(text, workspace) {
      return profile.clientHarness.query === 'wrapped' ? renderQuery(profile, text, workspace) : text;
    },
  };
}
