// The OpenAI-compatible backend against an in-process replay server: parsed events and the
// exact outgoing request body, retries, timeouts, errors and abort.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { createOpenAICompatibleBackend, serverPresets, type OpenAICompatibleOptions } from '../../src/backends/openai-compatible.js';
import type { Backend, BackendEvent, BackendRequest } from '../../src/backends/types.js';
import { LocoError } from '../../src/errors.js';
import { mergeUsage, retryAfterMs, type UsageReport } from '../../src/backends/openai-wire.js';
import { chunkEvent, startReplayServer, type ReplayResponse, type ReplayServer } from '../support/openai-replay-server.js';
import { collect } from '../support/collect.js';

const request: BackendRequest = {
  messages: [
    { role: 'system', content: 'You are an agent.' },
    { role: 'user', content: 'Where is main?' },
    { role: 'assistant', content: 'Looking.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "main"}}\n</tool_call>' },
    { role: 'user', content: '<tool_response>\nFound 1 file\nsrc/main.ts\n</tool_response>' },
  ],
  sampling: { temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 512 },
};

const fast = { retries: { baseDelayMs: 1, maxDelayMs: 50 }, timeouts: { connectMs: 1000, firstTokenMs: 2000, idleMs: 2000 } };
const noProps = { ...serverPresets.llamacpp, readsProps: false };

let server: ReplayServer | undefined;
let backend: Backend | undefined;
afterEach(async () => {
  await backend?.close();
  await server?.close();
  backend = undefined;
  server = undefined;
});

async function setup(responses: ReplayResponse[], options: Partial<OpenAICompatibleOptions> = {}): Promise<Backend> {
  server = await startReplayServer(responses);
  backend = createOpenAICompatibleBackend({ baseUrl: server.url, capabilities: noProps, ...fast, ...options });
  return backend;
}

function lastError(events: BackendEvent[]): LocoError {
  const last = events.at(-1);
  assert.equal(last?.type, 'error', `expected a final error, got ${JSON.stringify(last)}`);
  return (last as { error: LocoError }).error;
}

