// Aggregate metrics over judged samples (definitions: README, "loco eval"). Pure: counts
// first, then each rate with its Wilson 95% interval, so every number can be re-derived.
import type { Usage } from '../protocol/messages.js';
import { summarize, wilsonInterval, type Interval, type Summary } from './statistics.js';
import { EVAL_TOOL_NAMES } from './tool-schemas.js';
import type { SampleVerdict, TurnVerdict } from './verdicts.js';

/** A sample's judged output with what it cost. */
export interface ScoredSample {
  id: string;
  run: number;
  verdict: SampleVerdict;
  usage?: Usage;
  latencyMs?: number;
  firstTokenMs?: number;
}

export interface MatchRate {
  matched: number;
  total: number;
  /** matched / total; null when total is 0. */
  rate: number | null;
  interval: Interval | null;
}

export interface ValidRate {
  valid: number;
  total: number;
  rate: number | null;
  interval: Interval | null;
}

export interface Confusion {
  /** Model and label both call a tool. */
  both: number;
  modelOnly: number;
  labelOnly: number;
  neither: number;
}

export interface Parallelism {
  /** Turns with at least one call. */
  toolTurns: number;
  calls: number;
  /** Calls per tool-calling turn. */
  mean: number | null;
  /** Tool-calling turns with more than one call. */
  multiCall: MatchRate;
  /** Calls in a turn -> turns. */
  histogram: Record<string, number>;
}

export interface UsageSummary {
  promptTokens: Summary | null;
  completionTokens: Summary | null;
  latencyMs: Summary | null;
  firstTokenMs: Summary | null;
}

export interface EvalMetrics {
  /** Outputs scored (samples x runs, less failed generations). */
  scored: number;
  presence: MatchRate;
  presenceConfusion: Confusion;
  firstToolType: MatchRate;
  firstToolTypeRelaxed: MatchRate;
  jsonValidity: ValidRate;
  labelJsonValidity: ValidRate;
  argumentSyntax: ValidRate;
  labelArgumentSyntax: ValidRate;
  toolCounts: { model: Record<string, number>; label: Record<string, number>; delta: Record<string, number> };
  callsPerTurn: { model: Parallelism; label: Parallelism };
  bashReadOnly: { model: ValidRate; label: ValidRate };
  usage: UsageSummary;
}

/** Calls that could not be decoded have no tool name; they are counted under this key. */
export const UNDECODED_CALLS = '(undecodable)';

export function matchRate(matched: number, total: number): MatchRate {
  return { matched, total, rate: total > 0 ? matched / total : null, interval: wilsonInterval(matched, total) ?? null };
}

export function validRate(valid: number, total: number): ValidRate {
  return { valid, total, rate: total > 0 ? valid / total : null, interval: wilsonInterval(valid, total) ?? null };
}

function callRates(turns: readonly TurnVerdict[]): { json: ValidRate; args: ValidRate; bash: ValidRate } {
  const calls = turns.flatMap((turn) => turn.calls);
  const bash = calls.filter((call) => call.name === 'Bash' && call.bashReadOnly !== undefined);
  return {
    json: validRate(calls.filter((call) => call.jsonValid).length, calls.length),
    args: validRate(calls.filter((call) => call.argumentsValid).length, calls.length),
    bash: validRate(bash.filter((call) => call.bashReadOnly).length, bash.length),
  };
}

function parallelism(turns: readonly TurnVerdict[]): Parallelism {
  const toolTurns = turns.filter((turn) => turn.calls.length > 0);
  const calls = toolTurns.reduce((sum, turn) => sum + turn.calls.length, 0);
  const histogram: Record<string, number> = {};
  for (const turn of toolTurns) histogram[turn.calls.length] = (histogram[turn.calls.length] ?? 0) + 1;
  return {
    toolTurns: toolTurns.length,
    calls,
    mean: toolTurns.length > 0 ? calls / toolTurns.length : null,
    multiCall: matchRate(toolTurns.filter((turn) => turn.calls.length > 1).length, toolTurns.length),
    histogram,
  };
}

