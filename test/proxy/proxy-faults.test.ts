// Faults: the local backend dies, hangs or overflows; the remote rate-limits, is overloaded,
// unreachable or breaks off; clients send garbage or too much, or go away; 100 streams at
// once. Nothing crashes and every client gets a well-formed answer or Anthropic error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { createFakeBackend } from '../../src/backends/fake.js';
import type { BackendEvent } from '../../src/backends/types.js';
import { LocoError } from '../../src/errors.js';
import { startFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';
import { eventually, scriptedBackend, startProxy, untilAborted, usage, type ProxyHarness } from './harness.js';

const LOCAL = { model: 'claude-haiku-4-5', max_tokens: 1000, messages: [{ role: 'user' as const, content: 'look around' }] };
const CLOUD_TEXT = 'Answered by the cloud.';

async function rejection(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof APIError, `expected an APIError, got ${String(error)}`);
    return error;
  }
  throw new Error('expected the request to fail');
}

function errorType(error: APIError): unknown {
  return (error.error as { error?: { type?: unknown } } | undefined)?.error?.type;
}

describe('local faults', () => {
  let remote: FakeAnthropic;
  before(async () => {
    remote = await startFakeAnthropic(() => ({ message: { content: [{ type: 'text', text: CLOUD_TEXT }] } }));
  });
  after(() => remote.close());

  it('ends the stream with an error event when the local backend dies mid-answer', async () => {
    const local = createFakeBackend([{ type: 'error', error: { code: 'backend-unreachable', message: 'socket hang up' }, chunks: ['I will '] }]);
    const proxy = await startProxy({ local, remote: remote.url });
    try {
      const error = await rejection(proxy.client.messages.stream(LOCAL).finalMessage());
      assert.match(error.message, /failed mid-answer: socket hang up/);
      assert.equal(errorType(error), 'api_error');
      assert.match(proxy.records[0].error ?? '', /socket hang up/);
      assert.equal(proxy.records[0].fallback, undefined);
    } finally {
      await proxy.close();
    }
  });

  it('falls back to the remote when the local backend fails before its first token, and logs why', async () => {
    const local = createFakeBackend([{ type: 'error', error: { code: 'backend-http', message: 'HTTP 500 from llama.cpp' } }]);
    const proxy = await startProxy({ local, remote: remote.url });
    try {
      const message = await proxy.client.messages.stream(LOCAL).finalMessage();
      assert.equal(message.content[0].type === 'text' && message.content[0].text, CLOUD_TEXT);
      assert.equal(proxy.records[0].fallback, 'local-error');
      assert.equal(proxy.records[0].route, 'remote');
      assert.match(proxy.notes.join('\n'), /falls back to the remote \(local-error\)/);
      const stats = proxy.server.stats.snapshot();
      assert.deepEqual(stats.fallbacks, { 'local-error': 1 });
    } finally {
      await proxy.close();
    }
  });

  it('falls back when the local backend hangs before its first token, aborting it', async () => {
    const local = scriptedBackend(async function* (signal): AsyncGenerator<BackendEvent> {
      await untilAborted(signal);
      yield { type: 'finish', reason: 'aborted', usage, text: '' };
    });
    const proxy = await startProxy({ local, remote: remote.url, file: { local: { firstTokenTimeoutMs: 150 } } });
    try {
      const message = await proxy.client.messages.create(LOCAL);
      assert.equal(message.content[0].type === 'text' && message.content[0].text, CLOUD_TEXT);
      assert.equal(proxy.records[0].fallback, 'local-timeout');
      assert.equal(local.aborted, 1);
    } finally {
      await proxy.close();
    }
  });

  it('ends the stream with a timeout error when the local backend goes silent mid-answer', async () => {
    const local = scriptedBackend(async function* (signal): AsyncGenerator<BackendEvent> {
      yield { type: 'text-delta', text: 'Starting' };
      await untilAborted(signal);
      yield { type: 'finish', reason: 'aborted', usage, text: 'Starting' };
    });
    const proxy = await startProxy({ local, remote: remote.url, file: { local: { idleTimeoutMs: 150 } } });
    try {
      const error = await rejection(proxy.client.messages.stream(LOCAL).finalMessage());
      assert.equal(errorType(error), 'timeout_error');
      assert.equal(local.aborted, 1);
    } finally {
      await proxy.close();
    }
  });

  it('falls back on context overflow: reported by the backend, or estimated before sending', async () => {
    const overflowing = scriptedBackend(async function* (): AsyncGenerator<BackendEvent> {
      yield { type: 'error', error: new LocoError('context-overflow', 'the prompt is 20000 tokens but the context holds 16384') };
    });
    const proxy = await startProxy({ local: overflowing, remote: remote.url });
    const small = scriptedBackend(async function* (): AsyncGenerator<BackendEvent> {
      yield { type: 'finish', reason: 'stop', usage, text: '' };
    }, 2000);
    const checked = await startProxy({ local: small, remote: remote.url });
    try {
      await proxy.client.messages.create(LOCAL);
      assert.equal(proxy.records[0].fallback, 'context-overflow');
      await checked.client.messages.create({ ...LOCAL, messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
      assert.equal(checked.records[0].fallback, 'context-overflow');
      assert.match(checked.records[0].fallbackDetail ?? '', /local context holds 2000/);
      assert.equal(small.calls, 0);
    } finally {
      await proxy.close();
      await checked.close();
    }
  });

  it('falls back at the turn limit without asking the local model', async () => {
    const local = scriptedBackend(async function* (): AsyncGenerator<BackendEvent> {
      yield { type: 'finish', reason: 'stop', usage, text: '' };
    });
    const proxy = await startProxy({ local, remote: remote.url, file: { local: { maxTurns: 2 } } });
    try {
      const messages: Anthropic.MessageParam[] = [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
        { role: 'assistant', content: 'd' },
        { role: 'user', content: 'e' },
      ];
      await proxy.client.messages.create({ ...LOCAL, messages });
      assert.equal(proxy.records[0].fallback, 'turn-limit');
      assert.equal(local.calls, 0);
    } finally {
      await proxy.close();
    }
  });

  it('answers an Anthropic error when the local route fails and there is no remote', async () => {
    const local = createFakeBackend([{ type: 'error', error: { code: 'backend-unreachable', message: 'refused' } }]);
    const proxy = await startProxy({ local, remote: false });
    try {
      const error = await rejection(proxy.client.messages.create(LOCAL));
      assert.equal(error.status, 503);
      assert.equal(errorType(error), 'overloaded_error');
      assert.match(error.message, /no remote is configured/);
    } finally {
      await proxy.close();
    }
  });
});

describe('remote faults and bad clients', () => {
  let remote: FakeAnthropic;
  let proxy: ProxyHarness;
  before(async () => {
    remote = await startFakeAnthropic((request) => {
      const text = JSON.stringify(request.body.messages);
      if (text.includes('rate')) return { status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, headers: { 'retry-after': '7' } };
      if (text.includes('overload')) return { status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } };
      if (text.includes('break')) return { message: { content: [{ type: 'text', text: 'partial answer here' }] }, then: 'destroy' };
      if (text.includes('slow')) return { message: { content: [{ type: 'text', text: 'a slow answer'.repeat(20) }] }, delayMs: 100 };
      return { message: { content: [{ type: 'text', text: CLOUD_TEXT }] }, delayMs: 2 };
    });
    proxy = await startProxy({ local: createFakeBackend([]), remote: remote.url });
  });
  after(async () => {
    await proxy.close();
    await remote.close();
  });

  const cloud = (content: string) => ({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content }] });

  it('passes 429 and 529 through with their Anthropic bodies and headers', async () => {
    const limited = await rejection(proxy.client.messages.create(cloud('rate')));
    assert.equal(limited.status, 429);
    assert.equal(errorType(limited), 'rate_limit_error');
    assert.equal(limited.headers?.get('retry-after'), '7');
    const overloaded = await rejection(proxy.client.messages.stream(cloud('overload')).finalMessage());
    assert.equal(overloaded.status, 529);
    assert.equal(errorType(overloaded), 'overloaded_error');
  });

  it('ends a remote stream that breaks off with an error event', async () => {
    const error = await rejection(proxy.client.messages.stream(cloud('break')).finalMessage());
    assert.match(error.message, /broke the answer off/);
  });

  it('answers 502 when the remote cannot be reached', async () => {
    const dead = await startProxy({ local: createFakeBackend([]), remote: 'http://127.0.0.1:9' });
    try {
      const error = await rejection(dead.client.messages.create(cloud('hi')));
      assert.equal(error.status, 502);
      assert.equal(errorType(error), 'api_error');
    } finally {
      await dead.close();
    }
  });

  it('answers malformed JSON, missing fields, unknown paths and wrong methods with Anthropic errors', async () => {
    const post = (path: string, body: string) => fetch(`${proxy.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const cases: Array<[Promise<Response>, number, string]> = [
      [post('/v1/messages', '{"model": "x", "messages": ['), 400, 'invalid_request_error'],
      [post('/v1/messages', '[1, 2]'), 400, 'invalid_request_error'],
      [post('/v1/messages', '{"messages": []}'), 400, 'invalid_request_error'],
      [post('/v1/messages', JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] })), 400, 'invalid_request_error'],
      [post('/v1/complete', '{}'), 404, 'not_found_error'],
      [fetch(`${proxy.url}/v1/messages`), 405, 'invalid_request_error'],
    ];
    for (const [answer, status, type] of cases) {
      const response = await answer;
      assert.equal(response.status, status);
      const body = (await response.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, type);
      assert.ok(body.error.message.length > 0);
    }
  });

  it('refuses a 10 MB body with 413 request_too_large', async () => {
    const big = JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'x'.repeat(10 * 1024 * 1024) }] });
    const response = await fetch(`${proxy.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(response.status, 413);
    const body = (await response.json()) as { error: { type: string } };
    assert.equal(body.error.type, 'request_too_large');
    assert.equal(remote.requests.filter((request) => request.raw.length > 1e6).length, 0);
  });

  it('aborts the remote request when the client goes away', async () => {
    const controller = new AbortController();
    const stream = proxy.client.messages.stream(cloud('slow'), { signal: controller.signal });
    stream.on('text', () => controller.abort());
    await assert.rejects(stream.finalMessage());
    await eventually(() => remote.abandoned === 1);
    await eventually(() => proxy.records.some((record) => record.clientClosed === true));
  });
});

describe('client disconnect on the local route', () => {
  it('aborts the local backend', async () => {
    const local = scriptedBackend(async function* (signal): AsyncGenerator<BackendEvent> {
      yield { type: 'text-delta', text: 'Reading' };
      await untilAborted(signal);
      yield { type: 'finish', reason: 'aborted', usage, text: 'Reading' };
    });
    const proxy = await startProxy({ local, remote: false });
    try {
      const controller = new AbortController();
      const stream = proxy.client.messages.stream(LOCAL, { signal: controller.signal });
      stream.on('text', () => controller.abort());
      await assert.rejects(stream.finalMessage());
      await eventually(() => local.aborted === 1);
      await eventually(() => proxy.records[0]?.clientClosed === true);
    } finally {
      await proxy.close();
    }
  });
});

describe('100 concurrent streams', () => {
  it('serves 50 local and 50 remote streams at once, each complete and correct', async () => {
    const turn = (n: number) => `Stream ${n} here.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/f${n}.ts"}}\n</tool_call>`;
    const local = createFakeBackend(
      Array.from({ length: 50 }, (_, n) => ({ type: 'assistant' as const, text: turn(n), chunks: [...turn(n)], match: `question ${n}.` })),
      { delayMs: 1 },
    );
    const remote = await startFakeAnthropic((request) => ({ message: { content: [{ type: 'text', text: `cloud ${JSON.stringify(request.body.messages).match(/question (\d+)/)?.[1]}` }] }, delayMs: 2 }));
    const proxy = await startProxy({ local, remote: remote.url });
    const tools: Anthropic.Tool[] = [{ name: 'Read', input_schema: { type: 'object' } }];
    try {
      const runs = Array.from({ length: 100 }, async (_, n) => {
        const isLocal = n < 50;
        const ask = { model: isLocal ? 'claude-haiku-4-5' : 'claude-sonnet-5-5', max_tokens: 500, tools, messages: [{ role: 'user' as const, content: `question ${n % 50}.` }] };
        const message = await proxy.client.messages.stream(ask).finalMessage();
        if (isLocal) {
          assert.deepEqual(message.content[1], { type: 'tool_use', id: (message.content[1] as { id: string }).id, name: 'Read', input: { file_path: `/f${n}.ts` } });
        } else {
          assert.deepEqual(message.content, [{ type: 'text', text: `cloud ${n - 50}` }]);
        }
      });
      await Promise.all(runs);
      const stats = proxy.server.stats.snapshot();
      assert.equal(stats.routes.local.requests, 50);
      assert.equal(stats.routes.remote.requests, 50);
      assert.equal(stats.routes.local.errors + stats.routes.remote.errors, 0);
    } finally {
      await proxy.close();
      await remote.close();
    }
  });
});