describe('openai-compatible backend: streaming', () => {
  it('streams deltas, finishes with the full text and llama.cpp timings usage, and sends the exact body', async () => {
    const b = await setup([{ deltas: ['Hel', 'lo <tool', '_call>'], timings: { prompt_n: 30, cache_n: 70, predicted_n: 5 } }]);
    const events = await collect(b.stream(request));
    assert.deepEqual(events, [
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo <tool' },
      { type: 'text-delta', text: '_call>' },
      { type: 'finish', reason: 'stop', usage: { promptTokens: 100, cachedTokens: 70, completionTokens: 5 }, text: 'Hello <tool_call>' },
    ]);
    assert.deepEqual(server?.requests, [
      {
        model: 'LocoOperator-4B',
        messages: request.messages,
        temperature: 0.7,
        top_p: 0.8,
        top_k: 20,
        max_tokens: 512,
        stream: true,
        stream_options: { include_usage: true },
      },
    ]);
  });

  it('reads usage with prompt_tokens_details.cached_tokens (vLLM/OpenAI style) and omits top_k when the server lacks it', async () => {
    const usage = { prompt_tokens: 200, completion_tokens: 9, total_tokens: 209, prompt_tokens_details: { cached_tokens: 128 } };
    const b = await setup([{ deltas: ['ok'], usage }], { capabilities: serverPresets.openai, model: 'gpt-x', apiKey: 'sk-test-123' });
    const events = await collect(b.stream(request));
    assert.deepEqual(events.at(-1), { type: 'finish', reason: 'stop', usage: { promptTokens: 200, cachedTokens: 128, completionTokens: 9 }, text: 'ok' });
    const body = server?.requests[0] as Record<string, unknown>;
    assert.equal('top_k' in body, false);
    assert.equal(body.model, 'gpt-x');
    assert.equal(server?.headers[0].authorization, 'Bearer sk-test-123');
  });

  it('prefers the model named in the request and ignores timings when the server reports cache in usage', async () => {
    const b = await setup([{ deltas: ['x'], usage: { prompt_tokens: 10, completion_tokens: 1 }, timings: { cache_n: 9 } }], { capabilities: serverPresets.vllm });
    const events = await collect(b.stream({ ...request, model: 'other' }));
    assert.deepEqual(events.at(-1), { type: 'finish', reason: 'stop', usage: { promptTokens: 10, cachedTokens: 0, completionTokens: 1 }, text: 'x' });
    assert.equal((server?.requests[0] as { model: string }).model, 'other');
  });

  it('parses events split across writes, mid-JSON and mid-line, ignoring comments and role-only chunks', async () => {
    const first = chunkEvent({ content: 'ab' });
    const second = chunkEvent({ content: 'c"d' });
    const sse = [': keepalive\n\n', chunkEvent({ role: 'assistant' }), first.slice(0, 17), first.slice(17, 30), first.slice(30), second.slice(0, second.length - 1), '\n', chunkEvent({ content: '' }, 'length'), 'data: [DON', 'E]\n\n'];
    const b = await setup([{ sse }]);
    const events = await collect(b.stream(request));
    assert.deepEqual(events, [
      { type: 'text-delta', text: 'ab' },
      { type: 'text-delta', text: 'c"d' },
      // No usage reported: estimated as ceil(chars / 4).
      { type: 'finish', reason: 'length', usage: { promptTokens: 43, cachedTokens: 0, completionTokens: 2 }, text: 'abc"d' },
    ]);
  });

  it('accepts a stream that ends after finish_reason without [DONE], and a last event without its blank line', async () => {
    const b = await setup([{ sse: [chunkEvent({ content: 'hi' }), chunkEvent({}, 'stop').trimEnd()] }]);
    const events = await collect(b.stream(request));
    assert.deepEqual(events.map((event) => event.type), ['text-delta', 'finish']);
  });

  it('reports an error object sent inside the stream after tokens as a final error', async () => {
    const b = await setup([{ sse: [chunkEvent({ content: 'par' }), 'data: {"error":{"message":"model crashed","code":500}}\n\n'] }]);
    const events = await collect(b.stream(request));
    assert.deepEqual(events[0], { type: 'text-delta', text: 'par' });
    const error = lastError(events);
    assert.equal(error.code, 'backend-http');
    assert.match(error.message, /sent an error inside the stream: model crashed/);
    assert.equal(server?.requests.length, 1);
  });

  it('reads a JSON answer even when streaming was asked for', async () => {
    const b = await setup([{ json: { choices: [{ message: { role: 'assistant', content: 'whole' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } } }]);
    const events = await collect(b.stream(request));
    assert.deepEqual(events, [
      { type: 'text-delta', text: 'whole' },
      { type: 'finish', reason: 'stop', usage: { promptTokens: 3, cachedTokens: 0, completionTokens: 1 }, text: 'whole' },
    ]);
  });
});

describe('openai wire helpers', () => {
  it('reads llama.cpp cache from timings over prompt_tokens_details in any chunk order, and details alone when no timings', () => {
    const usage = { prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 1 } };
    const timingsFirst: UsageReport = {};
    mergeUsage(timingsFirst, { timings: { cache_n: 60, prompt_n: 40, predicted_n: 5 } }, 'timings');
    mergeUsage(timingsFirst, { usage }, 'timings');
    assert.deepEqual(timingsFirst, { promptTokens: 100, cachedTokens: 60, completionTokens: 5 });
    const detailsOnly: UsageReport = {};
    mergeUsage(detailsOnly, { usage }, 'timings');
    assert.deepEqual(detailsOnly, { promptTokens: 100, cachedTokens: 1, completionTokens: 5 });
    const none: UsageReport = {};
    mergeUsage(none, { usage, timings: { cache_n: 60 } }, 'none');
    assert.deepEqual(none, { promptTokens: 100, completionTokens: 5 });
  });

  it('parses retry-after-ms, retry-after seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now), 250);
    assert.equal(retryAfterMs({ 'retry-after': '2' }, now), 2000);
    assert.equal(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now), 3000);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(retryAfterMs({}, now), undefined);
  });
});

describe('openai-compatible backend: non-streaming', () => {
  it('sends stream false and emits one delta then finish, mapping length', async () => {
    const json = { choices: [{ message: { role: 'assistant', content: 'all at once' }, finish_reason: 'length' }], usage: { prompt_tokens: 50, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 32 } } };
    const b = await setup([{ json }], { stream: false, capabilities: serverPresets.openrouter });
    const events = await collect(b.stream(request));
    assert.deepEqual(events, [
      { type: 'text-delta', text: 'all at once' },
      { type: 'finish', reason: 'length', usage: { promptTokens: 50, cachedTokens: 32, completionTokens: 4 }, text: 'all at once' },
    ]);
    const body = server?.requests[0] as Record<string, unknown>;
    assert.equal(body.stream, false);
    assert.equal('stream_options' in body, false);
    assert.equal(body.top_k, 20);
  });

  it('rejects a JSON body that is not a chat completion', async () => {
    const b = await setup([{ json: { hello: 'world' } }], { stream: false });
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'backend-protocol');
    assert.match(error.message, /not a chat completion: \{"hello":"world"\}/);
  });
});

