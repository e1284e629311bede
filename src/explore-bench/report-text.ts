// report.md and the terminal summary of a bench score: one row per run with intervals, the
// per-kind split, run measurements, and paired comparisons.
import type { MeanWithInterval, ScoreReport } from './scoring.js';

export function formatScore(value: MeanWithInterval | undefined): string {
  if (!value) return 'n/a';
  const interval = value.interval ? ` [${value.interval.low.toFixed(3)}, ${value.interval.high.toFixed(3)}]` : '';
  return `${value.mean.toFixed(3)}${interval}`;
}

function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function scoreTable(report: ScoreReport): string[] {
  return [
    row(['run', 'tasks', 'no citation', 'file P', 'file R', 'file F1 [95% CI]', 'line P', 'line R', 'line F1 [95% CI]', 'line F0.5 [95% CI]', 'function hit [95% CI]', 'citations/answer', 'cited/truth lines (median)', 'outside repo']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...report.runs.map((run) =>
      row([
        run.run,
        run.tasks,
        run.nNoCitation,
        run.file.precision.toFixed(3),
        run.file.recall.toFixed(3),
        formatScore(run.file.f1),
        run.line.precision.toFixed(3),
        run.line.recall.toFixed(3),
        formatScore(run.line.f1),
        formatScore(run.line.f05),
        run.functionHit ? `${formatScore(run.functionHit)} (${run.functionHit.tasks})` : 'n/a',
        run.citationsPerAnswer.toFixed(2),
        run.overCitation.toFixed(2),
        run.outsideCitations,
      ]),
    ),
  ];
}

export function reportMarkdown(report: ScoreReport): string {
  const lines = [
    '# explore-bench score',
    '',
    `Tasks: ${report.tasks} from \`${report.tasksFile}\`. Means over all tasks; a task without citations scores 0. Intervals: 95% percentile bootstrap over tasks (seed ${report.seed}).`,
    '',
    ...scoreTable(report),
    '',
    '## By kind (F1)',
    '',
    row(['run', 'kind', 'tasks', 'file F1', 'line F1']),
    row(['---', '---', '---:', '---:', '---:']),
    ...report.runs.flatMap((run) => Object.entries(run.byKind).map(([kind, score]) => row([run.run, kind, score.tasks, score.fileF1.toFixed(3), score.lineF1.toFixed(3)]))),
  ];
  const measured = report.runs.filter((run) => run.usage);
  if (measured.length > 0) {
    lines.push('', '## Cost per task (summary.json)', '', row(['run', 'tasks measured', 'turns', 'tool calls', 'calls by tool', 'prompt tokens', 'cached', 'completion tokens', 'wall s']), row(['---', '---:', '---:', '---:', '---', '---:', '---:', '---:', '---:']));
    for (const run of measured) {
      const usage = run.usage!;
      const tools = Object.entries(usage.toolCallsByTool).map(([tool, calls]) => `${tool} ${calls.toFixed(1)}`).join(', ') || '-';
      lines.push(row([run.run, usage.tasks, usage.turns.toFixed(1), usage.toolCalls.toFixed(1), tools, usage.promptTokens.toFixed(0), usage.cachedTokens.toFixed(0), usage.completionTokens.toFixed(0), (usage.wallMs / 1000).toFixed(1)]));
    }
  }
  if (report.comparisons.length > 0) {
    lines.push('', '## Paired comparison', '', row(['metric', 'a', 'b', 'mean a', 'mean b', 'b - a [95% CI]', 'b better / worse / tied', 'sign test p']), row(['---', '---', '---', '---:', '---:', '---:', '---', '---:']));
    for (const comparison of report.comparisons) {
      const interval = comparison.interval ? ` [${comparison.interval.low.toFixed(3)}, ${comparison.interval.high.toFixed(3)}]` : '';
      lines.push(row([comparison.metric, comparison.a, comparison.b, comparison.meanA.toFixed(3), comparison.meanB.toFixed(3), `${comparison.difference.toFixed(3)}${interval}`, `${comparison.wins} / ${comparison.losses} / ${comparison.ties}`, comparison.signTestP.toPrecision(3)]));
    }
  }
  return `${lines.join('\n')}\n`;
}
