// Per-command argument rules of the allow-list sandbox (used when bubblewrap is not usable):
// which commands may run, and which of their options would write files or run other programs.
// bash-policy.ts walks the shell syntax and calls `checkCommandArguments` for every command.
import { awkProgramProblem, sedScriptProblem } from './sandbox-scripts.js';

/** One argument word as the shell will pass it, as far as that is known before running. */
export interface CommandArgument {
  /** The word after quote removal; expansions and globs are left as written. */
  value: string;
  /** No expansion, glob or brace expansion: the command receives exactly `value`. */
  literal: boolean;
  /** Leading text that expansion cannot change (all of `value` when literal). */
  fixedPrefix: string;
  /**
   * Whether the shell could turn this word into an option (`-i`, `-delete`): it starts with an
   * expansion or glob, or contains an unquoted expansion that word splitting may break apart.
   */
  canBecomeOption: boolean;
  /** Contains an unquoted expansion: word splitting may turn it into several arguments. */
  splittable: boolean;
  /** The word as written, for messages. */
  text: string;
  /**
   * Glob patterns (quoted characters escaped) the word can expand to, one per alternative;
   * undefined when the policy cannot know them before running.
   */
  expansions?: readonly string[];
}

export class PolicyRefusal extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PolicyRefusal';
  }
}

export function refuse(reason: string): never {
  throw new PolicyRefusal(reason);
}

/** Checks a command run by a wrapper (xargs, env, timeout, nice) with the same rules. */
export type NestedCommandCheck = (name: CommandArgument, args: readonly CommandArgument[]) => void;

/** Commands with no option that writes files or runs programs: any arguments are fine. */
const PLAIN_COMMANDS = new Set([
  'cat', 'head', 'tail', 'ls', 'wc', 'cut', 'tr', 'stat', 'du', 'pwd', 'echo', 'basename', 'dirname',
  'realpath', 'readlink', 'grep', 'egrep', 'fgrep', 'diff', 'cmp', 'comm', 'nl', 'md5sum', 'sha1sum',
  'sha256sum', 'which', 'yes', 'seq', 'cd', 'true', 'false', ':', 'exit',
]);

/**
 * What xargs may run: its arguments come from input nobody has checked, so they may name any
 * file (`echo /proc/self/environ | xargs cat`): only commands that show no file contents.
 */
const XARGS_TARGETS = new Set(['ls', 'wc', 'stat', 'du', 'basename', 'dirname', 'realpath', 'echo']);

const VALIDATORS: Record<string, (args: readonly CommandArgument[], nested: NestedCommandCheck) => void> = {
  find: (args) => {
    for (const arg of args) {
      if (/^-(exec|execdir|ok|okdir|delete|fprint|fprint0|fprintf|fls)$/.test(arg.value)) {
        refuse(`find ${arg.value} changes files or runs commands`);
      }
    }
  },
  sed: checkSed,
  awk: checkAwk,
  git: checkGit,
  rg: (args) => forbidOptions('rg', args, { long: ['--pre'], abbreviations: false }),
  // --files0-from reads file names from input nobody has checked (and prints their contents).
  sort: (args) => forbidOptions('sort', args, { short: 'o', long: ['--output', '--compress-program', '--files0-from'] }),
  uniq: (args) => {
    if (args.some((arg) => !arg.literal)) refuse('uniq arguments must be written literally (a second file name is written to)');
    const operands = args.filter((arg, index) => !arg.value.startsWith('-') && !/^-[fsw]$/.test(args[index - 1]?.value ?? ''));
    if (operands.length > 1) refuse('uniq with a second file name writes its output to that file');
  },
  tree: (args) => forbidOptions('tree', args, { short: 'o' }),
  file: (args) => forbidOptions('file', args, { short: 'C', long: ['--compile'] }),
  printf: (args) => {
    const format = args[0];
    if (format !== undefined && (format.canBecomeOption || format.value.startsWith('-v'))) {
      refuse('printf -v assigns a shell variable; write the format literally');
    }
  },
  read: checkRead,
  test: checkTest,
  '[': checkTest,
  xargs: checkXargs,
  env: checkEnv,
  timeout: checkTimeout,
  nice: checkNice,
};

