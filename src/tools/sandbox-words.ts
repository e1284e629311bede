// What a shell word can become, for the path checks of the allow-list sandbox (used when
// bubblewrap is not usable): tilde, variables with values the policy has tracked, and quoting
// are expanded here into glob patterns (sandbox-paths.ts matches those against the disk).
// Anything whose value the policy cannot know before running (command output, `read`,
// positional and special parameters, brace and most parameter expansions) is unknown.
import type { DoubleQuotedChild, Word, WordPart } from 'unbash';
import { readFileSync } from 'node:fs';
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
