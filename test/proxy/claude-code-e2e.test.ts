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
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
import { FASTCONTEXT_PROFILE } from '../../src/protocol/profile.js';
import { CLAUDE_CODE_VERSION, ensureClaudeCode, firstToolResultText, runClaudeCode, secretWordProject } from '../support/claude-code.js';
import { skipUnless } from '../support/required-tools.js';
import { startFakeAnthropic, type FakeAnswer, type RecordedRequest } from './fake-anthropic.js';
import { startProxy } from './harness.js';

/** The main agent: launch an Explore sub-agent, then report what it found. Anything else: a short text. */
function mainAgent(request: RecordedRequest): FakeAnswer {
  const tools = ((request.body.tools ?? []) as Array<{ name: string }>).map((tool) => tool.name);
  if (!tools.includes('Agent') && !tools.includes('Task')) return { message: { content: [{ type: 'text', text: 'ok' }] } };
  const result = firstToolResultText(request.body);
  if (result === undefined) {
    const spawner = tools.includes('Agent') ? 'Agent' : 'Task';
    return { message: { content: [{ type: 'text', text: 'I will explore.' }, { type: 'tool_use', id: 'toolu_main_1', name: spawner, input: { description: 'Find the secret word', prompt: 'Find the secret word in the notes of this project.', subagent_type: 'Explore' } }] } };
  }
  return { message: { content: [{ type: 'text', text: `MAIN DONE: ${result.split('\n')[0]}` }] } };
}

describe(`Claude Code ${CLAUDE_CODE_VERSION} through loco proxy`, () => {
  let cli: string | undefined;
  before(async () => {
    cli = await ensureClaudeCode();
  });

  it('runs an Explore sub-agent on the local model: its tool calls are parsed, executed, and the run completes', async (t) => {
    const skip = skipUnless(cli !== undefined, `Claude Code ${CLAUDE_CODE_VERSION} (npm install failed or offline)`);
    if (skip) return t.skip(skip);
    const { project, home, entries } = await secretWordProject('loco-cc', { chunked: true });
    const local = createFakeBackend(entries);
    const remote = await startFakeAnthropic(mainAgent);
    const proxy = await startProxy({ local, remote: remote.url });
    try {
      const run = await runClaudeCode(cli as string, { cwd: project, home, baseUrl: proxy.url, args: ['-p', 'What is the secret word in this project?', '--model', 'claude-sonnet-4-5'] });
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
      assert.match(firstToolResultText(mainRequests[1].body) ?? '', /pineapple/);
    } finally {
      await proxy.close();
      await remote.close();
      await rm(project, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  });
  it('--profile fastcontext: the sub-agent runs in FastContext\'s dialect; Claude Code runs its calls under Claude Code\'s argument names', async (t) => {
    const skip = skipUnless(cli !== undefined, `Claude Code ${CLAUDE_CODE_VERSION} (npm install failed or offline)`);
    if (skip) return t.skip(skip);
    const { project, home } = await secretWordProject('loco-cc-fc');
    const notes = path.join(project, 'notes.txt');
    const call = (name: string, args: object) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
    const local = createFakeBackend([
      // Each turn answers only the request it expects: the wrapped query, the Glob result, the Read result in FastContext's form.
      { type: 'assistant', text: call('Glob', { pattern: '**/*.txt', directory: project }), match: '<query>Find the secret word' },
      { type: 'assistant', text: `Reading it.\n${call('Read', { path: notes })}`, match: `<tool_response>\n${notes}` },
      { type: 'assistant', text: `The secret word is pineapple.\n<final_answer>\n${notes}:1-1 (the secret word)\n</final_answer>`, match: `\`\`\`${notes}:1-1\n1|the secret word is pineapple\n\n\`\`\`` },
    ]);
    const remote = await startFakeAnthropic(mainAgent);
    const proxy = await startProxy({ local, remote: remote.url, profile: FASTCONTEXT_PROFILE });
    try {
      const run = await runClaudeCode(cli as string, { cwd: project, home, baseUrl: proxy.url, args: ['-p', 'What is the secret word in this project?', '--model', 'claude-sonnet-4-5'] });
      const context = `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr.slice(-2000)}\nrecords: ${JSON.stringify(proxy.records, null, 1)}\nlocal prompts: ${JSON.stringify(local.requests.map((request) => request.messages.slice(1)), null, 1)}`;
      assert.equal(run.code, 0, context);
      assert.match(run.stdout, /MAIN DONE: The secret word is pineapple/, context);
      const localRecords = proxy.records.filter((record) => record.route === 'local' && record.path === '/v1/messages');
      assert.deepEqual(localRecords.map((record) => [record.toolCalls, record.unknownToolCalls, record.fallback]), [[1, 0, undefined], [1, 0, undefined], [0, 0, undefined]], context);
      const [first] = local.requests;
      assert.match(first.messages[0].content, /^You are a codebase exploration specialist/);
      assert.match(first.messages[0].content, new RegExp(`\nWorkspace Path:${project}\n\nThe directory listing of the workspace is:\n\`\`\`\nnotes\\.txt\nsrc\n\`\`\`\n`), context);
      assert.deepEqual(first.tools?.map((tool) => tool.name), ['Read', 'Glob', 'Grep']);
      // Claude Code's own reminders (its context block) are gone from the query.
      assert.equal(first.messages[1].content, '<query>Find the secret word in the notes of this project.</query>');
      assert.match(firstToolResultText(remote.requests.filter((request) => JSON.stringify(request.body.tools ?? []).includes('"Agent"'))[1]?.body ?? {}) ?? '', /<final_answer>/);
    } finally {
      await proxy.close();
      await remote.close();
      await rm(project, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    }
  });
});
