// `loco bench run`: answers every task of a task file on a checkout of its commit, with the
// explorer on any backend (answerQuery, as `loco batch` does) or a baseline, through batch's
// runner: the same output layout (`<id>.md`, traces/, summary.json, each query's checkout as
// its `repo` so the scorer makes absolute citations repo-relative), resume, concurrency and
// Ctrl-C. Everything that can be wrong with the input (bad lines, a repository that is not
// git, commits it lacks) is found before anything is written.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { traceMetaRecord } from '../agent/trace-records.js';
import { answerQuery, type AnswerDependencies, type QueryOutcome } from '../batch/answer.js';
import type { BatchQuery } from '../batch/input.js';
import type { BatchOutput } from '../batch/output.js';
import { runQueries, type BatchProgressEvent, type BatchResult, type QueryAnswerer } from '../batch/runner.js';
import type { BatchSettings } from '../batch/summary.js';
import { parseTemplate, type PromptTemplate } from '../batch/template.js';
import { LocoError } from '../errors.js';
import { traceLine } from '../trace/writer.js';
import type { BaselineAnswerer } from './baselines.js';
import { openCheckouts, type CheckoutStats } from './checkouts.js';
import { existingCommits, openRepo, type GitRepo } from './git.js';
import { readTaskLines, type BenchTask } from './task-file.js';

/**
 * The question the explorer gets. The system prompt stays the model's training prompt; the
 * citation format is asked for here, in the user's words. {project} is the repository's name
 * (each checkout is named after it).
 */
export const BENCH_TEMPLATE =
  '{question}\n\nFind the code in {project} that this is about. End your answer with the code locations, one per line, as path:start-end (the path relative to the working directory, then the first and last line).';

export function benchTemplate(): PromptTemplate {
  return parseTemplate(BENCH_TEMPLATE, '(bench default)');
}

export interface PreparedBench {
  tasksFile: string;
  tasks: BenchTask[];
  /** 1-based line of each task in the task file. */
  lines: Map<string, number>;
  /** Each task's repository (its top level). */
  repoOf: Map<string, string>;
  /** Every commit of the set, with the repository it is read from. */
  commits: Map<string, string>;
}

function listed(problems: readonly string[]): string {
  return problems.slice(0, 20).join('\n  ') + (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : '');
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads the task file and checks every task's repository and commit. `repo` (the --repo
 * flag) replaces the tasks' own `repo`, for sets made elsewhere or imported ("owner/name").
 */
export async function prepareBench(tasksFile: string, options: { repo?: string; cwd: string }): Promise<PreparedBench> {
  const { tasks, lines } = await readTaskLines(path.resolve(options.cwd, tasksFile));
  const base = path.dirname(path.resolve(options.cwd, tasksFile));
  const opened = new Map<string, Promise<GitRepo>>();
  const open = (dir: string) => {
    let repo = opened.get(dir);
    if (repo === undefined) {
      repo = openRepo(dir, { needHistory: false });
      opened.set(dir, repo);
    }
    return repo;
  };
  const problems: string[] = [];
  const byDir = new Map<string, BenchTask[]>();
  for (const task of tasks) {
    const dir = path.resolve(options.repo === undefined ? base : options.cwd, options.repo ?? task.repo);
    if (options.repo === undefined && !(await isDirectory(dir))) {
      problems.push(`line ${lines.get(task.id)} (${task.id}): repo ${JSON.stringify(task.repo)} is not a directory here`);
      continue;
    }
    byDir.set(dir, [...(byDir.get(dir) ?? []), task]);
  }
  if (problems.length > 0) {
    throw new LocoError('usage', `${tasksFile}: ${problems.length} task(s) name a repository that is not here; pass --repo <a clone of it>, nothing was run:\n  ${listed(problems)}`);
  }
  const repoOf = new Map<string, string>();
  const commits = new Map<string, string>();
  for (const [dir, group] of byDir) {
    let repo: GitRepo;
    try {
      repo = await open(dir);
    } catch (error) {
      const named = options.repo === undefined ? ` (named by ${group.length} task(s) of ${tasksFile}, first on line ${lines.get(group[0].id)}; pass --repo <a clone> to use another)` : '';
      throw new LocoError('usage', `${(error as Error).message}${named}; nothing was run`, { cause: error });
    }
    const present = await existingCommits(repo, [...new Set(group.map((task) => task.commit))]);
    for (const task of group) {
      if (!present.has(task.commit)) problems.push(`line ${lines.get(task.id)} (${task.id}): ${repo.root} has no commit ${task.commit}`);
      repoOf.set(task.id, repo.root);
      if (!commits.has(task.commit)) commits.set(task.commit, repo.root);
    }
  }
  if (problems.length > 0) {
    const fetch = [...byDir.keys()].length === 1 ? `git -C ${[...repoOf.values()][0]} fetch --all` : 'git fetch --all in each';
    throw new LocoError('usage', `${problems.length} task(s) of ${tasksFile} name a commit their repository lacks (rewritten history, or another clone); fetch them (${fetch}) or pass --repo <a clone that has them>; nothing was run:\n  ${listed(problems)}`);
  }
  return { tasksFile, tasks, lines, repoOf, commits };
}