describe('openai-compatible backend: retries', () => {
  it('retries 429 and 503 then succeeds, honouring retry-after-ms', async () => {
    const b = await setup([
      { status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after-ms': '150' } },
      { status: 503, body: 'busy' },
      { deltas: ['done'] },
    ], { retries: { baseDelayMs: 1, maxDelayMs: 5000 } });
    const started = Date.now();
    const events = await collect(b.stream(request));
    assert.ok(Date.now() - started >= 150, 'waited for retry-after-ms');
    assert.deepEqual(events.map((event) => event.type), ['text-delta', 'finish']);
    assert.equal(server?.requests.length, 3);
    assert.deepEqual(server?.requests[2], server?.requests[0]);
  });

  it('honours Retry-After in seconds', async () => {
    const b = await setup([{ status: 429, body: 'wait', headers: { 'retry-after': '1' } }, { deltas: ['ok'] }], { retries: { baseDelayMs: 1, maxDelayMs: 5000 } });
    const started = Date.now();
    const events = await collect(b.stream(request));
    assert.ok(Date.now() - started >= 1000, 'waited a second');
    assert.equal(events.at(-1)?.type, 'finish');
  });

  it('gives up after maxRetries with the status and server message', async () => {
    const b = await setup([{ status: 500, body: { error: { message: 'boom' } } }, { status: 500, body: { error: { message: 'boom' } } }, { status: 500, body: { error: { message: 'boom' } } }], { retries: { maxRetries: 2, baseDelayMs: 1 } });
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'backend-http');
    assert.equal(error.status, 500);
    assert.equal(error.message, `${server?.url}/chat/completions answered HTTP 500: boom (gave up after 2 retries)`);
    assert.equal(server?.requests.length, 3);
  });

  it('retries a connection dropped before the first token', async () => {
    const b = await setup([{ destroy: true }, { deltas: ['again'] }]);
    const events = await collect(b.stream(request));
    assert.deepEqual(events.at(-1), { type: 'finish', reason: 'stop', usage: { promptTokens: 43, cachedTokens: 0, completionTokens: 2 }, text: 'again' });
    assert.equal(server?.requests.length, 2);
  });

  it('never retries after a token arrived: a dropped connection is a final error', async () => {
    const b = await setup([{ destroy: true, deltas: ['partial'] }, { deltas: ['should not be used'] }]);
    const events = await collect(b.stream(request));
    assert.deepEqual(events[0], { type: 'text-delta', text: 'partial' });
    const error = lastError(events);
    assert.equal(error.code, 'backend-unreachable');
    assert.match(error.message, /broke mid-answer after 7 characters/);
    assert.equal(server?.requests.length, 1);
  });
});

