// The real Claude Code CLI for end-to-end tests, pinned to 2.1.112 (the last pure-JS
// version). Not a devDependency (64 MB with platform binaries, proprietary licence): it is
// installed once into a cache folder (LOCO_CLAUDE_CODE_DIR, default
// ~/.cache/loco/test-tools/claude-code-2.1.112), the same one the proxy's e2e test uses.
import { execFile } from 'node:child_process';
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
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      await promisify(execFile)(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--omit=optional', `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`], { timeout: 240_000 });
    } catch {
      return undefined;
    }
  }
  return installed() ? path.join(packageDir, 'cli.js') : undefined;
}
