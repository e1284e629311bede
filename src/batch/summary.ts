// summary.json: one record per query (status, reason, attempts, turns, tool calls by tool,
// tokens, wall time), totals, this run's throughput, and distributions (nearest-rank
// percentiles). Pure: the runner decides when it is written.
import type { StopReason } from '../agent/events.js';

export type QueryStatus = 'ok' | 'failed' | 'timed-out' | 'pending';

export interface TokenCounts {
  prompt: number;
  cached: number;
  completion: number;
}

export interface QueryRecord {
  id: string;
  /** Line in the queries file. */
  line: number;
  /** Absolute directory the query explored, where each query has its own (a bench run's checkout of its commit). */
  repo?: string;
  status: QueryStatus;
  /** Why it failed or timed out, in words. */
  reason?: string;
  errorCode?: string;
  /** Answered by an earlier run and skipped by this one; measurements are that run's, when known. */
  resumed?: boolean;
  /** Attempts made (1 + retries used). */
  attempts?: number;
  stopReason?: StopReason;
  turns?: number;
  /** Tool calls of the main agent, by tool name (a sub-agent's work counts as its Task call). */
  toolCalls?: Record<string, number>;
  toolCallCount?: number;
  tokens?: TokenCounts;
  /** From the first attempt's start to the last one's end, backoff included. */
  wallMs?: number;
}

export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface BatchSettings {
  queriesFile: string;
  out: string;
  /** The --repo default; entries may name their own. */
  repo?: string;
  backend: string;
  template: string;
  concurrency: number;
  retries: number;
  timeoutPerQueryS?: number;
  maxTurns: number;
  /** The model profile the answers were asked in (absent: a queue's workers chose). */
  profile?: string;
  force: boolean;
}

export interface BatchSummary {
  version: 1;
  /** `running` while the batch goes on (a killed run leaves it so), then `finished` or `interrupted`. */
  state: 'running' | 'finished' | 'interrupted';
  startedAt: string;
  updatedAt: string;
  settings: BatchSettings;
  totals: {
    queries: number;
    ok: number;
    failed: number;
    timedOut: number;
    pending: number;
    /** Of `ok`: answers kept from earlier runs. */
    resumed: number;
    /** Queries this run finished, whatever their status. */
    ran: number;
    /** Retries this run made. */
    retries: number;
    turns: number;
    toolCalls: Record<string, number>;
    tokens: TokenCounts & { total: number };
  };
  /** This run only. */
  run: { wallMs: number; queriesPerMinute: number; completionTokensPerSecond: number };
  /** Over every query with measurements (this run's and, where known, earlier runs'). */
  distributions: { wallMs: Distribution; turns: Distribution; totalTokens: Distribution; toolCalls: Distribution };
  /** Queries that did not succeed, in file order: what to look at first. */
  failures: { id: string; line: number; status: QueryStatus; reason?: string }[];
  queries: QueryRecord[];
}

/** Nearest-rank percentile of ascending values (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? 0 : sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    count: sorted.length,
    mean: Math.round(mean * 100) / 100,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1],
  };
}

const totalTokens = (tokens: TokenCounts): number => tokens.prompt + tokens.completion;

export function buildSummary(input: {
  settings: BatchSettings;
  records: readonly QueryRecord[];
  startedAt: Date;
  now: Date;
  state: BatchSummary['state'];
  retries: number;
}): BatchSummary {
  const { records } = input;
  const count = (status: QueryStatus) => records.filter((record) => record.status === status).length;
  const measured = records.filter((record) => record.wallMs !== undefined);
  const ranNow = records.filter((record) => record.status !== 'pending' && !record.resumed);
  const toolCalls: Record<string, number> = {};
  const tokens = { prompt: 0, cached: 0, completion: 0 };
  let turns = 0;
  for (const record of records) {
    turns += record.turns ?? 0;
    for (const [name, calls] of Object.entries(record.toolCalls ?? {})) toolCalls[name] = (toolCalls[name] ?? 0) + calls;
    tokens.prompt += record.tokens?.prompt ?? 0;
    tokens.cached += record.tokens?.cached ?? 0;
    tokens.completion += record.tokens?.completion ?? 0;
  }
  const wallMs = Math.max(0, input.now.getTime() - input.startedAt.getTime());
  const minutes = wallMs / 60_000;
  const completionNow = ranNow.reduce((sum, record) => sum + (record.tokens?.completion ?? 0), 0);
  return {
    version: 1,
    state: input.state,
    startedAt: input.startedAt.toISOString(),
    updatedAt: input.now.toISOString(),
    settings: input.settings,
    totals: {
      queries: records.length,
      ok: count('ok'),
      failed: count('failed'),
      timedOut: count('timed-out'),
      pending: count('pending'),
      resumed: records.filter((record) => record.resumed).length,
      ran: ranNow.length,
      retries: input.retries,
      turns,
      toolCalls: Object.fromEntries(Object.entries(toolCalls).sort(([a], [b]) => a.localeCompare(b))),
      tokens: { ...tokens, total: totalTokens(tokens) },
    },
    run: {
      wallMs,
      queriesPerMinute: minutes > 0 ? Math.round((ranNow.length / minutes) * 10) / 10 : 0,
      completionTokensPerSecond: wallMs > 0 ? Math.round((completionNow / (wallMs / 1000)) * 10) / 10 : 0,
    },
    distributions: {
      wallMs: distribution(measured.map((record) => record.wallMs ?? 0)),
      turns: distribution(measured.map((record) => record.turns ?? 0)),
      totalTokens: distribution(measured.map((record) => (record.tokens ? totalTokens(record.tokens) : 0))),
      toolCalls: distribution(measured.map((record) => record.toolCallCount ?? 0)),
    },
    failures: records
      .filter((record) => record.status === 'failed' || record.status === 'timed-out')
      .map((record) => ({ id: record.id, line: record.line, status: record.status, ...(record.reason === undefined ? {} : { reason: record.reason }) })),
    queries: [...records],
  };
}

/** Records of an earlier summary.json by id, to carry into a resumed run; nothing when unreadable. */
export function earlierRecords(json: string | undefined): Map<string, QueryRecord> {
  const byId = new Map<string, QueryRecord>();
  if (json === undefined) return byId;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return byId; // a summary from a run killed mid-write cannot exist (it is renamed into place), but a hand-edited one can
  }
  const queries = (value as { queries?: unknown }).queries;
  if (!Array.isArray(queries)) return byId;
  for (const entry of queries) {
    if (typeof entry === 'object' && entry !== null && typeof (entry as { id?: unknown }).id === 'string') {
      const record = entry as QueryRecord;
      byId.set(record.id, record);
    }
  }
  return byId;
}