describe('openai-compatible backend: failures', () => {
  it('reports an unreachable port fast, naming the URL and the fix', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    backend = createOpenAICompatibleBackend({ baseUrl: `http://127.0.0.1:${port}/v1`, capabilities: serverPresets.llamacpp, ...fast });
    const started = Date.now();
    const events = await collect(backend.stream(request));
    assert.ok(Date.now() - started < 1000, 'fast');
    assert.equal(events.length, 1);
    const error = lastError(events);
    assert.equal(error.code, 'backend-unreachable');
    assert.equal(error.message, `cannot reach http://127.0.0.1:${port}/v1 (ECONNREFUSED): is the server running? start llama.cpp server or pass --backend URL (gave up after 3 retries)`);
  });

  it('maps llama.cpp context overflow to context-overflow without retrying', async () => {
    const body = { error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 9000, n_ctx: 8192 } };
    const b = await setup([{ status: 400, body }]);
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'context-overflow');
    assert.equal(error.status, 400);
    assert.match(error.message, /HTTP 400: the request exceeds the available context size, try increasing it: .*llama-server -c N/);
    assert.equal(server?.requests.length, 1);
  });

  it('maps a vLLM maximum context length 400 to context-overflow', async () => {
    const b = await setup([{ status: 400, body: { object: 'error', message: "This model's maximum context length is 16384 tokens. However, you requested 17000 tokens.", type: 'BadRequestError' } }]);
    assert.equal(lastError(await collect(b.stream(request))).code, 'context-overflow');
  });

  it('reports another 400 as backend-http with the status and an excerpt', async () => {
    const b = await setup([{ status: 400, body: { error: { message: 'bad temperature' } } }]);
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'backend-http');
    assert.equal(error.message, `${server?.url}/chat/completions answered HTTP 400: bad temperature`);
  });

  it('reports an HTML page as backend-protocol', async () => {
    const b = await setup([{ status: 200, body: '<html><body><h1>Welcome</h1></body></html>', headers: { 'content-type': 'text/html' } }]);
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'backend-protocol');
    assert.match(error.message, /answered an HTML page, not a chat completion: Welcome/);
  });

  it('reports non-JSON SSE data as backend-protocol', async () => {
    const b = await setup([{ sse: ['data: this is not json\n\n'] }]);
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'backend-protocol');
    assert.equal(error.message, `${server?.url}/chat/completions streamed data that is not JSON: this is not json`);
  });

  it('reports a plain text body with no events as backend-protocol', async () => {
    const b = await setup([{ status: 200, body: 'hello from some other service' }]);
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'backend-protocol');
    assert.match(error.message, /did not answer with server-sent events: hello from some other service/);
  });

  it('times out when no token comes, without retrying', async () => {
    const b = await setup([{ hang: true }, { deltas: ['unused'] }], { timeouts: { connectMs: 1000, firstTokenMs: 100, idleMs: 1000 } });
    const started = Date.now();
    const error = lastError(await collect(b.stream(request)));
    assert.ok(Date.now() - started < 1000);
    assert.equal(error.code, 'backend-timeout');
    assert.match(error.message, /sent no token within 100 ms/);
    assert.equal(server?.requests.length, 1);
  });

  it('times out when the stream goes idle mid-answer', async () => {
    const b = await setup([{ hang: true, deltas: ['a', 'b'] }], { timeouts: { connectMs: 1000, firstTokenMs: 1000, idleMs: 100 } });
    const events = await collect(b.stream(request));
    assert.deepEqual(events.slice(0, 2), [{ type: 'text-delta', text: 'a' }, { type: 'text-delta', text: 'b' }]);
    const error = lastError(events);
    assert.equal(error.code, 'backend-timeout');
    assert.match(error.message, /stopped sending for 100 ms mid-answer/);
  });

  it('finishes with reason aborted and the text so far when the signal aborts', async () => {
    const b = await setup([{ hang: true, deltas: ['so ', 'far'] }]);
    const controller = new AbortController();
    const events: BackendEvent[] = [];
    for await (const event of b.stream(request, controller.signal)) {
      events.push(event);
      if (events.length === 2) controller.abort();
    }
    assert.deepEqual(events.slice(0, 2), [{ type: 'text-delta', text: 'so ' }, { type: 'text-delta', text: 'far' }]);
    const last = events.at(-1);
    assert.equal(last?.type, 'finish');
    assert.equal(last?.type === 'finish' && last.reason, 'aborted');
    assert.equal(last?.type === 'finish' && last.text, 'so far');
  });

  it('finishes aborted at once when the signal is already aborted, sending nothing', async () => {
    const b = await setup([{ deltas: ['x'] }]);
    const events = await collect(b.stream(request, AbortSignal.abort()));
    assert.deepEqual(events.map((event) => event.type === 'finish' && event.reason), ['aborted']);
    assert.equal(server?.requests.length, 0);
  });

  it('sends the API key but never puts it in error messages, even when the server echoes it', async () => {
    const key = 'sk-secret-abcdef';
    const b = await setup([{ status: 401, body: { error: { message: `Incorrect API key provided: ${key}` } } }], { apiKey: key });
    const error = lastError(await collect(b.stream(request)));
    assert.equal(server?.headers[0].authorization, `Bearer ${key}`);
    assert.equal(error.code, 'backend-http');
    assert.equal(error.message.includes(key), false);
    assert.match(error.message, /HTTP 401: Incorrect API key provided: \[redacted\]: check the API key/);
    assert.equal(b.info.description.includes(key), false);
  });

  it('describes itself and reads the context size from llama.cpp /props', async () => {
    server = await startReplayServer([{ deltas: ['x'] }], { props: { default_generation_settings: { n_ctx: 16384 } } });
    backend = createOpenAICompatibleBackend({ baseUrl: server.url, capabilities: serverPresets.llamacpp, ...fast });
    assert.equal(backend.info.description, `openai-compatible ${server.url}`);
    assert.equal(backend.info.contextSize, undefined);
    await collect(backend.stream(request));
    assert.equal(backend.info.contextSize, 16384);
  });

  it('close is safe twice and later streams end in an error event', async () => {
    const b = await setup([]);
    await b.close();
    await b.close();
    const error = lastError(await collect(b.stream(request)));
    assert.equal(error.code, 'internal');
  });
});