/** The dialect's tools in their usual order, then any other name, then undecodable calls. */
export function orderToolNames(names: Iterable<string>): string[] {
  const known: readonly string[] = EVAL_TOOL_NAMES;
  const rank = (name: string) => (name === UNDECODED_CALLS ? known.length + 1 : known.includes(name) ? known.indexOf(name) : known.length);
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function toolCounts(modelTurns: readonly TurnVerdict[], labelTurns: readonly TurnVerdict[], runs: number): EvalMetrics['toolCounts'] {
  const count = (turns: readonly TurnVerdict[]) => {
    const counts = new Map<string, number>();
    for (const call of turns.flatMap((turn) => turn.calls)) counts.set(call.name ?? UNDECODED_CALLS, (counts.get(call.name ?? UNDECODED_CALLS) ?? 0) + 1);
    return counts;
  };
  const model = count(modelTurns);
  const label = count(labelTurns);
  const result: EvalMetrics['toolCounts'] = { model: {}, label: {}, delta: {} };
  for (const name of orderToolNames([...model.keys(), ...label.keys()])) {
    // Several runs: the model's mean per run, so it compares with the label's single count.
    result.model[name] = Math.round(((model.get(name) ?? 0) / runs) * 100) / 100;
    result.label[name] = label.get(name) ?? 0;
    result.delta[name] = Math.round((result.model[name] - result.label[name]) * 100) / 100;
  }
  return result;
}

function usageSummary(samples: readonly ScoredSample[]): UsageSummary {
  const pick = (value: (sample: ScoredSample) => number | undefined) =>
    summarize(samples.map(value).filter((item): item is number => item !== undefined)) ?? null;
  return {
    promptTokens: pick((sample) => sample.usage?.promptTokens),
    completionTokens: pick((sample) => sample.usage?.completionTokens),
    latencyMs: pick((sample) => sample.latencyMs),
    firstTokenMs: pick((sample) => sample.firstTokenMs),
  };
}

/**
 * Metrics over every scored output. With several runs the model's outputs are pooled,
 * while label-only figures count each sample's label once: repeating a label k times
 * would narrow its interval without adding evidence.
 */
export function computeMetrics(samples: readonly ScoredSample[]): EvalMetrics {
  const verdicts = samples.map((sample) => sample.verdict);
  const modelTurns = verdicts.map((verdict) => verdict.model);
  const firstOfEach = new Map<string, TurnVerdict>();
  for (const sample of samples) if (!firstOfEach.has(sample.id)) firstOfEach.set(sample.id, sample.verdict.label);
  const labelTurns = [...firstOfEach.values()];
  const runs = Math.max(1, new Set(samples.map((sample) => sample.run)).size);
  const confusion: Confusion = { both: 0, modelOnly: 0, labelOnly: 0, neither: 0 };
  for (const verdict of verdicts) {
    const model = verdict.model.calls.length > 0;
    const label = verdict.label.calls.length > 0;
    if (model && label) confusion.both++;
    else if (model) confusion.modelOnly++;
    else if (label) confusion.labelOnly++;
    else confusion.neither++;
  }
  const firsts = verdicts.flatMap((verdict) => (verdict.firstTool ? [verdict.firstTool] : []));
  const model = callRates(modelTurns);
  const label = callRates(labelTurns);
  return {
    scored: samples.length,
    presence: matchRate(confusion.both + confusion.neither, verdicts.length),
    presenceConfusion: confusion,
    firstToolType: matchRate(firsts.filter((first) => first.matched).length, firsts.length),
    firstToolTypeRelaxed: matchRate(firsts.filter((first) => first.relaxedMatched).length, firsts.length),
    jsonValidity: model.json,
    labelJsonValidity: label.json,
    argumentSyntax: model.args,
    labelArgumentSyntax: label.args,
    toolCounts: toolCounts(modelTurns, labelTurns, runs),
    callsPerTurn: { model: parallelism(modelTurns), label: parallelism(labelTurns) },
    bashReadOnly: { model: model.bash, label: label.bash },
    usage: usageSummary(samples),
  };
}
