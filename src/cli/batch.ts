// `loco batch <queries> --repo <dir> --out <dir>`: answer every query of a file, resumably,
// with a summary. Progress goes to stderr; the closing report to stdout; files to --out.
// Exit codes: 0 all answered, 1 some failed or timed out, 2 bad usage or input, 130 Ctrl-C.
// LOCO_FAKE_DELAY_MS slows `fake:` backends per chunk, so tests and demos can stop a run midway.
import { wholeNumberFlag } from '../flags.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import { createBackendFromSpecs } from '../backends/fleet-spec.js';
import type { Backend } from '../backends/types.js';
import { loadQueries } from '../batch/input.js';
import { openBatchOutput } from '../batch/output.js';
import { createBatchProgress } from '../batch/progress.js';
import { formatSeconds } from '../format.js';
import { runBatch, type BatchResult } from '../batch/runner.js';
import type { BatchSummary } from '../batch/summary.js';
import { loadTemplate } from '../batch/template.js';
import { backendOptionsOf, resolveAskConfig, type AskFlags } from '../config/ask-config.js';
import { LocoError } from '../errors.js';
import { DEFAULT_SAMPLING } from '../protocol/messages.js';
import { detectSandbox } from '../tools/sandbox.js';
import { BACKEND_HELP, backendSpecs, collectBackend } from './backend-flags.js';
import { checkQueueFlags, registerBatchQueueCommands, submitToQueue } from './batch-queue.js';
import type { CommandIo } from './io.js';
import { defaultBackendSpec } from './model.js';

export interface BatchCommandIo extends CommandIo {
  setExitCode: (code: number) => void;
}

export interface BatchFlags extends Omit<AskFlags, 'backend'> {
  /** Several: a fleet. */
  backend?: string[];
  repo?: string;
  /** Required without --queue. */
  out?: string;
  /** redis://host:port/N: hand the queries to `loco worker`s instead of answering them here. */
  queue?: string;
  concurrency?: string;
  template?: string;
  retries?: string;
  timeoutPerQuery?: string;
  maxTokens?: string;
  force?: boolean;
}

export const DEFAULT_CONCURRENCY = 4;
/** Most failures listed in the closing report; summary.json has them all. */
const LISTED_FAILURES = 10;


function seconds(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 7 * 24 * 3600) throw new LocoError('usage', `${flag} must be a number of seconds above 0 (got "${text}")`);
  return value;
}

/** Quotes a word for a POSIX shell only when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line to resume with: what the user typed, less --force (it would redo everything). */
export function resumeCommand(command: Command, queriesFile: string): string {
  const words = ['loco', 'batch', queriesFile];
  for (const option of command.options) {
    const key = option.attributeName();
    if (command.getOptionValueSource(key) !== 'cli' || option.long === undefined || option.long === '--force') continue;
    const value: unknown = command.getOptionValue(key);
    if (typeof value === 'string') words.push(option.long, value);
    else if (Array.isArray(value)) for (const each of value) words.push(option.long, String(each));
    else if (value === true || (value === false && option.negate)) words.push(option.long);
  }
  return words.map(shellWord).join(' ');
}

function closingReport(summary: BatchSummary): string[] {
  const { totals, run } = summary;
  const earlier = totals.resumed > 0 ? `; ${totals.resumed} from earlier runs` : '';
  const timedOut = totals.timedOut > 0 ? `, ${totals.timedOut} timed out` : '';
  const pending = totals.pending > 0 ? `, ${totals.pending} not run` : '';
  const lines = [
    `loco batch: ${totals.ok} ok, ${totals.failed} failed${timedOut}${pending} (of ${totals.queries}${earlier})`,
    `  this run: ${totals.ran} queries in ${formatSeconds(run.wallMs / 1000)}, ${run.queriesPerMinute} queries/min, ${run.completionTokensPerSecond} tokens/s; wall time per query p50 ${(summary.distributions.wallMs.p50 / 1000).toFixed(1)} s, p95 ${(summary.distributions.wallMs.p95 / 1000).toFixed(1)} s`,
  ];
  for (const failure of summary.failures.slice(0, LISTED_FAILURES)) lines.push(`  ${failure.status} ${failure.id} (line ${failure.line}): ${failure.reason ?? ''}`);
  if (summary.failures.length > LISTED_FAILURES) lines.push(`  … ${summary.failures.length - LISTED_FAILURES} more in summary.json`);
  return lines;
}

