// The HTTP server over a scripted engine: the exact dialect the engine receives, tool calls
// in JSON and SSE answers (read by the official openai client too), the raw-text memory,
// stop strings, bad input, the API key, loading and shutdown.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { LocoError } from '../../src/errors.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { GREP_TOOL, READ_TOOL, readEvents, TOOL_CONVERSATION, TOOL_CONVERSATION_DIALECT } from './fixtures.js';
import { createFakeEngine, type FakeTurn } from './fake-engine.js';

const CALLS_OUTPUT = ['Let me ', 'look.\n<tool_', 'call>\n{"name": "Grep", "arguments": {"pattern": "main"}}\n</tool_call>\n', '<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.ts"}}\n</tool_call>'];

interface Started {
  server: RunningServer;
  engine: ReturnType<typeof createFakeEngine>;
  log: string[];
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
}

const running: RunningServer[] = [];
after(async () => {
  for (const server of running) await server.close();
});

async function start(turns: FakeTurn[], options: { apiKey?: string; loadMs?: number } = {}): Promise<Started> {
  const engine = createFakeEngine(turns, { loadMs: options.loadMs });
  const log: string[] = [];
  const server = await startServer({ modelPath: '/models/fake-model.gguf', port: 0, engine, apiKey: options.apiKey, log: (line) => log.push(line), shutdownGraceMs: 2000 });
  running.push(server);
  if (!options.loadMs) await server.ready;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { server, engine, log, post };
}

async function waitUntil(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    assert.ok(Date.now() < deadline, 'timed out');
    await sleep(5);
  }
}

interface Chunk {
  choices: { delta: { content?: string; tool_calls?: { index: number; id: string; function: { name: string; arguments: string } }[] }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number };
  timings?: { cache_n: number };
}

