// Localization tasks from git history: a non-merge commit that changes 1-5 existing source
// files, with a descriptive message, asks "find the code this message is about" on its parent
// tree; the truth is the old side of `git diff -U3 parent commit` for those files. Cheap filters
// run on the whole log; the diff is computed only for the seeded sample that is kept.
import type { GitRepo } from './git.js';
import { checkLeak } from './leak-check.js';
import { shuffled } from '../random.js';
import { exclusionOf } from './source-files.js';
import type { BenchTask } from './task-file.js';
import { oldSideRanges } from './unified-diff.js';

export const MAX_TRUTH_FILES = 5;

export interface KindReport {
  /** Entries looked at (commits, definitions, imported lines). */
  seen: number;
  /** Passed the cheap filters. */
  candidates: number;
  kept: number;
  /** Rejections by filter; the costly filters (diff, leak) count only candidates examined. */
  rejected: Record<string, number>;
}

interface LogEntry {
  sha: string;
  parents: string[];
  message: string;
  changes: { status: string; path: string }[];
}

const TRIVIAL_SUBJECT = /\b(bump(s|ed)?|typos?|spelling|reformat(ted)?|format(ting)?|lint(ing)?|whitespace|pep8|flake8|isort|prettier|pre-commit|merge|release|changelog)\b/i;
const VERSION_ONLY = /^v?\d+(\.\d+)+\S*$/;
const TRAILER = /^(signed-off-by|co-authored-by|reviewed-by|acked-by|change-id|cc):/i;
const MIN_SUBJECT_WORDS = 4;
const MIN_SUBJECT_CHARS = 20;

function parseLog(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const record of text.split('\x1e')) {
    if (record.trim() === '') continue;
    const [sha, parents, message, files = ''] = record.split('\x1f');
    const changes = files
      .split('\n')
      .filter((line) => line.includes('\t'))
      .map((line) => {
        const [status, file] = line.split('\t');
        return { status: status.trim(), path: file };
      });
    entries.push({ sha: sha.trim(), parents: parents.trim().split(' ').filter(Boolean), message: message.trim(), changes });
  }
  return entries;
}

/** The question: subject and body, without sign-off trailers. */
export function questionFromMessage(message: string): string {
  return message
    .split('\n')
    .filter((line) => !TRAILER.test(line.trim()))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Why a message is not a usable problem statement, or undefined. */
export function messageRejection(message: string): string | undefined {
  const subject = message.split('\n')[0].trim();
  if (/^merge\b/i.test(subject)) return 'merge-message';
  if (VERSION_ONLY.test(subject) || TRIVIAL_SUBJECT.test(subject)) return 'trivial-message';
  const words = subject.split(/\s+/).filter((word) => /[a-z]{2}/i.test(word));
  if (words.length < MIN_SUBJECT_WORDS || subject.length < MIN_SUBJECT_CHARS) return 'short-message';
  return undefined;
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

export async function makeHistoryTasks(
  repo: GitRepo,
  options: { count: number; random: () => number; since?: string; languages: ReadonlySet<string>; head: string },
): Promise<{ tasks: BenchTask[]; report: KindReport }> {
  const since = options.since === undefined ? [] : [`--since=${options.since}`];
  const merges = Number((await repo.run(['rev-list', '--merges', '--count', ...since, options.head])).trim());
  const log = await repo.run(['log', '--no-merges', '--no-renames', '--format=%x1e%H%x1f%P%x1f%B%x1f', '--name-status', ...since, options.head]);
  const entries = parseLog(log);
  const rejected: Record<string, number> = {};
  if (merges > 0) rejected.merge = merges;
  const candidates: { entry: LogEntry; files: string[]; newFiles: string[]; excluded: Record<string, string> }[] = [];
  for (const entry of entries) {
    if (entry.parents.length === 0) {
      count(rejected, 'root-commit');
      continue;
    }
    const byMessage = messageRejection(entry.message);
    if (byMessage) {
      count(rejected, byMessage);
      continue;
    }
    const files: string[] = [];
    const newFiles: string[] = [];
    const excluded: Record<string, string> = {};
    for (const change of entry.changes) {
      if (change.status.startsWith('A')) {
        newFiles.push(change.path);
        continue;
      }
      const why = exclusionOf(change.path, options.languages);
      if (why === undefined) files.push(change.path);
      else excluded[change.path] = why;
    }
    if (files.length === 0) {
      count(rejected, 'no-existing-source-file');
      continue;
    }
    if (files.length > MAX_TRUTH_FILES) {
      count(rejected, 'too-many-files');
      continue;
    }
    candidates.push({ entry, files, newFiles, excluded });
  }

  const tasks: BenchTask[] = [];
  for (const candidate of shuffled(candidates, options.random)) {
    if (tasks.length >= options.count) break;
    const { entry, files } = candidate;
    const question = questionFromMessage(entry.message);
    const leakCheck = checkLeak(question, files);
    if (leakCheck.named.length > 0) {
      count(rejected, 'leak');
      continue;
    }
    const parent = entry.parents[0];
    const diff = await repo.run(['diff', '-U3', '--no-renames', '--no-color', '--no-ext-diff', parent, entry.sha, '--', ...files]);
    const truthFiles = oldSideRanges(diff).filter((file) => files.includes(file.path));
    if (truthFiles.length === 0) {
      count(rejected, 'empty-truth'); // binary or mode-only changes
      continue;
    }
    tasks.push({
      id: `loc-${entry.sha.slice(0, 12)}`,
      kind: 'localization',
      repo: repo.root,
      commit: parent,
      question,
      truth: { files: truthFiles.map((file) => file.path), lines: Object.fromEntries(truthFiles.map((file) => [file.path, file.ranges])) },
      meta: { source: 'history', fixCommit: entry.sha, newFiles: candidate.newFiles, excludedFiles: candidate.excluded, leakCheck },
    });
  }
  return { tasks, report: { seen: entries.length + merges, candidates: candidates.length, kept: tasks.length, rejected } };
}