/** Runs `batch`; returns the exit code: 0 all answered, 1 some failed, 130 interrupted. */
export async function runBatchCommand(queriesFile: string, flags: BatchFlags, io: CommandIo, resumeWith: string): Promise<number> {
  const cwd = process.cwd();
  checkQueueFlags(flags);
  const specs = backendSpecs(flags.backend);
  const config = resolveAskConfig({ ...flags, backend: specs?.[0] }, io.env);
  const concurrency = wholeNumberFlag('--concurrency', flags.concurrency, 1, 64) ?? DEFAULT_CONCURRENCY;
  const retries = wholeNumberFlag('--retries', flags.retries, 0, 20) ?? 2;
  const maxTokens = wholeNumberFlag('--max-tokens', flags.maxTokens, 1, 131_072) ?? DEFAULT_SAMPLING.maxTokens;
  const timeoutS = seconds('--timeout-per-query', flags.timeoutPerQuery);
  // Everything that can be wrong with the input is found before a model is loaded.
  const queries = await loadQueries(queriesFile, { defaultRepo: flags.repo, cwd });
  const template = await loadTemplate(flags.template, cwd);
  const explorerSettings = {
    maxTurns: config.maxTurns,
    contextBudget: config.contextBudget,
    sampling: { maxTokens, ...(config.temperature === undefined ? {} : { temperature: config.temperature }) },
    promptStyle: config.promptStyle,
    model: config.model,
    subagents: config.subagents,
  };
  if (flags.queue !== undefined) {
    const settings = { queriesFile, out: '', repo: flags.repo, backend: '', template: template.source, concurrency: 0, retries, timeoutPerQueryS: timeoutS, maxTurns: config.maxTurns, force: false };
    return submitToQueue({ queue: flags.queue, queries, template, explorer: explorerSettings, settings, timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000, retries }, io);
  }
  const out = flags.out as string;
  const sandbox = config.sandbox === 'auto' ? await detectSandbox() : config.sandbox;
  const spec = config.backend ?? (await defaultBackendSpec({ modelsDir: config.modelsDir, pull: config.pull }, io));
  const fakeDelay = io.env.LOCO_FAKE_DELAY_MS === undefined ? undefined : wholeNumberFlag('LOCO_FAKE_DELAY_MS', io.env.LOCO_FAKE_DELAY_MS, 0, 60_000);
  // One backend for every query: the embedded engine gets one sequence per concurrent query.
  const backend: Backend & { load?: () => Promise<void> } = await createBackendFromSpecs(specs ?? [spec], backendOptionsOf(config, { sequences: concurrency, fakeDelayMs: fakeDelay }));
  try {
    const output = await openBatchOutput(out);
    try {
      // A model that cannot load would fail every query: fail once, before the batch starts.
      await backend.load?.();
    } catch (error) {
      await output.release();
      throw error;
    }
    const progress = createBatchProgress(io.stderr, { tty: io.stderr.isTTY === true });
    io.stderr.write(`loco: answering into ${output.dir} with ${backend.info.description} (concurrency ${concurrency}, sandbox ${sandbox})\n`);
    let result: BatchResult;
    try {
      result = await runBatch({
        backend,
        queries,
        output,
        template,
        concurrency,
        retry: { retries },
        timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
        force: flags.force ?? false,
        signal: io.signal,
        onProgress: progress.onProgress,
        settings: { queriesFile, out: output.dir, repo: flags.repo, backend: backend.info.description, template: template.source, concurrency, retries, timeoutPerQueryS: timeoutS, maxTurns: config.maxTurns, force: flags.force ?? false },
        explorer: { sandbox, ...explorerSettings },
      });
    } finally {
      progress.stop();
      await output.release();
    }
    for (const line of closingReport(result.summary)) io.stdout.write(`${line}\n`);
    io.stdout.write(`  answers: ${output.dir}/<id>.md, traces: ${output.dir}/traces/, summary: ${output.summaryPath}\n`);
    if (result.interrupted) {
      const { totals } = result.summary;
      io.stderr.write(`loco: interrupted with ${totals.pending} of ${totals.queries} queries left; nothing half-written was kept. Resume with:\n  ${resumeWith}\n`);
      return 130;
    }
    return result.summary.failures.length > 0 ? 1 : 0;
  } finally {
    await backend.close();
  }
}

