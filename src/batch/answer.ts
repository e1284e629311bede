// Answers one batch query: explore() (the one agent loop) on the shared backend, with its
// own recording so the query has its own replayable trace, retried with backoff on backend
// failures, bounded by the query's time limit. Knows nothing of files or queues, so any
// runner (the file-based `loco batch`, a distributed worker) can call it.
import { explore, type ExplorerOptions } from '../agent/explorer.js';
import type { AgentResult } from '../agent/events.js';
import { createAgentTrace } from '../agent/trace-records.js';
import { createRecordingBackend } from '../backends/recording.js';
import type { Backend } from '../backends/types.js';
import { LocoError, toLocoError } from '../errors.js';
import { memorySink } from '../trace/writer.js';
import type { BatchQuery } from './input.js';
import { backoffDelay, createQuerySignal, isRetryableFailure, sleep, type BatchRetryPolicy } from './retry.js';
import type { QueryRecord } from './summary.js';
import type { PromptTemplate } from './template.js';

/** What explore() is given besides the per-query backend, roots, signal and listener. */
export type BatchExplorerOptions = Omit<ExplorerOptions, 'backend' | 'roots' | 'signal' | 'onEvent'>;

/** What answering a query reports as it goes. */
export type QueryProgressEvent =
  | { type: 'query-start'; id: string; attempt: number }
  | { type: 'query-retry'; id: string; attempt: number; delayMs: number; error: LocoError }
  | { type: 'tokens'; completionTokens: number };

export interface AnswerDependencies {
  backend: Backend;
  template: PromptTemplate;
  explorer: BatchExplorerOptions;
  retry: BatchRetryPolicy;
  /** Whole-query limit, retries included; the query is then `timed-out`. */
  timeoutMs?: number;
  /** The batch's signal: once it fires, a query in progress is cancelled. */
  signal?: AbortSignal;
  onProgress?: (event: QueryProgressEvent) => void;
  /** For deterministic backoff in tests. */
  random?: () => number;
}

/** A finished query: its record, its trace, and its answer when it has one. */
export interface QueryOutcome {
  record: QueryRecord;
  trace: string;
  answer?: string;
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

/** Answers one query; undefined when the batch was aborted before it finished (nothing to keep). */
export async function answerQuery(query: BatchQuery, deps: AnswerDependencies): Promise<QueryOutcome | undefined> {
  const emit = deps.onProgress ?? (() => undefined);
  const started = performance.now();
  const prompt = deps.template.render({ question: query.query, repo: query.repo });
  const limit = createQuerySignal(deps.signal, deps.timeoutMs);
  const base = { id: query.id, line: query.line };
  try {
    for (let attempt = 1; ; attempt++) {
      emit({ type: 'query-start', id: query.id, attempt });
      // Kept in memory and written whole by the sink, so a killed run never leaves half a trace.
      const traceLines = memorySink();
      const trace = createAgentTrace(traceLines, { id: query.id, query: query.query, repo: query.repo, prompt, attempt, backend: deps.backend.info.description });
      const recording = createRecordingBackend(deps.backend, trace.writer);
      let result: AgentResult | undefined;
      let failure: LocoError | undefined;
      try {
        result = await explore(prompt, {
          ...deps.explorer,
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
      const done = (record: QueryRecord, answer?: string): QueryOutcome => ({ record, trace: traceLines.text(), ...(answer === undefined ? {} : { answer }) });
      // Some backends report a cancelled request as an error: once the signal fired, any
      // failure counts as stopped (Ctrl-C or the per-query timeout), not as the query failing.
      const stopped = limit.signal.aborted && (result === undefined || result.stopReason === 'aborted' || failure !== undefined);
      if (stopped && !limit.timedOut()) return undefined;
      if (stopped) {
        const seconds = (deps.timeoutMs ?? 0) / 1000;
        return done({ ...base, status: 'timed-out', reason: `no answer within ${seconds} s (--timeout-per-query)`, ...measurements(result, attempt, wallMs()) });
      }
      if (failure !== undefined || result === undefined) {
        const error = failure ?? new LocoError('internal', 'the agent ended without a result');
        if (result !== undefined && isRetryableFailure(error) && attempt <= deps.retry.retries) {
          const delayMs = backoffDelay(attempt, deps.retry, deps.random);
          emit({ type: 'query-retry', id: query.id, attempt, delayMs, error });
          if (await sleep(delayMs, limit.signal)) continue;
          if (!limit.timedOut()) return undefined;
        }
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
        const status = limit.timedOut() ? 'timed-out' : 'failed';
        return done({ ...base, status, reason: `${error.message}${tries}`, errorCode: error.code, ...measurements(result, attempt, wallMs()) });
      }
      if (result.answer === '') {
        const reason = `the model gave no answer (stopped by ${result.stopReason}); try a larger --max-turns`;
        return done({ ...base, status: 'failed', reason, errorCode: 'no-answer', ...measurements(result, attempt, wallMs()) });
      }
      return done({ ...base, status: 'ok', ...measurements(result, attempt, wallMs()) }, result.answer);
    }
  } finally {
    limit.dispose();
  }
}
