// Which words of an allowed command name files, for the path checks of the allow-list sandbox
// (used when bubblewrap is not usable). The default is every operand and every `--opt=value`
// value: a word that is not really a path but looks like one outside the allowed directories
// is refused, the safe mistake. Exceptions are only the words a command provably does not open:
// patterns, scripts, find expressions, and commands that open no file at all.
import type { CommandArgument } from './sandbox-commands.js';
import { sedScriptProblem } from './sandbox-scripts.js';

/** Commands that open no file named by their arguments (or, like wrappers, are checked nested). */
const NO_FILE_COMMANDS = new Set([
  'echo', 'printf', 'basename', 'dirname', 'true', 'false', ':', 'exit', 'yes', 'seq', 'pwd', 'tr', 'which',
  'test', '[', 'read', 'env', 'timeout', 'nice',
]);

/** Short options whose attached value (`-fFILE`) is a file read by the command. */
const FILE_SHORT_OPTIONS: Record<string, string> = { grep: 'f', egrep: 'f', fgrep: 'f', rg: 'f', sort: 'T', file: 'mf', diff: 'X', xargs: 'a' };

/** A word (or the part of it after `prefix` characters) that names a file. */
export interface PathWord {
  index: number;
  /** Characters of the expanded word to drop: `--file=` or `-f`. */
  skip: number;
}

/** Words of `args` (the arguments of `name`) that name files the command may open. */
export function pathWords(name: string, args: readonly CommandArgument[]): PathWord[] {
  if (NO_FILE_COMMANDS.has(name)) return [];
  const exempt = new Set<number>(exemptOperands(name, args));
  const words: PathWord[] = [];
  let optionsEnded = false;
  for (const [index, arg] of args.entries()) {
    if (exempt.has(index)) continue;
    const value = arg.fixedPrefix;
    if (!optionsEnded && arg.literal && arg.value === '--') {
      optionsEnded = true;
      continue;
    }
    if (optionsEnded || !value.startsWith('-') || value === '-') {
      words.push({ index, skip: 0 });
      continue;
    }
    if (value.startsWith('--')) {
      const equals = value.indexOf('=');
      if (equals !== -1) words.push({ index, skip: equals + 1 });
      continue;
    }
    const letters = FILE_SHORT_OPTIONS[name] ?? '';
    for (let position = 1; position < value.length; position++) {
      if (letters.includes(value[position]) && position + 1 < arg.text.length) {
        words.push({ index, skip: position + 1 });
        break;
      }
    }
  }
  return words;
}

/**
 * Why a recursive command would follow symlinks met on the way (a link in the explored repo
 * can point at /proc/self/environ), or undefined. Listings (ls -RL, find -L, du -L) show no
 * contents and may follow.
 */
export function followsSymlinksProblem(name: string, args: readonly CommandArgument[]): string | undefined {
  const has = (short: string, long: RegExp) =>
    args.some((arg) => (/^-[^-]/.test(arg.value) && arg.value.slice(1).includes(short)) || long.test(arg.value));
  if (['grep', 'egrep', 'fgrep'].includes(name) && has('R', /^--deref/)) return `${name} -R follows symlinks out of the allowed directories; use -r`;
  if (name === 'rg' && has('L', /^--follow$/)) return 'rg -L follows symlinks out of the allowed directories';
  if (name === 'diff' && has('r', /^--rec/) && !args.some((arg) => arg.value === '--no-dereference')) {
    return 'diff -r follows symlinks out of the allowed directories; add --no-dereference';
  }
  return undefined;
}

/** Operands that are patterns, scripts or expressions, not files. */
function exemptOperands(name: string, args: readonly CommandArgument[]): number[] {
  switch (name) {
    case 'grep':
    case 'egrep':
    case 'fgrep':
    case 'rg':
      return patternOperand(args, name === 'rg' ? ['--files', '--type-list'] : []);
    case 'sed':
      return scriptOperands(args, /^-[^-]*e|^--e/, (value) => /^-[^-]*e$|^--e[a-z-]*$/.test(value));
    case 'awk':
      return awkProgram(args);
    case 'find':
      return findExpression(args);
    default:
      return [];
  }
}

