// The real Claude Code CLI (pinned 2.1.112) through loco proxy, offline: a fake Anthropic
// remote scripts the main agent, which launches an Explore sub-agent; the proxy routes the
// sub-agent's requests to a scripted local model whose `<tool_call>` text (Glob, then Read)
// Claude Code parses as tool_use, executes, and answers; the run then completes.
//
// Claude Code is not a devDependency (64 MB with platform binaries, proprietary licence):
// the test installs it once into a cache folder (LOCO_CLAUDE_CODE_DIR, default
// ~/.cache/loco/test-tools/claude-code-2.1.112) and skips when it cannot, unless
// LOCO_REQUIRE_TOOLS is set.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createFakeBackend } from '../../src/backends/fake.js';
import { skipUnless } from '../support/required-tools.js';
import { startFakeAnthropic, type FakeAnswer, type RecordedRequest } from './fake-anthropic.js';
import { startProxy } from './harness.js';

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

function toolResultText(request: RecordedRequest): string | undefined {
  const messages = request.body.messages as Array<{ content: unknown }>;
  for (const message of messages) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content as Array<{ type: string; content?: unknown }>) {
      if (block.type !== 'tool_result') continue;
      return typeof block.content === 'string' ? block.content : (block.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('');
    }
  }
  return undefined;
}

/** The main agent: launch an Explore sub-agent, then report what it found. Anything else: a short text. */
function mainAgent(request: RecordedRequest): FakeAnswer {
  const tools = ((request.body.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
  if (!tools.includes('Agent') && !tools.includes('Task')) return { message: { content: [{ type: 'text', text: 'ok' }] } };
  const result = toolResultText(request);
  if (result === undefined) {
    const spawner = tools.includes('Agent') ? 'Agent' : 'Task';
    return { message: { content: [{ type: 'text', text: 'I will explore.' }, { type: 'tool_use', id: 'toolu_main_1', name: spawner, input: { description: 'Find the secret word', prompt: 'Find the secret word in the notes of this project.', subagent_type: 'Explore' } }] } };
  }
  return { message: { content: [{ type: 'text', text: `MAIN DONE: ${result.split('\n')[0]}` }] } };
}

function runClaude(cli: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = [cli, '-p', 'What is the secret word in this project?', '--model', 'claude-sonnet-4-5'];
    // Under coreutils `timeout` where it exists, and a timer of our own everywhere.
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

describe(`Claude Code ${CLAUDE_CODE_VERSION} through loco proxy`, () => {
  let cli: string | undefined;
  before(async () => {
    cli = await ensureClaudeCode();
  });

  it('runs an Explore sub-agent on the local model: its tool calls are parsed, executed, and the run completes', async (t) => {
    const skip = skipUnless(cli !== undefined, `Claude Code ${CLAUDE_CODE_VERSION} (npm install failed or offline)`);
    if (skip) return t.skip(skip);
    const project = await mkdtemp(path.join(tmpdir(), 'loco-cc-project-'));
    const home = await mkdtemp(path.join(tmpdir(), 'loco-cc-home-'));
    const notes = path.join(project, 'notes.txt');
    await writeFile(notes, 'the secret word is pineapple\n');
    await mkdir(path.join(project, 'src'));
    await writeFile(path.join(project, 'src', 'app.ts'), 'export const app = 1;\n');

    const glob = '<tool_call>\n{"name": "Glob", "arguments": {"pattern": "**/*.txt"}}\n</tool_call>';
    const read = `I found the notes.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": ${JSON.stringify(notes)}}}\n</tool_call>`;
    const answer = 'The secret word is pineapple (from notes.txt).';
    const local = createFakeBackend([
      { type: 'assistant', text: glob, chunks: glob.match(/[\s\S]{1,7}/g) ?? [glob], match: 'Find the secret word' },
      { type: 'assistant', text: read, chunks: read.match(/[\s\S]{1,5}/g) ?? [read], match: 'notes.txt' },
      { type: 'assistant', text: answer, match: 'pineapple' },
    ]);
    const remote = await startFakeAnthropic(mainAgent);
    const proxy = await startProxy({ local, remote: remote.url });
    try {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        ANTHROPIC_BASE_URL: proxy.url,
        ANTHROPIC_API_KEY: 'dummy',
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
      };
      const run = await runClaude(cli as string, project, env);
      const context = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr.slice(-2000)}\nrecords: ${JSON.stringify(proxy.records, null, 1)}`;
      assert.equal(run.code, 0, context);
      assert.match(run.stdout, /MAIN DONE: The secret word is pineapple/, context);

      // The sub-agent's three turns ran locally, recognised as a sub-agent's.
      const localRecords = proxy.records.filter((record) => record.route === 'local' && record.path === '/v1/messages');
      assert.equal(localRecords.length, 3, context);
      for (const record of localRecords) {
        assert.equal(record.status, 200);
        assert.equal(record.subagent, 'claude-code-tools');
        assert.equal(record.fallback, undefined);
      }
      assert.deepEqual(localRecords.map((record) => record.toolCalls), [1, 1, 0]);
      // Claude Code executed the calls: their results came back in the dialect.
      const [, second, third] = local.requests;
      const lastUser = (request: typeof second) => request.messages.filter((message) => message.role === 'user').at(-1)?.content ?? '';
      assert.equal(second.messages[0].role, 'system');
      assert.match(second.messages.at(-2)?.content ?? '', /^<tool_call>\n\{"name": "Glob"/);
      assert.match(lastUser(second), /^<tool_response>\n[\s\S]*notes\.txt[\s\S]*<\/tool_response>/);
      // 2.1.112's Read numbers lines as `1\t…`, not the `     1→…` of the training traces.
      assert.match(lastUser(third), /^<tool_response>\n\s*1(\t|→)the secret word is pineapple/);
      // The main agent stayed on the remote and got the sub-agent's answer.
      const mainRequests = remote.requests.filter((request) => JSON.stringify(request.body.tools ?? []).includes('"Agent"'));
      assert.equal(mainRequests.length, 2, context);
      assert.match(toolResultText(mainRequests[1]) ?? '', /pineapple/);
    } finally {
      await proxy.close();
      await remote.close();
      await rm(project, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  });
});
