#!/usr/bin/env node
// The `loco` command line: thin commands that parse flags, call a module and print.
import { Command, CommanderError } from 'commander';
import { addExplorerOptions } from './explorer-options.js';
import { LocoError } from '../errors.js';
import { runAsk } from './ask.js';
import { registerBatchCommand } from './batch.js';
import { registerBenchCommand } from './bench.js';
import { registerDistillCommand } from './distill.js';
import { registerEvalCommand } from './eval.js';
import { registerMcpCommand } from './mcp.js';
import { registerModelCommand } from './model.js';
import { registerProfileCommand } from './profile.js';
import { registerProxyCommand } from './proxy.js';
import { registerServeCommand } from './serve.js';
import { registerWorkerCommand } from './worker.js';

function buildProgram(io: { signal: AbortSignal; setExitCode: (code: number) => void }): Command {
  const program = new Command();
  program
    .name('loco')
    .description('A small local model as a code explorer: ask questions about a codebase at zero API cost.')
    .version('0.1.0')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError('(run with --help for usage)');

  addExplorerOptions(
    program
      .command('ask')
      .description('Answer a question about the code in <dir> with the local model and its read-only tools')
      .argument('<dir>', 'the directory to explore (the only place the tools may look)')
      .argument('<question...>', 'the question, in plain words'),
  )
    .option('--max-turns <n>', 'most assistant turns before the final answer is requested (default 10)')
    .option('--json', 'print one JSON object {answer, turns, toolCalls, usage} instead of the answer')
    .option('--trace <file.jsonl>', 'write every turn, tool call and result to a JSONL file (replayable with --backend fake:<file>)')
    .option('--allow-write', 'offer the Write and Edit tools (the explorer is read-only by default)')
    .option('-v, --verbose', 'show progress on stderr even when it is not a terminal')
    .action(async (dir: string, question: string[], flags) => {
      const code = await runAsk(dir, question, flags, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: io.signal });
      io.setExitCode(code);
    });
  registerModelCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerServeCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerProxyCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerEvalCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerBatchCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerBenchCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerMcpCommand(program, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerWorkerCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerDistillCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  registerProfileCommand(program, { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('loco: stopping (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onInterrupt);
  let exitCode = 0;
  const program = buildProgram({ signal: controller.signal, setExitCode: (code) => (exitCode = code) });
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof LocoError) {
      process.stderr.write(`loco: ${error.message}\n`);
      return error.code === 'usage' ? 2 : 1;
    }
    process.stderr.write(`loco: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.LOCO_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