/**
 * The pattern of grep or rg: the first operand, unless the pattern comes from -e or -f (then
 * every operand is a file). Any long option without `=` before it may take the next word as
 * its value, so the pattern is only taken as such when it is certain.
 */
function patternOperand(args: readonly CommandArgument[], patternless: readonly string[]): number[] {
  for (const [index, arg] of args.entries()) {
    const value = arg.value;
    if (!arg.literal) return [];
    if (value === '--') return index + 1 < args.length ? [index + 1] : [];
    if (patternless.includes(value)) return [];
    if (value.startsWith('--')) {
      if (/^--(regexp|file|e|f)/.test(value)) return [];
      if (!value.includes('=') && !/^--(color|colour|recursive|line-number|ignore-case|count|files-with-matches|files-without-match|invert-match|word-regexp|fixed-strings|extended-regexp|no-filename|with-filename|only-matching|quiet|silent|hidden|no-ignore|smart-case|null|binary|text)$/.test(value)) return [];
      continue;
    }
    if (value.startsWith('-') && value !== '-') {
      if (/[ef]/.test(value.slice(1))) return [];
      continue;
    }
    return [index];
  }
  return [];
}

/** Files named by the `r` and `R` commands of sed's scripts (literal: checkSed requires it). */
export function sedReadFiles(args: readonly CommandArgument[]): string[] {
  const files: string[] = [];
  for (const index of exemptOperands('sed', args)) {
    const arg = args[index];
    if (arg === undefined) continue;
    let script = arg.value;
    if (script.startsWith('--')) script = script.slice(script.indexOf('=') + 1);
    else if (script.startsWith('-')) {
      if (script.indexOf('e') === script.length - 1) continue; // `-e` itself: the script is the next word
      script = script.slice(script.indexOf('e') + 1);
    }
    sedScriptProblem(script, files);
  }
  return files;
}

/** sed scripts: the values of -e, or else the first operand. */
function scriptOperands(args: readonly CommandArgument[], hasExpression: RegExp, expressionTakesNext: (value: string) => boolean): number[] {
  const exempt: number[] = [];
  let sawExpression = false;
  for (const [index, arg] of args.entries()) {
    if (arg.value === '--') break;
    if (hasExpression.test(arg.value)) {
      sawExpression = true;
      exempt.push(index);
      if (expressionTakesNext(arg.value)) exempt.push(index + 1);
    }
  }
  if (sawExpression) return exempt;
  const first = args.findIndex((arg) => !arg.value.startsWith('-') || arg.value === '-');
  return first === -1 ? [] : [first];
}

function awkProgram(args: readonly CommandArgument[]): number[] {
  for (let index = 0; index < args.length; index++) {
    const value = args[index].value;
    if (value === '--') return [index + 1];
    if (value === '-F' || value === '-v' || value === '--field-separator' || value === '--assign') index++;
    else if (!value.startsWith('-') || value === '-') return [index];
  }
  return [];
}

/** Everything from the first expression word on (`-name`, `(`, `!`): tests, not paths. */
function findExpression(args: readonly CommandArgument[]): number[] {
  let index = 0;
  // Leading options -H -L -P -D debugopts -Olevel.
  while (index < args.length && /^-([HLP]|D|O\d*)$/.test(args[index].value)) index += args[index].value === '-D' ? 2 : 1;
  while (index < args.length && !/^[-(!),]/.test(args[index].fixedPrefix)) index++;
  const exempt: number[] = [];
  for (; index < args.length; index++) {
    // -files0-from names a file of start points.
    if (args[index].value === '-files0-from') index++;
    else exempt.push(index);
  }
  return exempt;
}
