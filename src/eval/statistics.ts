// Small, dependency-free statistics for eval reports: Wilson score intervals for rates,
// summaries of per-sample numbers, and the exact McNemar test for paired comparisons.
// Pure functions; every rate carries its counts so a reader can check the arithmetic.

export interface Interval {
  low: number;
  high: number;
}

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * Wilson score interval for `successes` out of `total` (95% by default). Unlike the normal
 * approximation it stays inside [0, 1] and is sensible at 0% and 100%, which small eval sets
 * hit often (the model card's 65/65). Undefined when there is nothing to measure.
 */
export function wilsonInterval(successes: number, total: number, z = Z95): Interval | undefined {
  if (total <= 0) return undefined;
  const p = successes / total;
  const z2 = z * z;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denominator;
  // Clamping only removes floating-point noise at the ends (e.g. 1.0000000000000002).
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface Summary {
  count: number;
  mean: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of already sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1];
}

export function summarize(values: readonly number[]): Summary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { count: sorted.length, mean, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), min: sorted[0], max: sorted[sorted.length - 1] };
}

export interface Spread {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for a single value. */
  standardDeviation: number;
  min: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.length < 2 ? 0 : values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  // reduce, not Math.min(...values): a large run has more values than a call takes arguments.
  const min = values.reduce((low, value) => Math.min(low, value), Number.POSITIVE_INFINITY);
  const max = values.reduce((high, value) => Math.max(high, value), Number.NEGATIVE_INFINITY);
  return { mean, standardDeviation: Math.sqrt(variance), min, max };
}

/**
 * Two-sided exact McNemar test: `onlyA` pairs passed in A alone, `onlyB` in B alone. The
 * discordant pairs are a fair coin under "no difference"; the p-value is the binomial tail,
 * doubled. Exact rather than chi-squared because eval sets give few discordant pairs.
 */
export function mcnemarExact(onlyA: number, onlyB: number): number {
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  const k = Math.min(onlyA, onlyB);
  // Sum C(n, i) / 2^n for i <= k in log space, so large n does not overflow.
  let logChoose = 0;
  let tail = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logChoose += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logChoose - n * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}

/** "65.6%" for 0.656; "n/a" when there is no rate. */
export function formatPercent(rate: number | undefined, digits = 1): string {
  return rate === undefined || Number.isNaN(rate) ? 'n/a' : `${(rate * 100).toFixed(digits)}%`;
}
