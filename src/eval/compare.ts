// Two eval runs side by side (two models, two prompts, two quantisations): each metric for
// A and B with the difference in percentage points, and for the per-sample metrics an
// exact McNemar test over the samples both runs scored, since the same samples make the
// comparison paired and a difference of intervals would be needlessly blunt.
import type { EvalReport } from './evaluate.js';
import type { MatchRate, ValidRate } from './metrics.js';
import { orderToolNames } from './metrics.js';
import { formatInterval, formatRate, renderTable, type TableStyle } from './report-text.js';
import { mcnemarExact } from './statistics.js';
import type { SampleVerdict } from './verdicts.js';

type Rate = MatchRate | ValidRate;

export interface ComparedMetric {
  metric: string;
  a: Rate;
  b: Rate;
  /** (B - A) in percentage points. */
  deltaPoints: number | null;
}

export interface PairedTest {
  /** Samples (and runs) scored in both. */
  pairs: number;
  /** Passed in A only / in B only. */
  onlyA: number;
  onlyB: number;
  pValue: number;
  /** Ids that passed in one run only (first few). */
  onlyAIds: string[];
  onlyBIds: string[];
}

export interface Comparison {
  a: string;
  b: string;
  metrics: ComparedMetric[];
  /** presence: the presence verdict matched. firstToolType: over pairs whose label calls a tool, the model's first call name matched. */
  paired: { presence: PairedTest; firstToolType: PairedTest };
  toolCounts: { tool: string; a: number; b: number; label: number }[];
  /** Paired samples whose labels differ between the files: they were not the same samples. */
  labelMismatches: number;
}

const LISTED_IDS = 20;

function pairedTest(pairs: [SampleVerdict, SampleVerdict, string][], pass: (verdict: SampleVerdict) => boolean): PairedTest {
  const onlyAIds: string[] = [];
  const onlyBIds: string[] = [];
  for (const [a, b, id] of pairs) {
    if (pass(a) && !pass(b)) onlyAIds.push(id);
    if (!pass(a) && pass(b)) onlyBIds.push(id);
  }
  return {
    pairs: pairs.length,
    onlyA: onlyAIds.length,
    onlyB: onlyBIds.length,
    pValue: mcnemarExact(onlyAIds.length, onlyBIds.length),
    onlyAIds: onlyAIds.slice(0, LISTED_IDS),
    onlyBIds: onlyBIds.slice(0, LISTED_IDS),
  };
}

export function compareReports(a: EvalReport, b: EvalReport, names: { a: string; b: string }): Comparison {
  const rate = (metric: string, pick: (report: EvalReport) => Rate): ComparedMetric => {
    const left = pick(a);
    const right = pick(b);
    return { metric, a: left, b: right, deltaPoints: left.rate === null || right.rate === null ? null : (right.rate - left.rate) * 100 };
  };
  const metrics = [
    rate('Tool call presence alignment', (report) => report.metrics.presence),
    rate('First tool type match', (report) => report.metrics.firstToolType),
    rate('First tool type match, relaxed', (report) => report.metrics.firstToolTypeRelaxed),
    rate('JSON validity', (report) => report.metrics.jsonValidity),
    rate('Argument syntax correctness', (report) => report.metrics.argumentSyntax),
    rate('Tool-calling turns with parallel calls', (report) => report.metrics.callsPerTurn.model.multiCall),
    rate('Bash calls that only read', (report) => report.metrics.bashReadOnly.model),
  ];

  const key = (id: string, run: number) => `${run}\u0000${id}`;
  const inB = new Map(b.records.map((record) => [key(record.id, record.run), record]));
  const pairs: [SampleVerdict, SampleVerdict, string][] = [];
  let labelMismatches = 0;
  for (const left of a.records) {
    const right = inB.get(key(left.id, left.run));
    if (!right || !left.verdict || !right.verdict) continue;
    if (left.label !== right.label) {
      labelMismatches++;
      continue;
    }
    pairs.push([left.verdict, right.verdict, left.id]);
  }
  const labelled = pairs.filter(([verdict]) => verdict.label.calls.length > 0);

  const tools = orderToolNames([...Object.keys(a.metrics.toolCounts.model), ...Object.keys(b.metrics.toolCounts.model), ...Object.keys(a.metrics.toolCounts.label)]);
  return {
    a: names.a,
    b: names.b,
    metrics,
    paired: {
      presence: pairedTest(pairs, (verdict) => verdict.presenceMatched),
      firstToolType: pairedTest(labelled, (verdict) => verdict.firstTool?.matched === true),
    },
    toolCounts: tools.map((tool) => ({
      tool,
      a: a.metrics.toolCounts.model[tool] ?? 0,
      b: b.metrics.toolCounts.model[tool] ?? 0,
      label: a.metrics.toolCounts.label[tool] ?? b.metrics.toolCounts.label[tool] ?? 0,
    })),
    labelMismatches,
  };
}

const signed = (value: number, digits = 1) => `${value > 0 ? '+' : ''}${value.toFixed(digits)}`;

export function formatComparison(comparison: Comparison, style: TableStyle): string {
  const metricRows = comparison.metrics.map((row) => [
    row.metric,
    formatRate(row.a),
    formatInterval(row.a.interval),
    formatRate(row.b),
    formatInterval(row.b.interval),
    row.deltaPoints === null ? 'n/a' : `${signed(row.deltaPoints)} pp`,
  ]);
  const test = (name: string, paired: PairedTest) => [name, String(paired.pairs), String(paired.onlyA), String(paired.onlyB), paired.pValue.toFixed(3)];
  const lines = [
    `A: ${comparison.a}`,
    `B: ${comparison.b}`,
    '',
    renderTable(['Metric', 'A', 'A 95% CI', 'B', 'B 95% CI', 'B - A'], metricRows, style),
    '',
    'Paired by sample (exact McNemar test)',
    renderTable(
      ['Metric', 'Pairs', 'Only A right', 'Only B right', 'p'],
      [test('Tool call presence alignment', comparison.paired.presence), test('First tool type (label calls a tool)', comparison.paired.firstToolType)],
      style,
      [1, 2, 3, 4],
    ),
    '',
    'Calls per tool',
    renderTable(['Tool', 'A', 'B', 'Label'], comparison.toolCounts.map((row) => [row.tool, String(row.a), String(row.b), String(row.label)]), style, [1, 2, 3]),
  ];
  if (comparison.labelMismatches > 0) {
    lines.push('', `Warning: ${comparison.labelMismatches} samples share an id but not a label; they were left out of the paired tests.`);
  }
  return `${lines.join('\n')}\n`;
}
