// report.html for a bench score: one self-contained page (inline CSS and SVG, no script, a
// Content-Security-Policy that forbids any outside resource) with the score table, per-run
// bars with 95% intervals for file F1, line F1 and line F0.5, and line F1 against tokens.
import { escapeHtml } from '../eval/report-html.js';
import { reportMarkdown } from './report-text.js';
import type { MeanWithInterval, ScoreReport } from './scoring.js';

const COLORS = ['#2b6cb0', '#dd8a2e', '#2f855a', '#9b2c2c', '#6b46c1', '#2c7a7b', '#b7791f', '#4a5568'];

function barChart(report: ScoreReport): string {
  const metrics: [string, (run: ScoreReport['runs'][number]) => MeanWithInterval][] = [
    ['file F1', (run) => run.file.f1],
    ['line F1', (run) => run.line.f1],
    ['line F0.5', (run) => run.line.f05],
  ];
  const barHeight = 16;
  const groupHeight = report.runs.length * (barHeight + 4) + 26;
  const width = 700;
  const left = 90;
  const scale = (value: number) => left + value * (width - left - 60);
  const parts: string[] = [];
  metrics.forEach(([label, pick], group) => {
    const top = group * groupHeight;
    parts.push(`<text x="0" y="${top + 14}" font-weight="bold">${escapeHtml(label)}</text>`);
    report.runs.forEach((run, index) => {
      const value = pick(run);
      const y = top + 22 + index * (barHeight + 4);
      parts.push(`<text x="0" y="${y + 12}">${escapeHtml(run.run.slice(0, 12))}</text>`);
      parts.push(`<rect class="score" x="${left}" y="${y}" width="${(scale(value.mean) - left).toFixed(1)}" height="${barHeight}" fill="${COLORS[index % COLORS.length]}"><title>${escapeHtml(`${run.run} ${label} ${value.mean.toFixed(3)}`)}</title></rect>`);
      if (value.interval) {
        const low = scale(value.interval.low).toFixed(1);
        const high = scale(value.interval.high).toFixed(1);
        parts.push(`<line class="interval" x1="${low}" x2="${high}" y1="${y + barHeight / 2}" y2="${y + barHeight / 2}" stroke="#1a202c" stroke-width="1.5"/><line x1="${low}" x2="${low}" y1="${y + 3}" y2="${y + barHeight - 3}" stroke="#1a202c"/><line x1="${high}" x2="${high}" y1="${y + 3}" y2="${y + barHeight - 3}" stroke="#1a202c"/>`);
      }
      parts.push(`<text x="${(scale(Math.max(value.mean, value.interval?.high ?? 0)) + 5).toFixed(1)}" y="${y + 12}" font-size="11">${value.mean.toFixed(3)}</text>`);
    });
  });
  const axis = [0, 0.25, 0.5, 0.75, 1].map((tick) => `<line x1="${scale(tick)}" x2="${scale(tick)}" y1="0" y2="${metrics.length * groupHeight}" stroke="#e2e8f0"/>`).join('');
  const height = metrics.length * groupHeight;
  return `<svg id="score-chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="scores per run with 95% intervals">${axis}${parts.join('')}</svg>`;
}

function scatter(report: ScoreReport): string {
  const points = report.runs.map((run, index) => ({ run, index, tokens: run.usage?.totalTokens }));
  const measured = points.filter((point) => point.tokens !== undefined);
  const width = 640;
  const height = 320;
  const pad = 50;
  if (measured.length === 0) return `<p id="scatter-note">No run has a summary.json with token counts: the F1-against-tokens chart needs one.</p>`;
  const maxTokens = Math.max(...measured.map((point) => point.tokens as number), 1) * 1.1;
  const x = (tokens: number) => pad + (tokens / maxTokens) * (width - 2 * pad);
  const y = (score: number) => height - pad - score * (height - 2 * pad);
  const dots = measured
    .map(({ run, index, tokens }) => `<circle class="point" cx="${x(tokens as number).toFixed(1)}" cy="${y(run.line.f1.mean).toFixed(1)}" r="6" fill="${COLORS[index % COLORS.length]}"><title>${escapeHtml(`${run.run}: line F1 ${run.line.f1.mean.toFixed(3)}, ${Math.round(tokens as number)} tokens per task`)}</title></circle><text x="${(x(tokens as number) + 8).toFixed(1)}" y="${(y(run.line.f1.mean) - 8).toFixed(1)}" font-size="11">${escapeHtml(run.run.slice(0, 16))}</text>`)
    .join('');
  const axes = `<line x1="${pad}" x2="${width - pad}" y1="${height - pad}" y2="${height - pad}" stroke="#4a5568"/><line x1="${pad}" x2="${pad}" y1="${pad / 2}" y2="${height - pad}" stroke="#4a5568"/>` +
    `<text x="${width / 2}" y="${height - 12}" text-anchor="middle">tokens per task (prompt + completion)</text><text x="14" y="${height / 2}" transform="rotate(-90 14 ${height / 2})" text-anchor="middle">line F1</text>` +
    [0, 0.5, 1].map((tick) => `<text x="${pad - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${tick}</text>`).join('') +
    `<text x="${width - pad}" y="${height - pad + 16}" text-anchor="end" font-size="11">${Math.round(maxTokens)}</text>`;
  return `<svg id="scatter-chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="line F1 against tokens per task">${axes}${dots}</svg>`;
}

export function reportHtml(report: ScoreReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>loco explore-bench report</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#1a202c;max-width:1100px}svg text{font:12px system-ui,sans-serif}pre{background:#f7fafc;padding:1em;overflow-x:auto;font-size:12px}h2{margin-top:1.6em}</style>
</head><body>
<h1>explore-bench</h1>
<p>${report.tasks} tasks, ${report.runs.length} run(s). Bars show means over tasks with 95% bootstrap intervals.</p>
<h2>Scores per run</h2>
${barChart(report)}
<h2>Line F1 against tokens</h2>
${scatter(report)}
<h2>Tables</h2>
<pre>${escapeHtml(reportMarkdown(report))}</pre>
</body></html>
`;
}
