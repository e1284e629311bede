// The report in its machine shape (`--json`) and on disk (`--out`): report.md,
// report.html and, when scoring a saved file, results.jsonl with the fresh verdicts.
// Reports are written atomically, so a reader never sees half a page.
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import type { EvalReport } from './evaluate.js';
import { formatHtmlReport } from './report-html.js';
import { formatMarkdownReport } from './report-text.js';
import { formatResultLine } from './results-file.js';

/** `{run, metrics, runs?, failed, samples}`: one entry per output with its verdicts, output text left to results.jsonl. */
export function reportJson(report: EvalReport): Record<string, unknown> {
  return {
    ...(report.header ? { run: report.header } : {}),
    metrics: report.metrics,
    ...(report.runs ? { runs: report.runs } : {}),
    failed: report.failed,
    samples: report.records.map((record) => ({
      id: record.id,
      run: record.run,
      ...(record.finishReason ? { finishReason: record.finishReason } : {}),
      ...(record.usage ? { usage: record.usage } : {}),
      ...(record.latencyMs !== undefined ? { latencyMs: record.latencyMs } : {}),
      ...(record.firstTokenMs !== undefined ? { firstTokenMs: record.firstTokenMs } : {}),
      ...(record.error ? { error: record.error } : {}),
      ...(record.verdict ?? {}),
    })),
  };
}

export interface WrittenReports {
  files: string[];
}

export async function writeReportFiles(outDir: string, report: EvalReport, options: { results: boolean }): Promise<WrittenReports> {
  const files: string[] = [];
  const write = async (name: string, text: string) => {
    const file = path.join(outDir, name);
    await writeFileAtomic(file, text);
    files.push(file);
  };
  if (options.results) {
    const lines = [...(report.header ? [report.header] : []), ...report.records].map(formatResultLine);
    await write('results.jsonl', lines.join(''));
  }
  await write('report.md', formatMarkdownReport(report));
  await write('report.html', formatHtmlReport(report));
  return { files };
}
