// The local route honours the request's generation controls, through the official
// @anthropic-ai/sdk client: stop_sequences (cut text, stop_reason and stop_sequence, streaming
// with the sequence split across chunks, generation stopped), tool_choice (none never yields
// tool_use; any / tool forced on a backend that can force a call, a fallback with its reason
// otherwise) and the client's sampling unless the config pins it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { createFakeBackend, type FakeEntry } from '../../src/backends/fake.js';
import type { Backend, BackendRequest } from '../../src/backends/types.js';
import { DEFAULT_SAMPLING } from '../../src/protocol/messages.js';
import { trainingSystemPrompt } from '../../src/protocol/system-prompt.js';
import { promptTools } from '../../src/tools/catalog.js';
import { proxyFileSchema, type ProxyFile } from '../../src/proxy/config.js';
import { scriptedBackend, startProxy, untilAborted, type ProxyHarness } from './harness.js';

const TOOLS: Anthropic.Tool[] = [
  { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } },
  { name: 'Grep', description: 'Search', input_schema: { type: 'object', properties: { pattern: { type: 'string' } } } },
];
const ASK = { model: 'claude-haiku-4-5', max_tokens: 500, messages: [{ role: 'user' as const, content: 'go' }] };
const GREP_CALL = '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "STOP"}}\n</tool_call>';

const proxies: ProxyHarness[] = [];
after(() => Promise.all(proxies.map((proxy) => proxy.close())));

async function proxyOver(local: Backend, file?: ProxyFile): Promise<ProxyHarness> {
  const proxy = await startProxy({ local, remote: false, file });
  proxies.push(proxy);
  return proxy;
}

/** A fake backend that says it can force a call (as the embedded engine does). */
function forcingBackend(entries: FakeEntry[]): Backend & { requests: BackendRequest[] } {
  const fake = createFakeBackend(entries);
  return { ...fake, info: { ...fake.info, forcesToolCalls: true } };
}

describe('stop_sequences on the local route', () => {
  it('cuts streamed text at a stop sequence split across chunks, reports it, and stops generation', async () => {
    const usage = { promptTokens: 50, cachedTokens: 0, completionTokens: 7 };
    const backend = scriptedBackend(async function* (signal) {
      for (const text of ['Hel', 'lo EN', 'D wor', 'ld']) yield { type: 'text-delta', text };
      // Only an abort ends this turn: the test times out unless the proxy stops generation.
      await untilAborted(signal);
      yield { type: 'finish', reason: 'aborted', usage, text: '' };
    });
    const proxy = await proxyOver(backend);
    const stream = proxy.client.messages.stream({ ...ASK, stop_sequences: ['never', 'END'] });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    assert.equal(deltas.join(''), 'Hello ');
    assert.ok(!deltas.some((delta) => delta.includes('E')), `no part of the stop sequence is sent: ${JSON.stringify(deltas)}`);
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'END');
    assert.equal(message.usage.output_tokens, 7);
    assert.equal(backend.aborted, 1);
  });

  it('answers non-streaming requests the same way, picking the earliest of several sequences', async () => {
    const proxy = await proxyOver(createFakeBackend([{ type: 'assistant', text: 'one two three', chunks: ['one t', 'wo three'] }]));
    const message = await proxy.client.messages.create({ ...ASK, stop_sequences: ['three', 'two'] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'one ' }]);
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'two');
  });

  it('sends held-back text that turned out not to be a stop sequence, with end_turn', async () => {
    const proxy = await proxyOver(createFakeBackend([{ type: 'assistant', text: 'almost EN', chunks: ['almost E', 'N'] }]));
    const stream = proxy.client.messages.stream({ ...ASK, stop_sequences: ['END'] });
    const message = await stream.finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text: 'almost EN' }]);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.stop_sequence, null);
  });

  it('matches in visible text only, never inside a tool call', async () => {
    const proxy = await proxyOver(createFakeBackend([{ type: 'assistant', text: `Search.\n${GREP_CALL}` }]));
    const message = await proxy.client.messages.create({ ...ASK, tools: TOOLS, stop_sequences: ['STOP'] });
    assert.equal(message.stop_reason, 'tool_use');
    const call = message.content.find((block) => block.type === 'tool_use');
    assert.deepEqual(call?.type === 'tool_use' ? call.input : undefined, { pattern: 'STOP' });
  });
});

