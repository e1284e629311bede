// Writes a bench score's files, each atomically: results.jsonl (one line per run and task),
// score.json (the run means), report.md and report.html.
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { reportHtml } from './report-html.js';
import { reportMarkdown } from './report-text.js';
import type { ScoreReport } from './scoring.js';

export async function writeScoreFiles(dir: string, report: ScoreReport): Promise<string[]> {
  const { results, ...summary } = report;
  const files: [string, string][] = [
    ['results.jsonl', results.map((result) => `${JSON.stringify(result)}\n`).join('')],
    ['score.json', `${JSON.stringify(summary, null, 2)}\n`],
    ['report.md', reportMarkdown(report)],
    ['report.html', reportHtml(report)],
  ];
  for (const [name, text] of files) await writeFileAtomic(path.join(dir, name), text);
  return files.map(([name]) => path.join(dir, name));
}
