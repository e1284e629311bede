// ripgrep's `--glob` rules reproduced for the JS searcher, so both searchers pick the same
// files. A glob is gitignore syntax read the other way round: a plain glob includes, a
// `!glob` excludes; the last glob that matches wins; a glob without a slash matches the
// name at any depth, one with a slash is anchored at the search root. Two ripgrep
// behaviours that surprise people are kept on purpose: a matching include glob wins over
// .gitignore and over `type`, and once any include glob exists, files that match none are
// skipped (directories are still entered).
import picomatch from 'picomatch';
import { ToolUseError } from '../types.js';

/** Names of version-control folders that are never searched (dialect section 6). */
export const VCS_DIRECTORY_NAMES: readonly string[] = ['.git', '.svn', '.hg', '.bzr', '.jj'];

interface GlobRule {
  readonly include: boolean;
  readonly directoriesOnly: boolean;
  readonly test: (relativePath: string) => boolean;
}

export interface GlobRules {
  readonly rules: readonly GlobRule[];
  readonly hasIncludes: boolean;
}

export type GlobDecision = 'include' | 'exclude' | 'none';

/**
 * Splits Grep's `glob` argument the way Claude Code does: on whitespace, then on commas
 * unless the piece holds a brace group ("*.{ts,tsx}").
 */
export function splitGlobArgument(glob: string | undefined): string[] {
  if (glob === undefined) return [];
  const patterns: string[] = [];
  for (const piece of glob.split(/\s+/)) {
    if (piece === '') continue;
    if (piece.includes('{') && piece.includes('}')) patterns.push(piece);
    else for (const part of piece.split(',')) if (part !== '') patterns.push(part);
  }
  return patterns;
}

/** Refuses globs ripgrep refuses, with ripgrep's wording, so both searchers agree. */
export function validateGlob(glob: string): void {
  let braceDepth = 0;
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index];
    if (char === '\\') {
      index += 1;
    } else if (char === '[') {
      // A class ends at the next `]` that is not its first character.
      let end = index + 1;
      if (glob[end] === '!' || glob[end] === '^') end += 1;
      if (glob[end] === ']') end += 1;
      while (end < glob.length && glob[end] !== ']') end += 1;
      if (end >= glob.length) throw new ToolUseError(`error parsing glob '${glob}': unclosed character class; missing ']'`);
      index = end;
    } else if (char === '{') {
      if (braceDepth > 0) throw new ToolUseError(`error parsing glob '${glob}': nested alternate groups are not allowed`);
      braceDepth += 1;
    } else if (char === '}') {
      if (braceDepth === 0) throw new ToolUseError(`error parsing glob '${glob}': unopened alternate group; missing '{' (maybe escape '}' with '[}]'?)`);
      braceDepth -= 1;
    }
  }
  if (braceDepth > 0) throw new ToolUseError(`error parsing glob '${glob}': unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)`);
}

/** Translates one glob the way ripgrep's ignore crate does, then compiles it. */
function compileRule(glob: string): GlobRule {
  validateGlob(glob);
  let line = glob;
  let include = true;
  let anchored = false;
  if (line.startsWith('\\!') || line.startsWith('\\#')) {
    line = line.slice(1);
    anchored = line.startsWith('/');
  } else {
    if (line.startsWith('!')) {
      include = false;
      line = line.slice(1);
    }
    if (line.startsWith('/')) {
      line = line.slice(1);
      anchored = true;
    }
  }
  let directoriesOnly = false;
  if (line.endsWith('/')) {
    directoriesOnly = true;
    line = line.slice(0, -1);
  }
  if (!anchored && !line.includes('/') && !line.startsWith('**/')) line = `**/${line}`;
  if (line.endsWith('/**')) line = `${line}/*`;
  // picomatch reads `(a|b)` as a group; ripgrep's globs take those characters literally.
  const literalGroups = line.replace(/(\\.)|([()|])/g, (whole, escaped: string | undefined) => escaped ?? `\\${whole}`);
  const test = picomatch(literalGroups, { dot: true, noext: true, nonegate: true });
  return { include, directoriesOnly, test };
}

export function compileGlobRules(globs: readonly string[]): GlobRules {
  const rules = globs.map(compileRule);
  return { rules, hasIncludes: rules.some((rule) => rule.include) };
}

/** What the globs say about one path relative to the search root. */
export function decideByGlobs(globRules: GlobRules, relativePath: string, isDirectory: boolean): GlobDecision {
  const { rules } = globRules;
  for (let index = rules.length - 1; index >= 0; index -= 1) {
    const rule = rules[index];
    if (rule.directoriesOnly && !isDirectory) continue;
    if (rule.test(relativePath)) return rule.include ? 'include' : 'exclude';
  }
  return globRules.hasIncludes && !isDirectory ? 'exclude' : 'none';
}