/** How tasks are answered: the explorer (answerQuery's dependencies, less the runner's) or a baseline. */
export type BenchAnswering = { explorer: Omit<AnswerDependencies, 'signal' | 'onProgress'> } | { baseline: BaselineAnswerer };

export interface BenchRunOptions {
  prepared: PreparedBench;
  output: BatchOutput;
  answering: BenchAnswering;
  settings: BatchSettings;
  concurrency: number;
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: BatchProgressEvent) => void;
}

export interface BenchRunResult extends BatchResult {
  checkouts: CheckoutStats & { commits: number; tasks: number };
}

function checkoutFailure(query: BatchQuery, error: unknown, wallMs: number): QueryOutcome {
  const failure = error instanceof LocoError ? error : new LocoError('io', String(error));
  // The trace says what was asked and why nothing ran; a rerun tries the checkout again.
  const trace = traceLine(traceMetaRecord({ id: query.id, query: query.query, repo: query.repo, attempt: 1, error: { code: failure.code, message: failure.message } }));
  return { record: { id: query.id, line: query.line, status: 'failed', reason: failure.message, errorCode: failure.code, attempts: 1, wallMs }, trace };
}

export async function runBench(options: BenchRunOptions): Promise<BenchRunResult> {
  const { prepared, answering } = options;
  const checkouts = await openCheckouts(options.output.dir, prepared.commits);
  const byId = new Map(prepared.tasks.map((task) => [task.id, task]));
  const queries: BatchQuery[] = prepared.tasks.map((task) => ({ id: task.id, query: task.question, repo: checkouts.pathOf(task.commit), line: prepared.lines.get(task.id) ?? 0 }));
  const answer: QueryAnswerer = async (query, context) => {
    const task = byId.get(query.id);
    if (task === undefined) throw new LocoError('internal', `no task for query ${query.id}`);
    const started = performance.now();
    let checkout: string;
    try {
      checkout = await checkouts.ensure(prepared.repoOf.get(task.id) ?? task.repo, task.commit);
    } catch (error) {
      return checkoutFailure(query, error, Math.round(performance.now() - started));
    }
    if (context.signal?.aborted) return undefined;
    let outcome: QueryOutcome | undefined;
    if ('baseline' in answering) {
      context.onProgress({ type: 'query-start', id: query.id, attempt: 1 });
      outcome = await answering.baseline.answer(query, task, checkout);
    } else {
      outcome = await answerQuery({ ...query, repo: checkout }, { ...answering.explorer, ...context });
    }
    return outcome && { ...outcome, record: { ...outcome.record, repo: checkout } };
  };
  try {
    const result = await runQueries({
      queries,
      output: options.output,
      settings: options.settings,
      concurrency: options.concurrency,
      force: options.force,
      signal: options.signal,
      onProgress: options.onProgress,
      answer,
    });
    return { ...result, checkouts: { ...checkouts.stats(), commits: prepared.commits.size, tasks: prepared.tasks.length } };
  } finally {
    await checkouts.removeAll();
  }
}
