// Confinement of file tools to the allowed roots. A path is accepted only when both its
// lexical form and its real location (symlinks resolved, also for the nearest existing
// ancestor of a path that does not exist yet) lie inside one of the roots.
import { realpathSync } from 'node:fs';
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { MAX_NAME_BYTES, MAX_PATH_CHARS, shortenForMessage } from './argument-limits.js';
import { ToolUseError } from './types.js';

export interface PathPolicy {
  /** Real (symlink-free) absolute roots. */
  readonly roots: readonly string[];
  /** Working directory that relative paths resolve against; inside the first root. */
  readonly cwd: string;
}

export function createPathPolicy(roots: readonly string[], cwd?: string): PathPolicy {
  if (roots.length === 0) throw new Error('at least one allowed root is required');
  const realRoots = roots.map((root) => realpathSync(path.resolve(root)));
  const realCwd = cwd === undefined ? realRoots[0] : realpathSync(path.resolve(cwd));
  return Object.freeze({ roots: Object.freeze(realRoots), cwd: realCwd });
}

/** True when `relative` (from path.relative) climbs out: `..` or `../x`, not a name like `..foo`. */
function climbsOut(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

export function isInside(root: string, candidate: string): boolean {
  return !climbsOut(path.relative(root, candidate));
}

export function isInsideRoots(policy: PathPolicy, candidate: string): boolean {
  return policy.roots.some((root) => isInside(root, candidate));
}

function outsideError(policy: PathPolicy, input: string): ToolUseError {
  const roots = policy.roots.join(', ');
  return new ToolUseError(
    `Path "${shortenForMessage(input)}" is outside the allowed directories (${roots}). Use a path inside ${roots}.`,
  );
}

/** The real path of `absolute`, or of its nearest existing ancestor joined with the rest. */
async function realLocation(absolute: string): Promise<string> {
  let existing = absolute;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await realpath(existing);
      return rest.length === 0 ? real : path.join(real, ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * Resolves a path given by the model (relative to the working directory, or absolute) and
 * checks confinement. Returns the absolute path with symlinks resolved.
 */
export async function resolveAllowedPath(policy: PathPolicy, input: string): Promise<string> {
  if (input.includes('\0')) throw new ToolUseError(`Path "${shortenForMessage(input.replace(/\0/g, '\\0'))}" contains a NUL byte.`);
  const absolute = path.resolve(policy.cwd, input);
  checkPathLength(input, absolute);
  if (!isInsideRoots(policy, absolute)) throw outsideError(policy, input);
  let real: string;
  try {
    real = await realLocation(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') throw tooLongError(input, `the file system refuses it as too long`);
    throw error;
  }
  if (!isInsideRoots(policy, real)) throw outsideError(policy, input);
  return real;
}

function tooLongError(input: string, why: string): ToolUseError {
  return new ToolUseError(`Path "${shortenForMessage(input)}" cannot exist: ${why}. Use a shorter path.`);
}

/** The kernel's limits, checked here so the model is told them instead of ENAMETOOLONG. */
function checkPathLength(input: string, absolute: string): void {
  if (absolute.length > MAX_PATH_CHARS) throw tooLongError(input, `it is ${absolute.length} characters long and paths hold at most ${MAX_PATH_CHARS}`);
  const longName = absolute.split(path.sep).find((name) => Buffer.byteLength(name) > MAX_NAME_BYTES);
  if (longName !== undefined) {
    throw tooLongError(input, `it has a name of ${Buffer.byteLength(longName)} bytes and file names hold at most ${MAX_NAME_BYTES}`);
  }
}

/** Path as shown to the model: relative to the working directory when inside it. */
export function displayPath(policy: PathPolicy, absolute: string): string {
  const relative = path.relative(policy.cwd, absolute);
  return relative === '' ? '.' : climbsOut(relative) ? absolute : relative;
}

const VCS_DIRECTORIES = new Set(['.git', '.svn', '.hg', '.bzr', '.jj']);

/**
 * Resolves a path for writing: confined like any other, and never inside a version-control
 * directory (a changed `.git/config` or hook would run code on the next git command).
 */
export async function resolveWritablePath(policy: PathPolicy, input: string): Promise<string> {
  const target = await resolveAllowedPath(policy, input);
  const root = policy.roots.find((candidate) => isInside(candidate, target)) ?? policy.cwd;
  // Lower-cased: on case-insensitive filesystems `.GIT` is `.git`.
  if (path.relative(root, target).split(path.sep).some((part) => VCS_DIRECTORIES.has(part.toLowerCase()))) {
    throw new ToolUseError(`Refusing to write inside a version-control directory: ${shortenForMessage(input)}. Change the working tree instead.`);
  }
  return target;
}

/**
 * A directory's entries as `ls` lists them in the C locale: names in byte order, dotfiles
 * left out; empty when it cannot be read. System prompts that describe the workspace use it.
 */
export async function workspaceListing(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  return names.filter((name) => !name.startsWith('.')).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
