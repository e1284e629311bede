// The set of tools one agent may use, and the executor that validates a call against the
// tool's schema, runs it, wraps errors as the model saw them and applies the size cap.
import { z } from 'zod';
import type { ToolCall } from '../protocol/messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import { buildProfileTools, buildTools, type ProfileTool } from './catalog.js';
import type { FastContextCaps } from './fastcontext.js';
import { createPathPolicy, type PathPolicy } from './paths.js';
import { FileReadState } from './read-state.js';
import type { SandboxMode } from './sandbox.js';
import type { SubagentRunner } from './task.js';
import { truncateResult } from './truncate.js';
import { ToolUseError, type AnyTool } from './types.js';
import { validateArguments } from './validation.js';

export interface ToolExecution {
  output: string;
  isError: boolean;
  durationMs: number;
  /** True when the output was shortened to the tool's size cap. */
  truncated: boolean;
}

export interface Toolbox {
  readonly policy: PathPolicy;
  readonly tools: ReadonlyMap<string, AnyTool>;
  signatures(): ToolSignature[];
  execute(call: ToolCall, signal: AbortSignal): Promise<ToolExecution>;
  /** The result text for a failure detected outside a tool (an unreadable call). */
  errorText(message: string): string;
}

/** Result strings for failures, as a model profile words them: `{name}`, `{message}`. */
export interface ToolErrorTemplates {
  unknownTool: string;
  invalidArguments: string;
  toolError: string;
}

/** The training dialect's wording (model-dialect.md section 6). */
export const TRAINING_ERROR_TEMPLATES: ToolErrorTemplates = {
  unknownTool: '<tool_use_error>Error: No such tool available: {name}</tool_use_error>',
  invalidArguments: '<tool_use_error>{message}</tool_use_error>',
  toolError: '<tool_use_error>{message}</tool_use_error>',
};

/**
 * A profile's tool: the argument names the model may write instead of the schema's, and the
 * schema the model is shown (checked before the implementation's own).
 */
export type ToolboxTool = ProfileTool & { aliases?: Readonly<Record<string, string>>; parameters?: Record<string, unknown> };

/** How the model sees one tool when its profile says more than the implementation. */
interface ModelView {
  aliases?: Readonly<Record<string, string>>;
  /** The profile's JSON Schema, as shown and as compiled for checking calls. */
  parameters?: { json: Record<string, unknown>; schema: z.ZodObject };
}

/** Compiles a profile's argument schema; profile files are checked when loaded, so a failure here is a bug. */
function compileParameters(json: Record<string, unknown>): z.ZodObject {
  const schema = z.fromJSONSchema(json as Parameters<typeof z.fromJSONSchema>[0]);
  if (!(schema instanceof z.ZodObject)) throw new Error('a tool\'s parameters must be an object schema');
  return schema;
}

export interface ToolboxOptions {
  /** Directories the file tools may touch; the first is the working directory. */
  roots: readonly string[];
  allowWrite: boolean;
  sandbox: SandboxMode;
  searcher?: 'ripgrep' | 'js' | 'auto';
  /** When given, the Task tool is offered and runs child explorers through it. */
  runSubagent?: SubagentRunner;
  /** Restricts the tools to these names (sub-agent definitions). */
  only?: readonly string[];
  /** A model profile's tools, in its order; default the Claude Code set of the training prompt. */
  tools?: readonly ToolboxTool[];
  caps?: FastContextCaps;
  errors?: ToolErrorTemplates;
}

function fill(template: string, values: { name?: string; message?: string }): string {
  return template.replace(/\{(name|message)\}/g, (whole, key: 'name' | 'message') => values[key] ?? whole);
}

export function wrapToolUseError(message: string): string {
  return `<tool_use_error>${message}</tool_use_error>`;
}

