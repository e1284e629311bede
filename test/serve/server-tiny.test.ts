// `loco serve` over the real embedded engine on the tiny random-weight model (one thread,
// 2048 tokens, two slots): the official openai client, loco's own HTTP backend with KV reuse
// across turns, forced tool calls, overflow, queueing, client disconnects, the info routes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { createOpenAICompatibleBackend } from '../../src/backends/openai-compatible.js';
import type { BackendEvent } from '../../src/backends/types.js';
import type { ChatMessage, Sampling } from '../../src/protocol/messages.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { tinyGgufPath } from '../support/tiny-gguf.js';
import { readEvents } from './fixtures.js';

const greedy: Sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 32 };
const SYSTEM = 'You are an agent built on an agent SDK. You explore code bases and answer with file paths and line numbers. '.repeat(3);

/** Tools with short strings, so grammar-forced calls on a random model stay small. */
const SHORT_TOOLS = [
  { type: 'function', function: { name: 'Grep', description: 'Search.', parameters: { type: 'object', properties: { pattern: { type: 'string', maxLength: 12 } }, required: ['pattern'] } } },
  { type: 'function', function: { name: 'Read', description: 'Read.', parameters: { type: 'object', properties: { file_path: { type: 'string', maxLength: 12 }, limit: { type: 'integer', minimum: 1, maximum: 9 } }, required: ['file_path'] } } },
] as const;

/** A forced JSON string answer: long, steady generation on the tiny model. */
const longAnswer = (length: number) => ({ type: 'json_schema', json_schema: { name: 'long', schema: { type: 'string', minLength: length, maxLength: length } } });

interface Props {
  default_generation_settings: { n_ctx: number };
  total_slots: number;
  slots_in_use: number;
  requests_waiting: number;
}

