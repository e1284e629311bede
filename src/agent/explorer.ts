// An explorer: the agent loop wired to a toolbox over a directory tree, with Task calls
// answered by child explorers (depth 1) on the same backend, run in parallel.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Backend } from '../backends/types.js';
import { addUsage, DEFAULT_SAMPLING, emptyUsage, type ChatMessage, type Sampling } from '../protocol/messages.js';
import { workspaceListing } from '../tools/paths.js';
import { LOCOOPERATOR_PROFILE, QWEN3_TOOLS_PROFILE, renderQuery, renderSystemPrompt, type Profile, type PromptEnvironment } from '../protocol/profile.js';
import type { SystemPromptStyle } from '../protocol/system-prompt.js';
import type { SandboxMode } from '../tools/sandbox.js';
import type { SubagentRunner } from '../tools/task.js';
import { createToolbox } from '../tools/toolbox.js';
import type { AgentEventListener, AgentResult } from './events.js';
import { runAgent } from './loop.js';
import { EXPLORER_SUBAGENT, type SubagentDefinition } from './subagents.js';

export interface ExplorerOptions {
  backend: Backend;
  /** Allowed directories; the first is the working directory. */
  roots: readonly string[];
  allowWrite?: boolean;
  sandbox: SandboxMode;
  searcher?: 'ripgrep' | 'js' | 'auto';
  maxTurns?: number;
  contextBudget?: number;
  sampling?: Partial<Sampling>;
  /** Kept for `--prompt-style`: `qwen-tools` is the `qwen3-tools` profile when no profile is given. */
  promptStyle?: SystemPromptStyle;
  /** The dialect: tools, prompts, limits and sampling defaults. Default `locooperator`. */
  profile?: Profile;
  model?: string;
  /** Offer the Task tool (child explorers). Default true. */
  subagents?: boolean;
  subagent?: SubagentDefinition;
  signal?: AbortSignal;
  onEvent?: AgentEventListener;
}

export const DEFAULT_MAX_TURNS = 10;
export const DEFAULT_CONTEXT_BUDGET = 50_000;

export function userPrompt(question: string, workingDirectory: string): string {
  return renderQuery(LOCOOPERATOR_PROFILE, question, workingDirectory);
}

/** The profile an explorer runs with: the one given, else the one `--prompt-style` implies. */
export function explorerProfile(options: Pick<ExplorerOptions, 'profile' | 'promptStyle'>): Profile {
  return options.profile ?? (options.promptStyle === 'qwen-tools' ? QWEN3_TOOLS_PROFILE : LOCOOPERATOR_PROFILE);
}

/**
 * The working environment a system prompt may describe, as FastContext's harness fills it:
 * the OS kind, $SHELL (else bash), and the workspace as `ls` lists it (names in byte order,
 * no dotfiles), read only when the prompt shows it.
 */
async function promptEnvironment(profile: Profile, workspace: string): Promise<PromptEnvironment> {
  let listing: string[] = [];
  if (profile.systemPrompt.includes('{listing}')) listing = await workspaceListing(workspace);
  return { os: os.type(), shell: process.env.SHELL || 'bash', workspace, listing };
}

export async function explore(question: string, options: ExplorerOptions): Promise<AgentResult> {
  const profile = explorerProfile(options);
  const sampling: Sampling = { ...DEFAULT_SAMPLING, ...profile.sampling, ...options.sampling };
  const toolOptions = { tools: profile.tools, caps: profile.caps, errors: profile.errors };
  const loopOptions = { finalMessage: profile.finalMessage, parallelCalls: profile.parallelCalls, turnsLeft: profile.reminders.turnsLeft };
  const environment = await promptEnvironment(profile, options.roots[0]);
  const contextBudget = options.contextBudget ?? DEFAULT_CONTEXT_BUDGET;
  const definition = options.subagent ?? EXPLORER_SUBAGENT;
  let childUsage = emptyUsage();

  const runSubagent: SubagentRunner = async (request, signal) => {
    const id = `agent-${randomUUID().slice(0, 8)}`;
    const toolbox = createToolbox({ roots: options.roots, allowWrite: false, sandbox: options.sandbox, searcher: options.searcher, only: definition.tools, ...toolOptions });
    const result = await runAgent(
      {
        backend: options.backend,
        toolbox,
        messages: initialMessages(profile, request.prompt, toolbox.signatures(), { ...environment, workspace: toolbox.policy.cwd }),
        ...loopOptions,
        sampling,
        maxTurns: definition.maxTurns,
        contextBudget,
        signal,
        agentId: id,
        conversationId: id,
        model: options.model,
      },
      options.onEvent,
    );
    childUsage = addUsage(childUsage, result.usage);
    if (result.stopReason === 'error' && result.error) throw result.error;
    return {
      id,
      text: result.answer,
      totalTokens: result.usage.promptTokens + result.usage.completionTokens,
      toolUses: result.toolCalls.length,
      durationMs: result.durationMs,
    };
  };

  const toolbox = createToolbox({
    roots: options.roots,
    allowWrite: options.allowWrite ?? false,
    sandbox: options.sandbox,
    searcher: options.searcher,
    runSubagent: options.subagents === false ? undefined : runSubagent,
    ...toolOptions,
  });
  const result = await runAgent(
    {
      backend: options.backend,
      toolbox,
      messages: initialMessages(profile, question, toolbox.signatures(), { ...environment, workspace: toolbox.policy.cwd }),
      ...loopOptions,
      sampling,
      maxTurns: options.maxTurns ?? profile.maxTurns,
      contextBudget,
      signal: options.signal,
      agentId: 'main',
      conversationId: `main-${randomUUID().slice(0, 8)}`,
      model: options.model,
    },
    options.onEvent,
  );
  return { ...result, usage: addUsage(result.usage, childUsage) };
}

function initialMessages(profile: Profile, question: string, signatures: ReturnType<ReturnType<typeof createToolbox>['signatures']>, environment: PromptEnvironment): ChatMessage[] {
  return [
    { role: 'system', content: renderSystemPrompt(profile, signatures, environment) },
    { role: 'user', content: renderQuery(profile, question, environment.workspace) },
  ];
}
