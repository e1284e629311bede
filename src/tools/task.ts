// Task: hands a self-contained search to a child explorer. The child runs in the agent
// layer (injected as `runSubagent`), so tools never import the loop.
import { z } from 'zod';
import { ok, type ToolDefinition } from './types.js';

export interface SubagentRequest {
  description: string;
  prompt: string;
  subagentType: string;
  model?: string;
}

export interface SubagentOutcome {
  id: string;
  text: string;
  totalTokens: number;
  toolUses: number;
  durationMs: number;
}

export type SubagentRunner = (request: SubagentRequest, signal: AbortSignal) => Promise<SubagentOutcome>;

const schema = z.strictObject({
  description: z.string().describe('A short (3-5 word) description of the task'),
  prompt: z.string().describe('The task for the agent to perform'),
  subagent_type: z.string().describe('The type of specialized agent to use for this task'),
  model: z.string().optional().describe('Optional model for the agent'),
});

export function formatSubagentOutcome(outcome: SubagentOutcome): string {
  const text = outcome.text.trim() === '' ? '(the sub-agent gave no answer)' : outcome.text.trim();
  return [
    text,
    `agentId: ${outcome.id}`,
    `<usage>total_tokens: ${outcome.totalTokens}`,
    `tool_uses: ${outcome.toolUses}`,
    `duration_ms: ${outcome.durationMs}</usage>`,
  ].join('\n');
}

export function createTaskTool(deps: { runSubagent: SubagentRunner }): ToolDefinition<typeof schema> {
  return {
    name: 'Task',
    description: 'Launch a sub-agent that searches the codebase on its own and returns its findings. Several Task calls in one reply run in parallel.',
    schema,
    readOnly: true,
    sizeCap: 100_000,
    promptUse: 'Use Task to hand a self-contained search to a sub-agent.',
    progress: { key: 'description' },
    async run(args, context) {
      const outcome = await deps.runSubagent(
        { description: args.description, prompt: args.prompt, subagentType: args.subagent_type, model: args.model },
        context.signal,
      );
      return ok(formatSubagentOutcome(outcome));
    },
  };
}
