// An explorer: the agent loop wired to a toolbox over a directory tree, with Task calls
// answered by child explorers (depth 1) on the same backend, run in parallel.
import { randomUUID } from 'node:crypto';
import type { Backend } from '../backends/types.js';
import { addUsage, DEFAULT_SAMPLING, emptyUsage, type ChatMessage, type Sampling } from '../protocol/messages.js';
import { buildSystemPrompt, type SystemPromptStyle } from '../protocol/system-prompt.js';
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
  promptStyle?: SystemPromptStyle;
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
  return `${question.trim()}\n\nWorking directory: ${workingDirectory}`;
}

export async function explore(question: string, options: ExplorerOptions): Promise<AgentResult> {
  const sampling: Sampling = { ...DEFAULT_SAMPLING, ...options.sampling };
  const contextBudget = options.contextBudget ?? DEFAULT_CONTEXT_BUDGET;
  const definition = options.subagent ?? EXPLORER_SUBAGENT;
  let childUsage = emptyUsage();

  const runSubagent: SubagentRunner = async (request, signal) => {
    const id = `agent-${randomUUID().slice(0, 8)}`;
    const toolbox = createToolbox({ roots: options.roots, allowWrite: false, sandbox: options.sandbox, searcher: options.searcher, only: definition.tools });
    const result = await runAgent(
      {
        backend: options.backend,
        toolbox,
        messages: initialMessages(request.prompt, toolbox.policy.cwd, options.promptStyle ?? 'training', toolbox.signatures()),
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
  });
  const result = await runAgent(
    {
      backend: options.backend,
      toolbox,
      messages: initialMessages(question, toolbox.policy.cwd, options.promptStyle ?? 'training', toolbox.signatures()),
      sampling,
      maxTurns: options.maxTurns ?? DEFAULT_MAX_TURNS,
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

function initialMessages(question: string, cwd: string, style: SystemPromptStyle, signatures: ReturnType<ReturnType<typeof createToolbox>['signatures']>): ChatMessage[] {
  return [
    { role: 'system', content: buildSystemPrompt(style, signatures) },
    { role: 'user', content: userPrompt(question, cwd) },
  ];
}
