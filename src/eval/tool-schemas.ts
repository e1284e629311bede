// The seven dialect tools whose schemas eval checks calls against (model-dialect.md
// section 5): every tool of the catalog (tools/catalog.ts), so eval and the agent can never
// disagree on what a valid call is. The tools are built but never run: eval only reads their
// names, schemas and descriptions.
import type { ToolCall } from '../protocol/messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import { toolCatalog } from '../tools/catalog.js';
import { toolboxOf, type Toolbox } from '../tools/toolbox.js';
import { validateArguments, type Validation } from '../tools/validation.js';

let toolbox: Toolbox | undefined;

function evalToolbox(): Toolbox {
  toolbox ??= toolboxOf(Object.freeze({ roots: Object.freeze(['/']), cwd: '/' }), [...toolCatalog().values()]);
  return toolbox;
}

/**
 * The catalog's tools in the order eval has always shown them (reports, and the system prompt
 * of samples without one), kept so results stay comparable; a test checks it lists the catalog.
 */
export const EVAL_TOOL_NAMES = ['Read', 'Grep', 'Glob', 'Bash', 'Write', 'Edit', 'Task'] as const;

/** JSON-schema signatures of the seven tools, for backends that constrain or announce tools. */
export function evalToolSignatures(): ToolSignature[] {
  return evalToolbox().signatures();
}

/**
 * Checks a call against its tool's closed schema: required arguments present, types right,
 * no unknown keys. An unknown tool fails with the message the harness would give the model.
 */
export function validateToolCall(call: ToolCall): Validation<Record<string, unknown>> {
  const tool = evalToolbox().tools.get(call.name);
  if (!tool) return { ok: false, message: `Error: No such tool available: ${call.name}` };
  return validateArguments(tool.name, tool.schema, call.arguments);
}
