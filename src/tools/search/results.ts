// Helpers shared by Grep and Glob for turning searcher results into the model's text:
// paths relative to the working directory and modification-time ordering.
import { stat } from 'node:fs';
import { displayPath, type PathPolicy } from '../paths.js';

/** displayPath with a fast path for the common case of a file under the working directory. */
export function pathDisplayer(policy: PathPolicy): (absolute: string) => string {
  const prefix = policy.cwd.endsWith('/') ? policy.cwd : `${policy.cwd}/`;
  return (absolute) => (absolute.startsWith(prefix) ? absolute.slice(prefix.length) : displayPath(policy, absolute));
}

export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Modification times in milliseconds; 0 for files that vanished since the search. */
function modificationTimes(paths: readonly string[]): Promise<number[]> {
  // Callback-style stat: several times cheaper per file than fs/promises for long lists.
  return new Promise((resolve) => {
    const times = new Array<number>(paths.length).fill(0);
    let pending = paths.length;
    if (pending === 0) resolve(times);
    paths.forEach((file, index) =>
      stat(file, (error, info) => {
        if (error === null) times[index] = info.mtimeMs;
        pending -= 1;
        if (pending === 0) resolve(times);
      }),
    );
  });
}

/** Sorts paths by modification time, ties by path. */
export async function sortByModificationTime(paths: readonly string[], order: 'newest-first' | 'oldest-first'): Promise<string[]> {
  const times = await modificationTimes(paths);
  const indices = paths.map((_, index) => index);
  const direction = order === 'newest-first' ? -1 : 1;
  indices.sort((a, b) => (times[a] - times[b]) * direction || comparePaths(paths[a], paths[b]));
  return indices.map((index) => paths[index]);
}
