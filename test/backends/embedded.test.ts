// The embedded engine on the tiny random-weight model (one thread): streaming, determinism,
// KV-cache reuse, parallel conversations, abort, limits, clear errors, token bias with
// grammar-constrained tool calls, and one explorer run end to end.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Token } from 'node-llama-cpp';
import { explore } from '../../src/agent/explorer.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { checkModelFile, createEmbeddedBackend, defaultThreads, type EmbeddedBackend, type EmbeddedRequest } from '../../src/backends/embedded/index.js';
import { renderChatPrompt } from '../../src/backends/embedded/prompt.js';
import { createBackendFromSpec } from '../../src/backends/spec.js';
import type { Backend, BackendEvent } from '../../src/backends/types.js';
import { LocoError } from '../../src/errors.js';
import type { ChatMessage, Sampling, Usage } from '../../src/protocol/messages.js';
import { parseAssistantText } from '../../src/protocol/tool-call-parser.js';
import { createToolbox } from '../../src/tools/toolbox.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { buildTinyGguf, tinyGgufPath } from '../support/tiny-gguf.js';

const greedy: Sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 48 };
const SYSTEM = 'You are an agent built on an agent SDK. You explore code bases and answer with file paths and line numbers. '.repeat(5);
const question = (text: string): ChatMessage[] => [
  { role: 'system', content: SYSTEM },
  { role: 'user', content: text },
];

interface Collected {
  events: BackendEvent[];
  deltas: string;
  finish?: Extract<BackendEvent, { type: 'finish' }>;
  error?: LocoError;
}

async function collect(stream: AsyncIterable<BackendEvent>, onDelta?: (count: number) => void): Promise<Collected> {
  const out: Collected = { events: [], deltas: '' };
  for await (const event of stream) {
    out.events.push(event);
    if (event.type === 'text-delta') {
      out.deltas += event.text;
      onDelta?.(out.events.length);
    } else if (event.type === 'finish') out.finish = event;
    else out.error = event.error;
  }
  return out;
}

async function finished(stream: AsyncIterable<BackendEvent>): Promise<{ text: string; usage: Usage; reason: string }> {
  const result = await collect(stream);
  assert.ok(result.finish, `no finish: ${result.error?.message}`);
  return { text: result.finish.text, usage: result.finish.usage, reason: result.finish.reason };
}

function tools(allowWrite = true) {
  return createToolbox({ roots: ['/tmp'], allowWrite, sandbox: 'allow-list' });
}

