// The local route's reading of a request, through the official @anthropic-ai/sdk client and
// real HTTP: tool results placed in the slots of their calls whatever order the client sends
// them in (asserted on the prompt the local model received), and the requests the Messages
// API rejects answered with its 400 invalid_request_error naming the field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createFakeBackend } from '../../src/backends/fake.js';
import { renderToolResults } from '../../src/protocol/tool-call-codec.js';
import { startProxy, type ProxyHarness } from './harness.js';

const TOOLS: Anthropic.Tool[] = [
  { name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } },
  { name: 'Glob', description: 'Find files', input_schema: { type: 'object', properties: { pattern: { type: 'string' } } } },
  { name: 'Grep', description: 'Search', input_schema: { type: 'object', properties: { pattern: { type: 'string' } } } },
];
const BASE = { model: 'claude-haiku-4-5', max_tokens: 1000, tools: TOOLS };

/** An assistant turn calling Read (id r), Glob (id g) and Grep (id s), in that order. */
const CALLS: Anthropic.MessageParam = {
  role: 'assistant',
  content: [
    { type: 'text', text: 'Looking.' },
    { type: 'tool_use', id: 'toolu_r', name: 'Read', input: { file_path: '/a.ts' } },
    { type: 'tool_use', id: 'toolu_g', name: 'Glob', input: { pattern: '*.ts' } },
    { type: 'tool_use', id: 'toolu_s', name: 'Grep', input: { pattern: 'main' } },
  ],
};
const READ_OUT = '     1\tconst a = 1;';
/** Read results reach the model in the training line-number form. */
const READ_IN_DIALECT = '     1→const a = 1;';

function result(id: string, content: string): Anthropic.ToolResultBlockParam {
  return { type: 'tool_result', tool_use_id: id, content };
}

async function rejection(promise: Promise<unknown>): Promise<{ status: number; type: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Anthropic.APIError, String(error));
    const body = error.error as { type?: string; error?: { type?: string; message?: string } };
    assert.equal(body.type, 'error');
    return { status: error.status ?? 0, type: body.error?.type ?? '', message: body.error?.message ?? '' };
  }
  assert.fail('the request was accepted');
}

describe('loco proxy, local route: tool results follow the order of the calls', () => {
  const backend = createFakeBackend(Array.from({ length: 10 }, () => ({ type: 'assistant' as const, text: 'Done.' })));
  let proxy: ProxyHarness;
  before(async () => {
    proxy = await startProxy({ local: backend, remote: false });
  });
  after(() => proxy.close());

  /** The user turn after the assistant's calls, as the local model received it. */
  function resultsTurn(): string {
    const request = backend.requests.at(-1);
    assert.ok(request);
    assert.equal(request.messages[3]?.role, 'user');
    return request.messages[3].content;
  }

  it('puts results sent in completion order (Glob, Grep, Read) into the slots of Read, Glob, Grep', async () => {
    const message = await proxy.client.messages.create({
      ...BASE,
      messages: [{ role: 'user', content: 'where is main?' }, CALLS, { role: 'user', content: [result('toolu_g', 'a.ts\nb.ts'), result('toolu_s', 'a.ts:3:main'), result('toolu_r', READ_OUT)] }],
    });
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(resultsTurn(), renderToolResults([READ_IN_DIALECT, 'a.ts\nb.ts', 'a.ts:3:main']));
  });

  it('orders results split over consecutive user messages, with the text after them', async () => {
    await proxy.client.messages.create({
      ...BASE,
      messages: [
        { role: 'user', content: 'where is main?' },
        CALLS,
        { role: 'user', content: [result('toolu_s', 'a.ts:3:main')] },
        { role: 'user', content: [result('toolu_r', READ_OUT), { type: 'text', text: 'Be quick.' }, result('toolu_g', 'a.ts')] },
      ],
    });
    assert.equal(resultsTurn(), `${renderToolResults([READ_IN_DIALECT, 'a.ts', 'a.ts:3:main'])}\nBe quick.`);
  });

  it('rejects calls left without a result in the next user turn, as the API does, sending nothing to the model', async () => {
    const before = backend.requests.length;
    for (const reply of [
      { role: 'user' as const, content: [result('toolu_s', 'a.ts:3:main'), result('toolu_r', READ_OUT)] },
      { role: 'user' as const, content: 'stop, look elsewhere' },
    ]) {
      const error = await rejection(proxy.client.messages.create({ ...BASE, messages: [{ role: 'user', content: 'where is main?' }, CALLS, reply] }));
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, /messages\.2\.content: `tool_use` ids were found without `tool_result` blocks immediately after: (toolu_g|toolu_r, toolu_g, toolu_s)\. Each/);
    }
    assert.equal(backend.requests.length, before);
  });

  it('rejects a result whose tool_use_id names no call of the previous assistant message, as the API does', async () => {
    const before = backend.requests.length;
    const error = await rejection(
      proxy.client.messages.create({
        ...BASE,
        messages: [{ role: 'user', content: 'where is main?' }, CALLS, { role: 'user', content: [result('toolu_r', READ_OUT), result('toolu_nope', 'x')] }],
      }),
    );
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /^messages\.2\.content\.1\.tool_use_id: unexpected `tool_use_id` found in `tool_result` blocks: toolu_nope\./);
    // A result in the first user message answers nothing either; so does a second result for one call.
    const orphan = await rejection(proxy.client.messages.create({ ...BASE, messages: [{ role: 'user', content: [result('toolu_r', 'x')] }] }));
    assert.match(orphan.message, /^messages\.0\.content\.0\.tool_use_id: unexpected/);
    const twice = await rejection(
      proxy.client.messages.create({ ...BASE, messages: [{ role: 'user', content: 'q' }, CALLS, { role: 'user', content: [result('toolu_r', 'x'), result('toolu_r', 'y')] }] }),
    );
    assert.match(twice.message, /^messages\.2\.content\.1\.tool_use_id: each `tool_use` must have a single result/);
    assert.equal(backend.requests.length, before, 'nothing reached the local model');
  });
});

