// Reads a run folder in `loco batch`'s layout: `<id>.md` answers, `summary.json` (per-query
// turns, tool calls, tokens, wall time; an absolute `repo` on a query, where a run records the
// checkout it explored, makes citations under it repo-relative). A missing summary is fine (answers alone score);
// a summary that is not JSON is an error naming the file.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BatchSummary, QueryRecord } from '../batch/summary.js';
import { LocoError } from '../errors.js';

export interface RunFolder {
  name: string;
  dir: string;
  answers: Map<string, string>;
  records: Map<string, QueryRecord>;
  /** Directories the run explored: absolute citations under them are repo-relative. */
  roots: string[];
}

export async function readRunFolder(dir: string, ids: readonly string[]): Promise<RunFolder> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new LocoError('usage', `${dir} is not a run folder: pass the --out folder of a run (<id>.md answers, summary.json)`);
  }
  const answers = new Map<string, string>();
  await Promise.all(
    ids.map(async (id) => {
      try {
        answers.set(id, await readFile(path.join(dir, `${id}.md`), 'utf8'));
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ENOENT') throw new LocoError('io', `cannot read ${path.join(dir, `${id}.md`)}: ${(error as Error).message}`);
      }
    }),
  );
  const records = new Map<string, QueryRecord>();
  const roots: string[] = [];
  let text: string | undefined;
  try {
    text = await readFile(path.join(dir, 'summary.json'), 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    let summary: Partial<BatchSummary>;
    try {
      summary = JSON.parse(text) as Partial<BatchSummary>;
    } catch (error) {
      throw new LocoError('usage', `${path.join(dir, 'summary.json')} is not JSON (${(error as Error).message}): restore it or remove it to score the answers alone`);
    }
    for (const record of summary.queries ?? []) {
      if (!record || typeof record.id !== 'string') continue;
      records.set(record.id, record);
      // A bench run explores one checkout per commit and may record it per query.
      const checkout = (record as { repo?: unknown }).repo;
      if (typeof checkout === 'string' && path.isAbsolute(checkout) && !roots.includes(checkout)) roots.push(checkout);
    }
    // `loco batch` records --repo as typed: relative to where it ran, which is unknown here;
    // the scoring directory and the run folder are the likely places (both only prefix-match).
    const repo = summary.settings?.repo;
    if (typeof repo === 'string') roots.push(...new Set([path.resolve(repo), path.resolve(dir, repo)]));
  }
  return { name: path.basename(path.resolve(dir)), dir, answers, records, roots };
}
