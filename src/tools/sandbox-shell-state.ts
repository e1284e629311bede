// What the allow-list policy (bash-policy.ts) knows about the shell while it walks a command:
// the directories the shell may be in (`cd` is followed) and the values variables may hold.
// The knowledge over-approximates: where a step may or may not run (a branch, a loop, a
// subshell, a pipeline), values are added to what was possible before instead of replacing it,
// so every path is checked against every directory and value the shell could really use.
import { gitConfigProblem } from './sandbox-git.js';
import { pathWords, sedReadFiles } from './sandbox-path-args.js';
import { checkPath, checkPathPattern, expandPattern, hasGlob, resolveLikeKernel, unescapeGlob, type PathArea } from './sandbox-paths.js';
import { refuse, type CommandArgument } from './sandbox-commands.js';
import type { Values, WordEnvironment } from './sandbox-words.js';

/** Alternatives kept per variable or directory before the value counts as unknown. */
const MAX_VALUES = 256;

export class ShellState implements WordEnvironment {
  /** Directories the shell may be in (real paths). */
  readonly cwds = new Set<string>();
  private readonly variables = new Map<string, Values>();
  /** False inside a part that may or may not run: assignments then add to the old values. */
  private definite = true;

  constructor(
    cwd: string,
    readonly home: string,
    private readonly area: PathArea,
  ) {
    this.cwds.add(cwd);
  }

  lookup(name: string): Values {
    if (this.variables.has(name)) return this.variables.get(name);
    return name === 'HOME' ? new Set([this.home]) : undefined;
  }

  /** Runs `walk` as a part that may or may not run (or run several times). */
  maybe(walk: () => void): void {
    const saved = this.definite;
    this.definite = false;
    try {
      walk();
    } finally {
      this.definite = saved;
    }
  }

  /** An assignment; `replace` for one that certainly happens before what follows (a loop variable in its body). */
  assign(name: string, values: Values, replace = false): void {
    this.variables.set(name, this.definite || replace ? values : union(this.lookup(name), values));
  }

  /** Values a glob-expanding context (a `for` word list) gives `patterns`. */
  globValues(patterns: readonly string[] | undefined): Values {
    if (patterns === undefined) return undefined;
    const values = new Set<string>();
    for (const pattern of patterns) {
      if (!hasGlob(pattern)) values.add(unescapeGlob(pattern));
      else for (const cwd of this.cwds) for (const match of expandPattern(cwd, pattern)) values.add(match);
    }
    return values.size > MAX_VALUES ? undefined : values;
  }

  /** `cd`: the target is checked like any path; the shell may then be there or, if cd failed, still here. */
  changeDirectory(args: readonly CommandArgument[]): void {
    const operands = args.filter((arg) => !/^-[LPe@]+$/.test(arg.value));
    const target = operands[0];
    if (target?.value === '-') refuse('cd - is not allowed; cd to a path');
    const patterns = target === undefined ? [this.home] : target.expansions;
    if (patterns === undefined) refuse(`cd ${target?.text ?? ''}: the directory is not known before running; write it literally`);
    const next: string[] = [];
    for (const pattern of patterns) {
      if (hasGlob(pattern)) refuse(`cd ${target?.text ?? ''}: write the directory without glob characters`);
      for (const cwd of this.cwds) {
        checkPath(this.area, cwd, unescapeGlob(pattern), `cd ${target?.text ?? '(home)'}`);
        next.push(resolveDirectory(cwd, unescapeGlob(pattern)));
      }
    }
    for (const directory of next) this.cwds.add(directory);
    if (this.cwds.size > MAX_VALUES) refuse('too many possible working directories to check; use fewer cd commands');
  }

  /** Refuses the command unless every file it may open lies inside the allowed area. */
  checkCommandPaths(name: string, args: readonly CommandArgument[]): void {
    for (const { index, skip } of pathWords(name, args)) {
      const arg = args[index];
      this.checkWordPaths(arg, skip);
    }
    if (name === 'sed') for (const file of sedReadFiles(args)) for (const cwd of this.cwds) checkPath(this.area, cwd, file, `sed r ${file}`);
    if (name === 'git') this.checkGitConfig(args);
  }

  /** Checks every path the word can stand for, from every possible working directory. */
  checkWordPaths(arg: CommandArgument, skip = 0): void {
    if (arg.expansions === undefined) {
      refuse(`${arg.text} may name any file: its value is not known before running; write the path literally (or loop over a glob)`);
    }
    for (const pattern of arg.expansions) {
      const path = pattern.slice(skip);
      if (path === '') continue;
      for (const cwd of this.cwds) checkPathPattern(this.area, cwd, path, arg.text);
    }
  }

  /** git reads the config of the repository it finds from its directory (`-C` moves it). */
  private checkGitConfig(args: readonly CommandArgument[]): void {
    let directories = [...this.cwds];
    for (let index = 0; index < args.length && args[index].value.startsWith('-'); index++) {
      if (args[index].value !== '-C') continue;
      const patterns = args[++index]?.expansions;
      if (patterns === undefined) refuse('git -C needs a directory written literally');
      directories = directories.flatMap((directory) => patterns.map((pattern) => resolveDirectory(directory, unescapeGlob(pattern))));
    }
    for (const directory of directories) {
      const problem = gitConfigProblem(directory);
      if (problem !== undefined) refuse(problem);
    }
  }
}

function resolveDirectory(cwd: string, target: string): string {
  return resolveLikeKernel(cwd, target);
}

function union(left: Values, right: Values): Values {
  if (left === undefined || right === undefined) return undefined;
  const merged = new Set([...left, ...right]);
  return merged.size > MAX_VALUES ? undefined : merged;
}
