// Counters behind GET /stats and the page at /: requests and tokens per route, fallbacks by
// reason, tool-call health of the local model, and the money the local route saved (its
// tokens priced at the remote price of the model the client asked for).
import type { PriceEntry, RouteTarget } from './config.js';
import type { FallbackReason } from './fallback.js';
import { globToRegExp } from './routing.js';

/** One line of the request log. Never holds headers, keys or message content. */
export interface RequestRecord {
  time: string;
  id: string;
  method: string;
  path: string;
  /** Where the answer came from; `none` when the proxy answered by itself (errors, counts). */
  route: RouteTarget | 'none';
  /** Why the first route was chosen (rule name, or `default`). */
  reason?: string;
  subagent?: string;
  fallback?: FallbackReason;
  fallbackDetail?: string;
  model?: string;
  /** Model name sent upstream when it differs from `model`. */
  upstreamModel?: string;
  stream?: boolean;
  status: number;
  inputTokens?: number;
  outputTokens?: number;
  latencyMs: number;
  /** Time to the first content delta (streams) or to the answer (otherwise). */
  ttftMs?: number;
  toolCalls?: number;
  /** The turn limit was reached and the local model was asked for its final answer (`atTurnLimit: final-answer`). */
  finalAnswerAsked?: boolean;
  malformedToolCalls?: number;
  unknownToolCalls?: number;
  error?: string;
  /** The client went away before the answer finished; the upstream request was aborted. */
  clientClosed?: boolean;
}

interface RouteTotals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  latencies: number[];
  ttfts: number[];
}

export interface RouteSnapshot {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  latencyP50Ms: number | null;
  ttftP50Ms: number | null;
}

export interface StatsSnapshot {
  startedAt: string;
  uptimeS: number;
  routes: Record<RouteTarget, RouteSnapshot>;
  fallbacks: Partial<Record<FallbackReason, number>>;
  toolCalls: { total: number; malformed: number; unknown: number };
  savedUsd: number;
  /** Local requests whose model had no price, so saved nothing in the total. */
  unpricedRequests: number;
}

const WINDOW = 1000;

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 100) / 100;
}

function pushWindowed(values: number[], value: number): void {
  values.push(value);
  if (values.length > WINDOW) values.shift();
}

export class ProxyStats {
  private readonly started = new Date();
  private readonly routes: Record<RouteTarget, RouteTotals> = { local: emptyTotals(), remote: emptyTotals() };
  private readonly fallbacks: Partial<Record<FallbackReason, number>> = {};
  private readonly toolCalls = { total: 0, malformed: 0, unknown: 0 };
  private saved = 0;
  private unpriced = 0;
  private readonly prices: Array<{ pattern: RegExp; input: number; output: number }>;

  constructor(pricing: readonly PriceEntry[]) {
    this.prices = pricing.map((entry) => ({ pattern: globToRegExp(entry.pattern), input: entry.input, output: entry.output }));
  }

  record(record: RequestRecord): void {
    if (record.fallback) this.fallbacks[record.fallback] = (this.fallbacks[record.fallback] ?? 0) + 1;
    this.toolCalls.total += record.toolCalls ?? 0;
    this.toolCalls.malformed += record.malformedToolCalls ?? 0;
    this.toolCalls.unknown += record.unknownToolCalls ?? 0;
    if (record.route === 'none' || !record.path.startsWith('/v1/messages') || record.path.endsWith('/count_tokens')) return;
    const totals = this.routes[record.route];
    totals.requests += 1;
    if (record.status >= 400 || record.error !== undefined) totals.errors += 1;
    totals.inputTokens += record.inputTokens ?? 0;
    totals.outputTokens += record.outputTokens ?? 0;
    pushWindowed(totals.latencies, record.latencyMs);
    if (record.ttftMs !== undefined) pushWindowed(totals.ttfts, record.ttftMs);
    if (record.route === 'local' && record.status < 400) this.price(record);
  }

  private price(record: RequestRecord): void {
    const price = this.prices.find((entry) => entry.pattern.test(record.model ?? ''));
    if (!price) {
      this.unpriced += 1;
      return;
    }
    this.saved += ((record.inputTokens ?? 0) * price.input + (record.outputTokens ?? 0) * price.output) / 1e6;
  }

  snapshot(now = new Date()): StatsSnapshot {
    const route = (totals: RouteTotals): RouteSnapshot => ({
      requests: totals.requests,
      errors: totals.errors,
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      latencyP50Ms: median(totals.latencies),
      ttftP50Ms: median(totals.ttfts),
    });
    return {
      startedAt: this.started.toISOString(),
      uptimeS: Math.round((now.getTime() - this.started.getTime()) / 1000),
      routes: { local: route(this.routes.local), remote: route(this.routes.remote) },
      fallbacks: { ...this.fallbacks },
      toolCalls: { ...this.toolCalls },
      savedUsd: Math.round(this.saved * 1e6) / 1e6,
      unpricedRequests: this.unpriced,
    };
  }
}

function emptyTotals(): RouteTotals {
  return { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, latencies: [], ttfts: [] };
}