/** Throws PolicyRefusal unless `name` with `args` only reads. */
export function checkCommandArguments(name: string, args: readonly CommandArgument[], nested: NestedCommandCheck): void {
  if (PLAIN_COMMANDS.has(name)) return;
  const validator = VALIDATORS[name];
  if (validator === undefined) refuse(`"${name}" is not on the read-only allow-list`);
  // printf and test read options only where their validators look.
  for (const arg of name === 'printf' || name === 'test' || name === '[' ? [] : args) {
    if (arg.canBecomeOption) {
      refuse(`${arg.text} could expand to an option of ${name}; write it literally, quote expansions, prefix globs with ./`);
    }
  }
  validator(args, nested);
}

/** Variables whose value changes how later commands are found or run. */
export function isProtectedVariable(name: string): boolean {
  return (
    /^(PATH|IFS|CDPATH|GLOBIGNORE|ENV|SHELLOPTS|BASHOPTS|PS4|HOME|TMPDIR|PAGER|POSIXLY_CORRECT)$/.test(name) ||
    /^(BASH|GIT_|LD_|RIPGREP)/.test(name)
  );
}

export function isSafeEnvironmentName(name: string): boolean {
  return /^(LC_[A-Z]+|LANG|LANGUAGE|TZ|COLUMNS|LINES|NO_COLOR|GREP_COLORS?)$/.test(name);
}

interface ForbiddenOptions {
  /** Short option letters, refused wherever they appear in a `-abc` cluster. */
  short?: string;
  /** Long options, refused also when abbreviated (getopt_long accepts unique prefixes). */
  long?: readonly string[];
  abbreviations?: boolean;
}

function forbidOptions(command: string, args: readonly CommandArgument[], forbidden: ForbiddenOptions): void {
  for (const arg of args) {
    const value = arg.value;
    if (value === '--') return;
    if (value.startsWith('--')) {
      const name = value.split('=')[0];
      const hit = forbidden.long?.find((option) =>
        forbidden.abbreviations === false ? option === name : option.startsWith(name) && name.length > 2,
      );
      if (hit !== undefined) refuse(`${command} ${hit} writes files or runs commands`);
    } else if (value.startsWith('-') && forbidden.short !== undefined) {
      // Checking every letter also catches a letter that is really a value (`-to`): refusing
      // too much is the safe mistake.
      const letter = [...forbidden.short].find((option) => value.slice(1).includes(option));
      if (letter !== undefined) refuse(`${command} -${letter} writes files or runs commands`);
    }
  }
}

function checkSed(args: readonly CommandArgument[]): void {
  forbidOptions('sed', args, { short: 'if', long: ['--in-place', '--file'] });
  const scripts: CommandArgument[] = [];
  const operands: CommandArgument[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    const value = arg.value;
    if (value === '--') {
      operands.push(...args.slice(index + 1));
      break;
    }
    if (value.startsWith('--')) {
      const [name, attached] = splitLong(value);
      const isExpression = '--expression'.startsWith(name) && name.length > 2;
      if (isExpression && attached !== undefined) scripts.push(derived(arg, attached));
      else if (isExpression) scripts.push(args[++index] ?? refuse('sed --expression needs a script'));
      else if ('--line-length'.startsWith(name) && name.length > 2 && attached === undefined) index++;
    } else if (value.startsWith('-') && value !== '-') {
      for (let position = 1; position < value.length; position++) {
        const letter = value[position];
        if (letter !== 'e' && letter !== 'l') continue;
        const rest = value.slice(position + 1);
        const optionValue = rest === '' ? (args[++index] ?? refuse(`sed -${letter} needs a value`)) : derived(arg, rest);
        if (letter === 'e') scripts.push(optionValue);
        break;
      }
    } else operands.push(arg);
  }
  if (scripts.length === 0) scripts.push(operands[0] ?? refuse('sed needs a script'));
  for (const script of scripts) {
    if (!script.literal) refuse('a sed script must be written literally (no expansions) so it can be checked');
    const problem = sedScriptProblem(script.value);
    if (problem !== undefined) refuse(problem);
  }
}

