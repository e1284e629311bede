// The `explore` tool's handler: confine `path` to the roots, wait for a free slot, run the
// explorer with the request's abort signal (a `notifications/cancelled` stops generation and
// tools at once), report progress per turn and per tool call when the client asked for it,
// keep the trace, and answer with checked citations under the result budget.
import { stat } from 'node:fs/promises';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { explore } from '../agent/explorer.js';
import type { AgentEvent, AgentResult } from '../agent/events.js';
import { createRecordingBackend } from '../backends/recording.js';
import type { Backend } from '../backends/types.js';
import { createPathPolicy, resolveAllowedPath } from '../tools/paths.js';
import { extractCitations } from './citations.js';
import type { McpCore } from './core.js';
import { buildExploreResult } from './result.js';

export const THOROUGHNESS_TURNS = { quick: 4, medium: 10, thorough: 20 } as const;
export const MAX_TURNS_LIMIT = 30;

export const exploreInputShape = {
  question: z.string().trim().min(1).max(8_000).describe('What to find out about the code, in plain words'),
  path: z.string().min(1).optional().describe('Directory to explore, absolute or relative to the first root (default: the first root)'),
  thoroughness: z.enum(['quick', 'medium', 'thorough']).optional().describe(`How hard to look: quick (${THOROUGHNESS_TURNS.quick} turns), medium (${THOROUGHNESS_TURNS.medium}, default), thorough (${THOROUGHNESS_TURNS.thorough})`),
  max_turns: z.number().int().min(1).max(MAX_TURNS_LIMIT).optional().describe(`Turn limit overriding thoroughness (1 to ${MAX_TURNS_LIMIT})`),
};

const exploreInput = z.object(exploreInputShape);
export type ExploreInput = z.infer<typeof exploreInput>;
type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

async function explorationDirectory(core: McpCore, input: string | undefined): Promise<string | CallToolResult> {
  if (input === undefined) return core.policy.cwd;
  let real: string;
  try {
    real = await resolveAllowedPath(core.policy, input);
  } catch {
    return errorResult(`path "${input}" is outside the roots this server explores (${core.policy.roots.join(', ')}); give a directory inside them, or restart \`loco mcp\` with --root <dir>`);
  }
  const info = await stat(real).catch(() => undefined);
  if (!info) return errorResult(`path "${input}" does not exist; give a directory inside ${core.policy.roots.join(', ')}`);
  if (!info.isDirectory()) return errorResult(`path "${input}" is a file; give the directory that contains it and name the file in the question`);
  return real;
}

interface ProgressReporter {
  (message: string): void;
  /** Resolves once every notification is sent: the result must not overtake them (a client drops progress after its result). */
  sent(): Promise<void>;
}

function progressReporter(extra: Extra): ProgressReporter {
  const token = extra._meta?.progressToken;
  let progress = 0;
  let chain: Promise<void> = Promise.resolve();
  const report = (message: string): void => {
    if (token === undefined) return;
    progress += 1;
    const params = { progressToken: token, progress, message };
    chain = chain.then(() => extra.sendNotification({ method: 'notifications/progress', params })).catch(() => undefined);
  };
  return Object.assign(report, { sent: () => chain });
}

function progressMessage(event: AgentEvent): string | undefined {
  const who = event.agentId === 'main' ? '' : `${event.agentId}: `;
  if (event.type === 'turn-start') return `${who}turn ${event.turn}${event.final ? ' (final answer)' : ''}`;
  if (event.type === 'tool-result') return `${who}${event.name} ${event.isError ? 'failed' : 'done'} (${event.durationMs} ms)`;
  return undefined;
}

export async function handleExplore(core: McpCore, args: ExploreInput, extra: Extra): Promise<CallToolResult> {
  const dir = await explorationDirectory(core, args.path);
  if (typeof dir !== 'string') return dir;
  const maxTurns = args.max_turns ?? THOROUGHNESS_TURNS[args.thoroughness ?? 'medium'];
  const report = progressReporter(extra);

  if (core.queue.busy >= core.queue.size) report(`waiting for a free slot (${core.queue.waiting + 1} in line)`);
  const release = await core.queue.acquire(extra.signal);
  if (!release) return errorResult('cancelled while waiting for a free slot');
  try {
    let backend: Backend;
    try {
      backend = await core.backend();
    } catch (error) {
      core.options.log(`loco mcp: backend failed to start: ${(error as Error).message}`);
      return errorResult(`the local model could not be started: ${(error as Error).message}`);
    }
    const trace = core.traces.start({ question: args.question, root: dir, backend: backend.info.description });
    const recorded = createRecordingBackend(backend, trace.writer);
    let result: AgentResult;
    try {
      result = await explore(args.question, {
        backend: recorded,
        roots: [dir, ...core.policy.roots],
        allowWrite: false,
        sandbox: core.options.sandbox,
        maxTurns,
        contextBudget: core.options.contextBudget,
        sampling: core.options.temperature === undefined ? {} : { temperature: core.options.temperature },
        promptStyle: core.options.promptStyle,
        profile: core.options.profile,
        model: core.options.model,
        subagents: core.options.subagents,
        signal: extra.signal,
        onEvent: (event) => {
          trace.onEvent(event);
          const message = progressMessage(event);
          if (message) report(message);
        },
      });
      await recorded.flush();
      await report.sent();
    } finally {
      core.runFinished();
    }
    core.options.log(`loco mcp: explore ${trace.id.slice(0, 8)}: ${result.stopReason}, ${result.turns} turns, ${result.toolCalls.length} tool calls, ${result.durationMs} ms`);
    if (result.stopReason === 'aborted') return errorResult('cancelled');
    if (result.stopReason === 'error') return errorResult(`the explorer failed: ${result.error?.message ?? 'backend error'} (trace: ${trace.uri})`);

    const citations = await extractCitations(result.answer, result.toolCalls, createPathPolicy(core.policy.roots, dir), core.policy.cwd, core.options.profile?.citations);
    const { text, structured } = buildExploreResult({
      answer: result.answer,
      citations,
      stopReason: result.stopReason,
      turns: result.turns,
      toolCalls: result.toolCalls.length,
      trace: trace.uri,
    });
    return {
      content: [
        { type: 'text', text },
        { type: 'resource_link', uri: trace.uri, name: `trace ${trace.id.slice(0, 8)}`, description: 'Every turn, tool call and result of this run (JSONL)', mimeType: 'application/x-ndjson' },
      ],
      structuredContent: structured,
    };
  } finally {
    release();
  }
}
