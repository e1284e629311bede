// The allow-list used by the Bash tool when bubblewrap is not usable: a command runs only when
// every part of it provably reads and writes nothing but stdout/stderr. The command is parsed
// with unbash; pipelines, lists, if/for/while/case and groups are walked; every simple
// command, including those inside $(...), <(...) and wrappers like xargs, must be an allowed
// command with allowed options (sandbox-commands.ts), and every file it may open, after
// expansion, must lie inside the allowed roots (sandbox-shell-state.ts, sandbox-paths.ts).
// Anything not understood is refused.
import path from 'node:path';
import { forEachChild, parse } from 'unbash';
import type {
  AndOr,
  Assignment,
  Command,
  CommandNode,
  CompoundList,
  ParameterExpansionPart,
  ParsedScript,
  PipelineNode,
  Redirection,
  SyntaxNode,
  TestExpression,
  Word,
} from 'unbash';
import { checkCommandArguments, isProtectedVariable, isSafeEnvironmentName, PolicyRefusal, refuse, type CommandArgument } from './sandbox-commands.js';
import { unescapeGlob } from './sandbox-paths.js';
import { ShellState } from './sandbox-shell-state.js';
import { expandWord, toArgument } from './sandbox-words.js';

export type CommandVerdict = { allowed: true } | { allowed: false; reason: string };

export interface PolicyContext {
  /** Working directory the command starts in, to resolve relative paths. */
  cwd: string;
  /** Real (symlink-free) allowed roots: every file a command may open must lie inside one. */
  roots: readonly string[];
  /** The directory `~` and $HOME expand to in the shell that runs the command. */
  home?: string;
}

/** Decides whether `source` may run without a sandbox. */
export function checkReadOnlyCommand(source: string, context?: PolicyContext): CommandVerdict {
  try {
    new ReadOnlyChecker(source, context).checkScript(parse(source));
    return { allowed: true };
  } catch (error) {
    if (error instanceof PolicyRefusal) return { allowed: false, reason: error.message };
    throw error;
  }
}

/** The message the model sees for a refused command: the reason and what to use instead. */
export function refusalMessage(reason: string): string {
  return (
    `Command refused: ${reason}. Without the bubblewrap sandbox only read-only commands run here ` +
    '(cat, head, ls, wc, grep, rg, find, sed -n, awk, git log/show/diff/status, ...) and nothing may be written. ' +
    'Use the Read tool to read files, Grep to search contents and Glob to find files.'
  );
}

/**
 * Name of the command whose exit status the whole command returns (the last command of the
 * last pipeline), or undefined when that is not a simple command. `[[ ... ]]` reads as `[[`.
 */
export function lastCommandName(source: string): string | undefined {
  const script = parse(source);
  let node: PipelineNode | AndOr | undefined = script.commands.at(-1)?.command;
  for (;;) {
    if (node === undefined) return undefined;
    if (node.type === 'AndOr') node = node.commands.at(-1);
    else if (node.type === 'Pipeline') node = node.commands.at(-1);
    else if (node.type === 'Redirected') node = node.command;
    else if (node.type === 'TestCommand') return '[[';
    else if (node.type === 'Command') return node.name === undefined ? undefined : path.basename(node.name.value);
    else return undefined;
  }
}

class ReadOnlyChecker {
  /** Directories and variable values the shell may have; without a context paths are not checked. */
  private readonly state: ShellState | undefined;

  constructor(
    private readonly source: string,
    context: PolicyContext | undefined,
  ) {
    this.state = context === undefined ? undefined : new ShellState(context.cwd, context.home ?? '/', { roots: context.roots });
  }

  /** Walks a part of the command that may or may not run. */
  private maybe(walk: () => void): void {
    if (this.state === undefined) walk();
    else this.state.maybe(walk);
  }

  /** Walks a loop body as often as its effects on directories and variables need. */
  private loop(walkOnce: () => void): void {
    if (this.state === undefined) walkOnce();
    else this.state.loop(walkOnce);
  }

  checkScript(script: ParsedScript): void {
    const error = script.errors?.[0];
    if (error !== undefined) refuse(`the command could not be parsed (${error.message})`);
    if (script.source === undefined) this.checkNothingSkipped(script);
    for (const statement of script.commands) {
      if (statement.background) refuse('background jobs (&) are not allowed');
      this.checkNode(statement.command);
    }
  }

