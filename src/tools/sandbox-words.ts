// What a shell word can become, for the allow-list sandbox (used when bubblewrap is not
// usable): which part is fixed before running (for the option rules), and, for the path checks,
// tilde, variables with values the policy has tracked, and quoting expanded into glob patterns
// (sandbox-paths.ts matches those against the disk).
// Anything whose value the policy cannot know before running (command output, `read`,
// positional and special parameters, brace and most parameter expansions) is unknown.
import { readFileSync } from 'node:fs';
import type { Assignment, DoubleQuotedChild, Word, WordPart } from 'unbash';
import type { CommandArgument } from './sandbox-commands.js';
import { escapeGlob, type GlobPattern } from './sandbox-paths.js';

/** Possible values of a variable, or undefined when the policy cannot know them. */
export type Values = ReadonlySet<string> | undefined;

/** Alternatives kept per word before it counts as unknown. */
const MAX_ALTERNATIVES = 256;

export interface WordEnvironment {
  /** Values of a variable; undefined when unknown (never assigned here, or not knowable). */
  lookup(name: string): Values;
  /** The directory `~` expands to in the shell. */
  home: string;
}

/**
 * Glob patterns the word can expand to (one per alternative), or undefined when unknown.
 * Quoted and variable-free characters are escaped; unquoted variable values stay active globs,
 * as bash treats them.
 */
export function expandWord(word: Word, env: WordEnvironment): GlobPattern[] | undefined {
  const parts: readonly (WordPart | DoubleQuotedChild)[] = word.parts ?? [{ type: 'Literal', value: word.value, text: word.text } as WordPart];
  let results: GlobPattern[] = [''];
  for (const [index, part] of parts.entries()) {
    const alternatives = partAlternatives(part, env, index === 0, false);
    if (alternatives === undefined) return undefined;
    const next: GlobPattern[] = [];
    for (const head of results) for (const tail of alternatives) next.push(head + tail);
    if (next.length > MAX_ALTERNATIVES) return undefined;
    results = next;
  }
  return results;
}

function partAlternatives(part: WordPart | DoubleQuotedChild, env: WordEnvironment, first: boolean, quoted: boolean): GlobPattern[] | undefined {
  switch (part.type) {
    case 'Literal': {
      const value = first && !quoted ? expandTilde(part.value, env) : escapeGlob(part.value);
      return value === undefined ? undefined : [value];
    }
    case 'SingleQuoted':
    case 'AnsiCQuoted':
      return [escapeGlob(part.value)];
    case 'Glob':
      return [part.text];
    case 'DoubleQuoted':
    case 'LocaleString': {
      let results: GlobPattern[] = [''];
      for (const child of part.parts) {
        const alternatives = partAlternatives(child, env, false, true);
        if (alternatives === undefined) return undefined;
        results = results.flatMap((head) => alternatives.map((tail) => head + tail));
        if (results.length > MAX_ALTERNATIVES) return undefined;
      }
      return results;
    }
    case 'SimpleExpansion':
      return variableAlternatives(part.text.slice(1), env, quoted);
    case 'ParameterExpansion':
      // Only the plain form ${name}: operations compute values the policy does not follow.
      if (part.operation !== undefined || part.prefix !== undefined || part.index !== undefined) return undefined;
      return variableAlternatives(part.parameter, env, quoted);
    case 'ArithmeticExpansion':
      return ['0']; // a number: a plain name in the working directory
    case 'ProcessSubstitution':
      return ['/dev/null']; // a pipe the shell names /dev/fd/N, not a file
    default:
      return undefined; // command output, brace and extended-glob expansion
  }
}

function variableAlternatives(name: string, env: WordEnvironment, quoted: boolean): GlobPattern[] | undefined {
  const values = env.lookup(name);
  if (values === undefined) return undefined;
  const results: GlobPattern[] = [];
  for (const value of values) {
    // Unquoted, a value with spaces splits into several words the policy does not follow.
    if (!quoted && /[\s]/.test(value)) return undefined;
    results.push(quoted ? escapeGlob(value) : value);
  }
  return results;
}

/**
 * `~` and `~/x` become the shell's home, `~name` the home in the passwd file. Undefined (so any
 * path made from it is refused) for `~+`, `~-` and names the file does not list.
 */
function expandTilde(text: string, env: WordEnvironment): GlobPattern | undefined {
  if (!text.startsWith('~')) return escapeGlob(text);
  const slash = text.indexOf('/');
  const prefix = slash === -1 ? text.slice(1) : text.slice(1, slash);
  const home = prefix === '' ? env.home : passwdHome(prefix);
  if (home === undefined) return undefined;
  return escapeGlob(home + (slash === -1 ? '' : text.slice(slash)));
}

function passwdHome(user: string): string | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === user && fields.length >= 7) return fields[5];
  }
  return undefined;
}

const EXPANSION_PARTS = new Set(['SimpleExpansion', 'ParameterExpansion', 'CommandExpansion', 'ArithmeticExpansion', 'ProcessSubstitution']);

/** The text a word part always stands for, or undefined when the shell may change it. */
function literalPartValue(part: WordPart | DoubleQuotedChild): string | undefined {
  switch (part.type) {
    case 'Literal':
    case 'SingleQuoted':
    case 'AnsiCQuoted':
      return part.value;
    case 'DoubleQuoted':
    case 'LocaleString': {
      const values = part.parts.map(literalPartValue);
      return values.every((value) => value !== undefined) ? values.join('') : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Describes a word for the per-command rules: what is fixed and what the shell may change,
 * and, given the shell's state, what it can expand to.
 */
export function toArgument(node: Word | Assignment, env?: WordEnvironment): CommandArgument {
  if (node.type === 'Assignment') {
    const value = node.value.type === 'Word' ? toArgument(node.value, env) : undefined;
    const literal = value?.literal ?? false;
    const head = `${node.name}${node.append ? '+' : ''}=`;
    const fixedPrefix = `${head}${value?.fixedPrefix ?? ''}`;
    const splittable = value?.splittable ?? true;
    const expansions = value?.expansions?.map((pattern) => head + pattern);
    return { value: node.text, literal, fixedPrefix, canBecomeOption: value?.canBecomeOption ?? true, splittable, text: node.text, expansions };
  }
  let fixedPrefix = node.parts === undefined ? node.value : '';
  let literal = true;
  let splittable = false;
  for (const part of node.parts ?? []) {
    if (EXPANSION_PARTS.has(part.type)) splittable = true;
    const value = literalPartValue(part);
    if (value !== undefined) {
      if (literal) fixedPrefix += value;
      continue;
    }
    if (literal && (part.type === 'DoubleQuoted' || part.type === 'LocaleString')) {
      // "abc$x": the literal head of the quoted part is still fixed.
      for (const child of part.parts) {
        const childValue = literalPartValue(child);
        if (childValue === undefined) break;
        fixedPrefix += childValue;
      }
    }
    literal = false;
  }
  const optionLike = fixedPrefix === '' || (fixedPrefix.startsWith('-') && !/^--[\w-]+=/.test(fixedPrefix));
  const expansions = env === undefined ? undefined : expandWord(node, env);
  return { value: node.value, literal, fixedPrefix, canBecomeOption: !literal && (splittable || optionLike), splittable, text: node.text, expansions };
}
