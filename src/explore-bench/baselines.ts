// Baselines that answer a bench task without a model: `baseline:oracle` cites the truth (it
// must score 1.0, which proves the scorer end to end) and `baseline:bm25` cites the best BM25
// windows of the checkout (a real floor). They answer a task directly rather than posing as a
// chat Backend for the explorer: a fake backend would have to invent tool calls and turns,
// and its "answers" would measure the agent loop's plumbing rather than the ranking. So they
// plug into the batch runner as another answerer and leave an outcome in batch's layout
// (answer, trace, summary record), which the scorer reads like any run.
import type { QueryOutcome } from '../batch/answer.js';
import type { BatchQuery } from '../batch/input.js';
import { traceMetaRecord } from '../agent/trace-records.js';
import { createTraceWriter, memorySink } from '../trace/writer.js';
import { buildIndex, type Bm25Index, type RankedWindow, type WindowCache } from './bm25.js';
import { MASK } from './symbol-tasks.js';
import type { BenchTask } from './task-file.js';

export const BASELINES = ['bm25', 'oracle'] as const;
export type BaselineName = (typeof BASELINES)[number];
export const BASELINE_PREFIX = 'baseline:';

/** The baseline a `--backend` spec names, undefined when it names a model backend. */
export function baselineOf(spec: string | undefined): BaselineName | undefined {
  if (spec === undefined || !spec.startsWith(BASELINE_PREFIX)) return undefined;
  const name = spec.slice(BASELINE_PREFIX.length);
  return (BASELINES as readonly string[]).includes(name) ? (name as BaselineName) : undefined;
}

/** Citations this many windows deep: enough to find a second truth file, few enough to stay precise. */
export const BM25_CITATIONS = 5;

/** BM25 indexes kept, most recently used last. */
const KEPT_INDEXES = 16;

/** The truth as an answer: one `path:start-end` per range, a bare path for a file without lines. */
export function oracleAnswer(task: BenchTask): string {
  const lines: string[] = [];
  for (const file of task.truth.files) {
    const ranges = task.truth.lines[file] ?? [];
    if (ranges.length === 0) lines.push(file);
    for (const [start, end] of ranges) lines.push(`${file}:${start}-${end}`);
  }
  return `${lines.join('\n')}\n`;
}

export function bm25Answer(ranked: readonly RankedWindow[]): string {
  if (ranked.length === 0) return 'No file of the checkout shares a term with the question.\n';
  return `${ranked.map((window) => `${window.file}:${window.start}-${window.end}`).join('\n')}\n`;
}

export interface BaselineAnswerer {
  readonly name: BaselineName;
  readonly description: string;
  answer(query: BatchQuery, task: BenchTask, checkout: string): Promise<QueryOutcome>;
}

/** A baseline answerer; bm25 builds one index per checkout, shared by the tasks of its commit. */
export function createBaseline(name: BaselineName): BaselineAnswerer {
  const indexes = new Map<string, Promise<Bm25Index>>();
  const windows: WindowCache = new Map();
  const description = `${BASELINE_PREFIX}${name}`;
  return {
    name,
    description,
    async answer(query, task, checkout) {
      const started = performance.now();
      let answer: string;
      let details: Record<string, unknown>;
      if (name === 'oracle') {
        answer = oracleAnswer(task);
        details = {};
      } else {
        let index = indexes.get(checkout);
        if (index === undefined) {
          index = buildIndex(checkout, windows);
          // Tasks come in file order, mostly grouped by commit: a few recent indexes suffice, and a
          // rebuilt one reuses the cached windows of unchanged files.
          if (indexes.size >= KEPT_INDEXES) indexes.delete(indexes.keys().next().value as string);
        }
        indexes.delete(checkout);
        indexes.set(checkout, index);
        const built = await index;
        // A definition task masks the symbol's name as `[name]`: that word is not a clue.
        const ranked = built.search(task.question.replaceAll(MASK, ' '), BM25_CITATIONS);
        answer = bm25Answer(ranked);
        details = { indexed: { files: built.files, windows: built.windows }, ranking: ranked.map((window) => ({ ...window, score: Math.round(window.score * 1000) / 1000 })) };
      }
      const wallMs = Math.round(performance.now() - started);
      // The trace says what the baseline did (its ranking), in the trace format every reader knows.
      const lines = memorySink();
      const writer = createTraceWriter(lines);
      await writer.write(traceMetaRecord({ id: query.id, query: query.query, repo: checkout, attempt: 1, backend: description, ...details }));
      await writer.write({ type: 'finish', answer, turns: 0, toolCalls: [], usage: { promptTokens: 0, cachedTokens: 0, completionTokens: 0 }, stopReason: 'answer', durationMs: wallMs });
      return {
        record: { id: query.id, line: query.line, status: 'ok', attempts: 1, turns: 0, toolCalls: {}, toolCallCount: 0, tokens: { prompt: 0, cached: 0, completion: 0 }, wallMs },
        trace: lines.text(),
        answer,
      };
    },
  };
}