  /**
   * The parser recovers from some malformed input by skipping text (`ls (`). Only separators and
   * comments may lie between the statements it found, so nothing unchecked can reach the shell.
   */
  private checkNothingSkipped(script: ParsedScript): void {
    // Here-document bodies follow their command's line, outside its statement's range.
    const hereDocuments: [number, number][] = [];
    const collect = (node: SyntaxNode): void => {
      if (node.type === 'HereDoc') hereDocuments.push([node.body.pos, node.closing?.end ?? node.body.end]);
      forEachChild(node, collect);
    };
    for (const statement of script.commands) collect(statement);
    const withoutHereDocuments = (start: number, end: number) => {
      let text = this.source.slice(start, end);
      for (const [from, to] of hereDocuments) {
        const blankFrom = Math.max(from, start) - start;
        const blankTo = Math.min(to, end) - start;
        if (blankFrom < blankTo) text = text.slice(0, blankFrom) + ' '.repeat(blankTo - blankFrom) + text.slice(blankTo);
      }
      return text;
    };
    let position = script.pos;
    for (const statement of [...script.commands, { pos: script.end, end: script.end }]) {
      const gap = withoutHereDocuments(position, statement.pos);
      if (!/^(?:[\s;&]|#[^\n]*)*$/.test(gap)) refuse(`the command could not be parsed (unexpected ${JSON.stringify(gap.trim())})`);
      position = Math.max(position, statement.end);
    }
  }

  private checkList(list: CompoundList | undefined): void {
    for (const statement of list?.commands ?? []) {
      if (statement.background) refuse('background jobs (&) are not allowed');
      this.checkNode(statement.command);
    }
  }

  private checkNode(node: PipelineNode | AndOr | CommandNode): void {
    switch (node.type) {
      case 'AndOr':
        node.commands.forEach((command, index) => (index === 0 ? this.checkNode(command) : this.maybe(() => this.checkNode(command))));
        return;
      case 'Pipeline':
        // Every part of a pipeline runs in a subshell.
        for (const command of node.commands) this.maybe(() => this.checkNode(command));
        return;
      case 'Command':
        return this.checkCommand(node);
      case 'If':
        this.checkList(node.clause);
        return this.maybe(() => {
          this.checkList(node.then);
          for (const elif of node.elif) {
            this.checkList(elif.clause);
            this.checkList(elif.then);
          }
          this.checkList(node.else);
        });
      case 'For':
        return this.checkFor(node.name.value, node.wordlist, node.body);
      case 'While':
        return this.loop(() => {
          this.checkList(node.clause);
          this.checkList(node.body);
        });
      case 'Subshell':
        return this.maybe(() => this.checkList(node.body));
      case 'BraceGroup':
        return this.checkList(node.body);
      case 'Case':
        this.checkWord(node.word);
        return this.maybe(() => {
          for (const item of node.items) {
            for (const pattern of item.pattern) this.checkWord(pattern);
            this.checkList(item.body);
          }
        });
      case 'TestCommand':
        return this.checkTestExpression(node.expression);
      case 'Redirected':
        for (const redirect of node.redirects) this.checkRedirect(redirect);
        return this.checkNode(node.command);
      case 'Function':
        return refuse('function definitions are not allowed');
      default:
        return refuse(`${node.type} commands are not allowed`);
    }
  }

  /** In the body the variable is one of the words (globs matched); after it, any value it had. */
  private checkFor(name: string, wordlist: readonly Word[] | undefined, body: CompoundList): void {
    this.checkVariableName(name);
    for (const word of wordlist ?? []) this.checkWord(word);
    const state = this.state;
    if (state === undefined) return this.checkList(body);
    let values: ReadonlySet<string> | undefined = new Set<string>();
    for (const word of wordlist ?? []) {
      const wordValues = state.globValues(expandWord(word, state));
      values = values === undefined || wordValues === undefined ? undefined : new Set([...values, ...wordValues]);
    }
    if (wordlist === undefined) values = undefined; // `for x; do`: the positional parameters
    state.loop(() => {
      state.assign(name, values);
      this.checkList(body);
    });
  }

  private checkTestExpression(expression: TestExpression): void {
    switch (expression.type) {
      case 'TestUnary':
        // -v evaluates an array subscript in the variable's name or value.
        if (expression.operator === '-v' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(expression.operand.text)) {
          refuse(`[[ -v ${expression.operand.text} ]] is not allowed; use a plain variable name`);
        }
        return this.checkWord(expression.operand);
      case 'TestBinary':
        // [[ ]] evaluates operands of numeric comparisons as arithmetic (see ArithmeticWord).
        if (/^-(eq|ne|lt|le|gt|ge)$/.test(expression.operator) && !(isNumber(expression.left.text) && isNumber(expression.right.text))) {
          refuse(`numeric comparisons of expansions in [[ ]] are not allowed; use [ "$x" ${expression.operator} N ] instead`);
        }
        this.checkWord(expression.left);
        return this.checkWord(expression.right);
      case 'TestLogical':
        for (const operand of expression.operands) this.checkTestExpression(operand);
        return;
      case 'TestNot':
        return this.checkTestExpression(expression.operand);
      case 'TestGroup':
        return this.checkTestExpression(expression.expression);
    }
  }

  private checkCommand(command: Command): void {
    for (const redirect of command.redirects) this.checkRedirect(redirect);
    for (const assignment of command.prefix) {
      if (assignment.type !== 'Assignment') continue;
      if (command.name === undefined) {
        this.checkAssignment(assignment);
        continue;
      }
      // `NAME=value command` sets NAME for that command only: harmless locale-like names, and
      // the `IFS= read -r line` idiom.
      const forRead = assignment.name === 'IFS' && command.name.value === 'read';
      if (!forRead && !isSafeEnvironmentName(assignment.name)) refuse(`setting ${assignment.name} for a command is not allowed`);
      this.scanSubstitutions(assignment);
    }
    if (command.name === undefined) return;
    this.checkWord(command.name);
    const args = command.args.map((arg) => {
      if (arg.type === 'Assignment') this.checkAssignment(arg);
      else this.checkWord(arg);
      return toArgument(arg, this.state);
    });
    const name = toArgument(command.name);
    this.checkSimpleCommand(name, args);
    if (name.value === 'cd') this.state?.changeDirectory(args);
    // `read` gives its variables values from input.
    if (name.value === 'read') for (const arg of args) if (/^[A-Za-z_]\w*$/.test(arg.value)) this.state?.assign(arg.value, undefined);
    if (name.value === 'read') this.state?.assign('REPLY', undefined);
  }

  private readonly checkSimpleCommand = (name: CommandArgument, args: readonly CommandArgument[]): void => {
    if (!name.literal) refuse(`the command name ${name.text} is an expansion; write the command name literally`);
    if (name.value.includes('/')) refuse(`running a program by path (${name.value}) is not allowed; use the command name`);
    checkCommandArguments(name.value, args, this.checkSimpleCommand);
    this.state?.checkCommandPaths(name.value, args);
  };

  private checkAssignment(assignment: Assignment): void {
    this.checkVariableName(assignment.name);
    if (assignment.index !== undefined && !isNumber(assignment.index.text)) {
      refuse(`array subscripts other than numbers (${assignment.text}) are not allowed`);
    }
    this.scanSubstitutions(assignment);
    if (this.state === undefined) return;
    // Values are not glob-expanded in an assignment; `a+=x` and arrays are not followed.
    const patterns = assignment.value.type === 'Word' && !assignment.append && assignment.index === undefined ? expandWord(assignment.value, this.state) : undefined;
    this.state.assign(assignment.name, patterns === undefined ? undefined : new Set(patterns.map(unescapeGlob)));
  }

  private checkVariableName(name: string): void {
    if (isProtectedVariable(name)) refuse(`assigning ${name} is not allowed`);
  }

  private checkRedirect(redirect: Redirection): void {
    this.scanSubstitutions(redirect);
    if (redirect.type !== 'Redirect') return; // here-documents and here-strings are input
    if (redirect.descriptor?.type === 'FileDescriptorVariable') refuse('{variable} redirections are not allowed');
    const target = redirect.target;
    if (target === undefined) refuse('a redirection without a target');
    const argument = toArgument(target, this.state);
    const toNull = argument.literal && argument.value === '/dev/null';
    switch (redirect.operator) {
      case '<': {
        // Bash opens /dev/tcp/HOST/PORT and /dev/udp/... as network connections.
        const prefix = argument.fixedPrefix;
        const couldBeNetwork = ['/dev/tcp/', '/dev/udp/'].some((device) => device.startsWith(prefix) || prefix.startsWith(device.slice(0, -1)));
        if (!argument.literal && prefix === '') refuse(`input redirection from ${target.text} must start with a literal path`);
        if (couldBeNetwork) refuse(`redirection from ${target.text} opens a network connection`);
        return this.state?.checkWordPaths(argument);
      }
      case '<&':
      case '>&':
        // Duplicating or closing a descriptor (2>&1, >&2, 3<&-) writes no file.
        if ((argument.literal && /^(\d+-?|-)$/.test(argument.value)) || toNull) return;
        return refuse(`redirection ${redirect.operator}${target.text} writes a file (only /dev/null and 2>&1 are allowed)`);
      case '>':
      case '>>':
      case '>|':
      case '&>':
      case '&>>':
        if (toNull) return;
        return refuse(`output redirection to ${target.text} writes a file (only /dev/null and 2>&1 are allowed)`);
      default:
        return refuse(`redirection ${redirect.operator} opens a file for writing`);
    }
  }

  private checkWord(word: Word): void {
    this.scanSubstitutions(word);
  }

  /**
   * Walks every nested part: substitutions are checked as scripts of their own; expansions
   * that assign (${x:=v}, $((x=1))) are refused.
   */
  private scanSubstitutions(node: SyntaxNode): void {
    forEachChild(node, (child) => {
      switch (child.type) {
        case 'ArithmeticCommandExpansion':
          // Its output would be evaluated as an arithmetic expression, i.e. as code.
          return refuse(`command substitution inside arithmetic (${child.text}) is not allowed`);
        case 'CommandExpansion':
        case 'ProcessSubstitution':
          if (child.script === undefined) refuse(`the substitution ${child.text} could not be parsed`);
          return this.maybe(() => this.checkScript(child.script ?? refuse('unreachable')));
        case 'ParameterExpansion':
          this.checkParameterExpansion(child);
          break;
        case 'ArithmeticExpansion':
          if (child.expression === undefined && child.text.replace(/^\$\(\(|\)\)$|^\$\[|\]$/g, '').trim() !== '') {
            refuse(`the arithmetic expansion ${child.text} could not be parsed`);
          }
          break;
        case 'ArithmeticWord':
          // Bash evaluates a variable's value inside $((...)) as an expression, and an array
          // subscript in that value runs its $(...): only numbers are safe.
          if (!isNumber(child.value)) refuse(`variables inside arithmetic (${child.value}) are not allowed; use awk or wc to compute`);
          break;
        case 'ArithmeticBinary':
          if (/^[^=!<>]*=$|^(<<|>>)=$/.test(child.operator)) refuse('assignments inside $((...)) are not allowed');
          break;
        case 'ArithmeticUnary':
          if (child.operator === '++' || child.operator === '--') refuse('assignments inside $((...)) are not allowed');
          break;
      }
      this.scanSubstitutions(child);
    });
  }

  /** Expansions that assign, or that evaluate a variable's value as code. */
  private checkParameterExpansion(expansion: ParameterExpansionPart): void {
    const operation = expansion.operation;
    if (operation?.type === 'Default' && operation.operator.includes('=')) refuse(`${expansion.text} assigns a variable`);
    if (expansion.prefix === '!' && operation?.type !== 'Names') refuse(`indirect expansion ${expansion.text} is not allowed`);
    if (expansion.index !== undefined && !/^(\d+|@|\*)$/.test(expansion.index.text)) {
      refuse(`array subscripts other than numbers (${expansion.text}) are not allowed`);
    }
    if (operation?.type === 'Slice' && ![operation.offset, operation.length].every((word) => word === undefined || isNumber(word.text))) {
      refuse(`substring offsets other than numbers (${expansion.text}) are not allowed`);
    }
    if (operation?.type === 'Transform' && /P/.test(operation.operand.text)) refuse(`${expansion.text} runs the value as a prompt string`);
  }
}

function isNumber(text: string): boolean {
  return /^\s*[-+]?\s*(0[xX][0-9a-fA-F]+|\d+(#[0-9a-zA-Z@_]+)?)\s*$/.test(text);
}