function checkAwk(args: readonly CommandArgument[]): void {
  let index = 0;
  for (; index < args.length; index++) {
    const value = args[index].value;
    if (value === '--') {
      index++;
      break;
    }
    if (!value.startsWith('-') || value === '-') break;
    if (value === '-F' || value === '-v') index++;
    else if (/^(-F.|-v.|--field-separator=|--assign=)/.test(value)) continue;
    else if (value === '--field-separator' || value === '--assign') index++;
    else refuse(`awk option ${value} is not allowed (only -F and -v)`);
  }
  const program = args[index] ?? refuse('awk needs a program');
  if (!program.literal) refuse('an awk program must be written literally (no expansions) so it can be checked');
  const problem = awkProgramProblem(program.value);
  if (problem !== undefined) refuse(problem);
}

const GIT_READ_SUBCOMMANDS = new Set([
  'log', 'show', 'diff', 'status', 'blame', 'grep', 'ls-files', 'ls-tree', 'rev-parse', 'describe',
  'shortlog', 'cat-file', 'branch', 'tag',
]);
const GIT_GLOBAL_FLAGS = new Set([
  '--no-pager', '-P', '--no-optional-locks', '--literal-pathspecs', '--glob-pathspecs',
  '--noglob-pathspecs', '--icase-pathspecs', '--no-replace-objects', '--bare', '--version',
]);

function checkGit(args: readonly CommandArgument[]): void {
  let index = 0;
  for (; index < args.length && args[index].value.startsWith('-'); index++) {
    const value = args[index].value;
    if (GIT_GLOBAL_FLAGS.has(value)) continue;
    // -C is path-checked like any operand; --git-dir and --work-tree could point git at a
    // repository-shaped folder whose config runs programs.
    if (value === '-C') index++;
    else refuse(`git option ${value} is not allowed${/^--(git-dir|work-tree)/.test(value) ? ' (use -C <directory>, or cd)' : ''}`);
  }
  const subcommand = args[index];
  if (subcommand === undefined) return;
  if (!GIT_READ_SUBCOMMANDS.has(subcommand.value)) {
    refuse(`git ${subcommand.value} is not read-only (allowed: ${[...GIT_READ_SUBCOMMANDS].join(', ')})`);
  }
  const rest = args.slice(index + 1);
  for (const arg of rest) {
    // %G placeholders and --show-signature run gpg on attacker-supplied signatures.
    if (arg.value.includes('%G') || (arg.value.startsWith('--') && !arg.literal)) {
      refuse(`git ${subcommand.value} ${arg.text}: signature placeholders (%G) and expanded options are not allowed`);
    }
  }
  forbidOptions(`git ${subcommand.value}`, rest, {
    long: ['--output', '--ext-diff', '--open-files-in-pager', '--textconv', '--filters', '--show-signature'],
    // git grep -O<pager> runs a program on the matching files.
    short: subcommand.value === 'grep' ? 'O' : undefined,
  });
  if (subcommand.value === 'branch') checkGitListing('branch', rest, 'arlvi', ['--all', '--remotes', '--verbose', '--show-current']);
  if (subcommand.value === 'tag') checkGitListing('tag', rest, 'lin', []);
}

const GIT_LISTING_LONG_FLAGS = ['--list', '--ignore-case', '--color', '--no-color', '--column', '--no-column', '--abbrev', '--no-abbrev'];
const GIT_LISTING_LONG_VALUES = ['--contains', '--no-contains', '--merged', '--no-merged', '--points-at', '--sort', '--format'];