describe('loco proxy, local route: requests the Messages API rejects get its 400', () => {
  const backend = createFakeBackend([{ type: 'assistant', text: 'Hi.' }]);
  let proxy: ProxyHarness;
  before(async () => {
    proxy = await startProxy({ local: backend, remote: false });
  });
  after(() => proxy.close());

  const cases: { name: string; body: Record<string, unknown>; field: RegExp }[] = [
    { name: 'no messages', body: { messages: [] }, field: /^messages: at least one message is required$/ },
    { name: 'an empty string', body: { messages: [{ role: 'user', content: '' }] }, field: /^messages\.0\.content: user messages must have non-empty content/ },
    { name: 'an empty block list', body: { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: [] }] }, field: /^messages\.2\.content: user messages must have non-empty content/ },
    { name: 'an empty assistant turn before the last', body: { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [] }, { role: 'user', content: 'c' }] }, field: /^messages\.1\.content: assistant messages/ },
    { name: 'an unknown block type', body: { messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'video', url: 'x' }] }] }, field: /^messages\.0\.content\.1\.type: unknown content block type "video"/ },
    { name: 'an empty text block', body: { messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }, field: /^messages\.0\.content\.0\.text: text content blocks must be non-empty$/ },
    { name: 'tool_choice any without tools', body: { messages: [{ role: 'user', content: 'a' }], tool_choice: { type: 'any' } }, field: /^tool_choice: tool_choice may only be specified while providing tools$/ },
    { name: 'tool_choice naming no offered tool', body: { tools: TOOLS, messages: [{ role: 'user', content: 'a' }], tool_choice: { type: 'tool', name: 'Bash' } }, field: /^tool_choice\.name: tool "Bash" is not among/ },
    { name: 'an unknown tool_choice type', body: { tools: TOOLS, messages: [{ role: 'user', content: 'a' }], tool_choice: { type: 'sometimes' } }, field: /^tool_choice\.type: / },
    { name: 'a temperature above 1', body: { messages: [{ role: 'user', content: 'a' }], temperature: 1.5 }, field: /^temperature: / },
  ];

  for (const { name, body, field } of cases) {
    it(`answers 400 invalid_request_error for ${name}, streaming or not`, async () => {
      for (const stream of [false, true]) {
        const request = { model: 'claude-haiku-4-5', max_tokens: 100, stream, ...body } as unknown as Anthropic.MessageCreateParamsNonStreaming;
        const error = await rejection(proxy.client.messages.create(request));
        assert.equal(error.status, 400);
        assert.equal(error.type, 'invalid_request_error');
        assert.match(error.message, field);
      }
    });
  }

  it('checks count_tokens requests the same way (real HTTP)', async () => {
    const response = await fetch(`${proxy.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: [{ type: 'mystery' }] }] }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /^messages\.0\.content\.0\.type: unknown content block type "mystery"/);
  });

  it('accepts an empty final assistant message (nothing to continue) and answers it locally', async () => {
    const message = await proxy.client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: '' }] });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hi.' }]);
    assert.deepEqual(backend.requests.at(-1)?.messages.map((turn) => turn.role), ['user']);
    assert.equal(backend.requests.length, 1, 'only the valid request reached the local model');
  });
});
