// The counts `loco distill build` keeps while it streams: per filter, per tool, turns and
// token-length histograms, per split; written as stats.json and shown in report.html.
export interface BuildStats {
  input: number;
  badLines: number;
  kept: { train: number; validation: number };
  /** Conversations dropped, by filter and reason. */
  dropped: Record<string, Record<string, number>>;
  calls: { invalid: number; repaired: number };
  secrets: { conversations: number; redactions: Record<string, number> };
  /** Conversations cut at a turn boundary to fit --max-length. */
  cutToLength: number;
  mergedMessages: number;
  formats: { preRenderedTurns: number; preRenderedResultTurns: number };
  tools: Record<string, number>;
  /** Assistant turns per kept conversation: bucket lower bound -> count. */
  turnsHistogram: Record<string, number>;
  /** Tokens per kept conversation: bucket lower bound -> count. */
  tokensHistogram: Record<string, number>;
  tokens: { total: number; max: number };
  repos: { train: number; validation: number };
  maxLength: number;
}

export function emptyBuildStats(maxLength: number): BuildStats {
  return {
    input: 0,
    badLines: 0,
    kept: { train: 0, validation: 0 },
    dropped: {},
    calls: { invalid: 0, repaired: 0 },
    secrets: { conversations: 0, redactions: {} },
    cutToLength: 0,
    mergedMessages: 0,
    formats: { preRenderedTurns: 0, preRenderedResultTurns: 0 },
    tools: {},
    turnsHistogram: {},
    tokensHistogram: {},
    tokens: { total: 0, max: 0 },
    repos: { train: 0, validation: 0 },
    maxLength,
  };
}

export function countDrop(stats: BuildStats, filter: string, reason: string): void {
  const reasons = (stats.dropped[filter] ??= {});
  reasons[reason] = (reasons[reason] ?? 0) + 1;
}

export function droppedTotal(stats: BuildStats): number {
  return Object.values(stats.dropped).reduce((sum, reasons) => sum + Object.values(reasons).reduce((a, b) => a + b, 0), 0);
}

const TURN_BUCKETS = [1, 2, 3, 5, 8, 13, 21, 34];
const TOKEN_BUCKETS = [0, 1024, 2048, 4096, 8192, 12288, 16384, 32768];

function bucket(value: number, bounds: readonly number[]): string {
  let chosen = bounds[0];
  for (const bound of bounds) if (value >= bound) chosen = bound;
  return String(chosen);
}

export function countKept(stats: BuildStats, turns: number, tokens: number): void {
  const turnKey = bucket(turns, TURN_BUCKETS);
  stats.turnsHistogram[turnKey] = (stats.turnsHistogram[turnKey] ?? 0) + 1;
  const tokenKey = bucket(tokens, TOKEN_BUCKETS);
  stats.tokensHistogram[tokenKey] = (stats.tokensHistogram[tokenKey] ?? 0) + 1;
  stats.tokens.total += tokens;
  stats.tokens.max = Math.max(stats.tokens.max, tokens);
}