describe('tool_choice on the local route', () => {
  it('none: the model is not offered tools and a call it writes anyway stays text', async () => {
    const entry = { type: 'assistant' as const, text: `Sure.\n${GREP_CALL}` };
    const backend = createFakeBackend([entry, entry]);
    const proxy = await proxyOver(backend);
    const request = { ...ASK, system: 'You are terse.', tools: TOOLS, tool_choice: { type: 'none' as const } };
    for (const message of [await proxy.client.messages.create(request), await proxy.client.messages.stream(request).finalMessage()]) {
      assert.ok(message.content.every((block) => block.type === 'text'), JSON.stringify(message.content));
      assert.match(message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''), /<tool_call>/);
      assert.equal(message.stop_reason, 'end_turn');
    }
    const sent = backend.requests[0];
    assert.deepEqual(sent.messages[0], { role: 'system', content: 'You are terse.' });
    assert.deepEqual(sent.tools, []);
    assert.equal(sent.requiredToolCall, undefined);
  });

  it('any / tool: asks a backend that can force a call for exactly one, from the right tools', async () => {
    const backend = forcingBackend([
      { type: 'assistant', text: GREP_CALL.replace('STOP', 'main') },
      { type: 'assistant', text: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>' },
    ]);
    const proxy = await proxyOver(backend);
    const any = await proxy.client.messages.create({ ...ASK, tools: TOOLS, tool_choice: { type: 'any' } });
    assert.equal(any.stop_reason, 'tool_use');
    assert.deepEqual(backend.requests[0].requiredToolCall?.tools.map((tool) => tool.name), ['Read', 'Grep']);
    assert.equal(backend.requests[0].messages[0].content, trainingSystemPrompt(promptTools(['Read', 'Grep'])));
    const named = await proxy.client.messages.create({ ...ASK, tools: TOOLS, tool_choice: { type: 'tool', name: 'Read' } });
    assert.deepEqual(named.content.map((block) => (block.type === 'tool_use' ? block.name : block.type)), ['Read']);
    assert.deepEqual(backend.requests[1].requiredToolCall?.tools.map((tool) => tool.name), ['Read']);
  });

  it('disable_parallel_tool_use: the first call ends the answer, and generation stops there', async () => {
    const read = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>';
    const backend = scriptedBackend(async function* (signal) {
      for (const text of ['Two calls.\n', read.slice(0, 20), `${read.slice(20)}\n${GREP_CALL.slice(0, 15)}`, GREP_CALL.slice(15)]) yield { type: 'text-delta', text };
      await untilAborted(signal);
      yield { type: 'finish', reason: 'aborted', usage: { promptTokens: 10, cachedTokens: 0, completionTokens: 30 }, text: '' };
    });
    const proxy = await proxyOver(backend);
    const message = await proxy.client.messages.stream({ ...ASK, tools: TOOLS, tool_choice: { type: 'auto', disable_parallel_tool_use: true } }).finalMessage();
    assert.deepEqual(message.content.map((block) => (block.type === 'tool_use' ? block.name : block.type)), ['text', 'Read']);
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(backend.aborted, 1);
  });

  it('any / tool on a backend that cannot force a call: falls back to the remote with the reason logged', async () => {
    const backend = createFakeBackend([]);
    const proxy = await proxyOver(backend);
    await assert.rejects(proxy.client.messages.create({ ...ASK, tools: TOOLS, tool_choice: { type: 'any' } }), (error: Error & { status?: number }) => {
      assert.equal(error.status, 503);
      assert.match(error.message, /tool-choice-unsupported: tool_choice \\+"any\\+" needs a forced tool call/);
      return true;
    });
    assert.equal(backend.requests.length, 0);
    assert.equal(proxy.records.at(-1)?.fallback, 'tool-choice-unsupported');
    assert.match(proxy.notes.join('\n'), /falls back to the remote \(tool-choice-unsupported\)/);
  });
});

/** This SDK's types no longer list the sampling fields; it sends them as given all the same. */
function withSampling(sampling: { temperature: number; top_p: number; top_k: number }): Anthropic.MessageCreateParamsNonStreaming {
  return { ...ASK, ...sampling } as Anthropic.MessageCreateParamsNonStreaming;
}

describe('sampling on the local route', () => {
  it("forwards the client's temperature, top_p and top_k; the model card's defaults where it sends none", async () => {
    const backend = createFakeBackend([
      { type: 'assistant', text: 'a' },
      { type: 'assistant', text: 'b' },
    ]);
    const proxy = await proxyOver(backend);
    await proxy.client.messages.create(withSampling({ temperature: 0.2, top_p: 0.5, top_k: 5 }));
    await proxy.client.messages.create(ASK);
    assert.deepEqual(backend.requests[0].sampling, { temperature: 0.2, topP: 0.5, topK: 5, maxTokens: 500 });
    assert.deepEqual(backend.requests[1].sampling, { ...DEFAULT_SAMPLING, maxTokens: 500 });
  });

  it('lets the config pin each value over the client', async () => {
    const backend = createFakeBackend([{ type: 'assistant', text: 'a' }]);
    const proxy = await proxyOver(backend, { local: { sampling: { temperature: 0.7, topK: 20 } } });
    await proxy.client.messages.create(withSampling({ temperature: 1, top_p: 0.9, top_k: 100 }));
    assert.deepEqual(backend.requests[0].sampling, { temperature: 0.7, topP: 0.9, topK: 20, maxTokens: 500 });
  });

  it('rejects pinned values out of range or of unknown names in the config', () => {
    for (const sampling of [{ topK: 1.5 }, { temperature: -1 }, { topP: 0 }, { top_p: 0.5 }]) {
      assert.equal(proxyFileSchema.safeParse({ local: { sampling } }).success, false, JSON.stringify(sampling));
    }
    assert.equal(proxyFileSchema.safeParse({ local: { sampling: { temperature: 0, topP: 1, topK: 0 } } }).success, true);
  });
});

describe('an invented <tool_response> on the local route', () => {
  it('ends the answer at the tag and stops generation, as every other front door does', async () => {
    const backend = scriptedBackend(async function* (signal) {
      for (const text of ['Reading.\n', GREP_CALL, '\n<tool_resp', 'onse>\nmade-up result', ' and more']) yield { type: 'text-delta', text };
      // Only an abort ends this turn: the test times out unless the proxy stops generation.
      await untilAborted(signal);
      yield { type: 'finish', reason: 'aborted', usage: { promptTokens: 40, cachedTokens: 0, completionTokens: 30 }, text: '' };
    });
    const proxy = await proxyOver(backend);
    const message = await proxy.client.messages.create({ ...ASK, tools: TOOLS });
    assert.equal(backend.aborted, 1);
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(
      message.content.map((block) => block.type),
      ['text', 'tool_use'],
    );
    assert.ok(!JSON.stringify(message.content).includes('made-up'), 'nothing after the invented tag reaches the client');
  });
});
