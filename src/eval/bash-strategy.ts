// What a Bash call is for, in terms of the dedicated tools. The model prefers `cat`,
// `grep -rn` and `find` over Read, Grep and Glob (model-dialect.md section 7); the relaxed
// first-tool metric counts those as the same strategy, and the read-only share says how
// much of its Bash use the allow-list sandbox would run anyway.
//
// Classification, decided on the first pipeline that does real work (`cd`, `echo`, `export`
// and the like before it are skipped):
//   read   - cat, head, tail, less, more, nl, bat, sed -n (printing lines of a file)
//   search - grep, egrep, fgrep, rg, ag, ack, git grep; also a read piped into a search
//            (`cat f | grep x`) and a listing fed to a search (`find . | xargs grep x`)
//   list   - find, fd, ls, tree, locate, git ls-files: they enumerate paths, which is what
//            Glob answers (ls and tree included: they name files, they do not read them)
//   other  - anything else (wc, awk, git log, python, ...), and commands that do not parse
import path from 'node:path';
import { parse } from 'unbash';
import type { AndOr, Command, CommandNode, PipelineNode, Statement } from 'unbash';
import { checkReadOnlyCommand } from '../tools/bash-policy.js';

export type BashStrategy = 'read' | 'search' | 'list' | 'other';

const READERS = new Set(['cat', 'head', 'tail', 'less', 'more', 'nl', 'bat', 'batcat']);
const SEARCHERS = new Set(['grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack']);
const LISTERS = new Set(['find', 'fd', 'fdfind', 'ls', 'tree', 'locate']);
/** Commands that only set the stage for the real work. */
const SETUP = new Set(['cd', 'pushd', 'popd', 'export', 'set', 'echo', 'printf', 'true', ':', 'source', '.']);
/** Wrappers whose first non-option word is the command that does the work. */
const WRAPPERS = new Set(['xargs', 'timeout', 'nice', 'env', 'command', 'time', 'sudo']);

interface SimpleCommand {
  name: string;
  args: string[];
}

function simpleCommand(node: Command): SimpleCommand | undefined {
  if (node.name === undefined) return undefined;
  const args = node.args.flatMap((arg) => (arg.type === 'Word' ? [arg.value] : []));
  return { name: path.basename(node.name.value), args };
}

/** Pipelines in source order, each as its simple commands (compound commands looked into). */
function pipelines(statements: readonly Statement[], into: SimpleCommand[][] = []): SimpleCommand[][] {
  const visitCommand = (node: CommandNode, stages: SimpleCommand[]) => {
    if (node.type === 'Command') {
      const command = simpleCommand(node);
      if (command) stages.push(command);
    } else if (node.type === 'Subshell' || node.type === 'BraceGroup') {
      pipelines(node.body.commands, into);
    } else if (node.type === 'Redirected') {
      visitCommand(node.command, stages);
    } else if (node.type === 'For' || node.type === 'While') {
      pipelines(node.body.commands, into);
    }
  };
  const visit = (node: PipelineNode | AndOr) => {
    if (node.type === 'AndOr') return node.commands.forEach(visit);
    const stages: SimpleCommand[] = [];
    if (node.type === 'Pipeline') node.commands.forEach((command) => visitCommand(command, stages));
    else visitCommand(node, stages);
    if (stages.length > 0) into.push(stages);
  };
  for (const statement of statements) visit(statement.command);
  return into;
}

/** The command a wrapper runs (`xargs grep -l x` is grep), skipping options and numbers. */
function unwrap(command: SimpleCommand): SimpleCommand {
  let current = command;
  while (WRAPPERS.has(current.name)) {
    const at = current.args.findIndex((arg) => !arg.startsWith('-') && !/^\d+[smhd]?$/.test(arg) && !arg.includes('='));
    if (at === -1) return current;
    current = { name: path.basename(current.args[at]), args: current.args.slice(at + 1) };
  }
  return current;
}

function stageStrategy(raw: SimpleCommand): BashStrategy {
  const command = unwrap(raw);
  if (READERS.has(command.name)) return 'read';
  if (command.name === 'sed') {
    const quiet = command.args.some((arg) => /^-[a-zA-Z]*n[a-zA-Z]*$/.test(arg) || arg === '--quiet' || arg === '--silent');
    const inPlace = command.args.some((arg) => /^-[a-zA-Z]*i/.test(arg) || arg.startsWith('--in-place'));
    return quiet && !inPlace ? 'read' : 'other';
  }
  if (SEARCHERS.has(command.name)) return 'search';
  if (LISTERS.has(command.name)) return 'list';
  if (command.name === 'git') {
    const subcommand = command.args.find((arg) => !arg.startsWith('-'));
    if (subcommand === 'grep') return 'search';
    if (subcommand === 'ls-files') return 'list';
  }
  return 'other';
}

export function classifyBashCommand(source: string): BashStrategy {
  let found: SimpleCommand[][];
  try {
    const script = parse(source);
    if (script.errors && script.errors.length > 0) return 'other';
    found = pipelines(script.commands);
  } catch {
    return 'other'; // a command the parser cannot read is not a recognisable strategy
  }
  const work = found.find((stages) => !stages.every((stage) => SETUP.has(stage.name)));
  if (!work) return 'other';
  const stages = work.filter((stage) => !SETUP.has(stage.name)).map(stageStrategy);
  const head = stages[0];
  const later = stages.slice(1);
  if ((head === 'read' || head === 'list') && later.includes('search')) {
    // `cat f | grep x` searches a file's contents. `find | grep x` filters names (still a
    // listing) unless the search runs on the files themselves, through xargs.
    if (head === 'read') return 'search';
    const throughXargs = work.slice(1).some((stage) => stage.name === 'xargs' && stageStrategy(stage) === 'search');
    return throughXargs ? 'search' : 'list';
  }
  return head;
}

/** True when the read-only allow-list of the Bash tool (bash-policy.ts) accepts the command. */
export function isReadOnlyBashCommand(source: string): boolean {
  try {
    return checkReadOnlyCommand(source).allowed;
  } catch {
    return false;
  }
}
