// Real transcripts: Claude Code 2.1.112 runs offline through loco proxy (a scripted remote
// main agent that launches an Explore sub-agent, a scripted local model for the sub-agent),
// writes its transcripts under a temporary HOME as it always does, and `loco distill import`
// reads them: the main conversation and the Explore sub-agent's, with the sub-agent's Glob and
// Read calls and their results; `build` then keeps the sub-agent with Read in training form.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
import { conversationSchema } from '../../src/distill/conversation.js';
import { CLAUDE_CODE_VERSION, ensureClaudeCode, runClaudeCode, secretWordProject } from '../support/claude-code.js';
import { skipUnless } from '../support/required-tools.js';
import { runCli } from '../support/run-cli.js';
import { startFakeAnthropic, type FakeAnswer, type RecordedRequest } from '../proxy/fake-anthropic.js';
import { startProxy } from '../proxy/harness.js';

function firstToolResult(request: RecordedRequest): string | undefined {
  for (const message of request.body.messages as Array<{ content: unknown }>) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content as Array<{ type: string; content?: unknown }>) {
      if (block.type === 'tool_result') return typeof block.content === 'string' ? block.content : (block.content as Array<{ text?: string }>).map((part) => part.text ?? '').join('');
    }
  }
  return undefined;
}

function mainAgent(request: RecordedRequest): FakeAnswer {
  const tools = ((request.body.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
  if (!tools.includes('Agent') && !tools.includes('Task')) return { message: { content: [{ type: 'text', text: 'ok' }] } };
  const result = firstToolResult(request);
  if (result === undefined) {
    const spawner = tools.includes('Agent') ? 'Agent' : 'Task';
    return { message: { content: [{ type: 'text', text: 'I will explore.' }, { type: 'tool_use', id: 'toolu_main_1', name: spawner, input: { description: 'Find the secret word', prompt: 'Find the secret word in the notes of this project.', subagent_type: 'Explore' } }] } };
  }
  return { message: { content: [{ type: 'text', text: `MAIN DONE: ${result.split('\n')[0]}` }] } };
}

describe(`transcripts written by Claude Code ${CLAUDE_CODE_VERSION}`, () => {
  let cli: string | undefined;
  before(async () => {
    cli = await ensureClaudeCode();
  });

  it('import reads the main conversation and the Explore sub-agent, and build keeps the sub-agent', { timeout: 240_000 }, async (t) => {
    const skip = skipUnless(cli !== undefined, `Claude Code ${CLAUDE_CODE_VERSION} (npm install failed or offline)`);
    if (skip) return t.skip(skip);
    const { project, home, entries, answer } = await secretWordProject('loco-distill');
    const work = await mkdtemp(path.join(tmpdir(), 'loco-distill-out-'));
    const local = createFakeBackend(entries);
    const remote = await startFakeAnthropic(mainAgent);
    const proxy = await startProxy({ local, remote: remote.url });
    try {
      const run = await runClaudeCode(cli as string, { cwd: project, home, baseUrl: proxy.url, args: ['-p', 'What is the secret word in this project?', '--model', 'claude-sonnet-4-5'] });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr.slice(-2000)}`);
      const out = path.join(work, 'conversations.jsonl');
      const imported = await runCli(['distill', 'import', path.join(home, '.claude', 'projects'), '--out', out]);
      assert.equal(imported.code, 0, imported.stderr);
      const counts = JSON.parse(imported.stdout);
      assert.equal(counts.badLines, 0, imported.stderr);
      const conversations = (await readFile(out, 'utf8')).trim().split('\n').map((line) => conversationSchema.parse(JSON.parse(line)));
      const main = conversations.find((conversation) => !conversation.subagent);
      const explore = conversations.find((conversation) => conversation.subagent);
      assert.ok(main && explore, `conversations: ${JSON.stringify(conversations.map((c) => c.origin))}\ncounts: ${imported.stdout}`);
      assert.equal(main.repo, project);
      assert.equal(main.origin.version, CLAUDE_CODE_VERSION);
      const mainCalls = main.messages.flatMap((message) => (message.role === 'assistant' ? message.toolCalls.map((call) => call.name) : []));
      assert.deepEqual(mainCalls, ['Task'], 'Claude Code\'s Agent call, in the model\'s vocabulary');
      assert.equal(explore.origin.agentType, 'Explore');
      assert.equal(explore.repo, project);
      const exploreCalls = explore.messages.flatMap((message) => (message.role === 'assistant' ? message.toolCalls.map((call) => call.name) : []));
      assert.deepEqual(exploreCalls, ['Glob', 'Read']);
      const readResult = explore.messages.find((message) => message.role === 'tool' && message.name === 'Read');
      assert.match(readResult?.content ?? '', /the secret word is pineapple/);
      assert.equal(explore.messages.at(-1)?.content, answer);

      const data = path.join(work, 'data');
      const built = await runCli(['distill', 'build', out, '--out', data, '--subagents-only', '--validation-ratio', '0']);
      assert.equal(built.code, 0, built.stderr);
      assert.equal(JSON.parse(built.stdout).kept.train, 1);
      const swift = await readFile(path.join(data, 'train.swift.jsonl'), 'utf8');
      // Read in the training form: `{N:>6}→` numbering, without Claude Code's appended reminder.
      assert.match(swift, /"role":"tool_response","content":"     1→the secret word is pineapple\\n     2→"\}/);
    } finally {
      await proxy.close();
      await remote.close();
      for (const dir of [project, home, work]) await rm(dir, { recursive: true, force: true });
    }
  });
});
