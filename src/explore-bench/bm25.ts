// A BM25 index over a checkout's line windows: the `baseline:bm25` floor. Text is tokenised
// as code is written (identifiers split at camelCase and snake_case boundaries, each part and
// the whole identifier kept, lower-cased, English stop words dropped); a document is a window
// of lines, overlapping its neighbours by half, so a match near a window edge is not lost.
// Files come from `git ls-files` (tracked files only); binary, vendored, generated, lock and
// very large files are skipped. Written by hand: BM25 is a few lines, and the libraries on npm
// tokenise prose, not identifiers.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { exclusionOf } from './source-files.js';

const execFileAsync = promisify(execFile);

export const WINDOW_LINES = 20;
const STRIDE = WINDOW_LINES / 2;
const MAX_FILE_BYTES = 1024 * 1024;
const K1 = 1.2;
const B = 0.75;

// Question words with no say in where code is (BM25's idf would weigh them down, but not to zero).
const STOP_WORDS = new Set(
  ('a an and are as at be been but by can code could do does done for from had has have how i if in into is it its ' +
    'just may might more most must no not of on or our should so some such than that the their them then there these ' +
    'they this those to too was we were what when where which while who why will with would you your').split(' '),
);

/** Terms of a text: words and identifier parts, lower-cased, stop words and 1-letter terms dropped. */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  for (const word of text.match(/[A-Za-z0-9_]+/g) ?? []) {
    const parts = word
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .split(/[\s_]+/)
      .filter(Boolean)
      .map((part) => part.toLowerCase());
    const whole = word.toLowerCase().replace(/^_+|_+$/g, '');
    for (const term of parts.length > 1 ? [...parts, whole] : parts) {
      if (term.length > 1 && !STOP_WORDS.has(term) && !/^\d+$/.test(term)) terms.push(term);
    }
  }
  return terms;
}

export interface Window {
  file: string;
  start: number;
  end: number;
  length: number;
  counts: Map<string, number>;
}

export interface RankedWindow {
  file: string;
  start: number;
  end: number;
  score: number;
}

export interface Bm25Index {
  files: number;
  windows: number;
  /** The best `limit` windows for `query` that do not overlap a better one, best first. */
  search(query: string, limit: number): RankedWindow[];
}

const SKIPPED = new Set(['vendored', 'generated', 'lock']);

interface TrackedFile {
  path: string;
  /** The blob id: the same content at the same path is cut into the same windows. */
  blob: string;
}

/** The checkout's tracked files worth searching, with their blob ids. */
async function searchableFiles(root: string): Promise<TrackedFile[]> {
  const { stdout } = await execFileAsync('git', ['-c', 'core.quotePath=false', 'ls-files', '-s', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  // exclusionOf over every language: only the vendored, generated and lock verdicts matter here.
  const everything = new Set(['python', 'javascript', 'typescript', 'go', 'rust', 'java', 'c', 'cpp', 'ruby', 'shell']);
  const files: TrackedFile[] = [];
  for (const entry of stdout.split('\0')) {
    // `<mode> <blob> <stage>\t<path>`; mode 160000 is a submodule, not a file.
    const match = /^(\d+) ([0-9a-f]+) \d+\t(.+)$/s.exec(entry);
    if (!match || match[1] === '160000' || SKIPPED.has(exclusionOf(match[3], everything) ?? '')) continue;
    files.push({ path: match[3], blob: match[2] });
  }
  return files;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    if ((await stat(file)).size > MAX_FILE_BYTES) return undefined;
    const bytes = await readFile(file);
    if (bytes.subarray(0, 8192).includes(0)) return undefined; // binary
    return bytes.toString('utf8');
  } catch {
    return undefined; // a broken link
  }
}

function cutWindows(file: string, text: string): Window[] {
  const windows: Window[] = [];
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  // Terms of the path count in every window of the file: a question naming a module finds it.
  const pathTerms = tokenize(file);
  for (let start = 0; start < lines.length; start += STRIDE) {
    const end = Math.min(lines.length, start + WINDOW_LINES);
    const terms = [...pathTerms, ...tokenize(lines.slice(start, end).join('\n'))];
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    windows.push({ file, start: start + 1, end, length: terms.length, counts });
    if (end === lines.length) break;
  }
  return windows;
}

/** Windows by `<blob>:<path>`, shared by the indexes of a run: checkouts of nearby commits share most files. */
export type WindowCache = Map<string, Window[] | null>;

/** Builds the index of a checkout: every searchable file cut into overlapping windows. */
export async function buildIndex(root: string, cache: WindowCache = new Map()): Promise<Bm25Index> {
  const windows: Window[] = [];
  const documentFrequency = new Map<string, number>();
  let files = 0;
  for (const file of await searchableFiles(root)) {
    const key = `${file.blob}:${file.path}`;
    let cut = cache.get(key);
    if (cut === undefined) {
      const text = await readText(path.join(root, file.path));
      cut = text === undefined ? null : cutWindows(file.path, text);
      cache.set(key, cut);
    }
    if (cut === null) continue;
    files += 1;
    for (const window of cut) {
      for (const term of window.counts.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
      windows.push(window);
    }
  }
  const averageLength = windows.reduce((sum, window) => sum + window.length, 0) / Math.max(1, windows.length);
  const idf = (term: string) => {
    const frequency = documentFrequency.get(term) ?? 0;
    return Math.log(1 + (windows.length - frequency + 0.5) / (frequency + 0.5));
  };
  return {
    files,
    windows: windows.length,
    search(query, limit) {
      const terms = [...new Set(tokenize(query))].filter((term) => documentFrequency.has(term));
      const weights = terms.map(idf);
      const scored: RankedWindow[] = [];
      for (const window of windows) {
        let score = 0;
        const norm = K1 * (1 - B + (B * window.length) / averageLength);
        terms.forEach((term, index) => {
          const frequency = window.counts.get(term);
          if (frequency !== undefined) score += (weights[index] * frequency * (K1 + 1)) / (frequency + norm);
        });
        if (score > 0) scored.push({ file: window.file, start: window.start, end: window.end, score });
      }
      scored.sort((a, b) => b.score - a.score || a.file.localeCompare(b.file) || a.start - b.start);
      const chosen: RankedWindow[] = [];
      for (const candidate of scored) {
        // A window overlapping a better one of its file adds little: the next distinct place does.
        if (chosen.some((kept) => kept.file === candidate.file && candidate.start <= kept.end && candidate.end >= kept.start)) continue;
        chosen.push(candidate);
        if (chosen.length === limit) break;
      }
      return chosen;
    },
  };
}
