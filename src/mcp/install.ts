// `loco mcp install claude|codex|cursor`: the configuration that registers `loco mcp` with
// each client, printed, or merged into the client's file with --write: the other entries are
// kept, the old file is copied to <file>.bak first, and the new one replaces it atomically.
import { copyFile, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocoError } from '../errors.js';
import { writeFileAtomic } from '../atomic-write.js';

export const MCP_CLIENTS = ['claude', 'codex', 'cursor'] as const;
export type McpClient = (typeof MCP_CLIENTS)[number];

export interface ServerLaunch {
  command: string;
  args: string[];
}

export const DEFAULT_LAUNCH: ServerLaunch = { command: 'npx', args: ['loco', 'mcp'] };

export interface InstallPlan {
  /** What to show the user: a command and/or the snippet. */
  snippet: string;
  /** The file --write merges into. */
  file: string;
  format: 'json' | 'toml';
}

function tomlString(text: string): string {
  return JSON.stringify(text);
}

function jsonSnippet(launch: ServerLaunch): string {
  return JSON.stringify({ mcpServers: { loco: launch } }, null, 2);
}

function tomlBlock(launch: ServerLaunch): string {
  return `[mcp_servers.loco]\ncommand = ${tomlString(launch.command)}\nargs = [${launch.args.map(tomlString).join(', ')}]\n`;
}

export function installPlan(client: McpClient, options: { cwd: string; env: NodeJS.ProcessEnv; file?: string; launch?: ServerLaunch }): InstallPlan {
  const launch = options.launch ?? DEFAULT_LAUNCH;
  const home = options.env.HOME ?? os.homedir();
  switch (client) {
    case 'claude':
      return {
        snippet: `claude mcp add loco -- ${[launch.command, ...launch.args].join(' ')}\n\n# or, for this project, in .mcp.json:\n${jsonSnippet(launch)}\n`,
        file: options.file ?? path.join(options.cwd, '.mcp.json'),
        format: 'json',
      };
    case 'cursor':
      return { snippet: `# ~/.cursor/mcp.json (or .cursor/mcp.json in a project):\n${jsonSnippet(launch)}\n`, file: options.file ?? path.join(home, '.cursor', 'mcp.json'), format: 'json' };
    case 'codex': {
      const codexHome = options.env.CODEX_HOME ?? path.join(home, '.codex');
      return { snippet: `# ${path.join(codexHome, 'config.toml')}:\n${tomlBlock(launch)}`, file: options.file ?? path.join(codexHome, 'config.toml'), format: 'toml' };
    }
  }
}

export function mergeJsonConfig(existing: string | undefined, launch: ServerLaunch, file: string): string {
  let config: Record<string, unknown> = {};
  if (existing !== undefined && existing.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch (error) {
      throw new LocoError('config', `${file} is not valid JSON (${(error as Error).message}): fix it or move it away, then run again; nothing was written`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new LocoError('config', `${file} must hold a JSON object; nothing was written`);
    config = parsed as Record<string, unknown>;
  }
  const servers = config.mcpServers;
  if (servers !== undefined && (typeof servers !== 'object' || servers === null || Array.isArray(servers))) {
    throw new LocoError('config', `"mcpServers" in ${file} must be an object; nothing was written`);
  }
  const merged = { ...config, mcpServers: { ...((servers as Record<string, unknown> | undefined) ?? {}), loco: launch } };
  return `${JSON.stringify(merged, null, 2)}\n`;
}

const TABLE_HEADER = /^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$/;

function isLocoTable(name: string): boolean {
  return /^mcp_servers\s*\.\s*(?:loco|"loco"|'loco')(?:\s*\..*)?$/.test(name);
}

/** Replaces the `[mcp_servers.loco]` table (and its sub-tables), keeping every other line as it was. */
export function mergeTomlConfig(existing: string | undefined, launch: ServerLaunch): string {
  const kept: string[] = [];
  let skipping = false;
  for (const line of (existing ?? '').split('\n')) {
    const header = TABLE_HEADER.exec(line);
    if (header) skipping = isLocoTable(header[1]);
    if (!skipping) kept.push(line);
  }
  const body = kept.join('\n').replace(/\n+$/, '');
  return `${body === '' ? '' : `${body}\n\n`}${tomlBlock(launch)}`;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocoError('io', `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Merges the loco entry into the plan's file; returns the backup's path when one was made. */
export async function writeInstall(plan: InstallPlan, launch: ServerLaunch = DEFAULT_LAUNCH): Promise<string | undefined> {
  const existing = await readIfPresent(plan.file);
  const next = plan.format === 'json' ? mergeJsonConfig(existing, launch, plan.file) : mergeTomlConfig(existing, launch);
  let backup: string | undefined;
  let mode: number | undefined;
  if (existing !== undefined) {
    backup = `${plan.file}.bak`;
    await copyFile(plan.file, backup);
    mode = (await stat(plan.file)).mode & 0o777;
  }
  await writeFileAtomic(plan.file, next, { mode });
  return backup;
}