export function createToolbox(options: ToolboxOptions): Toolbox {
  const policy = createPathPolicy(options.roots);
  const readState = new FileReadState();
  const searcher = options.searcher ?? 'auto';
  const deps = { policy, readState, searcher, sandbox: options.sandbox, runSubagent: options.runSubagent, caps: options.caps };
  const built = options.tools ? buildProfileTools(options.tools, deps) : buildTools(deps);
  const all = built.filter((tool) => tool.readOnly || options.allowWrite);
  const selected = options.only ? all.filter((tool) => options.only?.includes(tool.name)) : all;
  const views = new Map<string, ModelView>();
  for (const tool of options.tools ?? []) {
    if (!tool.aliases && !tool.parameters) continue;
    views.set(tool.name, { aliases: tool.aliases, parameters: tool.parameters && { json: tool.parameters, schema: compileParameters(tool.parameters) } });
  }
  return toolboxOf(policy, selected, { errors: options.errors, views });
}

/** A toolbox over an explicit list of tools (tests, sub-agents). */
export function toolboxOf(
  policy: PathPolicy,
  list: readonly AnyTool[],
  options: { errors?: ToolErrorTemplates; views?: ReadonlyMap<string, ModelView> } = {},
): Toolbox {
  const tools = new Map(list.map((tool) => [tool.name, tool]));
  const errors = options.errors ?? TRAINING_ERROR_TEMPLATES;
  return {
    policy,
    tools,
    signatures: () =>
      [...tools.values()].map((tool) => ({
        name: tool.name,
        description: tool.description,
        parameters: options.views?.get(tool.name)?.parameters?.json ?? (z.toJSONSchema(tool.schema) as Record<string, unknown>),
        use: tool.promptUse,
      })),
    execute: (call, signal) => {
      const view = options.views?.get(call.name);
      const renamed = withAliases(call, view?.aliases);
      if (view?.parameters && tools.has(call.name)) {
        // The schema the model was shown decides first, in the profile's words.
        const checked = validateArguments(call.name, view.parameters.schema, renamed.arguments);
        if (!checked.ok) return Promise.resolve({ output: fill(errors.invalidArguments, { name: call.name, message: checked.message }), isError: true, durationMs: 0, truncated: false });
      }
      return executeToolCall(tools, renamed, signal, errors);
    },
    errorText: (message) => fill(errors.toolError, { message }),
  };
}

/** Renames aliased arguments to the schema's names (an argument given under both keeps the schema's). */
function withAliases(call: ToolCall, aliases: Readonly<Record<string, string>> | undefined): ToolCall {
  if (!aliases) return call;
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(call.arguments)) {
    const target = aliases[key];
    if (target !== undefined && !(target in call.arguments)) renamed[target] = value;
    else renamed[key] = value;
  }
  return { ...call, arguments: renamed };
}

export async function executeToolCall(
  tools: ReadonlyMap<string, AnyTool>,
  call: ToolCall,
  signal: AbortSignal,
  errors: ToolErrorTemplates = TRAINING_ERROR_TEMPLATES,
): Promise<ToolExecution> {
  const started = performance.now();
  const done = (output: string, isError: boolean, truncated = false): ToolExecution => ({
    output,
    isError,
    durationMs: Math.round(performance.now() - started),
    truncated,
  });
  const tool = tools.get(call.name);
  const toolError = (message: string) => fill(errors.toolError, { message });
  if (!tool) return done(fill(errors.unknownTool, { name: call.name }), true);
  const validation = validateArguments(tool.name, tool.schema, call.arguments);
  if (!validation.ok) return done(fill(errors.invalidArguments, { name: tool.name, message: validation.message }), true);
  if (signal.aborted) return done(toolError('Error: the request was cancelled before this tool ran'), true);
  try {
    const result = await tool.run(validation.value, { signal });
    const output = truncateResult(result.output, tool.sizeCap, tool.truncationHint ?? 'Narrow the request to see the rest.');
    return done(output, result.isError, output.length !== result.output.length);
  } catch (error) {
    if (error instanceof ToolUseError) return done(toolError(error.message), true);
    const message = error instanceof Error ? error.message : String(error);
    return done(toolError(`Error: ${message}`), true);
  }
}
