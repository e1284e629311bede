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
import { before, describe, it } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
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
});
