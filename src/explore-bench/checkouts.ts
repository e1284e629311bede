// The trees a bench run explores: one repository per commit holding only that commit's history
// (`git init` + a fetch of that one commit from the clone, no remote), shared by every task of
// that commit. A worktree would share the clone's refs and objects, so the explorer's read-only
// git (`git log --all`, `git show`) could reach later commits, the fixing one included: the
// answer. Made lazily (the first task that needs it) under a cache folder inside the run's
// --out, and removed at the end of the run (Ctrl-C included). A run killed before it could
// clean up leaves them behind: the next run on the same --out (which holds the folder's lock,
// so no live run uses them) reuses one that is its own repository, clean at the right commit,
// and removes the rest. The explorer never writes: its tools are read-only
// (allowWrite false, a read-only Bash sandbox), so a reused checkout is as git made it.
import { mkdir, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { LocoError } from '../errors.js';
import { git, gitQuiet } from './git.js';

/** The folder inside --out that holds the checkouts. */
export const CHECKOUTS_DIR = '.checkouts';

export interface CheckoutStats {
  /** Checkouts this run created. */
  made: number;
  /** Checkouts a killed run left that this run used. */
  reused: number;
  /** Leftovers that were not usable (or not needed) and were removed. */
  pruned: number;
}

export interface Checkouts {
  readonly dir: string;
  /** Where the checkout of `commit` is (or will be): `<dir>/<commit 12>/<project>`. */
  pathOf(commit: string): string;
  /** Makes (once) and returns the checkout of `commit` of `repo` (a repository's top level). */
  ensure(repo: string, commit: string): Promise<string>;
  stats(): CheckoutStats;
  /** Removes every checkout and the cache folder; safe to call twice. */
  removeAll(): Promise<void>;
}

/**
 * Plans the checkouts of a run. `commits` are every commit of the task set (by repository),
 * so names stay unique: a 12-hex prefix unless two commits share it, then the whole id.
 */
export async function openCheckouts(out: string, commits: ReadonlyMap<string, string>): Promise<Checkouts> {
  const dir = path.join(path.resolve(out), CHECKOUTS_DIR);
  const prefixes = new Set([...commits.keys()].map((commit) => commit.slice(0, 12)));
  const length = prefixes.size === commits.size ? 12 : 40;
  const key = (commit: string) => commit.slice(0, length);
  const pathOf = (commit: string) => path.join(dir, key(commit), path.basename(commits.get(commit) ?? 'repo'));
  const stats: CheckoutStats = { made: 0, reused: 0, pruned: 0 };
  const made = new Map<string, Promise<string>>();
  // Leftovers of a killed run that this task set does not need go now.
  const needed = new Set([...commits.keys()].map(key));
  let entries: string[] = [];
  try {
    entries = await readdir(dir);
  } catch {
    entries = [];
  }
  for (const entry of entries.filter((name) => !needed.has(name))) {
    await rm(path.join(dir, entry), { recursive: true, force: true });
    stats.pruned += 1;
  }

  async function create(repo: string, commit: string): Promise<string> {
    const target = pathOf(commit);
    const head = await gitQuiet(target, ['rev-parse', 'HEAD']);
    // Its own repository: a folder that is not one would answer for the repository around it
    // (an --out inside a clone), and a worktree (as older runs made) shares the clone's refs.
    const top = await gitQuiet(target, ['rev-parse', '--show-toplevel']);
    const gitDir = await gitQuiet(target, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
    const real = await realpath(target).catch(() => undefined);
    // A run killed while fetching has no HEAD; one killed during checkout has files missing.
    const clean = head === commit && (await gitQuiet(target, ['status', '--porcelain', '--untracked-files=no'])) === '';
    if (clean && real !== undefined && top === real && gitDir === path.join(real, '.git')) {
      stats.reused += 1;
      return target;
    }
    if (head !== undefined || (await readdir(path.dirname(target)).catch(() => [])).length > 0) {
      await rm(path.dirname(target), { recursive: true, force: true });
      stats.pruned += 1;
    }
    try {
      await mkdir(target, { recursive: true });
      await git(target, ['init', '--quiet']);
      // Only the commit asked for: the clone's upload-pack allows a raw id, no ref is advertised
      // into the checkout, and no remote is recorded, so nothing after `commit` can be reached.
      await git(target, ['fetch', '--no-tags', '--quiet', `--upload-pack=git -c uploadpack.allowAnySHA1InWant=true upload-pack`, repo, commit]);
      await git(target, ['-c', 'advice.detachedHead=false', 'checkout', '--detach', '--quiet', commit]);
      // FETCH_HEAD names the clone; the checkout needs nothing from it.
      await rm(path.join(target, '.git', 'FETCH_HEAD'), { force: true });
    } catch (error) {
      const reason = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new LocoError('io', `cannot check out ${commit} of ${repo} into ${target}: ${reason}`, { cause: error });
    }
    stats.made += 1;
    return target;
  }

  let removed = false;
  return {
    dir,
    pathOf,
    ensure(repo, commit) {
      let checkout = made.get(commit);
      if (checkout === undefined) {
        checkout = create(repo, commit);
        // A failed checkout is tried again by the next task rather than failing all of them.
        checkout.catch(() => made.delete(commit));
        made.set(commit, checkout);
      }
      return checkout;
    },
    stats: () => ({ ...stats }),
    async removeAll() {
      if (removed) return;
      removed = true;
      await Promise.allSettled(made.values());
      await rm(dir, { recursive: true, force: true });
    },
  };
}
