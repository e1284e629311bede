// `loco batch <queries> --repo <dir> --out <dir>`: answer every query of a file, resumably,
// with a summary. Progress goes to stderr; the closing report to stdout; files to --out.
// Exit codes: 0 all answered, 1 some failed or timed out, 2 bad usage or input, 130 Ctrl-C.
// LOCO_FAKE_DELAY_MS slows `fake:` backends per chunk, so tests and demos can stop a run midway.
import { positiveNumberFlag, wholeNumberFlag } from '../flags.js';
import type { Command } from 'commander';
import type { Backend } from '../backends/types.js';
import { loadQueries } from '../batch/input.js';
import { openBatchOutput } from '../batch/output.js';
import { createBatchProgress } from '../batch/progress.js';
import { formatSeconds } from '../format.js';
import { runBatch, type BatchExplorerOptions, type BatchResult } from '../batch/runner.js';
import type { BatchSummary } from '../batch/summary.js';
import { loadTemplate } from '../batch/template.js';
import type { AskConfig, AskFlags } from '../config/ask-config.js';
import { LocoError } from '../errors.js';
import { DEFAULT_SAMPLING } from '../protocol/messages.js';
import { detectSandbox } from '../tools/sandbox.js';
import { backendSpecs } from './backend-flags.js';
import { checkQueueFlags, registerBatchQueueCommands, submitToQueue } from './batch-queue.js';
import type { Profile } from '../protocol/profile.js';
import { addExplorerOptions, explorerProfileOf, openExplorerBackend, resolveExplorerFlags } from './explorer-options.js';
import type { CommandIo } from './io.js';

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



