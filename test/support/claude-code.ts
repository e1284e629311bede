// The real Claude Code CLI for end-to-end tests, pinned to 2.1.112 (the last pure-JS
// version). Not a devDependency (64 MB with platform binaries, proprietary licence): it is
// installed once into a cache folder (LOCO_CLAUDE_CODE_DIR, default
// ~/.cache/loco/test-tools/claude-code-2.1.112), the same one the proxy's e2e test uses.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FakeEntry } from '../../src/backends/fake.js';

export const CLAUDE_CODE_VERSION = '2.1.112';

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return process.env.LOCO_CLAUDE_CODE_DIR || path.join(base, 'loco', 'test-tools', `claude-code-${CLAUDE_CODE_VERSION}`);
}

/** The path of Claude Code's cli.js at the pinned version, installing it when missing; undefined when that fails. */
export async function ensureClaudeCode(): Promise<string | undefined> {
  const dir = cacheDir();
  const packageDir = path.join(dir, 'node_modules', '@anthropic-ai', 'claude-code');
  const installed = (): boolean => {
    try {
      return (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version === CLAUDE_CODE_VERSION && existsSync(path.join(packageDir, 'cli.js'));
    } catch {
      return false;
    }
  };
  if (!installed()) {
    try {
      await mkdir(dir, { recursive: true });
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      await promisify(execFile)(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--omit=optional', `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`], { timeout: 240_000 });
    } catch {
      return undefined;
    }
  }
  return installed() ? path.join(packageDir, 'cli.js') : undefined;
}

export interface ClaudeCodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs Claude Code's print mode offline: a temp HOME, the API at `baseUrl`, no updater or
 * telemetry, under coreutils `timeout` where it exists and a timer of our own everywhere.
 */
export function runClaudeCode(cli: string, options: { cwd: string; home: string; baseUrl: string; args: readonly string[]; env?: NodeJS.ProcessEnv }): Promise<ClaudeCodeRun> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: options.home,
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: 'dummy',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const args = [cli, ...options.args];
    const hasTimeout = existsSync('/usr/bin/timeout') || existsSync('/bin/timeout');
    const spawnOptions = { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
    const child = hasTimeout ? spawn('timeout', ['-k', '5', '150', process.execPath, ...args], spawnOptions) : spawn(process.execPath, args, spawnOptions);
    const timer = setTimeout(() => child.kill('SIGKILL'), 160_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The text of the first tool_result in an Anthropic request's messages. */
export function firstToolResultText(body: { messages?: unknown }): string | undefined {
  for (const message of (body.messages ?? []) as Array<{ content: unknown }>) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content as Array<{ type: string; content?: unknown }>) {
      if (block.type !== 'tool_result') continue;
      return typeof block.content === 'string' ? block.content : (block.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('');
    }
  }
  return undefined;
}

/**
 * The end-to-end scenario: a project whose notes.txt holds a secret word, and the scripted
 * local model of the Explore sub-agent that finds it (Glob, then Read, then the answer).
 * `chunked` streams the calls in small pieces, so tags split across chunks are exercised.
 */
export async function secretWordProject(prefix: string, options: { chunked?: boolean } = {}): Promise<{ project: string; home: string; entries: FakeEntry[]; answer: string }> {
  const project = await realpath(await mkdtemp(path.join(tmpdir(), `${prefix}-project-`)));
  const home = await mkdtemp(path.join(tmpdir(), `${prefix}-home-`));
  const notes = path.join(project, 'notes.txt');
  await writeFile(notes, 'the secret word is pineapple\n');
  await mkdir(path.join(project, 'src'));
  await writeFile(path.join(project, 'src', 'app.ts'), 'export const app = 1;\n');
  const glob = '<tool_call>\n{"name": "Glob", "arguments": {"pattern": "**/*.txt"}}\n</tool_call>';
  const read = `I found the notes.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": ${JSON.stringify(notes)}}}\n</tool_call>`;
  const chunks = (text: string, size: number) => (options.chunked ? { chunks: text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [text] } : {});
  const answer = 'The secret word is pineapple (from notes.txt).';
  const entries: FakeEntry[] = [
    { type: 'assistant', text: glob, ...chunks(glob, 7), match: 'Find the secret word' },
    { type: 'assistant', text: read, ...chunks(read, 5), match: 'notes.txt' },
    { type: 'assistant', text: answer, match: 'pineapple' },
  ];
  return { project, home, entries, answer };
}
