// Uncertainty for bench means: seeded percentile bootstrap intervals over tasks, and a paired
// comparison of two runs on the same tasks (paired bootstrap of the mean difference, and the
// exact two-sided sign test on wins and losses).
import { seededRandom } from '../random.js';

export interface Interval {
  low: number;
  high: number;
}

export const BOOTSTRAP_RESAMPLES = 1000;

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return values.length === 0 ? 0 : sum / values.length;
}

function percentileOfSorted(sorted: Float64Array, fraction: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank];
}

/** 95% percentile bootstrap interval of the mean; undefined for no values. */
export function bootstrapInterval(values: readonly number[], seed: number, resamples = BOOTSTRAP_RESAMPLES): Interval | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  const data = Float64Array.from(values);
  // Constant data (an oracle's 1.0s, an empty run's 0s) needs no resampling.
  if (data.every((value) => value === data[0])) return { low: data[0], high: data[0] };
  const random = seededRandom(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += data[(random() * n) | 0];
    means[r] = sum / n;
  }
  means.sort();
  return { low: percentileOfSorted(means, 0.025), high: percentileOfSorted(means, 0.975) };
}

/** ln(n!) by summing logs, cached: exact enough for the sign test's n (tasks, not millions). */
const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let k = logFactorials.length; k <= n; k++) logFactorials[k] = logFactorials[k - 1] + Math.log(k);
  return logFactorials[n];
}

/** Exact two-sided sign test: the probability of a split at least this uneven under p = 1/2. */
export function signTestP(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  const smaller = Math.min(wins, losses);
  let tail = 0;
  for (let k = 0; k <= smaller; k++) tail += Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

export interface PairedComparison {
  tasks: number;
  meanA: number;
  meanB: number;
  /** mean(b - a). */
  difference: number;
  interval?: Interval;
  /** Tasks where b scored higher / lower / the same. */
  wins: number;
  losses: number;
  ties: number;
  signTestP: number;
}

export function comparePaired(a: readonly number[], b: readonly number[], seed: number): PairedComparison {
  if (a.length !== b.length) throw new Error('paired comparison needs the same tasks on both sides');
  const differences = a.map((value, index) => b[index] - value);
  let wins = 0;
  let losses = 0;
  for (const difference of differences) {
    if (difference > 1e-12) wins++;
    else if (difference < -1e-12) losses++;
  }
  const interval = bootstrapInterval(differences, seed);
  return {
    tasks: a.length,
    meanA: mean(a),
    meanB: mean(b),
    difference: mean(differences),
    ...(interval ? { interval } : {}),
    wins,
    losses,
    ties: a.length - wins - losses,
    signTestP: signTestP(wins, losses),
  };
}