describe('embedded backend on the tiny model', () => {
  let modelPath: string;
  let backend: EmbeddedBackend;
  let tree: TempTree;
  before(async () => {
    modelPath = await tinyGgufPath();
    backend = createEmbeddedBackend({ modelPath, threads: 1, gpuLayers: 0 });
    tree = await makeTempTree({ 'notes.txt': 'not a model\n', 'src/app.ts': 'export const answer = 42;\n', 'README.md': '# demo\n' });
  });
  after(async () => {
    await backend.close();
    await tree.cleanup();
  });

  it('streams deltas that add up to the finish text, and describes itself', async () => {
    assert.equal(backend.info.description, 'embedded tiny.gguf (threads 1, ctx auto)');
    const result = await collect(backend.stream({ messages: question('Where is the answer defined?'), sampling: greedy }));
    assert.ok(result.finish, result.error?.message);
    assert.ok(result.finish.text.length > 0);
    assert.equal(result.deltas, result.finish.text);
    assert.equal(result.finish.usage.completionTokens > 0, true);
    assert.equal(backend.info.description, 'embedded tiny.gguf (threads 1, ctx 4096)');
    assert.equal(backend.info.contextSize, 4096);
    assert.equal(backend.stats().loaded, true);
  });

  it('is deterministic at temperature 0, across requests and backend instances', async () => {
    const request: EmbeddedRequest = { messages: question('List the TypeScript files.'), sampling: greedy };
    const first = await finished(backend.stream(request));
    const second = await finished(backend.stream({ ...request, conversationId: 'other' }));
    const another = createEmbeddedBackend({ modelPath, threads: 1, gpuLayers: 0, sequences: 1 });
    try {
      const third = await finished(another.stream(request));
      assert.equal(second.text, first.text);
      assert.equal(third.text, first.text);
    } finally {
      await another.close();
    }
  });

  it('reuses a conversation KV cache: turn 2 evaluates only the new tokens', async () => {
    const messages = question('Which file holds the answer?');
    const turn1 = await finished(backend.stream({ messages, sampling: greedy, conversationId: 'kv' }));
    const timings1 = backend.lastTurnTimings('kv');
    const next: ChatMessage[] = [...messages, { role: 'assistant', content: turn1.text }, { role: 'user', content: '<tool_response>\nsrc/app.ts\n</tool_response>' }];
    const turn2 = await finished(backend.stream({ messages: next, sampling: greedy, conversationId: 'kv' }));
    const timings2 = backend.lastTurnTimings('kv');
    assert.ok(timings1 && timings2);
    assert.equal(timings1.cachedTokens, 0);
    assert.equal(timings1.evaluatedPromptTokens, turn1.usage.promptTokens);
    assert.ok(turn2.usage.cachedTokens >= turn1.usage.promptTokens + turn1.usage.completionTokens - 1, JSON.stringify([turn1.usage, turn2.usage]));
    assert.equal(timings2.evaluatedPromptTokens, turn2.usage.promptTokens - turn2.usage.cachedTokens);
    assert.ok(timings2.evaluatedPromptTokens * 10 < turn2.usage.promptTokens, JSON.stringify(timings2));
    assert.ok(timings2.llamaMs > 0 && timings2.turnMs >= timings2.llamaMs);
  });

  it('runs 3 conversations at once on separate sequences of one model', async () => {
    let busiest = 0;
    const run = (id: string) =>
      collect(backend.stream({ messages: question(`Question ${id}: where is main?`), sampling: greedy, conversationId: id }), () => {
        busiest = Math.max(busiest, backend.stats().busy);
      });
    const results = await Promise.all(['c1', 'c2', 'c3'].map(run));
    for (const result of results) {
      assert.ok(result.finish, result.error?.message);
      assert.equal(result.deltas, result.finish.text);
    }
    assert.equal(busiest, 3);
    const sequences = new Set(['c1', 'c2', 'c3'].map((id) => backend.lastTurnTimings(id)?.sequence));
    assert.equal(sequences.size, 3);
    assert.equal(backend.stats().busy, 0);
    assert.deepEqual(backend.stats().conversations.slice(0, 3).sort(), ['c1', 'c2', 'c3']);
  });

  it('queues requests when every sequence is busy; an abort while queued ends at once', async () => {
    const single = createEmbeddedBackend({ modelPath, gpuLayers: 0, sequences: 1 });
    try {
      const long: EmbeddedRequest = { messages: question('Long.'), sampling: { ...greedy, maxTokens: 300 }, tokenBias: { a: 100 } };
      const queued = new AbortController();
      const first = collect(single.stream(long), (count) => {
        if (count === 2) queued.abort();
      });
      const second = collect(single.stream({ ...long, sampling: greedy }, queued.signal));
      const third = collect(single.stream({ ...long, sampling: greedy }));
      await new Promise((resolve) => setTimeout(resolve, 0));
      const [a, b, c] = await Promise.all([first, second, third]);
      assert.equal(a.finish?.reason, 'length');
      assert.deepEqual(b.events.map((event) => event.type), ['finish']);
      assert.equal(b.finish?.reason, 'aborted');
      assert.equal(c.finish?.text, 'a'.repeat(greedy.maxTokens));
      // Small models default to one thread.
      assert.equal(single.stats().threads, 1);
      assert.equal(single.info.description, 'embedded tiny.gguf (threads 1, ctx 4096)');
    } finally {
      await single.close();
    }
  });

  it('picks threads that never oversubscribe the machine', () => {
    assert.equal(defaultThreads(5_000_000, 16), 1);
    assert.equal(defaultThreads(2_500_000_000, 2), Math.min(2, os.availableParallelism()));
    assert.ok(defaultThreads(2_500_000_000, 32) <= 4);
    assert.ok(defaultThreads(2_500_000_000, 1) >= 1);
  });

  it('ends with reason aborted, promptly, when the signal aborts', async () => {
    const early = await collect(backend.stream({ messages: question('q'), sampling: greedy }, AbortSignal.abort()));
    assert.deepEqual(early.events.map((event) => event.type), ['finish']);
    assert.equal(early.finish?.reason, 'aborted');

    const controller = new AbortController();
    let abortedAt = 0;
    const forever: EmbeddedRequest = { messages: question('Write a lot.'), sampling: { ...greedy, maxTokens: 100_000 }, tokenBias: { a: 100 } };
    const result = await collect(backend.stream(forever, controller.signal), (count) => {
      if (count === 5) {
        abortedAt = performance.now();
        controller.abort();
      }
    });
    assert.equal(result.finish?.reason, 'aborted');
    assert.ok(performance.now() - abortedAt < 500);
    assert.equal(result.finish?.usage.completionTokens, 5);
    assert.equal(result.finish?.text, 'aaaaa');
  });

  it('stops with reason length at max tokens', async () => {
    const result = await finished(backend.stream({ messages: question('Say a.'), sampling: { ...greedy, maxTokens: 7 }, tokenBias: { a: 100 } }));
    assert.deepEqual(result, { text: 'aaaaaaa', usage: { ...result.usage, completionTokens: 7 }, reason: 'length' });
  });

  it('never emits <think>, whatever the bias', async () => {
    const result = await finished(backend.stream({ messages: question('Think first.'), sampling: { ...greedy, maxTokens: 20 }, tokenBias: { '<think>': 100, '</think>': 100 } }));
    assert.doesNotMatch(result.text, /<\/?think>/);
  });

  it('tokenizes framing tokens in content as text, tool tags as single tokens', async () => {
    const promptTokens = async (content: string) => (await finished(backend.stream({ messages: [{ role: 'user', content }], sampling: { ...greedy, maxTokens: 1 } }))).usage.promptTokens;
    const plain = await promptTokens('x');
    assert.equal((await promptTokens('x<|im_start|>')) - plain, 12);
    assert.equal((await promptTokens('x<|im_end|>')) - plain, 9);
    assert.equal((await promptTokens('x<tool_call>')) - plain, 1);
    assert.equal((await promptTokens('x<tool_response></tool_response>')) - plain, 2);
  });

  it('renders ChatML with framing as token ids', () => {
    const ids = (values: number[]) => values as unknown as Token[];
    const text = (value: string) => ids([...value].map((char) => char.charCodeAt(0)));
    const [imStart, imEnd, toolCall, remembered] = ids([-1, -2, -3, -9]);
    const tokenizer = { tokenizeText: text, tokens: { imStart, imEnd, toolTags: new Map([['<tool_call>', toolCall]]) } };
    const messages: ChatMessage[] = [
      { role: 'user', content: '<|im_start|>a<tool_call>' },
      { role: 'assistant', content: 'b' },
    ];
    const tokens = renderChatPrompt(tokenizer, messages, (content) => (content === 'b' ? [remembered] : undefined));
    const newline = text('\n');
    assert.deepEqual(tokens, [imStart, ...text('user\n<|im_start|>a'), toolCall, imEnd, ...newline, imStart, ...text('assistant\n'), remembered, imEnd, ...newline, imStart, ...text('assistant\n')]);
  });

  it('forces <tool_call> by bias, then the grammar writes a valid call of each tool', async () => {
    const toolbox = tools();
    const signatures = toolbox.signatures();
    // Each tool alone (so every schema is exercised), then all of them together.
    const constraints = [...signatures.map((signature) => [signature]), signatures].map((list) => ({ tools: list, limits: { maxStringLength: 24 }, stopAfterCalls: 1 }));
    for (const constraint of constraints) {
      for (const seed of [1, 2]) {
        const request: EmbeddedRequest = {
          messages: question('Find the answer.'),
          sampling: { temperature: 1, topP: 1, topK: 0, maxTokens: 400 },
          seed,
          tokenBias: { '<tool_call>': 100 },
          constrainToolCalls: constraint,
        };
        const result = await finished(backend.stream(request));
        assert.equal(result.reason, 'stop');
        assert.match(result.text, /^<tool_call>\n\{"name": "[A-Za-z]+", "arguments": \{.*\}\}\n<\/tool_call>$/s);
        const parsed = parseAssistantText(result.text);
        assert.deepEqual(parsed.failures, []);
        assert.equal(parsed.calls.length, 1);
        const { call, repaired } = parsed.calls[0];
        assert.equal(repaired, false);
        assert.ok(constraint.tools.some((tool) => tool.name === call.name), call.name);
        const valid = toolbox.tools.get(call.name)?.schema.safeParse(call.arguments);
        assert.ok(valid?.success, `${call.name} ${JSON.stringify(call.arguments)}`);
        assert.equal(backend.lastTurnTimings()?.constrainedCalls, 1);
      }
    }
  });

  it('answers requiredToolCall (a client forcing a call) with exactly one grammar-valid call of those tools', async () => {
    assert.equal(backend.info.forcesToolCalls, true);
    const pick = { name: 'Pick', description: 'Pick one', parameters: { type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 9 }, flag: { type: 'boolean' } }, required: ['n', 'flag'], additionalProperties: false } };
    const other = { name: 'Other', description: 'Not offered for this call', parameters: { type: 'object', properties: {}, additionalProperties: false } };
    for (const seed of [1, 2, 3]) {
      // A plain BackendRequest: no bias or constraint of its own, the backend supplies both.
      const result = await finished(backend.stream({ messages: question('Pick.'), sampling: { temperature: 1, topP: 1, topK: 0, maxTokens: 200 }, seed, tools: [pick, other], requiredToolCall: { tools: [pick] } }));
      assert.equal(result.reason, 'stop');
      const parsed = parseAssistantText(result.text);
      assert.deepEqual(parsed.failures, []);
      assert.equal(parsed.calls.length, 1, result.text);
      assert.equal(parsed.calls[0].call.name, 'Pick');
      assert.deepEqual(Object.keys(parsed.calls[0].call.arguments).sort(), ['flag', 'n']);
    }
  });

  it('constrains a whole answer to a JSON schema (responseFormat)', async () => {
    const jsonSchema = { type: 'object', properties: { path: { type: 'string', maxLength: 12 }, line: { type: 'integer', minimum: 1 }, exact: { type: 'boolean' } }, required: ['path', 'line'], additionalProperties: false };
    for (const seed of [1, 2, 3]) {
      const result = await finished(backend.stream({ messages: question('Where?'), sampling: { temperature: 1, topP: 1, topK: 0, maxTokens: 200 }, seed, responseFormat: { jsonSchema } }));
      assert.equal(result.reason, 'stop');
      const value = JSON.parse(result.text) as { path: string; line: number; exact?: boolean };
      assert.ok(typeof value.path === 'string' && value.path.length <= 12 && Number.isInteger(value.line) && value.line >= 1, result.text);
    }
  });

  it('measures free and constrained throughput', async (t) => {
    await finished(backend.stream({ messages: question('Free text.'), sampling: { ...greedy, maxTokens: 200 }, tokenBias: { a: 3 } }));
    const free = backend.lastTurnTimings();
    const constraint = { tools: tools(false).signatures(), limits: { maxStringLength: 48 } };
    await finished(backend.stream({ messages: question('Calls.'), sampling: { temperature: 1, topP: 1, topK: 0, maxTokens: 200 }, seed: 3, tokenBias: { '<tool_call>': 100 }, constrainToolCalls: constraint }));
    const constrained = backend.lastTurnTimings();
    assert.ok(free && constrained && constrained.constrainedTokens > 0);
    const rate = (tokens: number, ms: number) => Math.round((tokens / ms) * 1000);
    t.diagnostic(`free ${rate(free.freeTokens, free.freeMs)} tokens/s (${free.freeTokens}); constrained ${rate(constrained.constrainedTokens, constrained.constrainedMs)} tokens/s (${constrained.constrainedTokens})`);
  });

  it('reports clear errors as events for a missing, foreign or unsupported model', async () => {
    const missing = path.join(tree.root, 'missing.gguf');
    const foreign = path.join(tree.root, 'notes.txt');
    const unsupported = path.join(tree.root, 'qwen9.gguf');
    // Same length, so the file stays well-formed: only the architecture is unknown.
    await writeFile(unsupported, Buffer.from(buildTinyGguf().toString('latin1').replaceAll('qwen3', 'qwen9'), 'latin1'));
    const cases: [string, RegExp][] = [
      [missing, /^no model at .*missing\.gguf: run `loco model pull` or pass --backend URL$/],
      [foreign, /notes\.txt is not a GGUF model \(a file starting with "not "; a GGUF file starts with "GGUF"\): run `loco model pull`/],
      [unsupported, /does not support the "qwen9" architecture/],
    ];
    for (const [file, pattern] of cases) {
      const broken = createEmbeddedBackend({ modelPath: file, threads: 1, gpuLayers: 0 });
      const result = await collect(broken.stream({ messages: question('q'), sampling: greedy }));
      assert.deepEqual(result.events.map((event) => event.type), ['error']);
      assert.equal(result.error?.code, 'config');
      assert.match(result.error?.message ?? '', pattern);
      await assert.rejects(broken.load(), (error: unknown) => error instanceof LocoError && pattern.test(error.message));
      await broken.close();
    }
    await assert.rejects(checkModelFile(missing), (error: unknown) => error instanceof LocoError && error.code === 'config' && /no model at/.test(error.message));
    await assert.rejects(checkModelFile(foreign), /is not a GGUF model/);
    await assert.rejects(checkModelFile(tree.root), /is a directory/);
  });

  it('reports overflow, and stops with length when the context fills', async () => {
    const small = createEmbeddedBackend({ modelPath, threads: 1, gpuLayers: 0, contextSize: 256, sequences: 1 });
    try {
      const overflow = await collect(small.stream({ messages: question('q'.repeat(400)), sampling: greedy }));
      assert.deepEqual(overflow.events.map((event) => event.type), ['error']);
      assert.equal(overflow.error?.code, 'context-overflow');
      assert.match(overflow.error?.message ?? '', /^the prompt is \d+ tokens but the context holds 256 \(n_ctx 256\)/);
      const full = await finished(small.stream({ messages: [{ role: 'user', content: 'q'.repeat(150) }], sampling: { ...greedy, maxTokens: 1000 }, tokenBias: { a: 100 } }));
      assert.equal(full.reason, 'length');
      assert.ok(full.usage.promptTokens + full.usage.completionTokens <= 256 && full.usage.completionTokens > 50, JSON.stringify(full.usage));
    } finally {
      await small.close();
    }
  });

  it('is built from gguf:<path> specs, with the file checked first', async () => {
    const fromSpec = await createBackendFromSpec(`gguf:${path.basename(modelPath)}`, { cwd: path.dirname(modelPath), threads: 1, gpuLayers: 0, sequences: 1 });
    try {
      assert.equal(fromSpec.info.description, 'embedded tiny.gguf (threads 1, ctx auto)');
      assert.equal((await finished(fromSpec.stream({ messages: question('q'), sampling: greedy }))).reason.length > 0, true);
    } finally {
      await fromSpec.close();
    }
    await assert.rejects(createBackendFromSpec('gguf:missing.gguf', { cwd: tree.root }), (error: unknown) => error instanceof LocoError && error.code === 'config' && /no model at .*missing\.gguf/.test(error.message));
    await assert.rejects(createBackendFromSpec('gguf:'), (error: unknown) => error instanceof LocoError && error.code === 'usage');
  });

  it('answers with an error event after close, and closes twice safely', async () => {
    const closing = createEmbeddedBackend({ modelPath, threads: 1, gpuLayers: 0, sequences: 1 });
    await closing.load();
    await closing.close();
    await closing.close();
    const result = await collect(closing.stream({ messages: question('q'), sampling: greedy }));
    assert.deepEqual(result.events.map((event) => event.type), ['error']);
    assert.match(result.error?.message ?? '', /closed/);
    assert.equal(closing.stats().loaded, false);
  });

  it('runs the explorer end to end: a forced, grammar-valid call, then a final turn from cache', async () => {
    const toolbox = tools(false);
    const allowed = toolbox.signatures().filter((signature) => signature.name === 'Glob' || signature.name === 'Read');
    let turn = 0;
    // Turn 1 must call Glob or Read; the last turn generates freely.
    const scripted: Backend = {
      info: backend.info,
      stream: (request, signal) => {
        turn++;
        const extra: Partial<EmbeddedRequest> = turn === 1 ? { tokenBias: { '<tool_call>': 100 }, constrainToolCalls: { tools: allowed, limits: { maxStringLength: 16 }, stopAfterCalls: 1 } } : { constrainToolCalls: false };
        return backend.stream({ ...request, ...extra }, signal);
      },
      close: async () => undefined,
    };
    const events: AgentEvent[] = [];
    const result = await explore('Where is the answer defined?', {
      backend: scripted,
      roots: [tree.root],
      sandbox: 'allow-list',
      maxTurns: 1,
      subagents: false,
      sampling: { temperature: 0, topP: 1, topK: 1, maxTokens: 60 },
      onEvent: (event) => events.push(event),
    });
    assert.equal(result.stopReason, 'max-turns', result.error?.message);
    assert.equal(result.turns, 2);
    assert.equal(result.toolCalls.length, 1);
    assert.ok(['Glob', 'Read'].includes(result.toolCalls[0].name));
    assert.equal(result.toolCalls[0].invalid, false);
    const usages = events.flatMap((event) => (event.type === 'turn-end' ? [event.usage] : []));
    assert.equal(usages.length, 2);
    assert.ok(usages[1].cachedTokens >= usages[0].promptTokens + usages[0].completionTokens - 1, JSON.stringify(usages));
    assert.deepEqual(result.usage, { promptTokens: usages[0].promptTokens + usages[1].promptTokens, cachedTokens: usages[0].cachedTokens + usages[1].cachedTokens, completionTokens: usages[0].completionTokens + usages[1].completionTokens });
    assert.match(result.messages[3].content, /^<tool_response>\n[\s\S]*\n<\/tool_response>/);
  });
});
