// `loco ask <dir> <question...>`: explore a directory tree and print the answer.
// stdout carries only the answer (or one JSON object); progress goes to stderr.
import { stat, access, constants } from 'node:fs/promises';
import path from 'node:path';
import { explore } from '../agent/explorer.js';
import { createAgentTrace, type AgentTrace } from '../agent/trace-records.js';
import type { AgentEvent, AgentResult } from '../agent/events.js';
import { createRecordingBackend } from '../backends/recording.js';
import type { Backend } from '../backends/types.js';
import { LocoError } from '../errors.js';
import { extractCitations, type Citation } from '../mcp/citations.js';
import type { Profile } from '../protocol/profile.js';
import { createPathPolicy } from '../tools/paths.js';
import { detectSandbox } from '../tools/sandbox.js';
import { freshFileSink } from '../trace/writer.js';
import { explorerProfileOf, openExplorerBackend, resolveExplorerFlags, type ExplorerFlags } from './explorer-options.js';
import type { CommandIo } from './io.js';
import { createProgressPrinter, formatSummary } from './progress.js';

export type { CommandIo } from './io.js';

async function checkDirectory(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new LocoError('usage', `directory not found: ${dir} (give the path of the codebase to explore)`);
  }
  if (!info.isDirectory()) throw new LocoError('usage', `not a directory: ${dir} (give the directory that contains the code, not a file)`);
  try {
    await access(absolute, constants.R_OK | constants.X_OK);
  } catch {
    throw new LocoError('usage', `cannot read directory: ${dir} (check its permissions)`);
  }
  return absolute;
}

export function jsonReport(result: AgentResult, citations: readonly Citation[] = []): string {
  return JSON.stringify({
    answer: result.answer,
    citations,
    turns: result.turns,
    toolCalls: result.toolCalls.map((call) => ({ name: call.name, arguments: call.arguments, ok: call.ok, repaired: call.repaired, turn: call.turn })),
    usage: result.usage,
    stopReason: result.stopReason,
    durationMs: result.durationMs,
    ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
  });
}

/** Runs `ask`; returns the process exit code. Throws LocoError for bad usage. */
export async function runAsk(dir: string, questionWords: string[], flags: ExplorerFlags, io: CommandIo): Promise<number> {
  const question = questionWords.join(' ').trim();
  if (question === '') throw new LocoError('usage', 'empty question: loco ask <dir> "your question about the code"');
  const resolved = resolveExplorerFlags(flags, io.env);
  const { config } = resolved;
  const root = await checkDirectory(dir);
  const profile: Profile = await explorerProfileOf(resolved);
  const sandbox = config.sandbox === 'auto' ? await detectSandbox() : config.sandbox;
  let backend: Backend = await openExplorerBackend(resolved, io);

  let trace: AgentTrace | undefined;
  if (config.trace) {
    try {
      trace = createAgentTrace(freshFileSink(config.trace), { question, dir: root, backend: backend.info.description });
    } catch (error) {
      await backend.close();
      throw new LocoError('usage', `cannot write trace file ${config.trace}: ${(error as Error).message}`);
    }
    backend = createRecordingBackend(backend, trace.writer);
  }

  const showProgress = config.verbose || io.stderr.isTTY === true;
  const printer = showProgress ? createProgressPrinter((line) => io.stderr.write(`${line}\n`)) : undefined;
  const onEvent = (event: AgentEvent) => {
    printer?.(event);
    trace?.onEvent(event);
  };
  if (showProgress) io.stderr.write(`loco: exploring ${root} with ${backend.info.description} (sandbox: ${sandbox})\n`);

  let result: AgentResult;
  try {
    result = await explore(question, {
      backend,
      roots: [root],
      allowWrite: config.allowWrite,
      sandbox,
      maxTurns: config.maxTurns,
      contextBudget: config.contextBudget,
      sampling: config.temperature === undefined ? {} : { temperature: config.temperature },
      promptStyle: config.promptStyle,
      profile,
      model: config.model,
      subagents: config.subagents,
      signal: io.signal,
      onEvent,
    });
  } finally {
    await backend.close();
  }

  if (showProgress) io.stderr.write(`${formatSummary(result)}\n`);
  if (config.json) {
    // Only what the answer cites, checked against the tree (an invented file or line is dropped).
    const citations = await extractCitations(result.answer, [], createPathPolicy([root]), root, profile.citations);
    io.stdout.write(`${jsonReport(result, citations)}\n`);
  }

  switch (result.stopReason) {
    case 'error':
      io.stderr.write(`loco: ${result.error?.message ?? 'the backend failed'}\n`);
      return 1;
    case 'aborted':
      io.stderr.write('loco: interrupted\n');
      return 130;
    default:
      if (result.answer === '') {
        io.stderr.write(`loco: the model gave no answer (stopped by ${result.stopReason}); try a larger --max-turns or a more specific question\n`);
        return 1;
      }
      if (!config.json) io.stdout.write(`${result.answer}\n`);
      return 0;
  }
}
