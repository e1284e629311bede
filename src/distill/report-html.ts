// report.html of `loco distill build`: one self-contained page (inline CSS and SVG, no
// script, no external resource; a Content-Security-Policy forbids any) with what was kept,
// what each filter dropped and why, the tool distribution, and the turns and token-length
// histograms. It opens from disk, offline, in any browser.
import { escapeHtml } from '../eval/report-html.js';
import { droppedTotal, type BuildStats } from './build-stats.js';

const BAR_COLOR = '#2b6cb0';

/** A horizontal bar chart: one labelled bar per entry, scaled to the largest. */
function barChart(id: string, title: string, entries: readonly [string, number][]): string {
  const rowHeight = 22;
  const labelWidth = 150;
  const barWidth = 420;
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const rows = entries
    .map(([label, value], index) => {
      const y = index * rowHeight;
      const width = ((value / max) * barWidth).toFixed(1);
      return (
        `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(label)}</text>` +
        `<rect x="${labelWidth}" y="${y + 3}" width="${width}" height="${rowHeight - 6}" fill="${BAR_COLOR}"/>` +
        `<text x="${labelWidth + Number(width) + 6}" y="${y + 15}">${value}</text>`
      );
    })
    .join('');
  const height = Math.max(rowHeight, entries.length * rowHeight);
  const body = entries.length === 0 ? '<p class="none">nothing kept</p>' : `<svg id="${id}" width="${labelWidth + barWidth + 60}" height="${height}" role="img" aria-label="${escapeHtml(title)}">${rows}</svg>`;
  return `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function histogramEntries(histogram: Record<string, number>, unit: string): [string, number][] {
  return Object.entries(histogram)
    .map(([bound, count]) => [Number(bound), count] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([bound, count]) => [`≥ ${bound} ${unit}`, count]);
}

export function formatBuildReport(stats: BuildStats): string {
  const dropped = Object.entries(stats.dropped).flatMap(([filter, reasons]) => Object.entries(reasons).map(([reason, count]) => `<tr><td>${escapeHtml(filter)}</td><td>${escapeHtml(reason)}</td><td>${count}</td></tr>`));
  const summary = [
    ['conversations read', stats.input],
    ['kept for training', stats.kept.train],
    ['kept for validation', stats.kept.validation],
    ['dropped', droppedTotal(stats)],
    ['invalid calls (repaired)', `${stats.calls.invalid} (${stats.calls.repaired})`],
    ['conversations with secrets redacted', stats.secrets.conversations],
    ['cut to --max-length', stats.cutToLength],
    ['repositories (train / validation)', `${stats.repos.train} / ${stats.repos.validation}`],
    ['tokens (total / longest)', `${stats.tokens.total} / ${stats.tokens.max} of ${stats.maxLength}`],
  ]
    .map(([label, value]) => `<tr><th>${escapeHtml(String(label))}</th><td>${escapeHtml(String(value))}</td></tr>`)
    .join('\n');
  const tools = Object.entries(stats.tools).sort((a, b) => b[1] - a[1]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>loco distill report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #1a202c; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #e2e8f0; }
h1 { font-size: 1.6em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
svg text { font: 12px system-ui, sans-serif; fill: #1a202c; }
.none { color: #718096; }
</style></head><body>
<h1>loco distill report</h1>
<table id="summary">${summary}</table>
<section><h2>Dropped, by filter</h2>
<table id="dropped"><thead><tr><th>filter</th><th>reason</th><th>conversations</th></tr></thead><tbody>
${dropped.length === 0 ? '<tr><td colspan="3">nothing dropped</td></tr>' : dropped.join('\n')}
</tbody></table></section>
${barChart('tool-chart', 'Tool calls in kept conversations', tools)}
${barChart('turns-chart', 'Assistant turns per conversation', histogramEntries(stats.turnsHistogram, 'turns'))}
${barChart('tokens-chart', 'Qwen3 tokens per conversation', histogramEntries(stats.tokensHistogram, 'tokens'))}
</body></html>
`;
}