describe('loco serve over a scripted engine', () => {
  it('renders tools and tool messages per the dialect, and answers with tool_calls (JSON)', async () => {
    const { engine, post, server } = await start([{ chunks: CALLS_OUTPUT }]);
    const response = await post({ model: 'anything', messages: TOOL_CONVERSATION, tools: [GREP_TOOL, READ_TOOL], temperature: 0 });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { model: string; choices: { message: { content: string | null; tool_calls: { id: string; type: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[] };
    assert.deepEqual(engine.requests[0].messages, TOOL_CONVERSATION_DIALECT);
    assert.equal(engine.requests[0].constrainToolCalls, false);
    assert.equal(body.model, 'fake-model');
    const [choice] = body.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, 'Let me look.');
    assert.deepEqual(
      choice.message.tool_calls.map((call) => [call.type, call.function.name, JSON.parse(call.function.arguments)]),
      [
        ['function', 'Grep', { pattern: 'main' }],
        ['function', 'Read', { file_path: 'a.ts' }],
      ],
    );
    assert.ok(choice.message.tool_calls.every((call) => /^call_[0-9a-f]{24}$/.test(call.id)));
    assert.notEqual(choice.message.tool_calls[0].id, choice.message.tool_calls[1].id);
    assert.ok(server.url.startsWith('http://127.0.0.1:'));
  });

  it('streams text at once and each tool call when it is parsed, then finish_reason, usage and [DONE]', async () => {
    const { post } = await start([{ chunks: CALLS_OUTPUT, promptTokens: 40, cachedTokens: 30 }]);
    const response = await post({ messages: [{ role: 'user', content: 'q' }], tools: [GREP_TOOL, READ_TOOL], stream: true, stream_options: { include_usage: true } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = await readEvents(response);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1) as Chunk[];
    const kinds = chunks.map((chunk) => {
      const choice = chunk.choices[0];
      if (!choice) return 'usage';
      if (choice.finish_reason) return `finish:${choice.finish_reason}`;
      if (choice.delta.tool_calls) return `call:${choice.delta.tool_calls[0].index}:${choice.delta.tool_calls[0].function.name}`;
      return `text:${choice.delta.content}`;
    });
    assert.deepEqual(kinds, ['text:', 'text:Let me', 'text: look.', 'call:0:Grep', 'call:1:Read', 'finish:tool_calls', 'usage']);
    const usage = chunks.at(-1);
    assert.deepEqual(usage?.usage, { prompt_tokens: 40, completion_tokens: CALLS_OUTPUT.join('').length, total_tokens: 40 + CALLS_OUTPUT.join('').length, prompt_tokens_details: { cached_tokens: 30 } });
    assert.equal(chunks.at(-2)?.timings?.cache_n, 30);
  });

  it('is read by the official openai client, streaming and not, tool calls included', async () => {
    const { server } = await start([{ chunks: CALLS_OUTPUT }, { chunks: CALLS_OUTPUT }]);
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const tools = [GREP_TOOL, READ_TOOL] as unknown as OpenAI.Chat.Completions.ChatCompletionTool[];
    const plain = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'q' }], tools });
    const streamed = await client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'q' }], tools }).finalChatCompletion();
    for (const completion of [plain, streamed]) {
      const message = completion.choices[0].message;
      assert.equal(completion.choices[0].finish_reason, 'tool_calls');
      assert.equal(message.content, 'Let me look.');
      assert.deepEqual(
        message.tool_calls?.map((call) => (call.type === 'function' ? [call.function.name, call.function.arguments] : [])),
        [
          ['Grep', '{"pattern":"main"}'],
          ['Read', '{"file_path":"a.ts"}'],
        ],
      );
    }
  });

  it("renders the next turn with the model's raw text when the client echoes the answer back", async () => {
    const raw = 'Looking.\n\n<tool_call>\n{"name": "Grep",  "arguments": {"pattern": "x"}}\n</tool_call>\n';
    const { engine, post } = await start([{ chunks: [raw] }, { chunks: ['Done.'] }]);
    const question = [{ role: 'user', content: 'q' }];
    const first = (await (await post({ messages: question, tools: [GREP_TOOL] })).json()) as { choices: { message: Record<string, unknown> }[] };
    const answer = first.choices[0].message;
    assert.equal(answer.content, 'Looking.');
    const second = await post({ messages: [...question, answer, { role: 'tool', tool_call_id: 'x', content: 'none' }], tools: [GREP_TOOL] });
    assert.equal(second.status, 200);
    assert.equal(engine.requests[1].messages[2].content, raw);
    assert.equal(engine.requests[1].messages[3].content, '<tool_response>\nnone\n</tool_response>');
  });

  it('ends at a stop string, aborting the engine, in both answer forms', async () => {
    const chunks = ['Hello', ' wor', 'ld ST', 'OP more', ' and', ' more'];
    const { engine, post } = await start([{ chunks }, { chunks }]);
    const json = (await (await post({ messages: [{ role: 'user', content: 'q' }], stop: ['STOP'] })).json()) as { choices: { message: { content: string }; finish_reason: string }[] };
    assert.deepEqual([json.choices[0].message.content, json.choices[0].finish_reason], ['Hello world ', 'stop']);
    const events = (await readEvents(await post({ messages: [{ role: 'user', content: 'q' }], stop: 'STOP', stream: true }))).slice(0, -1) as Chunk[];
    assert.equal(events.map((chunk) => chunk.choices[0].delta.content ?? '').join(''), 'Hello world ');
    assert.equal(events.at(-1)?.choices[0].finish_reason, 'stop');
    assert.equal(engine.aborted, 2);
  });

  it('answers bad input with OpenAI-shaped 400/404/405/413 errors and stays up', async () => {
    const { server, post, engine } = await start([]);
    const expectError = async (response: Response, status: number, pattern: RegExp, type = 'invalid_request_error') => {
      assert.equal(response.status, status);
      const body = (await response.json()) as { error: { message: string; type: string } };
      assert.equal(body.error.type, type);
      assert.match(body.error.message, pattern);
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
    };
    await expectError(await post('{"messages": ['), 400, /not valid JSON/);
    await expectError(await post(''), 400, /body is empty/);
    await expectError(await post({ messages: [] }), 400, /at least one message/);
    await expectError(await post({ messages: [{ role: 'user', content: 'q' }], colour: 'red' }), 400, /unknown field "colour"; accepted fields: /);
    await expectError(await post({ messages: [{ role: 'user', content: 'q' }], n: 3 }), 400, /only n = 1/);
    await expectError(await post({ messages: [{ role: 'user', content: 'q' }], max_tokens: 'many' }), 400, /^max_tokens: /);
    await expectError(await post({ messages: [{ role: 'user', content: 'q' }], grammar: 'root ::= "x"' }), 400, /GBNF grammars are not supported/);
    await expectError(await post({ messages: [{ role: 'user', content: 'x'.repeat(17 * 1024 * 1024) }] }), 413, /larger than 16777216 bytes/);
    await expectError(await fetch(`${server.url}/v1/completions`, { method: 'POST', body: '{}' }), 404, /no route POST \/v1\/completions/, 'not_found_error');
    await expectError(await fetch(`${server.url}/nope?secret=1`), 404, /no route GET \/nope:/, 'not_found_error');
    await expectError(await fetch(`${server.url}/v1/chat/completions`), 405, /GET is not allowed/);
    assert.equal(engine.requests.length, 0);
  });

  it('reports engine errors before output as HTTP errors, even when streaming', async () => {
    const overflow = new LocoError('context-overflow', 'the prompt is 5000 tokens but the context holds 1024 (n_ctx 1024): shorten the conversation or raise the context size');
    const { post } = await start([{ error: overflow }, { error: new LocoError('usage', 'cannot build a grammar for the request: bad') }]);
    const first = await post({ messages: [{ role: 'user', content: 'q' }], stream: true });
    assert.equal(first.status, 400);
    assert.deepEqual(((await first.json()) as { error: Record<string, unknown> }).error, {
      code: 400,
      type: 'exceed_context_size_error',
      message: 'the request exceeds the available context size: the prompt is 5000 tokens but the context holds 1024 (n_ctx 1024): shorten the conversation or raise the context size',
      n_prompt_tokens: 5000,
      n_ctx: 1024,
    });
    const second = await post({ messages: [{ role: 'user', content: 'q' }], response_format: { type: 'json_object' } });
    assert.equal(second.status, 400);
  });

  it('requires the API key where configured (not for /health) and never logs it or the messages', async () => {
    const key = 'sk-test-very-secret';
    const { server, post, log } = await start([{ chunks: ['fine'] }], { apiKey: key });
    assert.equal((await post({ messages: [{ role: 'user', content: 'private words' }] })).status, 401);
    const wrong = await post({ messages: [{ role: 'user', content: 'private words' }] }, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: { type: string } }).error.type, 'authentication_error');
    assert.equal((await fetch(`${server.url}/v1/models`)).status, 401);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    const ok = await post({ messages: [{ role: 'user', content: 'private words' }] }, { authorization: `Bearer ${key}` });
    assert.equal(ok.status, 200);
    await ok.text();
    assert.equal(log.length, 5);
    assert.match(log.at(-1) ?? '', /^POST \/v1\/chat\/completions 200 \d+ms prompt=10 cached=0 completion=4$/);
    assert.ok(log.every((line) => !line.includes(key) && !line.includes('private') && !line.includes('fine')));
  });

  it('answers 503 on /health while the model loads, then ok', async () => {
    const { server } = await start([], { loadMs: 300 });
    const loading = await fetch(`${server.url}/health`);
    assert.equal(loading.status, 503);
    assert.equal(((await loading.json()) as { error: { type: string } }).error.type, 'unavailable_error');
    await server.ready;
    assert.deepEqual(await (await fetch(`${server.url}/health`)).json(), { status: 'ok' });
  });

  it('aborts the generation of a non-streaming client that leaves, and survives a body cut short', async () => {
    const { server, engine, log } = await start([{ chunks: Array.from({ length: 100 }, () => 'x'), delayMs: 10 }]);
    const controller = new AbortController();
    const request = fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'q' }] }), signal: controller.signal });
    // Abort mid-generation: once the engine is busy with it (100 chunks, 10 ms apart).
    await waitUntil(() => engine.requests.length === 1 && engine.stats().busy === 1);
    controller.abort();
    await assert.rejects(request);
    await waitUntil(() => log.some((line) => line.startsWith('POST /v1/chat/completions 499 ')));
    assert.equal(engine.aborted, 1);
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    // `expect: 100-continue`: node answers "100 Continue" once the request reached the handler,
    // so the body is cut short only after the server is reading it.
    const continued = new Promise((resolve) => socket.once('data', resolve));
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\nexpect: 100-continue\r\n\r\n');
    assert.match(String(await continued), /^HTTP\/1\.1 100 Continue/);
    socket.write('{"messages"');
    await waitUntil(() => engine.stats().busy === 0 && log.length === 1);
    socket.destroy();
    await waitUntil(() => log.filter((line) => line.startsWith('POST /v1/chat/completions 499 ')).length === 2);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  it('shuts down with a stream in flight: the stream ends with an error event, close resolves', async () => {
    const { server, post, engine } = await start([{ chunks: Array.from({ length: 200 }, () => 'x'), delayMs: 10 }]);
    const response = await post({ messages: [{ role: 'user', content: 'q' }], stream: true });
    const reader = response.body?.getReader();
    assert.ok(reader);
    await reader.read();
    await server.close();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    assert.match(rest, /"type":"unavailable_error"/);
    assert.match(rest, /shutting down/);
    assert.equal(engine.aborted, 1);
    await assert.rejects(fetch(`${server.url}/health`));
  });
});
