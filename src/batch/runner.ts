// Runs a batch: a pool of `concurrency` workers takes queries in file order and answers each
// with explore() (the one agent loop) on one shared backend, so an embedded engine serves
// them all through its sequences. Each attempt gets its own recording wrapper, so each query
// has its own replayable trace. Backend failures are retried with backoff; a query that keeps
// failing is recorded and the batch goes on. On abort (Ctrl-C) no new query starts, running
// ones are cancelled and leave no files, and the summary says what is left.
import { explore, type ExplorerOptions } from '../agent/explorer.js';
import type { AgentResult } from '../agent/events.js';
import { createRecordingBackend } from '../backends/recording.js';
import type { Backend } from '../backends/types.js';
import { LocoError, toLocoError } from '../errors.js';
import type { BatchQuery } from './input.js';
import type { BatchOutput } from './output.js';
import { backoffDelay, createQuerySignal, DEFAULT_RETRY_POLICY, isRetryableFailure, sleep, type RetryPolicy } from './retry.js';
import { buildSummary, earlierRecords, type BatchSettings, type BatchSummary, type QueryRecord } from './summary.js';
import type { PromptTemplate } from './template.js';
import { createQueryTrace } from './trace.js';

/** What explore() is given besides the per-query backend, roots, signal and listener. */
export type BatchExplorerOptions = Omit<ExplorerOptions, 'backend' | 'roots' | 'signal' | 'onEvent'>;

export type BatchProgressEvent =
  | { type: 'batch-start'; total: number; toRun: number; resumed: number }
  | { type: 'query-start'; id: string; attempt: number }
  | { type: 'query-retry'; id: string; attempt: number; delayMs: number; error: LocoError }
  | { type: 'tokens'; completionTokens: number }
  | { type: 'query-end'; record: QueryRecord }
  /** Cancelled by the batch's abort: nothing was written, a rerun will run it. */
  | { type: 'query-cancelled'; id: string };

export interface BatchRunOptions {
  backend: Backend;
  queries: readonly BatchQuery[];
  output: BatchOutput;
  template: PromptTemplate;
  /** Recorded in summary.json. */
  settings: BatchSettings;
  explorer: BatchExplorerOptions;
  concurrency: number;
  retry?: Partial<RetryPolicy>;
  /** Whole-query limit, retries included; the query is then `timed-out`. */
  timeoutMs?: number;
  /** Run queries whose answer exists too. */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: BatchProgressEvent) => void;
  /** For deterministic backoff in tests. */
  random?: () => number;
}

export interface BatchResult {
  summary: BatchSummary;
  interrupted: boolean;
}

function countByTool(result: AgentResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of result.toolCalls) counts[call.name] = (counts[call.name] ?? 0) + 1;
  return counts;
}

function measurements(result: AgentResult | undefined, attempts: number, wallMs: number): Omit<QueryRecord, 'id' | 'line' | 'status'> {
  if (!result) return { attempts, wallMs };
  return {
    attempts,
    stopReason: result.stopReason,
    turns: result.turns,
    toolCalls: countByTool(result),
    toolCallCount: result.toolCalls.length,
    tokens: { prompt: result.usage.promptTokens, cached: result.usage.cachedTokens, completion: result.usage.completionTokens },
    wallMs,
  };
}

export async function runBatch(options: BatchRunOptions): Promise<BatchResult> {
  const { output, template } = options;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
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

  async function finishQuery(query: BatchQuery, record: QueryRecord, trace: string, answer?: string): Promise<QueryRecord> {
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
  }

  /** Answers one query; undefined when the batch was aborted before it finished. */
  async function runQuery(query: BatchQuery): Promise<QueryRecord | undefined> {
    const started = performance.now();
    const prompt = template.render({ question: query.query, repo: query.repo });
    const limit = createQuerySignal(options.signal, options.timeoutMs);
    const base = { id: query.id, line: query.line };
    try {
      for (let attempt = 1; ; attempt++) {
        emit({ type: 'query-start', id: query.id, attempt });
        const trace = createQueryTrace({ id: query.id, query: query.query, repo: query.repo, prompt, attempt, backend: options.backend.info.description });
        const recording = createRecordingBackend(options.backend, trace.writer);
        let result: AgentResult | undefined;
        let failure: LocoError | undefined;
        try {
          result = await explore(prompt, {
            ...options.explorer,
            backend: recording,
            roots: [query.repo],
            signal: limit.signal,
            onEvent(event) {
              trace.onEvent(event);
              if (event.type === 'turn-end') emit({ type: 'tokens', completionTokens: event.usage.completionTokens });
            },
          });
          if (result.stopReason === 'error') failure = result.error ?? new LocoError('internal', 'the agent stopped on an unnamed error');
        } catch (error) {
          // explore() reports backend failures in its result; a throw is a bug, not worth a retry.
          failure = toLocoError(error);
        }
        await recording.flush();
        const wallMs = () => Math.round(performance.now() - started);
        // Some backends report a cancelled request as an error: once the signal fired, any
        // failure counts as stopped (Ctrl-C or the per-query timeout), not as the query failing.
        const stopped = limit.signal.aborted && (result === undefined || result.stopReason === 'aborted' || failure !== undefined);
        if (stopped && !limit.timedOut()) return undefined;
        if (stopped) {
          const seconds = (options.timeoutMs ?? 0) / 1000;
          return finishQuery(query, { ...base, status: 'timed-out', reason: `no answer within ${seconds} s (--timeout-per-query)`, ...measurements(result, attempt, wallMs()) }, trace.text());
        }
        if (failure !== undefined || result === undefined) {
          const error = failure ?? new LocoError('internal', 'the agent ended without a result');
          if (result !== undefined && isRetryableFailure(error) && attempt <= policy.retries) {
            const delayMs = backoffDelay(attempt, policy, options.random);
            retriesUsed += 1;
            emit({ type: 'query-retry', id: query.id, attempt, delayMs, error });
            if (await sleep(delayMs, limit.signal)) continue;
            if (!limit.timedOut()) return undefined;
          }
          const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
          const status = limit.timedOut() ? 'timed-out' : 'failed';
          return finishQuery(query, { ...base, status, reason: `${error.message}${tries}`, errorCode: error.code, ...measurements(result, attempt, wallMs()) }, trace.text());
        }
        if (result.answer === '') {
          const reason = `the model gave no answer (stopped by ${result.stopReason}); try a larger --max-turns`;
          return finishQuery(query, { ...base, status: 'failed', reason, errorCode: 'no-answer', ...measurements(result, attempt, wallMs()) }, trace.text());
        }
        return finishQuery(query, { ...base, status: 'ok', ...measurements(result, attempt, wallMs()) }, trace.text(), result.answer);
      }
    } finally {
      limit.dispose();
    }
  }

  emit({ type: 'batch-start', total: options.queries.length, toRun: toRun.length, resumed: options.queries.length - toRun.length });
  refreshSummary();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < toRun.length && !options.signal?.aborted) {
      const query = toRun[next++];
      const record = await runQuery(query);
      if (record === undefined) {
        emit({ type: 'query-cancelled', id: query.id });
        continue;
      }
      records.set(query.id, record);
      emit({ type: 'query-end', record });
      refreshSummary();
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency, toRun.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));

  state = options.signal?.aborted && [...records.values()].some((record) => record.status === 'pending') ? 'interrupted' : 'finished';
  const final = summary();
  try {
    await output.writeSummary(() => final);
  } catch (error) {
    throw new LocoError('io', `cannot write ${output.summaryPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { summary: final, interrupted: state === 'interrupted' };
}
