// Small real git repositories for explore-bench tests: commits made with the git program,
// and the real tqdm history cloned from shared/ (absent: the caller skips with a reason).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

export const TQDM_BUNDLE = path.resolve(import.meta.dirname, '../../../../shared/data/repos/tqdm.bundle');
export const HAVE_TQDM = existsSync(TQDM_BUNDLE);
export const TQDM_SKIP = HAVE_TQDM ? false : `${TQDM_BUNDLE} is not here (shared/ sits beside the repository)`;

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z' },
  });
}

/** A repository whose commits are given as file maps (null deletes a file) with messages. */
export async function makeRepo(commits: { message: string; files: Record<string, string | null> }[]): Promise<TempTree> {
  const tree = await makeTempTree();
  git(tree.root, 'init', '-q', '-b', 'main');
  for (const commit of commits) {
    for (const [file, content] of Object.entries(commit.files)) {
      const target = path.join(tree.root, file);
      if (content === null) await rm(target);
      else {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, content);
      }
    }
    git(tree.root, 'add', '-A');
    git(tree.root, 'commit', '-q', '-m', commit.message);
  }
  return tree;
}

export async function cloneTqdm(): Promise<TempTree> {
  const tree = await makeTempTree();
  git(tree.root, 'clone', '-q', TQDM_BUNDLE, 'tqdm');
  return { root: path.join(tree.root, 'tqdm'), cleanup: tree.cleanup };
}

/** Numbered lines, so a diff's hunks land where a test expects. */
export function numbered(count: number, label = 'line'): string {
  return Array.from({ length: count }, (_, index) => `${label}_${index + 1} = ${index + 1}`).join('\n') + '\n';
}
