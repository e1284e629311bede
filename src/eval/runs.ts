// Several runs of the same samples (`--runs k`, sampling at temperature > 0): how much each
// metric moves between runs, and pass^k / pass@k per sample — does the model get a sample
// right every time, or only sometimes (the tau-bench "pass^k" view of reliability).
import { computeMetrics, matchRate, type EvalMetrics, type MatchRate, type ScoredSample } from './metrics.js';
import { spreadOf, type Spread } from './statistics.js';

export const SPREAD_METRICS = ['presence', 'firstToolType', 'firstToolTypeRelaxed', 'jsonValidity', 'argumentSyntax'] as const;
export type SpreadMetric = (typeof SPREAD_METRICS)[number];

export interface MetricAcrossRuns extends Spread {
  /** The metric's rate in each run (null where it had nothing to measure). */
  values: (number | null)[];
}

export interface RunsSummary {
  runs: number;
  perMetric: Partial<Record<SpreadMetric, MetricAcrossRuns>>;
  /**
   * Over samples scored in every run. presence: the presence verdict matched in all k runs
   * (pass^k) / in at least one (pass@k). firstToolType: over samples whose label calls a
   * tool, the model called one and its first call's name matched.
   */
  passAll: { presence: MatchRate; firstToolType: MatchRate };
  passAny: { presence: MatchRate; firstToolType: MatchRate };
}

function rateOf(metrics: EvalMetrics, metric: SpreadMetric): number | null {
  return metrics[metric].rate;
}

export function summarizeRuns(samples: readonly ScoredSample[]): RunsSummary {
  const runNumbers = [...new Set(samples.map((sample) => sample.run))].sort((a, b) => a - b);
  const perRun = runNumbers.map((run) => computeMetrics(samples.filter((sample) => sample.run === run)));
  const perMetric: RunsSummary['perMetric'] = {};
  for (const metric of SPREAD_METRICS) {
    const values = perRun.map((metrics) => rateOf(metrics, metric));
    const spread = spreadOf(values.filter((value): value is number => value !== null));
    if (spread) perMetric[metric] = { ...spread, values };
  }

  const bySample = new Map<string, ScoredSample[]>();
  for (const sample of samples) bySample.set(sample.id, [...(bySample.get(sample.id) ?? []), sample]);
  const complete = [...bySample.values()].filter((runs) => runs.length === runNumbers.length);
  const presence = complete.map((runs) => runs.map((run) => run.verdict.presenceMatched));
  const labelled = complete.filter((runs) => runs[0].verdict.label.calls.length > 0);
  const firstTool = labelled.map((runs) => runs.map((run) => run.verdict.firstTool?.matched === true));
  const passEvery = (outcomes: boolean[][]) => matchRate(outcomes.filter((runs) => runs.every(Boolean)).length, outcomes.length);
  const passSome = (outcomes: boolean[][]) => matchRate(outcomes.filter((runs) => runs.some(Boolean)).length, outcomes.length);
  return {
    runs: runNumbers.length,
    perMetric,
    passAll: { presence: passEvery(presence), firstToolType: passEvery(firstTool) },
    passAny: { presence: passSome(presence), firstToolType: passSome(firstTool) },
  };
}
