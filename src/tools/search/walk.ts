// The JS searcher's directory walk, pinned to the rules the ripgrep searcher is run with:
// hidden files are included; version-control folders and symbolic links are skipped
// (links are never followed); .gitignore files inside the search root apply to their
// folder and below, whether or not the tree is a git repository; nothing outside the
// root (parent .gitignore, global excludes, .git/info/exclude, .ignore) is read.
// Precedence is ripgrep's: --glob rules, then the nearest .gitignore that has an opinion,
// then `type`. Differences from ripgrep 13 (not 14): ripgrep 13 also reads .rgignore and
// stops applying a parent folder's .gitignore inside a nested repository.
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { FileTypeMatcher } from './file-types.js';
import { decideByGlobs, type GlobRules, VCS_DIRECTORY_NAMES } from './glob-rules.js';

export interface WalkFilter {
  globRules: GlobRules;
  fileType?: FileTypeMatcher;
}

interface GitignoreLevel {
  /** Folder of the .gitignore, relative to the search root ('' for the root). */
  readonly base: string;
  readonly rules: Ignore;
}

interface PendingDirectory {
  readonly absolute: string;
  readonly relative: string;
  readonly levels: readonly GitignoreLevel[];
}

const VCS_NAMES = new Set(VCS_DIRECTORY_NAMES);

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

async function readGitignore(directory: string): Promise<Ignore | undefined> {
  try {
    return ignore({ allowRelativePaths: true }).add(await readFile(path.join(directory, '.gitignore'), 'utf8'));
  } catch {
    // Unreadable ignore files are skipped, as ripgrep does (it only warns).
    return undefined;
  }
}

/** True when the nearest .gitignore with an opinion about the path excludes it. */
function isGitignored(levels: readonly GitignoreLevel[], relative: string, isDirectory: boolean): boolean {
  for (let index = levels.length - 1; index >= 0; index -= 1) {
    const level = levels[index];
    const local = level.base === '' ? relative : relative.slice(level.base.length + 1);
    const result = level.rules.test(isDirectory ? `${local}/` : local);
    if (result.ignored) return true;
    if (result.unignored) return false;
  }
  return false;
}

function isIncluded(filter: WalkFilter, levels: readonly GitignoreLevel[], entry: Dirent, relative: string): boolean {
  const isDirectory = entry.isDirectory();
  const decision = decideByGlobs(filter.globRules, relative, isDirectory);
  if (decision !== 'none') return decision === 'include';
  if (isGitignored(levels, relative, isDirectory)) return false;
  return isDirectory || filter.fileType === undefined || filter.fileType(entry.name);
}

/** Absolute paths of the files under `root` that a search would read, in no set order. */
export async function walkFiles(root: string, filter: WalkFilter, signal: AbortSignal): Promise<string[]> {
  const files: string[] = [];
  const pending: PendingDirectory[] = [{ absolute: root, relative: '', levels: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    throwIfAborted(signal);
    let entries: Dirent[];
    try {
      entries = await readdir(next.absolute, { withFileTypes: true });
    } catch {
      continue; // unreadable folder: skipped silently, like ripgrep with --no-messages
    }
    let levels = next.levels;
    if (entries.some((entry) => entry.name === '.gitignore' && entry.isFile())) {
      const rules = await readGitignore(next.absolute);
      if (rules !== undefined) levels = [...levels, { base: next.relative, rules }];
    }
    for (const entry of entries) {
      if (VCS_NAMES.has(entry.name) || !(entry.isFile() || entry.isDirectory())) continue;
      const relative = next.relative === '' ? entry.name : `${next.relative}/${entry.name}`;
      if (!isIncluded(filter, levels, entry, relative)) continue;
      const absolute = path.join(next.absolute, entry.name);
      if (entry.isDirectory()) pending.push({ absolute, relative, levels });
      else files.push(absolute);
    }
  }
  return files;
}
