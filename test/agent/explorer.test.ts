import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explore } from '../../src/agent/explorer.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { createFakeBackend } from '../../src/backends/fake.js';
import { renderToolCall } from '../../src/protocol/tool-call-codec.js';
import { makeTempTree } from '../support/temp-tree.js';

test('Task calls run child explorers in parallel and return their text and usage', async () => {
  const tree = await makeTempTree({ 'alpha.txt': 'alpha body\n', 'beta.txt': 'beta body\n' });
  try {
    const task = (topic: string) => renderToolCall({ name: 'Task', arguments: { description: `find ${topic}`, prompt: `Look for ${topic}`, subagent_type: 'Explore' } });
    const backend = createFakeBackend(
      [
        { type: 'assistant', text: `${task('alpha')}\n${task('beta')}`, match: 'Which files', usage: { promptTokens: 50, completionTokens: 40 } },
        { type: 'assistant', text: renderToolCall({ name: 'Read', arguments: { file_path: 'alpha.txt' } }), match: 'Look for alpha', usage: { promptTokens: 100, completionTokens: 10 } },
        { type: 'assistant', text: renderToolCall({ name: 'Read', arguments: { file_path: 'beta.txt' } }), match: 'Look for beta', usage: { promptTokens: 100, completionTokens: 10 } },
        { type: 'assistant', text: 'alpha.txt:1 says alpha body', match: '→alpha body', usage: { promptTokens: 150, completionTokens: 8 } },
        { type: 'assistant', text: 'beta.txt:1 says beta body', match: '→beta body', usage: { promptTokens: 150, completionTokens: 8 } },
        { type: 'assistant', text: 'Both found.', match: 'agentId', usage: { promptTokens: 400, completionTokens: 3 } },
      ],
      { delayMs: 150 },
    );
    const events: AgentEvent[] = [];
    const result = await explore('Which files mention alpha and beta?', { backend, roots: [tree.root], sandbox: 'allow-list', onEvent: (event) => events.push(event) });
    assert.equal(result.answer, 'Both found.');
    assert.equal(result.stopReason, 'answer');
    // Both children asked their first turn before either asked its second: sequential children
    // would alternate (alpha, alpha, beta, beta), however fast or slow the machine.
    const asked = backend.requests.map((request) => request.messages.at(-1)!.content);
    const firstTurns = asked.map((content, index) => (/^Look for (alpha|beta)/.test(content) ? index : -1)).filter((index) => index >= 0);
    const secondTurns = asked.map((content, index) => (/→(alpha|beta) body/.test(content) ? index : -1)).filter((index) => index >= 0);
    assert.equal(firstTurns.length, 2);
    assert.ok(Math.max(...firstTurns) < Math.min(...secondTurns), `requests in order: ${JSON.stringify(asked.map((content) => content.slice(0, 30)))}`);
    const parentResults = backend.requests.at(-1)!.messages.at(-1)!.content;
    assert.match(parentResults, /^<tool_response>\nalpha\.txt:1 says alpha body\nagentId: agent-[0-9a-f]{8}\n<usage>total_tokens: 268\ntool_uses: 1\nduration_ms: \d+<\/usage>\n<\/tool_response>\n<tool_response>\nbeta\.txt:1 says beta body\n/);
    // Children see only read-only tools and no Task.
    const childSystem = backend.requests.find((request) => request.messages[1].content.startsWith('Look for alpha'))!.messages[0].content;
    assert.doesNotMatch(childSystem, /Task|Write|Edit/);
    assert.match(backend.requests[0].messages[0].content, /Use Task/);
    // Usage includes the children.
    assert.deepEqual(result.usage, { promptTokens: 50 + 400 + 2 * (100 + 150), cachedTokens: 0, completionTokens: 40 + 3 + 2 * (10 + 8) });
    const childAgents = new Set(events.filter((event) => event.agentId !== 'main').map((event) => event.agentId));
    assert.equal(childAgents.size, 2);
  } finally {
    await tree.cleanup();
  }
});
