// The definitions enclosing each task's truth lines (for the function-level hit), parsed with
// tree-sitter from `git show commit:path` of the task's repository: no checkout needed.
// A local repository that lacks a task's commit is an error; a task whose repo is only a name
// (an imported set without --repo) gets no function-level score.
import { stat } from 'node:fs/promises';
import { LocoError } from '../errors.js';
import { openRepo, readFilesAt, resolveCommit, type GitRepo } from './git.js';
import type { LineRange } from './line-ranges.js';
import { definitionsIn, enclosingDefinitions } from './symbols.js';
import type { BenchTask } from './task-file.js';

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

export async function functionTruths(tasks: readonly BenchTask[], repoOverride?: string): Promise<Map<string, Map<string, LineRange[]>>> {
  const result = new Map<string, Map<string, LineRange[]>>();
  const repos = new Map<string, GitRepo | undefined>();
  for (const task of tasks) {
    const where = repoOverride ?? task.repo;
    if (!repos.has(where)) repos.set(where, (await isDirectory(where)) ? await openRepo(where, { needHistory: false }) : undefined);
    const repo = repos.get(where);
    if (!repo) continue;
    if ((await resolveCommit(repo, task.commit)) === undefined) {
      throw new LocoError('usage', `task ${task.id}: ${repo.root} has no commit ${task.commit} (it may have been rewritten or not fetched): fetch it, pass --repo with a clone that has it, or --no-function-level`);
    }
    const sources = await readFilesAt(repo, task.commit, task.truth.files);
    const functions = new Map<string, LineRange[]>();
    for (const file of task.truth.files) {
      const source = sources.get(file);
      const definitions = source === undefined ? undefined : await definitionsIn(file, source);
      if (!definitions) continue;
      const enclosing = enclosingDefinitions(definitions, task.truth.lines[file] ?? []);
      if (enclosing.length > 0) functions.set(file, enclosing.map((definition): LineRange => [definition.start, definition.end]));
    }
    result.set(task.id, functions);
  }
  return result;
}