/** Quotes a word for a POSIX shell only when it needs it. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line to resume with: what the user typed, less --force (it would redo everything). */
export function resumeCommand(command: Command, queriesFile: string, name: readonly string[] = ['loco', 'batch']): string {
  const words = [...name, queriesFile];
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

/** What `batch` and `bench run` read from the shared flags. */
export interface BatchRunFlags {
  /** The --backend values; several make a fleet. */
  specs: string[] | undefined;
  config: Readonly<AskConfig>;
  concurrency: number;
  retries: number;
  maxTokens: number;
  timeoutS?: number;
}

export function batchRunFlags(flags: BatchFlags, io: CommandIo): BatchRunFlags {
  return {
    ...resolveExplorerFlags(flags, io.env),
    concurrency: wholeNumberFlag('--concurrency', flags.concurrency, 1, 64) ?? DEFAULT_CONCURRENCY,
    retries: wholeNumberFlag('--retries', flags.retries, 0, 20) ?? 2,
    maxTokens: wholeNumberFlag('--max-tokens', flags.maxTokens, 1, 131_072) ?? DEFAULT_SAMPLING.maxTokens,
    timeoutS: positiveNumberFlag('--timeout-per-query', flags.timeoutPerQuery, 7 * 24 * 3600),
  };
}

/** The one backend every query shares (the embedded engine gets one sequence per concurrent query). */
export async function createBatchBackend(run: BatchRunFlags, io: CommandIo): Promise<Backend & { load?: () => Promise<void> }> {
  const { config } = run;
  const fakeDelay = io.env.LOCO_FAKE_DELAY_MS === undefined ? undefined : wholeNumberFlag('LOCO_FAKE_DELAY_MS', io.env.LOCO_FAKE_DELAY_MS, 0, 60_000);
  // One backend for every query (several specs: a fleet); the embedded engine gets one sequence per concurrent query.
  return openExplorerBackend(run, io, { sequences: run.concurrency, fakeDelayMs: fakeDelay });
}

/** The explorer's settings for every query (the sandbox is chosen where the queries run). */
export function batchExplorerSettings(run: BatchRunFlags, profile: Profile) {
  const { config } = run;
  return {
    profile,
    maxTurns: config.maxTurns ?? profile.maxTurns,
    contextBudget: config.contextBudget,
    sampling: { maxTokens: run.maxTokens, ...(config.temperature === undefined ? {} : { temperature: config.temperature }) },
    promptStyle: config.promptStyle,
    model: config.model,
    subagents: config.subagents,
  };
}

/** Runs `batch`; returns the exit code: 0 all answered, 1 some failed, 130 interrupted. */
export async function runBatchCommand(queriesFile: string, flags: BatchFlags, io: CommandIo, resumeWith: string): Promise<number> {
  const cwd = process.cwd();
  checkQueueFlags(flags);
  const run = batchRunFlags(flags, io);
  const { config, concurrency, retries, timeoutS } = run;
  // Everything that can be wrong with the input is found before a model is loaded.
  const queries = await loadQueries(queriesFile, { defaultRepo: flags.repo, cwd });
  const template = await loadTemplate(flags.template, cwd);
  const explorerSettings = batchExplorerSettings(run, await explorerProfileOf(run));
  if (flags.queue !== undefined) {
    const settings = { queriesFile, out: '', repo: flags.repo, backend: '', template: template.source, concurrency: 0, retries, timeoutPerQueryS: timeoutS, maxTurns: explorerSettings.maxTurns, ...(config.profile === undefined ? {} : { profile: explorerSettings.profile.name }), force: false };
    // A profile named here travels with the jobs (and is part of their ids); without one, each
    // worker runs the profile its own --profile or model name gives.
    const { profile, ...settingsOnly } = explorerSettings;
    const queued = config.profile === undefined ? settingsOnly : { ...settingsOnly, profile };
    return submitToQueue({ queue: flags.queue, queries, template, explorer: queued, settings, timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000, retries }, io);
  }
  const out = flags.out as string;
  const sandbox = config.sandbox === 'auto' ? await detectSandbox() : config.sandbox;
  const backend = await createBatchBackend(run, io);
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
        settings: { queriesFile, out: output.dir, repo: flags.repo, backend: backend.info.description, template: template.source, concurrency, retries, timeoutPerQueryS: timeoutS, maxTurns: explorerSettings.maxTurns, profile: explorerSettings.profile.name, force: flags.force ?? false },
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

/** The options `loco batch` and `loco bench run` share: concurrency, retries, limits, and the explorer's. */
export function addBatchRunOptions(command: Command, moreBackends = ''): Command {
  return addExplorerOptions(command, { moreBackends })
    .option('-c, --concurrency <n>', `queries run at once, sharing one backend (default ${DEFAULT_CONCURRENCY}; the embedded engine gets one sequence each)`)
    .option('--template <file>', 'prompt template with {question}, {project} (the repo folder name) and {repo} (its path); {{ and }} write braces')
    .option('--retries <n>', 'times a query is run again when its backend failed, with backoff and jitter (default 2)')
    .option('--timeout-per-query <s>', 'seconds a query may take, retries included, before it is marked timed-out (default: no limit)')
    .option('--max-turns <n>', 'most assistant turns per query before its final answer is requested (default 10)')
    .option('--max-tokens <n>', `most tokens per reply (default ${DEFAULT_SAMPLING.maxTokens})`)
    .option('--force', 'run every query again: existing answers are removed first, so an interrupted forced run resumes without --force');
}

/** Adds `loco batch …` (and its queue commands) to the program. */
export function registerBatchCommand(program: Command, io: BatchCommandIo): Command {
  const batch = program
    .command('batch')
    .description('Answer every query of a file about a codebase: one <id>.md answer and one replayable trace per query, a summary.json, resumable (a rerun skips answered queries)')
    .argument('<queries>', 'a file of `id<TAB>query` lines, or JSONL {"id", "query", "repo"?} (repo relative to the file); blank lines and # comments are skipped')
    .option('-o, --out <dir>', 'folder for <id>.md answers, traces/<id>.jsonl and summary.json (created if missing); required without --queue')
    .option('-q, --queue <url>', 'redis://host:port/N: queue one job per query for `loco worker`s instead of answering here (resubmitting redoes nothing finished); see `loco batch status` and `loco batch collect`')
    .option('-r, --repo <dir>', 'the codebase every query explores (JSONL entries may name their own)');
  addBatchRunOptions(batch).action(async (queries: string, flags: BatchFlags, command: Command) => {
    io.setExitCode(await runBatchCommand(queries, flags, io, resumeCommand(command, queries)));
  });
  registerBatchQueueCommands(batch, io);
  return batch;
}