/** Adds `loco batch …` to the program. */
export function registerBatchCommand(program: Command, io: BatchCommandIo): Command {
  const batch = program
    .command('batch')
    .description('Answer every query of a file about a codebase: one <id>.md answer and one replayable trace per query, a summary.json, resumable (a rerun skips answered queries)')
    .argument('<queries>', 'a file of `id<TAB>query` lines, or JSONL {"id", "query", "repo"?} (repo relative to the file); blank lines and # comments are skipped')
    .option('-o, --out <dir>', 'folder for <id>.md answers, traces/<id>.jsonl and summary.json (created if missing); required without --queue')
    .option('-q, --queue <url>', 'redis://host:port/N: queue one job per query for `loco worker`s instead of answering here (resubmitting redoes nothing finished); see `loco batch status` and `loco batch collect`')
    .option('-r, --repo <dir>', 'the codebase every query explores (JSONL entries may name their own)')
    .option('-c, --concurrency <n>', `queries run at once, sharing one backend (default ${DEFAULT_CONCURRENCY}; the embedded engine gets one sequence each)`)
    .option('-b, --backend <spec>', BACKEND_HELP, collectBackend)
    .option('--template <file>', 'prompt template with {question}, {project} (the repo folder name) and {repo} (its path); {{ and }} write braces')
    .option('--retries <n>', 'times a query is run again when its backend failed, with backoff and jitter (default 2)')
    .option('--timeout-per-query <s>', 'seconds a query may take, retries included, before it is marked timed-out (default: no limit)')
    .option('--max-turns <n>', 'most assistant turns per query before its final answer is requested (default 10)')
    .option('--max-tokens <n>', `most tokens per reply (default ${DEFAULT_SAMPLING.maxTokens})`)
    .option('--force', 'run every query again: existing answers are removed first, so an interrupted forced run resumes without --force')
    .option('-m, --model <name>', 'model name to ask the backend for; env LOCO_MODEL')
    .option('-t, --temperature <t>', 'sampling temperature (default 0.7)')
    .option('--context-budget <tokens>', 'largest prompt to send, in tokens (default 50000)')
    .addOption(new Option('--sandbox <mode>', 'how Bash is confined').choices(['auto', 'bwrap', 'allow-list']).default('auto'))
    .addOption(new Option('--prompt-style <style>', 'system prompt variant').choices(['training', 'qwen-tools']).default('training'))
    .addOption(new Option('--server-kind <kind>', 'server differences to account for').choices(['llamacpp', 'vllm', 'ollama', 'openrouter', 'openai']))
    .option('--no-subagents', 'do not offer the Task tool')
    .option('--threads <n>', 'embedded engine: CPU threads (default by model size and cores)')
    .option('--ctx-size <tokens>', 'embedded engine: context size per sequence (default by memory, up to 16384)')
    .option('--gpu-layers <n|auto>', 'embedded engine: layers on the GPU; 0 forces the CPU (default auto)')
    .option('--constrain', "embedded engine: constrain every tool call's JSON to the tools' schemas with a grammar")
    .option('--models-dir <dir>', 'where models are cached (env LOCO_MODELS_DIR; default ~/.cache/loco/models)')
    .option('--no-pull', 'do not download the default model when it is missing')
    .action(async (queries: string, flags: BatchFlags, command: Command) => {
      io.setExitCode(await runBatchCommand(queries, flags, io, resumeCommand(command, queries)));
    });
  registerBatchQueueCommands(batch, io);
  return batch;
}
