// report.html: one self-contained page (inline CSS and SVG, no script, no external
// resource; a Content-Security-Policy forbids any) with the metric table, the tool
// distribution model vs label, the presence confusion matrix and every sample's outcome.
// It opens from disk, offline, in any browser, and can be attached to a paper or an issue.
import type { EvalReport } from './evaluate.js';
import type { EvalMetrics } from './metrics.js';
import { confusionRows, formatInterval, formatRate, metricRows, runsRows, toolRows, usageRows } from './report-text.js';
import type { ResultRecord } from './results-file.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const MODEL_COLOR = '#2b6cb0';
const LABEL_COLOR = '#dd8a2e';

function table(headers: readonly string[], rows: readonly (readonly string[])[], extraColumn?: (index: number) => string): string {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('') + (extraColumn ? '<th></th>' : '');
  const body = rows
    .map((row, index) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}${extraColumn ? `<td>${extraColumn(index)}</td>` : ''}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A 0-100% track with the rate as a bar and its Wilson interval as a whisker. */
function rateBar(rate: number | null, low: number | undefined, high: number | undefined): string {
  if (rate === null) return '';
  const width = 160;
  const x = (value: number) => (value * width).toFixed(1);
  const whisker =
    low === undefined || high === undefined
      ? ''
      : `<line x1="${x(low)}" x2="${x(high)}" y1="7" y2="7" stroke="#1a202c" stroke-width="1.5"/>` +
        `<line x1="${x(low)}" x2="${x(low)}" y1="3" y2="11" stroke="#1a202c"/><line x1="${x(high)}" x2="${x(high)}" y1="3" y2="11" stroke="#1a202c"/>`;
  return (
    `<svg class="bar" width="${width}" height="14" viewBox="0 0 ${width} 14" role="img" aria-label="${(rate * 100).toFixed(1)}%">` +
    `<rect width="${width}" height="14" fill="#edf2f7"/><rect width="${x(rate)}" height="14" fill="${MODEL_COLOR}" opacity="0.75"/>${whisker}</svg>`
  );
}

function metricTable(metrics: EvalMetrics): string {
  const rates = [
    metrics.presence,
    metrics.firstToolType,
    metrics.firstToolTypeRelaxed,
    metrics.jsonValidity,
    metrics.argumentSyntax,
    null,
    metrics.callsPerTurn.model.multiCall,
    metrics.bashReadOnly.model,
  ];
  return table(['Metric', 'Model', '95% CI (Wilson)', 'Label (teacher)'], metricRows(metrics), (index) => {
    const rate = rates[index];
    return rate ? rateBar(rate.rate, rate.interval?.low, rate.interval?.high) : '';
  });
}

/** Horizontal bars per tool, model above label, on one shared scale. */
function toolChart(metrics: EvalMetrics): string {
  const names = Object.keys(metrics.toolCounts.model);
  if (names.length === 0) return '<p>No tool calls in either the outputs or the labels.</p>';
  const max = names.reduce((most, name) => Math.max(most, metrics.toolCounts.model[name], metrics.toolCounts.label[name]), 1);
  const left = 110;
  const span = 420;
  const rowHeight = 34;
  const height = names.length * rowHeight + 30;
  const rows = names.map((name, index) => {
    const y = 10 + index * rowHeight;
    const bar = (value: number, offset: number, color: string, who: string) =>
      `<rect x="${left}" y="${y + offset}" width="${((value / max) * span).toFixed(1)}" height="12" fill="${color}"><title>${escapeHtml(`${name}, ${who}: ${value}`)}</title></rect>` +
      `<text x="${left + (value / max) * span + 4}" y="${y + offset + 10}" font-size="11">${value}</text>`;
    return (
      `<text x="${left - 8}" y="${y + 17}" font-size="12" text-anchor="end">${escapeHtml(name)}</text>` +
      bar(metrics.toolCounts.model[name], 0, MODEL_COLOR, 'model') +
      bar(metrics.toolCounts.label[name], 13, LABEL_COLOR, 'label')
    );
  });
  const legend =
    `<rect x="${left}" y="${height - 14}" width="10" height="10" fill="${MODEL_COLOR}"/><text x="${left + 14}" y="${height - 5}" font-size="11">model</text>` +
    `<rect x="${left + 70}" y="${height - 14}" width="10" height="10" fill="${LABEL_COLOR}"/><text x="${left + 84}" y="${height - 5}" font-size="11">label (teacher)</text>`;
  return `<svg id="tool-chart" width="${left + span + 60}" height="${height}" role="img" aria-label="Calls per tool, model vs label">${rows.join('')}${legend}</svg>`;
}

function confusionChart(metrics: EvalMetrics): string {
  const { both, modelOnly, labelOnly, neither } = metrics.presenceConfusion;
  const total = Math.max(1, both + modelOnly + labelOnly + neither);
  const cell = 110;
  const left = 150;
  const top = 40;
  const cells: [number, number, number, boolean][] = [
    [0, 0, both, true],
    [1, 0, modelOnly, false],
    [0, 1, labelOnly, false],
    [1, 1, neither, true],
  ];
  const squares = cells.map(([column, row, count, agree]) => {
    const shade = (0.15 + 0.85 * (count / total)).toFixed(2);
    const color = agree ? `rgba(47,133,90,${shade})` : `rgba(197,48,48,${shade})`;
    const x = left + column * cell;
    const y = top + row * cell;
    return `<rect x="${x}" y="${y}" width="${cell - 4}" height="${cell - 4}" fill="${color}"/><text x="${x + cell / 2 - 2}" y="${y + cell / 2 + 4}" font-size="20" text-anchor="middle">${count}</text>`;
  });
  const labels =
    `<text x="${left + cell / 2}" y="${top - 10}" font-size="12" text-anchor="middle">label calls</text>` +
    `<text x="${left + cell * 1.5}" y="${top - 10}" font-size="12" text-anchor="middle">label answers</text>` +
    `<text x="${left - 8}" y="${top + cell / 2}" font-size="12" text-anchor="end">model calls</text>` +
    `<text x="${left - 8}" y="${top + cell * 1.5}" font-size="12" text-anchor="end">model answers</text>`;
  return `<svg id="confusion-chart" width="${left + 2 * cell + 10}" height="${top + 2 * cell + 10}" role="img" aria-label="Tool call presence confusion matrix">${squares.join('')}${labels}</svg>`;
}

type Outcome = 'match' | 'first-tool' | 'presence' | 'calls' | 'failed';

const OUTCOMES: Record<Outcome, [string, string]> = {
  match: ['#2f855a', 'presence and first tool match, calls well formed'],
  'first-tool': ['#d69e2e', 'both call, first tool differs'],
  calls: ['#805ad5', 'a call has invalid JSON or arguments'],
  presence: ['#c53030', 'presence mismatch'],
  failed: ['#a0aec0', 'generation failed'],
};

function outcomeOf(record: ResultRecord): Outcome {
  const verdict = record.verdict;
  if (!verdict) return 'failed';
  if (!verdict.presenceMatched) return 'presence';
  if (verdict.model.calls.some((call) => !call.jsonValid || !call.argumentsValid)) return 'calls';
  if (verdict.firstTool && !verdict.firstTool.matched) return 'first-tool';
  return 'match';
}

/** One square per output, in file order, coloured by its worst outcome; hover for details. */
function sampleGrid(records: readonly ResultRecord[]): string {
  const size = 14;
  const perRow = 40;
  const squares = records.map((record, index) => {
    const outcome = outcomeOf(record);
    const x = (index % perRow) * (size + 2);
    const y = Math.floor(index / perRow) * (size + 2);
    const calls = record.verdict ? record.verdict.model.calls.map((call) => call.name ?? '?').join(', ') || 'text' : record.error?.message ?? '';
    const expected = record.verdict ? record.verdict.label.calls.map((call) => call.name ?? '?').join(', ') || 'text' : '';
    const title = `${record.id} (run ${record.run}): ${OUTCOMES[outcome][1]}; model: ${calls}; label: ${expected}`;
    return `<rect class="sample ${outcome}" x="${x}" y="${y}" width="${size}" height="${size}" fill="${OUTCOMES[outcome][0]}"><title>${escapeHtml(title)}</title></rect>`;
  });
  const rows = Math.max(1, Math.ceil(records.length / perRow));
  const width = Math.min(records.length, perRow) * (size + 2);
  const legend = (Object.keys(OUTCOMES) as Outcome[])
    .map((outcome) => `<span class="key"><i style="background:${OUTCOMES[outcome][0]}"></i>${escapeHtml(OUTCOMES[outcome][1])} (${records.filter((record) => outcomeOf(record) === outcome).length})</span>`)
    .join(' ');
  return `<svg id="sample-grid" width="${Math.max(width, size)}" height="${rows * (size + 2)}" role="img" aria-label="Outcome per sample">${squares.join('')}</svg><p>${legend}</p>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1a202c; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #e2e8f0; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { padding: .25rem .6rem; text-align: left; border-bottom: 1px solid #edf2f7; }
th { background: #f7fafc; } svg.bar { vertical-align: middle; }
.key { display: inline-block; margin-right: 1rem; } .key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
.meta { color: #4a5568; }`;

export function formatHtmlReport(report: EvalReport): string {
  const { metrics, header } = report;
  const facts = [
    `${metrics.scored} outputs scored`,
    header ? `${header.samples} samples from ${header.samplesFile}` : '',
    header ? `backend ${header.backend}${header.model ? `, model ${header.model}` : ''}, temperature ${header.temperature}` : '',
    report.runs ? `${report.runs.runs} runs` : '',
    report.failed > 0 ? `${report.failed} failed generations excluded` : '',
    header ? `started ${header.startedAt}` : '',
  ].filter(Boolean);
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>loco eval report</title><style>${STYLE}</style></head><body>`,
    '<h1>loco eval report</h1>',
    `<p class="meta">${escapeHtml(facts.join(' · '))}</p>`,
    '<h2>Metrics</h2>',
    metricTable(metrics),
    '<h2>Calls per tool: model vs label</h2>',
    toolChart(metrics),
    table(['Tool', 'Model', 'Label', 'Delta'], toolRows(metrics)),
    '<h2>Tool call presence (rows: model, columns: label)</h2>',
    confusionChart(metrics),
    table(['', 'label calls a tool', 'label answers in text'], confusionRows(metrics)),
  ];
  if (report.runs) parts.push(`<h2>Across ${report.runs.runs} runs</h2>`, table(['Metric', 'Mean', 'Std dev', 'Range / pass@k', 'Per run'], runsRows(report.runs)));
  const usage = usageRows(metrics.usage);
  if (usage.length > 0) parts.push('<h2>Per sample</h2>', table(['', 'mean', 'median', 'p95', 'max'], usage));
  parts.push('<h2>Outcome per sample</h2>', sampleGrid(report.records));
  parts.push(
    `<p class="meta">Rates show their Wilson 95% interval. Presence: ${escapeHtml(formatRate(metrics.presence))} (${escapeHtml(formatInterval(metrics.presence.interval))}).</p>`,
    '</body></html>',
    '',
  );
  return parts.join('\n');
}
