// The one list of every tool: each factory with the dependencies it takes, in the order the
// training prompt names them (model-dialect.md section 2). Toolboxes, eval's schema checks,
// the proxy's system prompt and the CLI's progress lines all read tool knowledge from here.
import { createBashTool } from './bash.js';
import { createEditTool } from './edit.js';
import { createFastContextGlobTool, createFastContextGrepTool, createFastContextReadTool, type FastContextCaps } from './fastcontext.js';
import { createGlobTool } from './glob.js';
import { createGrepTool } from './grep.js';
import type { PathPolicy } from './paths.js';
import { createReadTool } from './read.js';
import { FileReadState } from './read-state.js';
import type { SandboxMode } from './sandbox.js';
import { createTaskTool, type SubagentRunner } from './task.js';
import type { AnyTool } from './types.js';
import { createWriteTool } from './write.js';

export interface ToolDependencies {
  policy: PathPolicy;
  readState: FileReadState;
  sandbox: SandboxMode;
  searcher?: 'ripgrep' | 'js' | 'auto';
  /** Without it there is no Task tool. */
  runSubagent?: SubagentRunner;
  /** Limits of the profile's own formatters (FastContext's tools). */
  caps?: FastContextCaps;
}

const DEFAULT_CAPS: FastContextCaps = { readLines: 2000, lineCharacters: 2000, grepLines: 100, globResults: 100, contextLines: 3 };

/** Each factory builds its tool, or nothing when a dependency it needs is absent. */
export const ALL_TOOL_FACTORIES: readonly ((deps: ToolDependencies) => AnyTool | undefined)[] = [
  (deps) => createReadTool(deps),
  (deps) => createGlobTool(deps),
  (deps) => createGrepTool(deps),
  (deps) => createBashTool(deps),
  (deps) => createWriteTool(deps),
  (deps) => createEditTool(deps),
  (deps) => (deps.runSubagent ? createTaskTool({ runSubagent: deps.runSubagent }) : undefined),
];

/** Every tool implementation a model profile may name (`tools[].implementation`). */
export const TOOL_IMPLEMENTATIONS: Readonly<Record<string, (deps: ToolDependencies) => AnyTool | undefined>> = {
  'claude-code.read': ALL_TOOL_FACTORIES[0],
  'claude-code.glob': ALL_TOOL_FACTORIES[1],
  'claude-code.grep': ALL_TOOL_FACTORIES[2],
  'claude-code.bash': ALL_TOOL_FACTORIES[3],
  'claude-code.write': ALL_TOOL_FACTORIES[4],
  'claude-code.edit': ALL_TOOL_FACTORIES[5],
  'claude-code.task': ALL_TOOL_FACTORIES[6],
  'fastcontext.read': (deps) => createFastContextReadTool({ policy: deps.policy, caps: deps.caps ?? DEFAULT_CAPS }),
  'fastcontext.glob': (deps) => createFastContextGlobTool({ policy: deps.policy, caps: deps.caps ?? DEFAULT_CAPS }),
  'fastcontext.grep': (deps) => createFastContextGrepTool({ policy: deps.policy, caps: deps.caps ?? DEFAULT_CAPS }),
};

/** A profile's tool: an implementation under the profile's name and description. */
export interface ProfileTool {
  name: string;
  implementation: string;
  description?: string;
}

/** The tools a profile names, in its order; throws for an implementation that does not exist. */
export function buildProfileTools(specs: readonly ProfileTool[], deps: ToolDependencies): AnyTool[] {
  return specs.flatMap((spec) => {
    const create = TOOL_IMPLEMENTATIONS[spec.implementation];
    if (!create) throw new Error(`unknown tool implementation "${spec.implementation}" (one of ${Object.keys(TOOL_IMPLEMENTATIONS).join(', ')})`);
    const tool = create(deps);
    if (!tool) return [];
    return tool.name === spec.name && spec.description === undefined ? [tool] : [{ ...tool, name: spec.name, description: spec.description ?? tool.description }];
  });
}

export function buildTools(deps: ToolDependencies): AnyTool[] {
  return ALL_TOOL_FACTORIES.flatMap((create) => create(deps) ?? []);
}

let catalog: ReadonlyMap<string, AnyTool> | undefined;

/**
 * Every tool, built once to be read, never run: names, schemas, descriptions, prompt lines.
 * The factories touch nothing at construction, so no directory is involved.
 */
export function toolCatalog(): ReadonlyMap<string, AnyTool> {
  if (catalog) return catalog;
  const policy: PathPolicy = Object.freeze({ roots: Object.freeze(['/']), cwd: '/' });
  const tools = buildTools({ policy, readState: new FileReadState(), sandbox: 'allow-list', runSubagent: () => Promise.reject(new Error('catalog tools never run')) });
  catalog = new Map(tools.map((tool) => [tool.name, tool]));
  return catalog;
}

/** The training prompt's tool lines, in its order, for prompts built outside a toolbox (proxy, eval). */
export function trainingPromptTools(): { name: string; use?: string }[] {
  return [...toolCatalog().values()].map((tool) => ({ name: tool.name, use: tool.promptUse }));
}

/** The training prompt's lines for the named tools, in the order given. */
export function promptTools(names: readonly string[]): { name: string; use?: string }[] {
  return names.map((name) => ({ name, use: toolCatalog().get(name)?.promptUse }));
}

/** The argument names an implementation accepts (its schema's keys), for checking profiles. */
export function implementationArguments(implementation: string): string[] | undefined {
  const create = TOOL_IMPLEMENTATIONS[implementation];
  if (!create) return undefined;
  const policy: PathPolicy = Object.freeze({ roots: Object.freeze(['/']), cwd: '/' });
  const tool = create({ policy, readState: new FileReadState(), sandbox: 'allow-list', runSubagent: () => Promise.reject(new Error('never run')) });
  return tool && Object.keys(tool.schema.shape);
}