describe('loco serve on the tiny model', () => {
  let server: RunningServer;
  const log: string[] = [];
  const props = async (): Promise<Props> => (await (await fetch(`${server.url}/props`)).json()) as Props;
  const post = (body: unknown, signal?: AbortSignal) => fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

  before(async () => {
    server = await startServer({ modelPath: await tinyGgufPath(), port: 0, threads: 1, contextSize: 2048, parallel: 2, gpuLayers: 0, log: (line) => log.push(line) });
    await server.ready;
  });
  after(async () => {
    await server.close();
  });

  it('answers /health, /v1/models and /props', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/health`)).json(), { status: 'ok' });
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { object: string; data: { id: string; object: string; meta: { n_ctx: number } }[] };
    assert.equal(models.object, 'list');
    assert.deepEqual(models.data.map((model) => [model.id, model.object, model.meta.n_ctx]), [['tiny', 'model', 2048]]);
    const info = await props();
    assert.equal(info.default_generation_settings.n_ctx, 2048);
    assert.equal(info.total_slots, 2);
    assert.equal(info.slots_in_use, 0);
    assert.equal(info.requests_waiting, 0);
  });

  it('serves the official openai client: the same text at temperature 0, streaming or not', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const request = { model: 'tiny', messages: [{ role: 'system' as const, content: SYSTEM }, { role: 'user' as const, content: 'Where is main defined?' }], temperature: 0, max_tokens: 24 };
    const whole = await client.chat.completions.create(request);
    const text = whole.choices[0].message.content ?? '';
    assert.ok(text.length > 0);
    assert.ok(whole.usage && whole.usage.completion_tokens > 0 && whole.usage.prompt_tokens > 0);
    let streamed = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    for await (const chunk of await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(streamed, text);
    assert.equal(finish, whole.choices[0].finish_reason);
    assert.equal(usage?.completion_tokens, whole.usage.completion_tokens);
    // The second request reused the first one's prompt from the slot's KV cache.
    assert.ok((usage?.prompt_tokens_details?.cached_tokens ?? 0) > 0, JSON.stringify(usage));
  });

  it("serves loco's own HTTP backend: n_ctx from /props, cached tokens visible on the second turn", async () => {
    const backend = createOpenAICompatibleBackend({ baseUrl: `${server.url}/v1`, retries: { maxRetries: 0 } });
    try {
      const finished = async (stream: AsyncIterable<BackendEvent>) => {
        let text = '';
        for await (const event of stream) {
          if (event.type === 'text-delta') text += event.text;
          else if (event.type === 'finish') return { ...event, deltas: text };
          else assert.fail(event.error.message);
        }
        assert.fail('no finish');
      };
      const messages: ChatMessage[] = [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: 'Which file holds the answer to the KV question?' },
      ];
      const turn1 = await finished(backend.stream({ messages, sampling: greedy }));
      assert.equal(backend.info.contextSize, 2048);
      assert.equal(turn1.deltas, turn1.text);
      const next: ChatMessage[] = [...messages, { role: 'assistant', content: turn1.text }, { role: 'user', content: '<tool_response>\nsrc/app.ts\n</tool_response>' }];
      const turn2 = await finished(backend.stream({ messages: next, sampling: greedy }));
      assert.ok(turn2.usage.cachedTokens >= turn1.usage.promptTokens + turn1.usage.completionTokens - 1, JSON.stringify([turn1.usage, turn2.usage]));
      assert.ok(turn2.usage.promptTokens > turn2.usage.cachedTokens);
    } finally {
      await backend.close();
    }
  });

  it('forces a grammar-valid tool call with tool_choice required, as tool_calls streaming and not', async () => {
    const request = { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Find main.' }], tools: SHORT_TOOLS, tool_choice: 'required', temperature: 0, max_tokens: 200 };
    const whole = (await (await post(request)).json()) as { choices: { message: { content: string | null; tool_calls: { id: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[] };
    const [choice] = whole.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    assert.equal(choice.message.tool_calls.length, 1);
    const [call] = choice.message.tool_calls;
    assert.ok(['Grep', 'Read'].includes(call.function.name));
    const args = JSON.parse(call.function.arguments) as Record<string, unknown>;
    assert.equal(typeof (args.pattern ?? args.file_path), 'string');

    const chunks = (await readEvents(await post({ ...request, stream: true }))).slice(0, -1) as { choices: { delta: { tool_calls?: { index: number; id: string; function: { name: string; arguments: string } }[] }; finish_reason: string | null }[] }[];
    const calls = chunks.flatMap((chunk) => chunk.choices[0].delta.tool_calls ?? []);
    assert.deepEqual(
      calls.map((streamed) => [streamed.index, streamed.function.name, streamed.function.arguments]),
      [[0, call.function.name, call.function.arguments]],
    );
    assert.equal(chunks.at(-1)?.choices[0].finish_reason, 'tool_calls');
  });

  it('answers a prompt over the context with llama.cpp exceed_context_size_error, which loco reads as overflow', async () => {
    const messages = [{ role: 'user', content: 'q'.repeat(9000) }];
    const response = await post({ messages });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as { error: { code: number; type: string; n_prompt_tokens: number; n_ctx: number; message: string } };
    assert.equal(error.code, 400);
    assert.equal(error.type, 'exceed_context_size_error');
    assert.equal(error.n_ctx, 2048);
    assert.ok(error.n_prompt_tokens > 2048, JSON.stringify(error));
    const backend = createOpenAICompatibleBackend({ baseUrl: `${server.url}/v1`, retries: { maxRetries: 0 } });
    try {
      const events: BackendEvent[] = [];
      for await (const event of backend.stream({ messages: messages as ChatMessage[], sampling: greedy })) events.push(event);
      const last = events.at(-1);
      assert.equal(last?.type === 'error' ? last.error.code : last?.type, 'context-overflow');
    } finally {
      await backend.close();
    }
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  it('answers a prompt of 200k+ tokens with the same 400, not a stack overflow', async () => {
    // Words separated by spaces: about one token each on the tiny model's vocabulary.
    const content = Array.from({ length: 250_000 }, (_, index) => `w${index % 997}`).join(' ');
    const response = await post({ messages: [{ role: 'user', content }] });
    const body = (await response.json()) as { error: { type: string; n_prompt_tokens: number; n_ctx: number; message: string } };
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.error.type, 'exceed_context_size_error');
    assert.ok(body.error.n_prompt_tokens > 200_000, JSON.stringify(body.error));
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  });

  it('runs 2 requests at once with --parallel 2; 4 concurrent requests queue and all succeed', async () => {
    let busiest = 0;
    let queued = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const info = await props();
        busiest = Math.max(busiest, info.slots_in_use);
        queued = Math.max(queued, info.requests_waiting);
        await sleep(5);
      }
    })();
    const responses = await Promise.all(
      [1, 2, 3, 4].map(async (index) => {
        const response = await post({ messages: [{ role: 'user', content: `Parallel question ${index}` }], response_format: longAnswer(400), temperature: 0 });
        return { status: response.status, body: (await response.json()) as { choices: { message: { content: string } }[] } };
      }),
    );
    polling = false;
    await poller;
    for (const { status, body } of responses) {
      assert.equal(status, 200);
      assert.equal((JSON.parse(body.choices[0].message.content) as string).length, 400);
    }
    assert.equal(busiest, 2);
    assert.ok(queued >= 1, `no request waited (busiest ${busiest})`);
    assert.equal((await props()).slots_in_use, 0);
  });

  it('aborts the generation of a client that disconnects mid-stream; the slot frees and later requests work', async () => {
    const controller = new AbortController();
    const response = await post({ messages: [{ role: 'user', content: 'Write a long answer.' }], response_format: longAnswer(1900), temperature: 0, stream: true }, controller.signal);
    assert.equal(response.status, 200);
    const reader = response.body?.getReader();
    assert.ok(reader);
    let received = '';
    while (!received.includes('"content":"\\"')) received += new TextDecoder().decode((await reader.read()).value);
    assert.equal((await props()).slots_in_use, 1);
    const abortedAt = performance.now();
    controller.abort();
    await reader.cancel().catch(() => undefined);
    while ((await props()).slots_in_use !== 0) {
      assert.ok(performance.now() - abortedAt < 5000, 'the slot was not freed');
      await sleep(10);
    }
    // The access log line is written once the request's handler returns, after the slot frees.
    const abortedLine = () => [...log].reverse().find((entry) => entry.startsWith('POST /v1/chat/completions 499 '));
    while (abortedLine() === undefined) {
      assert.ok(performance.now() - abortedAt < 10_000, log.join('\n'));
      await sleep(10);
    }
    const line = abortedLine() ?? '';
    const completion = Number(/completion=(\d+)/.exec(line)?.[1]);
    assert.ok(completion > 0 && completion < 1000, line);
    const later = await post({ messages: [{ role: 'user', content: 'Still there?' }], max_tokens: 8, temperature: 0 });
    assert.equal(later.status, 200);
    await later.json();
  });
});
