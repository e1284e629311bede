// The real Claude Code CLI for tests, pinned: installed once into a cache folder
// (LOCO_CLAUDE_CODE_DIR, default ~/.cache/loco/test-tools/claude-code-<version>) and run
// offline against a local ANTHROPIC_BASE_URL with a temporary HOME.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

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
      await promisify(execFile)('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--omit=optional', `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`], { timeout: 240_000 });
    } catch {
      return undefined;
    }
  }
  return installed() ? path.join(packageDir, 'cli.js') : undefined;
}

/** The environment that keeps Claude Code offline and pointed at `baseUrl`. */
export function claudeCodeEnv(baseUrl: string, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'dummy',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
  };
}

/** `claude -p <prompt>` in `cwd`, bounded by coreutils `timeout` where it exists and a timer of our own. */
export function runClaudeCode(cli: string, prompt: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = [cli, '-p', prompt, '--model', 'claude-sonnet-4-5'];
    const hasTimeout = existsSync('/usr/bin/timeout') || existsSync('/bin/timeout');
    const child = hasTimeout ? spawn('timeout', ['-k', '5', '150', process.execPath, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