/** `git branch` and `git tag` create, delete or move refs unless they only list. */
function checkGitListing(command: string, args: readonly CommandArgument[], shortFlags: string, longFlags: readonly string[]): void {
  let listing = false;
  const patterns: CommandArgument[] = [];
  for (let index = 0; index < args.length; index++) {
    const value = args[index].value;
    if (value.startsWith('--')) {
      const [name, attached] = splitLong(value);
      if (name === '--list') listing = true;
      if (GIT_LISTING_LONG_VALUES.includes(name)) {
        if (attached === undefined) index++;
      } else if (!GIT_LISTING_LONG_FLAGS.includes(name) && !longFlags.includes(name)) {
        refuse(`git ${command} ${name} is not a listing option`);
      }
    } else if (value.startsWith('-') && value.length > 1) {
      for (let position = 1; position < value.length; position++) {
        const letter = value[position];
        // `git tag -n5`: number of annotation lines.
        if (letter === 'n' && command === 'tag' && /^\d*$/.test(value.slice(position + 1))) break;
        if (!shortFlags.includes(letter)) refuse(`git ${command} -${letter} is not a listing option`);
        if (letter === 'l') listing = true;
      }
    } else patterns.push(args[index]);
  }
  if (patterns.length > 0 && !listing) {
    refuse(`git ${command} ${patterns[0].text} would create a ${command}; only listing is allowed (use --list for patterns)`);
  }
}

/**
 * `test -v NAME` evaluates an array subscript in NAME as arithmetic, which runs any $(...) in
 * it; an unquoted expansion where an operator may stand could split into such a `-v`.
 */
function checkTest(args: readonly CommandArgument[]): void {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg.literal && arg.value === '-v') refuse('test -v is not allowed');
    const previous = args[index - 1]?.value;
    const operatorPosition = index === 0 || previous === '!' || previous === '(' || previous === '-a' || previous === '-o';
    if (arg.splittable && operatorPosition) refuse(`quote ${arg.text} in test expressions ("${arg.text}")`);
  }
}

/** `read` assigns the variables it names: those must not be protected ones. */
function checkRead(args: readonly CommandArgument[]): void {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (!arg.literal) refuse('read arguments must be written literally');
    const value = arg.value;
    if (value === '--') continue;
    if (!value.startsWith('-')) {
      // `read 'a[$(cmd)]'` would evaluate the subscript: plain names only.
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) refuse(`read needs plain variable names, not ${arg.text}`);
      if (isProtectedVariable(value)) refuse(`assigning ${value} is not allowed`);
      continue;
    }
    for (let position = 1; position < value.length; position++) {
      const letter = value[position];
      if ('rse'.includes(letter)) continue;
      if (!'adnNptui'.includes(letter)) refuse(`read option -${letter} is not allowed`);
      const rest = value.slice(position + 1);
      const optionValue = rest === '' ? args[++index]?.value : rest;
      const ordinaryName = optionValue !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(optionValue) && !isProtectedVariable(optionValue);
      if (letter === 'a' && !ordinaryName) refuse('read -a needs an ordinary array name');
      break;
    }
  }
}

const XARGS_VALUE_LONG = ['--arg-file', '--delimiter', '--max-args', '--max-procs', '--max-chars'];
const XARGS_FLAG_LONG = ['--null', '--no-run-if-empty', '--verbose', '--exit', '--show-limits', '--eof', '--replace', '--max-lines'];

