// Scores one or more run folders against a task set: per-task scores, per-run means with
// bootstrap intervals, run measurements from summary.json, and paired comparisons.
import type { QueryRecord } from '../batch/summary.js';
import { LocoError } from '../errors.js';
import { bootstrapInterval, comparePaired, mean, type Interval, type PairedComparison } from './bootstrap.js';
import type { LineRange } from './line-ranges.js';
import type { RunFolder } from './run-dir.js';
import { prepareTruth, scoreAnswer, type TaskScore } from './score.js';
import type { BenchTask } from './task-file.js';

export interface TaskResult extends TaskScore {
  run: string;
  turns?: number;
  toolCalls?: Record<string, number>;
  tokens?: { prompt: number; cached: number; completion: number };
  wallMs?: number;
}

export interface MeanWithInterval {
  mean: number;
  interval?: Interval;
}

export interface RunScore {
  run: string;
  tasks: number;
  answered: number;
  nNoCitation: number;
  nMissing: number;
  outsideCitations: number;
  citationsPerAnswer: number;
  /** Median over cited tasks of cited lines / truth lines (1 = as many as needed). */
  overCitation: number;
  file: { precision: number; recall: number; f1: MeanWithInterval };
  line: { precision: number; recall: number; f1: MeanWithInterval; f05: MeanWithInterval };
  /** Over tasks whose truth lies in a definition. */
  functionHit?: MeanWithInterval & { tasks: number };
  byKind: Record<string, { tasks: number; fileF1: number; lineF1: number }>;
  /** From summary.json, over tasks that have a record. */
  usage?: { tasks: number; turns: number; toolCalls: number; toolCallsByTool: Record<string, number>; promptTokens: number; completionTokens: number; cachedTokens: number; totalTokens: number; wallMs: number };
}

