// The seven dialect tools whose schemas eval checks calls against (model-dialect.md
// section 5): Read, Grep, Glob, Bash, Write, Edit, Task. The schemas come from the real tool
// factories, so eval and the agent can never disagree on what a valid call is. The tools
// are built but never run: eval only reads their names, schemas and descriptions.
import type { ToolCall } from '../protocol/messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import { createBashTool } from '../tools/bash.js';
import { createEditTool } from '../tools/edit.js';
import { createGlobTool } from '../tools/glob.js';
import { createGrepTool } from '../tools/grep.js';
import type { PathPolicy } from '../tools/paths.js';
import { createReadTool } from '../tools/read.js';
import { FileReadState } from '../tools/read-state.js';
import { createTaskTool } from '../tools/task.js';
import { toolboxOf, type Toolbox } from '../tools/toolbox.js';
import { validateArguments, type Validation } from '../tools/validation.js';
import { createWriteTool } from '../tools/write.js';

export const EVAL_TOOL_NAMES = ['Read', 'Grep', 'Glob', 'Bash', 'Write', 'Edit', 'Task'] as const;

let toolbox: Toolbox | undefined;

/** Built once: the factories touch nothing at construction, and the schemas never change. */
function evalToolbox(): Toolbox {
  if (toolbox) return toolbox;
  // A policy the tools would need to run; they never run here, so no directory is involved.
  const policy: PathPolicy = Object.freeze({ roots: Object.freeze(['/']), cwd: '/' });
  const readState = new FileReadState();
  const tools = [
    createReadTool({ policy, readState }),
    createGrepTool({ policy }),
    createGlobTool({ policy }),
    createBashTool({ policy, sandbox: 'allow-list' }),
    createWriteTool({ policy, readState }),
    createEditTool({ policy, readState }),
    createTaskTool({ runSubagent: () => Promise.reject(new Error('eval never runs tools')) }),
  ];
  toolbox = toolboxOf(policy, tools);
  return toolbox;
}

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