function checkXargs(args: readonly CommandArgument[], nested: NestedCommandCheck): void {
  let index = 0;
  // xargs stops reading options at the first operand, which is the command to run.
  options: for (; index < args.length; index++) {
    const value = args[index].value;
    if (value === '--') {
      index++;
      break;
    }
    if (!value.startsWith('-') || value === '-') break;
    if (value.startsWith('--')) {
      const [name, attached] = splitLong(value);
      if (XARGS_VALUE_LONG.includes(name) && attached === undefined) index++;
      else if (!XARGS_VALUE_LONG.includes(name) && !XARGS_FLAG_LONG.includes(name)) refuse(`xargs option ${name} is not allowed`);
      continue;
    }
    for (let position = 1; position < value.length; position++) {
      const letter = value[position];
      if ('0oprtx'.includes(letter)) continue;
      if ('aEILnPsd'.includes(letter)) {
        if (position === value.length - 1) index++;
        continue options;
      }
      if ('eil'.includes(letter)) continue options; // optional value, attached only
      refuse(`xargs option -${letter} is not allowed`);
    }
  }
  const command = args[index];
  if (command === undefined) return; // runs echo
  if (!XARGS_TARGETS.has(command.value)) {
    refuse(`xargs may only run ${[...XARGS_TARGETS].join(', ')} (its arguments come from unchecked input)`);
  }
  nested(command, args.slice(index + 1));
}

function checkEnv(args: readonly CommandArgument[], nested: NestedCommandCheck): void {
  let index = 0;
  for (; index < args.length; index++) {
    const value = args[index].value;
    if (value === '--') {
      index++;
      break;
    }
    if (!value.startsWith('-')) break;
    if (['-', '-i', '--ignore-environment', '-0', '--null', '-v', '--debug'].includes(value)) continue;
    if (value === '-u' || value === '--unset') index++;
    else if (!/^(-u.|--unset=)/.test(value)) {
      // -S would split a string into an unchecked command; -C moves it out of the checked directory.
      refuse(`env option ${value} is not allowed`);
    }
  }
  for (; index < args.length && args[index].fixedPrefix.includes('='); index++) {
    const name = args[index].fixedPrefix.split('=')[0];
    if (!isSafeEnvironmentName(name)) refuse(`env may not set ${name}`);
  }
  if (index < args.length) nested(args[index], args.slice(index + 1));
}

/**
 * Index of the first operand after a wrapper command's options (timeout, nice), skipping the
 * value of options that take one; refuses options the wrapper check does not know.
 */
function wrapperOperandIndex(args: readonly CommandArgument[], command: string, takesValue: readonly string[], allowed: (value: string) => boolean): number {
  let index = 0;
  for (; index < args.length && args[index].value.startsWith('-'); index++) {
    const value = args[index].value;
    if (value === '--') return index + 1;
    if (takesValue.includes(value)) index++;
    else if (!allowed(value)) refuse(`${command} option ${value} is not allowed`);
  }
  return index;
}

function checkTimeout(args: readonly CommandArgument[], nested: NestedCommandCheck): void {
  let index = wrapperOperandIndex(
    args,
    'timeout',
    ['-s', '--signal', '-k', '--kill-after'],
    (value) => ['--preserve-status', '--foreground', '-v', '--verbose'].includes(value) || /^(-s.|--signal=|-k.|--kill-after=)/.test(value),
  );
  index++; // the duration
  if (index >= args.length) refuse('timeout needs a command');
  nested(args[index], args.slice(index + 1));
}

function checkNice(args: readonly CommandArgument[], nested: NestedCommandCheck): void {
  const index = wrapperOperandIndex(args, 'nice', ['-n', '--adjustment'], (value) => /^(-n-?\d+|--adjustment=-?\d+|-\d+)$/.test(value));
  if (index < args.length) nested(args[index], args.slice(index + 1));
}

function splitLong(value: string): [string, string | undefined] {
  const equals = value.indexOf('=');
  return equals === -1 ? [value, undefined] : [value.slice(0, equals), value.slice(equals + 1)];
}

function derived(arg: CommandArgument, value: string): CommandArgument {
  return { ...arg, value, fixedPrefix: arg.literal ? value : '' };
}