export interface ScoreReport {
  version: 1;
  tasksFile: string;
  tasks: number;
  seed: number;
  runs: RunScore[];
  comparisons: (PairedComparison & { a: string; b: string; metric: string })[];
  results: TaskResult[];
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function withInterval(values: readonly number[], seed: number): MeanWithInterval {
  const interval = bootstrapInterval(values, seed);
  return { mean: mean(values), ...(interval ? { interval } : {}) };
}

function usageOf(results: readonly TaskResult[]): RunScore['usage'] {
  const measured = results.filter((result) => result.turns !== undefined || result.tokens !== undefined);
  if (measured.length === 0) return undefined;
  const byTool: Record<string, number> = {};
  for (const result of measured) for (const [tool, calls] of Object.entries(result.toolCalls ?? {})) byTool[tool] = (byTool[tool] ?? 0) + calls;
  const per = (value: (result: TaskResult) => number) => mean(measured.map(value));
  const prompt = per((result) => result.tokens?.prompt ?? 0);
  const completion = per((result) => result.tokens?.completion ?? 0);
  return {
    tasks: measured.length,
    turns: per((result) => result.turns ?? 0),
    toolCalls: per((result) => Object.values(result.toolCalls ?? {}).reduce((sum, calls) => sum + calls, 0)),
    toolCallsByTool: Object.fromEntries(Object.entries(byTool).sort(([a], [b]) => a.localeCompare(b)).map(([tool, calls]) => [tool, calls / measured.length])),
    promptTokens: prompt,
    completionTokens: completion,
    cachedTokens: per((result) => result.tokens?.cached ?? 0),
    totalTokens: prompt + completion,
    wallMs: per((result) => result.wallMs ?? 0),
  };
}

function summarizeRun(run: string, results: readonly TaskResult[], seed: number): RunScore {
  const functionValues = results.filter((result) => result.functionHit !== undefined).map((result) => result.functionHit as number);
  const byKind: RunScore['byKind'] = {};
  for (const kind of [...new Set(results.map((result) => result.kind))].sort()) {
    const ofKind = results.filter((result) => result.kind === kind);
    byKind[kind] = { tasks: ofKind.length, fileF1: mean(ofKind.map((result) => result.file.f1)), lineF1: mean(ofKind.map((result) => result.line.f1)) };
  }
  const usage = usageOf(results);
  return {
    run,
    tasks: results.length,
    answered: results.filter((result) => !result.missing).length,
    nNoCitation: results.filter((result) => result.noCitation).length,
    nMissing: results.filter((result) => result.missing).length,
    outsideCitations: results.reduce((sum, result) => sum + result.outside, 0),
    citationsPerAnswer: mean(results.filter((result) => !result.missing).map((result) => result.citations)),
    overCitation: median(results.filter((result) => !result.noCitation && result.truthLines > 0).map((result) => result.citedLines / result.truthLines)),
    file: { precision: mean(results.map((result) => result.file.precision)), recall: mean(results.map((result) => result.file.recall)), f1: withInterval(results.map((result) => result.file.f1), seed) },
    line: {
      precision: mean(results.map((result) => result.line.precision)),
      recall: mean(results.map((result) => result.line.recall)),
      f1: withInterval(results.map((result) => result.line.f1), seed + 1),
      f05: withInterval(results.map((result) => result.line.f05), seed + 2),
    },
    ...(functionValues.length > 0 ? { functionHit: { ...withInterval(functionValues, seed + 3), tasks: functionValues.length } } : {}),
    byKind,
    ...(usage ? { usage } : {}),
  };
}

function measurementsOf(record: QueryRecord | undefined): Partial<TaskResult> {
  if (!record) return {};
  return {
    ...(record.turns === undefined ? {} : { turns: record.turns }),
    ...(record.toolCalls === undefined ? {} : { toolCalls: record.toolCalls }),
    ...(record.tokens === undefined ? {} : { tokens: record.tokens }),
    ...(record.wallMs === undefined ? {} : { wallMs: record.wallMs }),
  };
}

export function scoreRuns(input: {
  tasks: readonly BenchTask[];
  tasksFile: string;
  runs: readonly RunFolder[];
  functions?: ReadonlyMap<string, ReadonlyMap<string, LineRange[]>>;
  extraRoots?: readonly string[];
  seed: number;
  compare?: readonly [string, string];
}): ScoreReport {
  const names = input.runs.map((run) => run.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new LocoError('usage', `two run folders are named "${duplicate}": runs are told apart by folder name, rename one`);
  const truths = input.tasks.map((task) => prepareTruth(task, input.functions?.get(task.id)));
  const taskRoots = [...new Set(input.tasks.map((task) => task.repo).filter((repo) => repo.startsWith('/')))];
  const results: TaskResult[] = [];
  const runs: RunScore[] = [];
  for (const run of input.runs) {
    const roots = [...run.roots, ...(input.extraRoots ?? []), ...taskRoots];
    const ofRun = truths.map((truth): TaskResult => ({ run: run.name, ...scoreAnswer(truth, run.answers.get(truth.task.id), roots), ...measurementsOf(run.records.get(truth.task.id)) }));
    results.push(...ofRun);
    runs.push(summarizeRun(run.name, ofRun, input.seed));
  }
  const comparisons: ScoreReport['comparisons'] = [];
  if (input.compare) {
    const [a, b] = input.compare;
    for (const name of [a, b]) if (!names.includes(name)) throw new LocoError('usage', `--compare names "${name}", which is not one of the run folders scored (${names.join(', ')})`);
    const of = (run: string, pick: (result: TaskResult) => number) => results.filter((result) => result.run === run).map(pick);
    for (const [metric, pick] of [
      ['line F1', (result: TaskResult) => result.line.f1],
      ['file F1', (result: TaskResult) => result.file.f1],
    ] as const) {
      comparisons.push({ a, b, metric, ...comparePaired(of(a, pick), of(b, pick), input.seed + 10) });
    }
  }
  return { version: 1, tasksFile: input.tasksFile, tasks: input.tasks.length, seed: input.seed, runs, comparisons, results };
}
