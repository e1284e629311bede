// Definition tasks from symbols: for a function or class with a doc comment, "where is the
// code that <doc summary>?", the symbol's name masked; the truth is the definition's file and
// lines. Parsed with tree-sitter (symbols.ts) at one commit, files read in one git process.
import { createHash } from 'node:crypto';
import type { GitRepo } from './git.js';
import { readFilesAt } from './git.js';
import type { KindReport } from './history-tasks.js';
import { checkLeak } from './leak-check.js';
import { shuffled } from '../random.js';
import { exclusionOf } from './source-files.js';
import { definitionsIn, docSummary, grammarFor, type Definition } from './symbols.js';
import type { BenchTask } from './task-file.js';

const MIN_SUMMARY_WORDS = 4;
export const MASK = '[name]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The question, with every mention of the symbol's name masked. */
export function definitionQuestion(summary: string, name: string): { question: string; masked: number } {
  let masked = 0;
  const text = name.length < 2 ? summary : summary.replace(new RegExp(`(?<![\\w$])${escapeRegExp(name)}(?![\\w$])`, 'gi'), () => {
    masked++;
    return MASK;
  });
  const clause = text.replace(/[.\s]+$/, '');
  return { question: `Where is the code that ${clause.charAt(0).toLowerCase()}${clause.slice(1)}?`, masked };
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

export async function makeSymbolTasks(
  repo: GitRepo,
  options: { count: number; random: () => number; languages: ReadonlySet<string>; commit: string },
): Promise<{ tasks: BenchTask[]; report: KindReport }> {
  const listing = await repo.run(['ls-tree', '-r', '-z', '--name-only', options.commit]);
  const files = listing
    .split('\0')
    .filter((file) => file !== '' && exclusionOf(file, options.languages) === undefined && grammarFor(file) !== undefined)
    .sort();
  const sources = await readFilesAt(repo, options.commit, files);
  const rejected: Record<string, number> = {};
  const found: { file: string; definition: Definition; summary: string }[] = [];
  let seen = 0;
  for (const file of files) {
    const source = sources.get(file);
    if (source === undefined) continue;
    const definitions = (await definitionsIn(file, source)) ?? [];
    for (const definition of definitions) {
      seen++;
      if (/^__\w+__$/.test(definition.name)) {
        count(rejected, 'special-method'); // __init__ and friends: generic docs, many of each
        continue;
      }
      const summary = definition.doc === undefined ? undefined : docSummary(definition.doc);
      if (summary === undefined) {
        count(rejected, 'no-docstring');
        continue;
      }
      if (summary.split(/\s+/).filter((word) => /[a-z]{2}/i.test(word)).length < MIN_SUMMARY_WORDS) {
        count(rejected, 'short-docstring');
        continue;
      }
      found.push({ file, definition, summary });
    }
  }
  // A summary shared by two definitions has no single right answer.
  const uses = new Map<string, number>();
  for (const entry of found) uses.set(entry.summary.toLowerCase(), (uses.get(entry.summary.toLowerCase()) ?? 0) + 1);
  const candidates = found.filter((entry) => {
    if ((uses.get(entry.summary.toLowerCase()) ?? 0) === 1) return true;
    count(rejected, 'ambiguous-docstring');
    return false;
  });

  const tasks: BenchTask[] = [];
  for (const { file, definition, summary } of shuffled(candidates, options.random)) {
    if (tasks.length >= options.count) break;
    const { question, masked } = definitionQuestion(summary, definition.name);
    const leakCheck = checkLeak(question, [file]);
    if (leakCheck.named.length > 0) {
      count(rejected, 'leak');
      continue;
    }
    const digest = createHash('sha1').update(`${options.commit}\0${file}\0${definition.name}\0${definition.start}`).digest('hex');
    tasks.push({
      id: `def-${digest.slice(0, 12)}`,
      kind: 'definition',
      repo: repo.root,
      commit: options.commit,
      question,
      truth: { files: [file], lines: { [file]: [[definition.start, definition.end]] } },
      meta: { source: 'symbols', symbol: definition.name, symbolKind: definition.kind, nameMentionsMasked: masked, leakCheck },
    });
  }
  return { tasks, report: { seen, candidates: candidates.length, kept: tasks.length, rejected } };
}
