// Citations in an explorer's answer, read as FastContext's scorer reads them: paths (absolute
// or repo-relative) with optional lines, `path:N`, `path:N-M`, `path#LN-LM`; inside a
// `<final_answer>` block when the answer has one. Paths become repo-relative; absolute paths
// outside every known root and relative ones that climb out are ignored and counted.
import path from 'node:path';
import { mergeRanges, type LineRange } from './line-ranges.js';

export interface CitedFile {
  path: string;
  /** Merged cited lines; empty for a file cited without lines. */
  ranges: LineRange[];
}

export interface ParsedAnswer {
  files: CitedFile[];
  /** Citations as written (a file cited twice counts twice). */
  count: number;
  /** Citations ignored because they point outside the repository. */
  outside: number;
}

const FINAL_ANSWER = /<final_answer>([\s\S]*?)(?:<\/final_answer>|$)/gi;
// A path token, then optional lines: ":12", ":12-40", ":12:5" (column ignored), "#L12", "#L12-L40".
const CITATION = /(?<![\w@+~.:/\\-])((?:\.{0,2}\/|~\/)?[\w@+~.-]+(?:\/[\w@+~.-]+)*)(?:(?::|#L)(\d+)(?:\s*[-–]\s*L?(\d+))?)?/g;
const EXTENSION = /\.[A-Za-z][A-Za-z0-9_+-]{0,9}$/;
const NOT_PATHS = /^(e\.g|i\.e|etc|vs|a\.k\.a|u\.s)$/i;

/** The text citations are read from: the last `<final_answer>` block, else the whole answer. */
export function citationText(answer: string): string {
  let last: string | undefined;
  for (const match of answer.matchAll(FINAL_ANSWER)) last = match[1];
  return last ?? answer;
}

/** Repo-relative form of a cited path, or undefined when it lies outside the repository. */
export function repoRelative(cited: string, roots: readonly string[]): string | undefined {
  if (cited.startsWith('/')) {
    const normalized = path.posix.normalize(cited);
    for (const root of roots) {
      const prefix = root.endsWith('/') ? root : `${root}/`;
      if (normalized.startsWith(prefix)) return normalized.slice(prefix.length);
    }
    return undefined;
  }
  if (cited.startsWith('~')) return undefined;
  const normalized = path.posix.normalize(cited);
  if (normalized === '..' || normalized.startsWith('../')) return undefined;
  return normalized === '.' ? undefined : normalized;
}

/** `roots`: absolute directories the explorer may have named its files under, longest first is not needed. */
export function parseAnswer(answer: string, roots: readonly string[]): ParsedAnswer {
  const text = citationText(answer);
  const byPath = new Map<string, LineRange[]>();
  let count = 0;
  let outside = 0;
  const sortedRoots = [...roots].sort((a, b) => b.length - a.length);
  for (const match of text.matchAll(CITATION)) {
    const token = match[1].replace(/[.]+$/, '');
    if (match.index > 2 && text.slice(match.index - 3, match.index) === '://') continue; // a URL
    if (!token.includes('/') && !EXTENSION.test(token)) continue; // a word, a number
    if (NOT_PATHS.test(token) || /^\.+$/.test(token)) continue;
    count++;
    const relative = repoRelative(token, sortedRoots);
    if (relative === undefined) {
      outside++;
      continue;
    }
    const ranges = byPath.get(relative) ?? [];
    byPath.set(relative, ranges);
    if (match[2] !== undefined) {
      const start = Number(match[2]);
      const end = match[3] === undefined ? start : Number(match[3]);
      if (start >= 1) ranges.push([Math.min(start, end), Math.max(start, end)]);
    }
  }
  return { files: [...byPath].map(([file, ranges]) => ({ path: file, ranges: mergeRanges(ranges) })), count, outside };
}
