// Where a command in the allow-list sandbox (used when bubblewrap is not usable) may touch
// files: a path, after the shell's expansion (bash-policy.ts expands tilde and variables;
// globs are matched here against the real filesystem) and after resolving every symlink the
// way the kernel walks it, must lie inside an allowed root or in a short list of harmless
// system locations. /proc, /sys, /tmp, /var, other users' homes and the user's own home
// outside the roots are outside. Anything that cannot be resolved is refused.
import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isInside } from './paths.js';
import { refuse } from './sandbox-commands.js';

/** Read-only program and library trees. */
const SYSTEM_DIRECTORIES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Single harmless files: devices, and the system descriptions tools commonly read. */
const SYSTEM_FILES = new Set([
  '/etc/passwd', '/etc/group', '/etc/os-release', '/etc/lsb-release', '/etc/debian_version', '/etc/alpine-release',
  '/etc/redhat-release', '/etc/issue', '/etc/hostname', '/etc/hosts', '/etc/shells', '/etc/timezone',
  '/etc/localtime', '/etc/services', '/etc/protocols', '/etc/mime.types',
]);
/** Devices taken by name: /dev/stdin and friends are links into /proc/self/fd. */
const DEVICES = new Set(['/dev/null', '/dev/zero', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/random', '/dev/urandom']);
/** A glob matching more names than this is refused rather than checked name by name. */
const MAX_GLOB_MATCHES = 20_000;

function isAllowedLocation(roots: readonly string[], location: string): boolean {
  return roots.some((root) => isInside(root, location)) || SYSTEM_DIRECTORIES.some((directory) => isInside(directory, location)) || SYSTEM_FILES.has(location);
}

/**
 * Where `input` leads from `cwd`, resolved as the kernel walks it: each existing component is
 * replaced by its real path before the next one (so `link/..` climbs from the link's target).
 * The part past the first missing component stays lexical.
 */
export function resolveLikeKernel(cwd: string, input: string): string {
  let current = path.isAbsolute(input) ? '/' : cwd;
  let exists = true;
  for (const segment of input.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, segment);
    if (exists) {
      try {
        lstatSync(next);
        current = realpathSync(next);
        continue;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') refuse(`${input} could not be checked (${code ?? String(error)})`);
        exists = false;
      }
    }
    current = next;
  }
  return current;
}

export interface PathArea {
  /** Real (symlink-free) allowed roots. */
  roots: readonly string[];
}

/** Refuses `input` (a path after expansion, without glob characters) unless it stays inside the area. */
export function checkPath(area: PathArea, cwd: string, input: string, shown: string): void {
  if (input.includes('\0')) refuse(`${shown} contains a NUL byte`);
  const lexical = path.resolve(cwd, input);
  if (DEVICES.has(lexical)) return;
  const location = resolveLikeKernel(cwd, input);
  if (!isAllowedLocation(area.roots, location)) {
    const where = location === lexical ? lexical : `${lexical} (really ${location})`;
    refuse(
      `${shown} leads to ${where}, outside the allowed directories (${area.roots.join(', ')}); ` +
        'only paths inside them and system files such as /usr may be used',
    );
  }
}

// ---------------------------------------------------------------- globs

/**
 * Characters of a word after expansion, with quoted (or escaped) characters written as
 * `\c` so that only the shell's active glob characters stay bare.
 */
export type GlobPattern = string;

export function escapeGlob(text: string): GlobPattern {
  return text.replace(/[\\*?[]/g, (char) => `\\${char}`);
}

export function hasGlob(pattern: GlobPattern): boolean {
  for (let index = 0; index < pattern.length; index++) {
    if (pattern[index] === '\\') index++;
    else if ('*?['.includes(pattern[index])) return true;
  }
  return false;
}

export function unescapeGlob(pattern: GlobPattern): string {
  return pattern.replace(/\\(.)/gs, '$1');
}

/**
 * One name pattern as a regular expression. Bracket expressions become "any one character"
 * and hidden files are not excluded: matching more names than bash does only means more checks.
 */
function segmentRegex(segment: GlobPattern): RegExp {
  let source = '';
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index];
    if (char === '\\') source += escapeRegex(segment[++index] ?? '\\');
    else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      let close = index + 1;
      if ('!^'.includes(segment[close] ?? '')) close++;
      if (segment[close] === ']') close++;
      while (close < segment.length && segment[close] !== ']') close++;
      if (close < segment.length) {
        source += '.';
        index = close;
      } else source += '\\[';
    } else source += escapeRegex(char);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegex(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Every existing path the glob can match, walking the real directories it names. */
function globMatches(cwd: string, pattern: GlobPattern, shown: string): string[] {
  const segments = splitSegments(pattern);
  let bases = [pattern.startsWith('/') ? '/' : cwd];
  for (const segment of segments) {
    if (segment === '') continue;
    if (!hasGlob(segment)) {
      bases = bases.map((base) => joinUnnormalised(base, unescapeGlob(segment)));
      continue;
    }
    const regex = segmentRegex(segment);
    const next: string[] = [];
    for (const base of bases) {
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue; // not a readable directory: nothing matches there
      }
      // `.` and `..` match only a pattern that starts with a dot (and not at all in bash 5.2).
      const candidates = segment.startsWith('.') ? ['.', '..', ...names] : names;
      for (const name of candidates) if (regex.test(name)) next.push(joinUnnormalised(base, name));
      if (next.length > MAX_GLOB_MATCHES) refuse(`${shown} matches too many files to check; narrow the pattern`);
    }
    bases = next;
  }
  return bases;
}

/** `base/name` without collapsing `..`: resolveLikeKernel must see it after a symlink. */
function joinUnnormalised(base: string, name: string): string {
  return base.endsWith('/') ? `${base}${name}` : `${base}/${name}`;
}

function splitSegments(pattern: GlobPattern): GlobPattern[] {
  const segments: string[] = [];
  let current = '';
  for (let index = 0; index < pattern.length; index++) {
    if (pattern[index] === '\\') current += pattern[index] + (pattern[++index] ?? '');
    else if (pattern[index] === '/') {
      segments.push(current);
      current = '';
    } else current += pattern[index];
  }
  segments.push(current);
  return segments;
}

/**
 * Checks a word the shell will expand to `pattern`: the pattern itself as a path (bash passes
 * it unchanged when nothing matches) and, for a glob, every path it matches.
 */
export function checkPathPattern(area: PathArea, cwd: string, pattern: GlobPattern, shown: string): void {
  checkPath(area, cwd, unescapeGlob(pattern), shown);
  if (!hasGlob(pattern)) return;
  for (const match of globMatches(cwd, pattern, shown)) checkPath(area, cwd, match, shown);
}

/** What the shell makes of an unquoted pattern: the matching paths, or the pattern itself. */
export function expandPattern(cwd: string, pattern: GlobPattern): string[] {
  if (!hasGlob(pattern)) return [unescapeGlob(pattern)];
  const matches = globMatches(cwd, pattern, pattern);
  return matches.length === 0 ? [unescapeGlob(pattern)] : matches;
}
