// The definitions enclosing each task's truth lines (for the function-level hit), parsed with
// tree-sitter from `git show commit:path` of the task's repository: no checkout needed.
// A local repository that lacks a task's commit is an error; a task whose repo is only a name
// (an imported set without --repo) gets no function-level score.
import { stat } from 'node:fs/promises';
import { LocoError } from '../errors.js';
import { existingCommits, openRepo, readObjects, type GitRepo } from './git.js';
import type { LineRange } from './line-ranges.js';
import { definitionsIn, enclosingDefinitions, type Definition } from './symbols.js';
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
  const byRepo = new Map<string, BenchTask[]>();
  for (const task of tasks) {
    const where = repoOverride ?? task.repo;
    byRepo.set(where, [...(byRepo.get(where) ?? []), task]);
  }
  // Many tasks share a file's contents (the same file at nearby commits): parse each once.
  const parsed = new Map<string, Definition[] | undefined>();
  for (const [where, ofRepo] of byRepo) {
    if (!(await isDirectory(where))) continue;
    const repo: GitRepo = await openRepo(where, { needHistory: false });
    const present = await existingCommits(repo, [...new Set(ofRepo.map((task) => task.commit))]);
    const lost = ofRepo.find((task) => !present.has(task.commit));
    if (lost) {
      throw new LocoError('usage', `task ${lost.id}: ${repo.root} has no commit ${lost.commit} (it may have been rewritten or not fetched): fetch it, pass --repo with a clone that has it, or --no-function-level`);
    }
    const sources = await readObjects(repo, ofRepo.flatMap((task) => task.truth.files.map((file) => `${task.commit}:${file}`)));
    for (const task of ofRepo) {
      const functions = new Map<string, LineRange[]>();
      for (const file of task.truth.files) {
        const source = sources.get(`${task.commit}:${file}`);
        if (source === undefined) continue;
        const key = `${file}\0${source}`;
        if (!parsed.has(key)) parsed.set(key, await definitionsIn(file, source));
        const definitions = parsed.get(key);
        if (!definitions) continue;
        const enclosing = enclosingDefinitions(definitions, task.truth.lines[file] ?? []);
        if (enclosing.length > 0) functions.set(file, enclosing.map((definition): LineRange => [definition.start, definition.end]));
      }
      result.set(task.id, functions);
    }
  }
  return result;
}
