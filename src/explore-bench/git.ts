// The git a bench needs, by running the `git` program: open a repository (refusing a
// non-repository and a shallow clone, whose history is cut), check commits, read diffs, and
// read many files at a commit in one `git cat-file --batch` process.
import { execFile, spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { LocoError } from '../errors.js';

const execFileAsync = promisify(execFile);
const MAX_OUTPUT = 512 * 1024 * 1024;

export interface GitRepo {
  /** The top-level directory, absolute. */
  readonly root: string;
  run(args: readonly string[]): Promise<string>;
}

/** Runs git in `cwd` and returns its output; rejects when git fails. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-c', 'core.quotePath=false', ...args], { cwd, maxBuffer: MAX_OUTPUT, encoding: 'utf8' });
  return stdout;
}

/** The trimmed output, or undefined when git fails (a question whose answer may be "no"). */
export async function gitQuiet(cwd: string, args: readonly string[]): Promise<string | undefined> {
  try {
    return (await git(cwd, args)).trim();
  } catch {
    return undefined;
  }
}

/** Opens the repository at `dir`; history-based work needs its whole history, so a shallow clone is refused. */
export async function openRepo(dir: string, options: { needHistory?: boolean } = {}): Promise<GitRepo> {
  const absolute = path.resolve(dir);
  try {
    if (!(await stat(absolute)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new LocoError('usage', `${dir} is not a directory: pass the path of a git repository`);
  }
  let root: string;
  try {
    root = (await git(absolute, ['rev-parse', '--show-toplevel'])).trim();
    await git(absolute, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  } catch {
    throw new LocoError('usage', `${dir} is not a git repository with commits: pass a clone (git clone <url>) of the project to measure`);
  }
  if (options.needHistory !== false && (await git(root, ['rev-parse', '--is-shallow-repository'])).trim() === 'true') {
    throw new LocoError('usage', `${dir} is a shallow clone: its history is cut, so tasks from history would be wrong. Run \`git -C ${dir} fetch --unshallow\` first`);
  }
  return { root, run: (args) => git(root, args) };
}

/** The full commit id `ref` names, or undefined when the repository does not have it. */
export async function resolveCommit(repo: GitRepo, ref: string): Promise<string | undefined> {
  try {
    return (await repo.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Runs `git cat-file <mode>` over `specs` in one process and returns its raw output. */
function catFile(repo: GitRepo, mode: '--batch' | '--batch-check', specs: readonly string[]): Promise<Buffer> {
  const broken = specs.find((spec) => /[\n\r]/.test(spec));
  if (broken !== undefined) return Promise.reject(new LocoError('usage', `a path with a line break cannot be read: ${JSON.stringify(broken)}`));
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', mode], { cwd: repo.root, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new LocoError('io', `cannot run git: ${error.message}`, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new LocoError('io', `git cat-file failed in ${repo.root}: ${stderr.trim()}`));
    });
    child.stdin.end(specs.map((spec) => `${spec}\n`).join(''));
  });
}

/**
 * Reads every object spec (`<commit>:<path>`) in one `git cat-file --batch`; a spec the
 * repository does not resolve to a file maps to undefined.
 */
export async function readObjects(repo: GitRepo, specs: readonly string[]): Promise<Map<string, string | undefined>> {
  const output = await catFile(repo, '--batch', specs);
  const files = new Map<string, string | undefined>();
  let offset = 0;
  for (const spec of specs) {
    const newline = output.indexOf(10, offset);
    const header = output.subarray(offset, newline).toString('utf8');
    offset = newline + 1;
    const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!match) {
      files.set(spec, undefined); // "<spec> missing" or ambiguous
      continue;
    }
    const size = Number(match[2]);
    files.set(spec, match[1] === 'blob' ? output.subarray(offset, offset + size).toString('utf8') : undefined);
    offset += size + 1;
  }
  return files;
}

/** `commit:path` for every path, in one process. */
export async function readFilesAt(repo: GitRepo, commit: string, paths: readonly string[]): Promise<Map<string, string | undefined>> {
  const objects = await readObjects(repo, paths.map((file) => `${commit}:${file}`));
  return new Map(paths.map((file) => [file, objects.get(`${commit}:${file}`)]));
}

/** Which of `commits` the repository has, checked in one process. */
export async function existingCommits(repo: GitRepo, commits: readonly string[]): Promise<Set<string>> {
  const lines = (await catFile(repo, '--batch-check', commits.map((commit) => `${commit}^{commit}`))).toString('utf8').split('\n');
  return new Set(commits.filter((_, index) => / commit \d+$/.test(lines[index] ?? '')));
}
