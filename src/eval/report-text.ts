// The eval report as text: the terminal table (shaped like the model card's) and report.md.
// Both are built from the same rows, so the two never show different numbers.
import type { EvalReport } from './evaluate.js';
import type { EvalMetrics, MatchRate, UsageSummary, ValidRate } from './metrics.js';
import type { RunsSummary, SpreadMetric } from './runs.js';
import { formatPercent, type Interval, type Summary } from './statistics.js';

export type TableStyle = 'text' | 'markdown';

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], style: TableStyle, rightAligned: readonly number[] = []): string {
  if (style === 'markdown') {
    // Outputs quote `<tool_call>`: escaped, or a markdown viewer would take it for HTML.
    const escape = (cell: string) => cell.replace(/\|/g, '\\|').replace(/</g, '&lt;');
    const rule = headers.map((_, column) => (rightAligned.includes(column) ? '---:' : '---'));
    return [headers, rule, ...rows].map((row) => `| ${row.map(escape).join(' | ')} |`).join('\n');
  }
  const widths = headers.map((header, column) => rows.reduce((widest, row) => Math.max(widest, (row[column] ?? '').length), header.length));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (rightAligned.includes(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

type Rate = MatchRate | ValidRate;

function countOf(rate: Rate): number {
  return 'matched' in rate ? rate.matched : rate.valid;
}

export function formatRate(rate: Rate): string {
  return rate.total === 0 ? 'n/a (0/0)' : `${formatPercent(rate.rate ?? undefined)} (${countOf(rate)}/${rate.total})`;
}

export function formatInterval(interval: Interval | null): string {
  return interval ? `${(interval.low * 100).toFixed(1)}-${(interval.high * 100).toFixed(1)}%` : '';
}

const number = (value: number | null, digits = 2) => (value === null ? 'n/a' : value.toFixed(digits));

/** Metric, model, 95% interval, label (teacher). */
export function metricRows(metrics: EvalMetrics): string[][] {
  const rate = (name: string, model: Rate, label?: Rate) => [name, formatRate(model), formatInterval(model.interval), label ? formatRate(label) : ''];
  const { model, label } = metrics.callsPerTurn;
  return [
    rate('Tool call presence alignment', metrics.presence),
    rate('First tool type match', metrics.firstToolType),
    rate('First tool type match, relaxed (Bash ~ Read/Grep/Glob)', metrics.firstToolTypeRelaxed),
    rate('JSON validity', metrics.jsonValidity, metrics.labelJsonValidity),
    rate('Argument syntax correctness', metrics.argumentSyntax, metrics.labelArgumentSyntax),
    ['Calls per tool-calling turn', number(model.mean), '', number(label.mean)],
    rate('Tool-calling turns with parallel calls', model.multiCall, label.multiCall),
    rate('Bash calls that only read', metrics.bashReadOnly.model, metrics.bashReadOnly.label),
  ];
}

export function confusionRows(metrics: EvalMetrics): string[][] {
  const { both, modelOnly, labelOnly, neither } = metrics.presenceConfusion;
  return [
    ['model calls a tool', String(both), String(modelOnly)],
    ['model answers in text', String(labelOnly), String(neither)],
  ];
}

export function toolRows(metrics: EvalMetrics): string[][] {
  const { model, label, delta } = metrics.toolCounts;
  return Object.keys(model).map((name) => [name, String(model[name]), String(label[name]), delta[name] > 0 ? `+${delta[name]}` : String(delta[name])]);
}

export function usageRows(usage: UsageSummary): string[][] {
  const row = (name: string, summary: Summary | null, digits = 0) =>
    summary ? [[name, summary.mean.toFixed(digits), summary.median.toFixed(digits), summary.p95.toFixed(digits), summary.max.toFixed(digits)]] : [];
  return [
    ...row('prompt tokens', usage.promptTokens),
    ...row('completion tokens', usage.completionTokens),
    ...row('latency (ms)', usage.latencyMs),
    ...row('first token (ms)', usage.firstTokenMs),
  ];
}

export const METRIC_TITLES: Record<SpreadMetric, string> = {
  presence: 'Tool call presence alignment',
  firstToolType: 'First tool type match',
  firstToolTypeRelaxed: 'First tool type match, relaxed',
  jsonValidity: 'JSON validity',
  argumentSyntax: 'Argument syntax correctness',
};

export function runsRows(runs: RunsSummary): string[][] {
  const rows = Object.entries(runs.perMetric).map(([metric, spread]) => [
    METRIC_TITLES[metric as SpreadMetric],
    formatPercent(spread.mean),
    `${(spread.standardDeviation * 100).toFixed(1)} pp`,
    `${formatPercent(spread.min)}-${formatPercent(spread.max)}`,
    spread.values.map((value) => formatPercent(value ?? undefined)).join(' '),
  ]);
  rows.push([`Presence, pass^${runs.runs} / pass@${runs.runs}`, formatRate(runs.passAll.presence), '', formatRate(runs.passAny.presence), '']);
  rows.push([`First tool, pass^${runs.runs} / pass@${runs.runs}`, formatRate(runs.passAll.firstToolType), '', formatRate(runs.passAny.firstToolType), '']);
  return rows;
}

function describeRun(report: EvalReport): string {
  const header = report.header;
  const runs = report.runs?.runs ?? 1;
  const parts = [`${report.metrics.scored} outputs scored`];
  if (header) parts.push(`${header.samples} samples from ${header.samplesFile}`, `${runs} run${runs === 1 ? '' : 's'}`, `backend ${header.backend}`, `temperature ${header.temperature}`);
  if (header?.model) parts.push(`model ${header.model}`);
  if (report.failed > 0) parts.push(`${report.failed} failed generations excluded`);
  return parts.join(', ');
}

/** Sections as [title, table] pairs, shared by the terminal and markdown renderings. */
function sections(report: EvalReport, style: TableStyle): [string, string][] {
  const { metrics } = report;
  const result: [string, string][] = [
    ['Metrics', renderTable(['Metric', 'Model', '95% CI (Wilson)', 'Label (teacher)'], metricRows(metrics), style)],
    ['Tool call presence (rows: model, columns: label)', renderTable(['', 'label calls a tool', 'label answers in text'], confusionRows(metrics), style, [1, 2])],
    ['Calls per tool', renderTable(['Tool', 'Model', 'Label', 'Delta'], toolRows(metrics), style, [1, 2, 3])],
  ];
  if (report.runs) {
    result.push([`Across ${report.runs.runs} runs`, renderTable(['Metric', 'Mean', 'Std dev', 'Range / pass@k', 'Per run'], runsRows(report.runs), style)]);
  }
  const usage = usageRows(metrics.usage);
  if (usage.length > 0) result.push(['Per sample', renderTable(['', 'mean', 'median', 'p95', 'max'], usage, style, [1, 2, 3, 4])]);
  return result;
}

export function formatTextReport(report: EvalReport): string {
  const body = sections(report, 'text').map(([title, table]) => `${title}\n${table}`);
  return [`loco eval: ${describeRun(report)}`, ...body].join('\n\n') + '\n';
}

const LISTED_SAMPLES = 200;

function sampleProblemRows(report: EvalReport): string[][] {
  const rows: string[][] = [];
  for (const record of report.records) {
    const verdict = record.verdict;
    const names = (calls: { name: string | null }[]) => calls.map((call) => call.name ?? '?').join(', ') || '(text)';
    if (!verdict) {
      rows.push([record.id, String(record.run), 'generation failed', '', record.error?.message ?? '']);
      continue;
    }
    const problems = [
      verdict.presenceMatched ? '' : 'presence',
      verdict.firstTool && !verdict.firstTool.matched ? 'first tool' : '',
      verdict.model.calls.some((call) => !call.jsonValid) ? 'JSON' : '',
      verdict.model.calls.some((call) => !call.argumentsValid) ? 'arguments' : '',
    ].filter(Boolean);
    if (problems.length === 0) continue;
    const detail = verdict.model.calls.find((call) => call.problem)?.problem ?? '';
    rows.push([record.id, String(record.run), problems.join(', '), `${names(verdict.model.calls)} / ${names(verdict.label.calls)}`, detail.replace(/\s+/g, ' ').slice(0, 160)]);
  }
  return rows;
}

export function formatMarkdownReport(report: EvalReport): string {
  const lines = ['# loco eval report', '', describeRun(report), ''];
  for (const [title, table] of sections(report, 'markdown')) lines.push(`## ${title}`, '', table, '');
  const problems = sampleProblemRows(report);
  lines.push('## Samples that missed', '');
  if (problems.length === 0) lines.push('None: every scored output matched its label on every metric.', '');
  else {
    lines.push(renderTable(['Id', 'Run', 'Missed', 'Model / label calls', 'Detail'], problems.slice(0, LISTED_SAMPLES), 'markdown'), '');
    if (problems.length > LISTED_SAMPLES) lines.push(`... and ${problems.length - LISTED_SAMPLES} more (see results.jsonl).`, '');
  }
  lines.push('Definitions: presence = model calls a tool iff the label does; first tool = over samples where both call, first call names equal;', 'JSON validity = calls whose JSON parsed as written (no repair); argument syntax = calls valid against the tool\'s closed schema.', '');
  return lines.join('\n');
}
