// What every tool is: a name, a closed schema, a size cap, what the prompt, truncation notes
// and progress lines say about it, and a run function: data a model profile can swap.
// Tools are built by factories (one per file) that receive only the dependencies they use.
import type { z } from 'zod';

export interface ToolResult {
  /** The text the model sees (before the size cap is applied by the executor). */
  output: string;
  isError: boolean;
}

export interface ToolRunContext {
  signal: AbortSignal;
}

export interface ToolDefinition<Schema extends z.ZodObject = z.ZodObject> {
  name: string;
  /** One or two sentences for the Qwen `# Tools` prompt variant and for `--help` output. */
  description: string;
  /** Closed (strict) zod object: unknown keys are invalid. */
  schema: Schema;
  /** False for tools that change files (Write, Edit); those need `--allow-write`. */
  readOnly: boolean;
  /** Results longer than this many characters are shortened with a note (dialect section 6). */
  sizeCap: number;
  /** The line the training-time system prompt gives this tool (model-dialect.md section 2). */
  promptUse?: string;
  /** Appended when a result is cut to `sizeCap`: how to see the rest (default: narrow the request). */
  truncationHint?: string;
  /** Which arguments a progress line shows: `key` always, `scope` as "in <value>" when given. */
  progress?: { key: string; scope?: string };
  run(args: z.infer<Schema>, context: ToolRunContext): Promise<ToolResult>;
}

/** Any tool, with its argument type erased (the executor validates before calling). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<z.ZodObject<any>>;

/**
 * Thrown by a tool for errors detected before it did anything (bad arguments, refused by
 * policy, missing file). The executor wraps the message in `<tool_use_error>` as the model
 * saw in training.
 */
export class ToolUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolUseError';
  }
}

export function ok(output: string): ToolResult {
  return { output, isError: false };
}

export function failed(output: string): ToolResult {
  return { output, isError: true };
}

/** Keeps a tool's argument types while building it, then erases them for a tool list. */
export function defineTool<Schema extends z.ZodObject>(tool: ToolDefinition<Schema>): AnyTool {
  return tool as unknown as AnyTool;
}
