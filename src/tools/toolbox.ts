// The set of tools one agent may use, and the executor that validates a call against the
// tool's schema, runs it, wraps errors as the model saw them and applies the size cap.
import { z } from 'zod';
import type { ToolCall } from '../protocol/messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import { buildTools } from './catalog.js';
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
}

export function wrapToolUseError(message: string): string {
  return `<tool_use_error>${message}</tool_use_error>`;
}

export function createToolbox(options: ToolboxOptions): Toolbox {
  const policy = createPathPolicy(options.roots);
  const readState = new FileReadState();
  const searcher = options.searcher ?? 'auto';
  const all = buildTools({ policy, readState, searcher, sandbox: options.sandbox, runSubagent: options.runSubagent }).filter((tool) => tool.readOnly || options.allowWrite);
  const selected = options.only ? all.filter((tool) => options.only?.includes(tool.name)) : all;
  return toolboxOf(policy, selected);
}

/** A toolbox over an explicit list of tools (tests, sub-agents). */
export function toolboxOf(policy: PathPolicy, list: readonly AnyTool[]): Toolbox {
  const tools = new Map(list.map((tool) => [tool.name, tool]));
  return {
    policy,
    tools,
    signatures: () =>
      [...tools.values()].map((tool) => ({
        name: tool.name,
        description: tool.description,
        parameters: z.toJSONSchema(tool.schema) as Record<string, unknown>,
        use: tool.promptUse,
      })),
    execute: (call, signal) => executeToolCall(tools, call, signal),
  };
}

export async function executeToolCall(tools: ReadonlyMap<string, AnyTool>, call: ToolCall, signal: AbortSignal): Promise<ToolExecution> {
  const started = performance.now();
  const done = (output: string, isError: boolean, truncated = false): ToolExecution => ({
    output,
    isError,
    durationMs: Math.round(performance.now() - started),
    truncated,
  });
  const tool = tools.get(call.name);
  if (!tool) return done(wrapToolUseError(`Error: No such tool available: ${call.name}`), true);
  const validation = validateArguments(tool.name, tool.schema, call.arguments);
  if (!validation.ok) return done(wrapToolUseError(validation.message), true);
  if (signal.aborted) return done(wrapToolUseError('Error: the request was cancelled before this tool ran'), true);
  try {
    const result = await tool.run(validation.value, { signal });
    const output = truncateResult(result.output, tool.sizeCap, tool.truncationHint ?? 'Narrow the request to see the rest.');
    return done(output, result.isError, output.length !== result.output.length);
  } catch (error) {
    if (error instanceof ToolUseError) return done(wrapToolUseError(error.message), true);
    const message = error instanceof Error ? error.message : String(error);
    return done(wrapToolUseError(`Error: ${message}`), true);
  }
}
