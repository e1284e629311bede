// Runs a file-based batch: a pool of `concurrency` workers takes queries from a source (the
// queries file, minus those answered before) and answers each with answerQuery() on one
// shared backend, so an embedded engine serves them all through its sequences; a sink (the
// output directory) keeps each result, and summary.json says where the batch stands. On abort
// (Ctrl-C) no new query starts, running ones are cancelled and leave no files, and the
// summary says what is left.
import type { Backend } from '../backends/types.js';
import { runPool } from '../pool.js';
import { LocoError } from '../errors.js';
import { answerQuery, type AnswerDependencies, type BatchExplorerOptions, type QueryOutcome, type QueryProgressEvent } from './answer.js';
import type { BatchQuery } from './input.js';
import type { BatchOutput } from './output.js';
import { DEFAULT_RETRY_POLICY, type BatchRetryPolicy } from './retry.js';
import { buildSummary, earlierRecords, type BatchSettings, type BatchSummary, type QueryRecord } from './summary.js';
import type { PromptTemplate } from './template.js';

export type { BatchExplorerOptions } from './answer.js';

export type BatchProgressEvent =
  | { type: 'batch-start'; total: number; toRun: number; resumed: number }
  | QueryProgressEvent
  | { type: 'query-end'; record: QueryRecord }
  /** Cancelled by the batch's abort: nothing was written, a rerun will run it. */
  | { type: 'query-cancelled'; id: string };

/** Where queries come from: each call hands out the next one, undefined when none is left. */
export interface QuerySource {
  next(): Promise<BatchQuery | undefined>;
}

/** Where results go: keeps one query's outcome and returns its final record (a failed write fails it). */
export interface ResultSink {
  write(query: BatchQuery, outcome: QueryOutcome): Promise<QueryRecord>;
}

/** What the runner gives whoever answers a query: the batch's signal and a progress callback. */
export interface AnswerContext {
  signal?: AbortSignal;
  onProgress: (event: QueryProgressEvent) => void;
}

/** Answers one query; undefined when the batch was aborted before it finished (nothing kept). */
export type QueryAnswerer = (query: BatchQuery, context: AnswerContext) => Promise<QueryOutcome | undefined>;

/** The runner itself, whoever answers: queries, the output folder, resume, concurrency, summary. */
export interface QueryRunOptions {
  queries: readonly BatchQuery[];
  output: BatchOutput;
  /** Recorded in summary.json. */
  settings: BatchSettings;
  concurrency: number;
  /** Run queries whose answer exists too. */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: BatchProgressEvent) => void;
  answer: QueryAnswerer;
}

export interface BatchRunOptions extends Omit<QueryRunOptions, 'answer'> {
  backend: Backend;
  template: PromptTemplate;
  explorer: BatchExplorerOptions;
  retry?: Partial<BatchRetryPolicy>;
  /** Whole-query limit, retries included; the query is then `timed-out`. */
  timeoutMs?: number;
  /** For deterministic backoff in tests. */
  random?: () => number;
}

export interface BatchResult {
  summary: BatchSummary;
  interrupted: boolean;
}

/** Hands out queries in order. */
export function arrayQuerySource(queries: readonly BatchQuery[]): QuerySource {
  let next = 0;
  return { next: async () => queries[next++] };
}

/** Keeps answers and traces in the output directory. */
export function outputResultSink(output: BatchOutput): ResultSink {
  return {
    async write(query, { record, trace, answer }) {
      try {
        await output.writeResult(query.id, trace, answer);
        // A forced rerun that failed must not leave the old answer looking like this run's.
        if (answer === undefined) await output.removeAnswer(query.id);
        return record;
      } catch (error) {
        await output.removeAnswer(query.id).catch(() => undefined);
        const reason = `cannot write the results to ${output.dir}: ${error instanceof Error ? error.message : String(error)}`;
        return { ...record, status: 'failed', reason, errorCode: 'io' };
      }
    },
  };
}

/** `loco batch`: every query answered by answerQuery() (the explorer) on one shared backend. */
export function runBatch(options: BatchRunOptions): Promise<BatchResult> {
  const policy: BatchRetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const deps: Omit<AnswerDependencies, 'signal' | 'onProgress'> = {
    backend: options.backend,
    template: options.template,
    explorer: options.explorer,
    retry: policy,
    timeoutMs: options.timeoutMs,
    random: options.random,
  };
  return runQueries({ ...options, answer: (query, context) => answerQuery(query, { ...deps, ...context }) });
}

/**
 * Runs queries into the output folder with any answerer: the explorer (runBatch) or one that
 * needs no model (a bench baseline). Resume, concurrency, Ctrl-C and summary.json are the same.
 */
export async function runQueries(options: QueryRunOptions): Promise<BatchResult> {
  const { output } = options;
  const emit = options.onProgress ?? (() => undefined);
  const startedAt = new Date();
  const earlier = earlierRecords(await output.readEarlierSummary());
  const records = new Map<string, QueryRecord>();
  const toRun: BatchQuery[] = [];
  for (const query of options.queries) {
    // A forced run removes old answers first: should it be interrupted, "an answer exists"
    // still means "answered by the latest run", so a plain rerun resumes it correctly.
    if (options.force) await output.removeAnswer(query.id);
    if (!options.force && (await output.hasAnswer(query.id))) {
      const before = earlier.get(query.id);
      const kept = before?.status === 'ok' ? before : undefined;
      records.set(query.id, { ...kept, id: query.id, line: query.line, status: 'ok', resumed: true });
    } else {
      records.set(query.id, { id: query.id, line: query.line, status: 'pending' });
      toRun.push(query);
    }
  }
  let retriesUsed = 0;
  let state: BatchSummary['state'] = 'running';
  const summary = () => buildSummary({ settings: options.settings, records: [...records.values()], startedAt, now: new Date(), state, retries: retriesUsed });
  // Periodic writes only keep a killed run's summary fresh; the final write below reports failures.
  const refreshSummary = () => void output.writeSummary(summary).catch(() => undefined);

  const sink = outputResultSink(output);
  const context: AnswerContext = {
    signal: options.signal,
    onProgress(event: QueryProgressEvent) {
      if (event.type === 'query-retry') retriesUsed += 1;
      emit(event);
    },
  };

  emit({ type: 'batch-start', total: options.queries.length, toRun: toRun.length, resumed: options.queries.length - toRun.length });
  refreshSummary();
  const source = arrayQuerySource(toRun);
  const workers = Math.min(options.concurrency, toRun.length);
  await runPool(
    () => source.next(),
    workers,
    async (query) => {
      const outcome = await options.answer(query, context);
      if (outcome === undefined) {
        emit({ type: 'query-cancelled', id: query.id });
        return;
      }
      const record = await sink.write(query, outcome);
      records.set(query.id, record);
      emit({ type: 'query-end', record });
      refreshSummary();
    },
    options.signal,
  );

  state = options.signal?.aborted && [...records.values()].some((record) => record.status === 'pending') ? 'interrupted' : 'finished';
  const final = summary();
  try {
    await output.writeSummary(() => final);
  } catch (error) {
    throw new LocoError('io', `cannot write ${output.summaryPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { summary: final, interrupted: state === 'interrupted' };
}
