// What the allow-list policy (bash-policy.ts) knows about the shell while it walks a command:
// the directories the shell may be in (`cd` is followed) and the values variables may hold.
// The knowledge over-approximates: a part that may or may not run (a branch, a loop, a
// subshell, a pipeline) is walked from a copy of the state and its outcome is merged with what
// was possible without it, so every path is checked against every directory and value the
// shell could really use.
import { accessSync, constants, statSync } from 'node:fs';
import { gitConfigProblem } from './sandbox-git.js';
import { followsSymlinksProblem, pathWords, sedReadFiles } from './sandbox-path-args.js';
import { checkPath, checkPathPattern, expandPattern, hasGlob, resolveLikeKernel, unescapeGlob, type PathArea } from './sandbox-paths.js';
import { refuse, type CommandArgument } from './sandbox-commands.js';
import type { Values, WordEnvironment } from './sandbox-words.js';

/** Alternatives kept per variable or directory before the value counts as unknown. */
const MAX_VALUES = 256;

export class ShellState implements WordEnvironment {
  /** Directories the shell may be in (real paths). */
  private cwds = new Set<string>();
  private variables = new Map<string, Values>();

  constructor(
    cwd: string,
    readonly home: string,
    private readonly area: PathArea,
  ) {
    this.cwds.add(cwd);
  }

  lookup(name: string): Values {
    return this.variables.has(name) ? this.variables.get(name) : this.initial(name);
  }

  /** Walks a part that may or may not run: afterwards, either outcome is possible. */
  maybe(walk: () => void): void {
    const cwds = new Set(this.cwds);
    const variables = new Map(this.variables);
    walk();
    for (const cwd of cwds) this.cwds.add(cwd);
    for (const name of new Set([...variables.keys(), ...this.variables.keys()])) {
      const before = variables.has(name) ? variables.get(name) : this.initial(name);
      this.variables.set(name, union(before, this.lookup(name)));
    }
    if (this.cwds.size > MAX_VALUES) refuse('too many possible working directories to check; use fewer cd commands');
  }

  /** Walks a loop body until what it can change stops changing. */
  loop(walkOnce: () => void): void {
    for (let pass = 0; pass < 8; pass++) {
      const before = this.fingerprint();
      this.maybe(walkOnce);
      if (this.fingerprint() === before) return;
    }
    refuse('a loop changes directories or variables in ways too complex to check; simplify it');
  }

  private fingerprint(): string {
    const variables = [...this.variables].map(([name, values]) => [name, values === undefined ? null : [...values].sort()]);
    return JSON.stringify([[...this.cwds].sort(), variables.sort()]);
  }

  private initial(name: string): Values {
    return name === 'HOME' ? new Set([this.home]) : undefined;
  }

  assign(name: string, values: Values): void {
    this.variables.set(name, values);
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

  /** `cd`: the target is checked like any path; the shell is then there, or still here where cd fails. */
  changeDirectory(args: readonly CommandArgument[]): void {
    let first = 0;
    while (first < args.length && /^-[LPe@]+$/.test(args[first].value)) first++;
    if (args[first]?.value === '--') first++;
    const target = args[first];
    if (target?.value === '-') refuse('cd - is not allowed; cd to a path');
    if (first + 1 < args.length) refuse('cd takes one directory');
    const patterns = target === undefined ? [this.home] : target.expansions;
    if (patterns === undefined) refuse(`cd ${target?.text ?? ''}: the directory is not known before running; write it literally`);
    const next = new Set<string>();
    for (const pattern of patterns) {
      if (hasGlob(pattern)) refuse(`cd ${target?.text ?? ''}: write the directory without glob characters`);
      for (const cwd of this.cwds) {
        checkPath(this.area, cwd, unescapeGlob(pattern), `cd ${target?.text ?? '(home)'}`);
        const directory = resolveLikeKernel(cwd, unescapeGlob(pattern));
        const entered = isEnterable(directory);
        if (entered !== false) next.add(directory);
        if (entered !== true) next.add(cwd);
      }
    }
    this.cwds = next;
    if (this.cwds.size > MAX_VALUES) refuse('too many possible working directories to check; use fewer cd commands');
  }

  /** Refuses the command unless every file it may open lies inside the allowed area. */
  checkCommandPaths(name: string, args: readonly CommandArgument[]): void {
    const follows = followsSymlinksProblem(name, args);
    if (follows !== undefined) refuse(follows);
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

/** Whether cd can enter `directory`: true, false (not a directory), or undefined (unsure). */
function isEnterable(directory: string): boolean | undefined {
  try {
    if (!statSync(directory).isDirectory()) return false;
  } catch {
    return false; // missing: cd fails and the shell stays
  }
  try {
    accessSync(directory, constants.X_OK);
    return true;
  } catch {
    return undefined;
  }
}

function union(left: Values, right: Values): Values {
  if (left === undefined || right === undefined) return undefined;
  const merged = new Set([...left, ...right]);
  return merged.size > MAX_VALUES ? undefined : merged;
}
