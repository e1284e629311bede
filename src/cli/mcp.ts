// `loco mcp`: the local explorer as an MCP server (stdio by default, Streamable HTTP with
// --http), and `loco mcp install <client>` for the clients' configuration. In stdio mode
// stdout is reserved for protocol messages from the first line on; notes go to stderr.
// The backend is resolved exactly as `loco ask` resolves it.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { LocoError } from '../errors.js';
import { wholeNumberFlag } from '../flags.js';
import { createMcpCore } from '../mcp/core.js';
import { startMcpHttp } from '../mcp/http.js';
import { installPlan, MCP_CLIENTS, writeInstall, type McpClient } from '../mcp/install.js';
import { guardStdout, serveStdio } from '../mcp/stdio.js';
import { detectSandbox } from '../tools/sandbox.js';
import type { CommandIo } from './io.js';
import { addExplorerOptions, openExplorerBackend, resolveExplorerFlags, explorerProfileOf, type ExplorerFlags } from './explorer-options.js';

export interface McpCommandIo extends CommandIo {
  stdin: NodeJS.ReadableStream;
  setExitCode: (code: number) => void;
}

export interface McpFlags extends ExplorerFlags {
  root?: string[];
  http?: boolean;
  host?: string;
  port?: string;
  tokenEnv?: string;
  allowedHost?: string[];
  parallel?: string;
  traces?: string;
}


async function checkRoot(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isDirectory()) throw new LocoError('usage', `--root ${dir}: not a directory (give a directory the explorer may read)`);
  return absolute;
}

function readToken(name: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (name === undefined) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new LocoError('usage', `--token-env takes the name of an environment variable, got ${JSON.stringify(name)}`);
  const token = env[name]?.trim();
  if (!token) throw new LocoError('usage', `--token-env ${name}: the variable is not set or empty; export ${name}=<token> first`);
  return token;
}

/** Serves until stdin closes (stdio), or until Ctrl-C / SIGTERM (HTTP). */
export async function runMcp(flags: McpFlags, io: McpCommandIo): Promise<number> {
  // First of all: nothing but protocol messages may reach stdout from here on.
  const protocolOut = flags.http ? undefined : guardStdout(process.stdout, io.stderr);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  const resolved = resolveExplorerFlags(flags, io.env);
  const { config } = resolved;
  const roots = await Promise.all((flags.root && flags.root.length > 0 ? flags.root : [process.cwd()]).map(checkRoot));
  const parallel = wholeNumberFlag('--parallel', flags.parallel, 1, 64) ?? 4;
  const traceLimit = wholeNumberFlag('--traces', flags.traces, 1, 1000) ?? 20;
  const port = wholeNumberFlag('--port', flags.port, 0, 65_535) ?? 8765;
  const token = readToken(flags.tokenEnv, io.env);
  const sandbox = config.sandbox === 'auto' ? await detectSandbox() : config.sandbox;
  const core = createMcpCore({
    roots,
    sandbox,
    parallel,
    traceLimit,
    contextBudget: config.contextBudget,
    temperature: config.temperature,
    promptStyle: config.promptStyle,
    profile: await explorerProfileOf(resolved),
    model: config.model,
    subagents: config.subagents,
    log,
    openBackend: () => openExplorerBackend(resolved, io, { sequences: parallel }),
  });

  const stop = new AbortController();
  const onStop = (): void => stop.abort();
  io.signal.addEventListener('abort', onStop, { once: true });
  process.on('SIGTERM', onStop);
  try {
    if (protocolOut) {
      log(`loco mcp: serving on stdio; roots ${roots.join(', ')}; ${parallel} at once (sandbox: ${sandbox})`);
      await serveStdio(core, io.stdin, protocolOut, stop.signal);
    } else {
      const server = await startMcpHttp(core, { host: flags.host ?? '127.0.0.1', port, token, allowedHosts: flags.allowedHost });
      log(`loco mcp: listening on ${server.url}${token ? ' (bearer token required)' : ''}; roots ${roots.join(', ')}; ${parallel} at once (sandbox: ${sandbox})`);
      await new Promise<void>((resolve) => {
        if (stop.signal.aborted) resolve();
        stop.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await server.close();
    }
    return 0;
  } finally {
    io.signal.removeEventListener('abort', onStop);
    process.off('SIGTERM', onStop);
    await core.close();
  }
}

export async function runMcpInstall(client: string, flags: { write?: boolean; file?: string }, io: McpCommandIo): Promise<number> {
  if (!(MCP_CLIENTS as readonly string[]).includes(client)) throw new LocoError('usage', `unknown client "${client}": use one of ${MCP_CLIENTS.join(', ')}`);
  const plan = installPlan(client as McpClient, { cwd: process.cwd(), env: io.env, file: flags.file });
  if (!flags.write) {
    io.stdout.write(plan.snippet);
    io.stderr.write(`loco: run again with --write to add it to ${plan.file}\n`);
    return 0;
  }
  const backup = await writeInstall(plan);
  io.stderr.write(`loco: added the loco server to ${plan.file}${backup ? ` (the previous file is in ${backup})` : ''}\n`);
  return 0;
}

/** Adds `loco mcp` and `loco mcp install` to the program. */
export function registerMcpCommand(program: Command, io: McpCommandIo): Command {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const mcp = addExplorerOptions(
    program.command('mcp').description('Serve the local explorer as an MCP tool (`explore`) for Claude Code, Codex, Cursor and any MCP client'),
  )
    .option('--root <dir>', 'a directory the explorer may read (repeatable; default the working directory)', collect)
    .option('--http', 'serve Streamable HTTP instead of stdio')
    .option('--host <host>', 'HTTP: address to listen on (default 127.0.0.1)')
    .option('--port <n>', 'HTTP: port, 0 for any free one (default 8765)')
    .option('--token-env <NAME>', 'HTTP: require Authorization: Bearer <token>, the token read from this environment variable')
    .option('--allowed-host <name>', 'HTTP: another host name clients may use in the Host header (repeatable; loopback names and --host are always allowed)', collect)
    .option('--parallel <n>', 'explore calls running at once (the embedded engine\'s slots); more wait in line (default 4)')
    .option('--traces <n>', 'run traces kept as loco://traces/<id> resources (default 20)')
    .action(async (flags: McpFlags) => io.setExitCode(await runMcp(flags, io)));
  mcp
    .command('install')
    .description('Print (or --write) the configuration that adds loco to an MCP client')
    .addArgument(new Command().createArgument('<client>', MCP_CLIENTS.join(' | ')).choices(MCP_CLIENTS))
    .option('--write', 'merge it into the client\'s configuration file (a backup is kept as <file>.bak)')
    .option('--file <path>', 'the configuration file to write (default: the client\'s usual one)')
    .action(async (client: string, flags: { write?: boolean; file?: string }) => io.setExitCode(await runMcpInstall(client, flags, io)));
  return mcp;
}
