// The official @anthropic-ai/sdk client against loco proxy: the local route (fake backend
// streaming `<tool_call>` text split at every boundary) and the remote pass-through (fake
// Anthropic server), streaming helpers and plain calls.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { createFakeBackend } from '../../src/backends/fake.js';
import type { BackendEvent } from '../../src/backends/types.js';
import { trainingSystemPrompt } from '../../src/protocol/system-prompt.js';
import { promptTools, trainingPromptTools } from '../../src/tools/catalog.js';
import { startFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
import { scriptedBackend, startProxy, usage, type ProxyHarness } from './harness.js';

const TURN = 'Let me look.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "main", "path": "src"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/x/é.ts"}}\n</tool_call>';
const TOOLS: Anthropic.Tool[] = [
  { name: 'Grep', description: 'Search file contents', input_schema: { type: 'object', properties: { pattern: { type: 'string' }, path: { type: 'string' } }, required: ['pattern'] } },
  { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
];
const ASK = { model: 'claude-haiku-4-5', max_tokens: 2000, tools: TOOLS, messages: [{ role: 'user' as const, content: 'where is main?' }] };

/** Every split of TURN into two chunks, plus one chunk per character. */
function splits(): string[][] {
  const all: string[][] = [];
  for (let cut = 1; cut < TURN.length; cut += 1) all.push([TURN.slice(0, cut), TURN.slice(cut)]);
  all.push([...TURN]);
  return all;
}

describe('loco proxy with the Anthropic SDK: local route', () => {
  const entries = splits().map((chunks) => ({ type: 'assistant' as const, text: TURN, chunks, usage: { promptTokens: 300, completionTokens: 40 } }));
  const backend = createFakeBackend([...entries, ...entries]);
  let proxy: ProxyHarness;
  before(async () => {
    proxy = await startProxy({ local: backend, remote: false });
  });
  after(() => proxy.close());

  it('turns <tool_call> text split at every boundary into the same tool_use blocks (streaming helpers)', async () => {
    let first: Anthropic.Message | undefined;
    for (const entry of entries) {
      const stream = proxy.client.messages.stream(ASK);
      let text = '';
      stream.on('text', (delta) => (text += delta));
      const message = await stream.finalMessage();
      assert.equal(text, 'Let me look.\n', `chunks ${JSON.stringify(entry.chunks)}`);
      assert.equal(message.stop_reason, 'tool_use');
      assert.deepEqual(
        message.content.map((block) => (block.type === 'tool_use' ? { name: block.name, input: block.input } : block.type)),
        ['text', { name: 'Grep', input: { pattern: 'main', path: 'src' } }, { name: 'Read', input: { file_path: '/x/é.ts' } }],
      );
      for (const block of message.content) if (block.type === 'tool_use') assert.match(block.id, /^toolu_[A-Za-z0-9]{24}$/);
      first ??= message;
    }
    assert.equal(first?.model, 'claude-haiku-4-5');
    assert.deepEqual(first?.usage.output_tokens, 40);
  });

  it('answers plain (non-streaming) requests with the same message', async () => {
    for (const entry of entries.slice(0, 20)) {
      const message = await proxy.client.messages.create(ASK);
      assert.equal(message.stop_reason, 'tool_use', JSON.stringify(entry.chunks));
      assert.equal(message.content.length, 3);
      assert.equal(message.usage.input_tokens, 300);
    }
  });

  it('sends the model the dialect: training prompt, then the user turn', () => {
    const request = backend.requests[0];
    assert.deepEqual(request.messages, [
      { role: 'system', content: trainingSystemPrompt(promptTools(['Read', 'Grep'])) },
      { role: 'user', content: 'where is main?' },
    ]);
    assert.equal(request.sampling.maxTokens, 2000);
    assert.deepEqual(request.tools?.map((tool) => tool.name), ['Grep', 'Read']);
  });

  it('records each request in the log and the stats, pricing local tokens at the remote price', async () => {
    const stats = (await (await fetch(`${proxy.url}/stats`)).json()) as { routes: { local: { requests: number } }; savedUsd: number; toolCalls: { total: number } };
    assert.ok(stats.routes.local.requests >= entries.length);
    assert.ok(stats.savedUsd > 0);
    assert.ok(stats.toolCalls.total >= entries.length * 2);
    const record = proxy.records[0];
    assert.equal(record.route, 'local');
    assert.equal(record.reason, 'haiku');
    assert.equal(record.status, 200);
    assert.equal(record.outputTokens, 40);
    assert.equal(typeof record.ttftMs, 'number');
    assert.ok(!JSON.stringify(proxy.records).includes('sk-client-key'));
  });
});

describe('loco proxy: text streams before the call is complete', () => {
  it('delivers the text before the backend has written the call', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const backend = scriptedBackend(async function* (): AsyncGenerator<BackendEvent> {
      yield { type: 'text-delta', text: 'Looking now.\n<tool_call>\n{"name": "Grep", ' };
      await gate;
      yield { type: 'text-delta', text: '"arguments": {"pattern": "x"}}\n</tool_call>' };
      yield { type: 'finish', reason: 'stop', usage, text: '' };
    });
    const proxy = await startProxy({ local: backend, remote: false });
    try {
      const stream = proxy.client.messages.stream(ASK);
      stream.on('text', (text) => {
        assert.equal(text, 'Looking now.\n');
        release();
      });
      const message = await stream.finalMessage();
      assert.equal(message.content[1].type, 'tool_use');
    } finally {
      await proxy.close();
    }
  });
});

describe('loco proxy with the Anthropic SDK: remote pass-through', () => {
  let remote: FakeAnthropic;
  let proxy: ProxyHarness;
  let keyed: ProxyHarness;
  before(async () => {
    remote = await startFakeAnthropic(() => ({ message: { content: [{ type: 'text', text: 'Hello from the cloud.' }], usage: { input_tokens: 1234, output_tokens: 56 } } }));
    const file = { routes: [{ name: 'opus-to-sonnet', match: { model: 'claude-opus-*' }, target: 'remote' as const, model: 'claude-sonnet-5-5' }, { name: 'haiku', match: { model: '*haiku*' }, target: 'local' as const }] };
    proxy = await startProxy({ local: createFakeBackend([]), remote: remote.url, file });
    keyed = await startProxy({ local: createFakeBackend([]), remote: remote.url, remoteKeyEnv: 'LOCO_TEST_REMOTE_KEY', env: { LOCO_TEST_REMOTE_KEY: 'sk-remote-secret' } });
  });
  after(async () => {
    await proxy.close();
    await keyed.close();
    await remote.close();
  });

  it('streams the remote answer through untouched: bytes, headers, usage', async () => {
    const stream = proxy.client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'anthropic-beta': 'claude-code-20250219', 'x-app': 'cli' } });
    const message = await stream.finalMessage();
    assert.equal(message.content[0].type === 'text' && message.content[0].text, 'Hello from the cloud.');
    assert.deepEqual([message.usage.input_tokens, message.usage.output_tokens], [1234, 56]);
    const sent = remote.requests.at(-1);
    assert.ok(sent);
    assert.equal(sent.url, '/v1/messages');
    // SDK 1.x sends the key as a bearer token; Claude Code sends x-api-key. Either is forwarded.
    assert.equal(sent.headers.authorization, 'Bearer sk-client-key');
    assert.match(String(sent.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(sent.headers['anthropic-beta'], 'claude-code-20250219');
    assert.equal(sent.headers['x-app'], 'cli');
    assert.equal(sent.headers['accept-encoding'], 'identity');
    assert.notEqual(sent.headers.host, new URL(proxy.url).host);
    assert.deepEqual(JSON.parse(sent.raw), sent.body);
    const record = proxy.records.at(-1);
    assert.equal(record?.route, 'remote');
    assert.deepEqual([record?.inputTokens, record?.outputTokens], [1234, 56]);
    assert.equal(typeof record?.ttftMs, 'number');
  });

  it('forwards plain requests, keeps the query, and rewrites the model where a rule says so', async () => {
    const message = await proxy.client.messages.create({ model: 'claude-opus-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, { query: { beta: 'true' } });
    assert.equal(message.usage.input_tokens, 1234);
    const sent = remote.requests.at(-1);
    assert.equal(sent?.url, '/v1/messages?beta=true');
    assert.equal(sent?.body.model, 'claude-sonnet-5-5');
    assert.equal(proxy.records.at(-1)?.upstreamModel, 'claude-sonnet-5-5');
  });

  it('replaces the client key by the configured remote key, and drops other credentials', async () => {
    await keyed.client.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-api-key': 'sk-client-other' } });
    const sent = remote.requests.at(-1);
    assert.equal(sent?.headers['x-api-key'], 'sk-remote-secret');
    assert.equal(sent?.headers.authorization, undefined);
    assert.ok(!keyed.notes.join('\n').includes('sk-remote-secret'));
  });

  it('counts tokens locally for local models and remotely otherwise; lists models; reports health', async () => {
    const local = await proxy.client.messages.countTokens({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x'.repeat(300) }] });
    assert.ok(local.input_tokens >= 100);
    const cloud = await proxy.client.messages.countTokens({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(cloud.input_tokens, 42);
    const models = await proxy.client.models.list();
    assert.equal(models.data[0].id, 'claude-sonnet-4-5');
    const health = (await (await fetch(`${proxy.url}/health`)).json()) as { status: string };
    assert.equal(health.status, 'ok');
    const page = await fetch(`${proxy.url}/`);
    assert.match(await page.text(), /loco proxy/);
  });
});
