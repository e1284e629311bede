import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { z } from 'zod';
import { FINAL_TURN_INSTRUCTION, runAgent, runAgentLoop } from '../../src/agent/loop.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { createFakeBackend, type FakeEntry } from '../../src/backends/fake.js';
import { DEFAULT_SAMPLING, type ChatMessage } from '../../src/protocol/messages.js';
import { renderToolCall } from '../../src/protocol/tool-call-codec.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import { toolboxOf } from '../../src/tools/toolbox.js';
import { defineTool, failed, ok, type AnyTool } from '../../src/tools/types.js';

// Scripted tools: Echo answers at once, Slow waits `ms` then answers, Meet waits for its peers;
// they log their runs.
function scriptedTools(log: string[]): AnyTool[] {
  const echo = defineTool({
    name: 'Echo',
    description: 'echo',
    schema: z.strictObject({ text: z.string() }),
    readOnly: true,
    sizeCap: 100_000,
    async run(args) {
      log.push(`echo:${args.text}`);
      return ok(`echo ${args.text}`);
    },
  });
  const slow = defineTool({
    name: 'Slow',
    description: 'slow',
    schema: z.strictObject({ ms: z.number(), label: z.string() }),
    readOnly: true,
    sizeCap: 100_000,
    async run(args, context) {
      log.push(`start:${args.label}`);
      await sleep(args.ms, undefined, { signal: context.signal }).catch(() => undefined);
      log.push(`end:${args.label}`);
      return ok(`slow ${args.label}`);
    },
  });
  const big = defineTool({
    name: 'Big',
    description: 'big',
    schema: z.strictObject({ chars: z.number() }),
    readOnly: true,
    sizeCap: 10_000_000,
    async run(args) {
      return ok('x'.repeat(args.chars));
    },
  });
  const mutate = defineTool({
    name: 'Mutate',
    description: 'changes something',
    schema: z.strictObject({ ms: z.number(), label: z.string() }),
    readOnly: false,
    sizeCap: 100_000,
    async run(args, context) {
      log.push(`start:${args.label}`);
      await sleep(args.ms, undefined, { signal: context.signal }).catch(() => undefined);
      log.push(`end:${args.label}`);
      return ok(`mutated ${args.label}`);
    },
  });
  // Meet: each call waits until `parties` Meet calls have started. Run one after another they
  // never would: the first gives up after a deadline and says so in its result.
  let arrived = 0;
  let everyoneArrived: () => void = () => undefined;
  const allHere = new Promise<void>((resolve) => (everyoneArrived = resolve));
  const meet = defineTool({
    name: 'Meet',
    description: 'waits for the other calls of its turn',
    schema: z.strictObject({ parties: z.number(), label: z.string() }),
    readOnly: true,
    sizeCap: 100_000,
    async run(args) {
      log.push(`start:${args.label}`);
      arrived += 1;
      if (arrived >= args.parties) everyoneArrived();
      const deadline = new AbortController();
      const alone = sleep(2_000, 'alone', { signal: deadline.signal }).catch(() => 'met');
      const outcome = await Promise.race([allHere.then(() => 'met'), alone]);
      deadline.abort();
      log.push(`end:${args.label}`);
      return outcome === 'met' ? ok(`met ${args.label}`) : failed(`${args.label} waited alone: the calls did not run concurrently`);
    },
  });
  return [echo, slow, big, mutate, meet];
}

const call = (name: string, args: Record<string, unknown>) => renderToolCall({ name, arguments: args });
const start: ChatMessage[] = [
  { role: 'system', content: 'system prompt' },
  { role: 'user', content: 'question' },
];

function setup(entries: FakeEntry[], overrides: { maxTurns?: number; contextBudget?: number } = {}) {
  const log: string[] = [];
  const backend = createFakeBackend(entries);
  const toolbox = toolboxOf(createPathPolicy([process.cwd()]), scriptedTools(log));
  const options = { backend, toolbox, messages: start, sampling: DEFAULT_SAMPLING, maxTurns: overrides.maxTurns ?? 10, contextBudget: overrides.contextBudget ?? 50_000 };
  return { log, backend, options };
}

test('a turn without calls is the final answer', async () => {
  const { options, backend } = setup([{ type: 'assistant', text: 'It is in `a.py:3`.', usage: { promptTokens: 10, completionTokens: 5 } }]);
  const result = await runAgent(options);
  assert.equal(result.answer, 'It is in `a.py:3`.');
  assert.equal(result.stopReason, 'answer');
  assert.equal(result.turns, 1);
  assert.deepEqual(result.usage, { promptTokens: 10, cachedTokens: 0, completionTokens: 5 });
  assert.deepEqual(backend.requests[0].messages, start);
  assert.deepEqual(backend.requests[0].sampling, DEFAULT_SAMPLING);
});

test('calls of one turn run concurrently; results return in call order in one user turn', async () => {
  // Each Meet call finishes only once both have started: sequential runs fail, not just slow down.
  const first = `Looking.\n${call('Meet', { parties: 2, label: 'a' })}\n${call('Meet', { parties: 2, label: 'b' })}\n${call('Echo', { text: 'c' })}`;
  const { options, backend, log } = setup([
    { type: 'assistant', text: first, chunks: [first.slice(0, 20), first.slice(20, 61), first.slice(61)] },
    { type: 'assistant', text: 'done' },
  ]);
  const result = await runAgent(options);
  assert.deepEqual(log.slice(0, 2), ['start:a', 'start:b']);
  const second = backend.requests[1].messages;
  assert.deepEqual(second.slice(2), [
    { role: 'assistant', content: first },
    { role: 'user', content: '<tool_response>\nmet a\n</tool_response>\n<tool_response>\nmet b\n</tool_response>\n<tool_response>\necho c\n</tool_response>' },
  ]);
  assert.deepEqual(result.toolCalls.map((c) => [c.name, c.index, c.ok]), [['Meet', 0, true], ['Meet', 1, true], ['Echo', 2, true]]);
  assert.equal(result.answer, 'done');
});

test('malformed and invalid calls get error results; the others still run', async () => {
  const text = `${call('Echo', { text: 'x' })}\n<tool_call>\n{"name": "Echo", "arguments": {"text": \n</tool_call>\n${call('Echo', { txt: 1 })}\n${call('Nope', {})}`;
  const { options, backend } = setup([{ type: 'assistant', text }, { type: 'assistant', text: 'ok' }]);
  const result = await runAgent(options);
  const results = backend.requests[1].messages[3].content;
  assert.ok(results.startsWith('<tool_response>\necho x\n</tool_response>\n<tool_response>\n<tool_use_error>Error: invalid JSON in tool call'), results);
  assert.equal(results.split('<tool_response>').length - 1, 4);
  assert.match(results, /<tool_use_error>Error: invalid JSON in tool call/);
  assert.match(results, /<tool_use_error>InputValidationError: Echo failed due to the following issues:\nThe required parameter `text` is missing\nAn unexpected parameter `txt` was provided<\/tool_use_error>/);
  assert.match(results, /<tool_use_error>Error: No such tool available: Nope<\/tool_use_error>\n<\/tool_response>$/);
  assert.deepEqual(result.toolCalls.map((c) => [c.name, c.ok, c.invalid]), [['Echo', true, false], ['Echo', false, true], ['Echo', false, false], ['Nope', false, false]]);
});

test('at the turn limit one tool-free turn asks for the answer', async () => {
  const loop = (n: number): FakeEntry => ({ type: 'assistant', text: call('Echo', { text: String(n) }) });
  const { options, backend } = setup([loop(1), loop(2), { type: 'assistant', text: `Answer.\n${call('Echo', { text: 'ignored' })}` }], { maxTurns: 2 });
  const events: AgentEvent[] = [];
  const result = await runAgent(options, (event) => events.push(event));
  assert.equal(result.stopReason, 'max-turns');
  assert.equal(result.turns, 3);
  assert.equal(result.answer, 'Answer.');
  assert.equal(result.toolCalls.length, 2);
  const last = backend.requests[2].messages.at(-1)!;
  assert.equal(last.content, `<tool_response>\necho 2\n</tool_response>\n\n${FINAL_TURN_INSTRUCTION}`);
  assert.deepEqual(events.filter((e) => e.type === 'turn-start').map((e) => e.type === 'turn-start' && e.final), [false, false, true]);
});

test('results that would overflow the context budget are shortened and the answer is requested', async () => {
  const { options, backend } = setup(
    [
      { type: 'assistant', text: call('Big', { chars: 60_000 }), usage: { promptTokens: 1000, completionTokens: 20 } },
      { type: 'assistant', text: 'short answer' },
    ],
    { contextBudget: 8_000 },
  );
  const result = await runAgent(options);
  assert.equal(result.stopReason, 'context-budget');
  const sent = backend.requests[1].messages.at(-1)!.content;
  assert.ok(sent.length < 8_000 * 3, `sent ${sent.length} chars`);
  assert.match(sent, /result cut to fit the context budget/);
  assert.ok(sent.endsWith(FINAL_TURN_INSTRUCTION));
});

test('calls that change files run alone and in call order; reads around them run concurrently', async () => {
  const text = [
    call('Slow', { ms: 60, label: 'r1' }),
    call('Mutate', { ms: 40, label: 'w1' }),
    call('Mutate', { ms: 10, label: 'w2' }),
    call('Slow', { ms: 10, label: 'r2' }),
    call('Slow', { ms: 10, label: 'r3' }),
  ].join('\n');
  const { options, log } = setup([{ type: 'assistant', text }, { type: 'assistant', text: 'done' }]);
  await runAgent(options);
  assert.deepEqual(log.slice(0, 6), ['start:r1', 'end:r1', 'start:w1', 'end:w1', 'start:w2', 'end:w2']);
  assert.deepEqual(log.slice(6, 8).sort(), ['start:r2', 'start:r3']);
});

test('a stream that fails stops the tools it started instead of waiting for them', async () => {
  const { options, log } = setup([{ type: 'error', chunks: [call('Slow', { ms: 5_000, label: 'long' })], error: { code: 'backend-http', message: 'HTTP 502 mid-answer' } }]);
  const began = performance.now();
  const result = await runAgent(options);
  assert.equal(result.stopReason, 'error');
  assert.ok(performance.now() - began < 2_000, 'did not wait for the tool');
  assert.deepEqual(log, ['start:long', 'end:long']);
});

test('a backend error ends the run with an error event', async () => {
  const { options } = setup([{ type: 'error', error: { code: 'backend-http', message: 'HTTP 500 from server' } }]);
  const events: AgentEvent[] = [];
  const result = await runAgent(options, (event) => events.push(event));
  assert.equal(result.stopReason, 'error');
  assert.equal(result.error?.message, 'HTTP 500 from server');
  assert.ok(events.some((e) => e.type === 'error'));
});

test('abort stops the run and the running tools', async () => {
  const { options, log } = setup([{ type: 'assistant', text: call('Slow', { ms: 5_000, label: 'long' }) }, { type: 'assistant', text: 'never' }]);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const began = performance.now();
  const result = await runAgent({ ...options, signal: controller.signal });
  assert.equal(result.stopReason, 'aborted');
  assert.ok(performance.now() - began < 2_000);
  assert.deepEqual(log, ['start:long', 'end:long']);
});

test('an invented <tool_response> is cut from history and not executed', async () => {
  const text = `${call('Echo', { text: 'real' })}\n<tool_response>\nmade up\n</tool_response>\n${call('Echo', { text: 'fake' })}`;
  const { options, backend, log } = setup([{ type: 'assistant', text }, { type: 'assistant', text: 'fine' }]);
  await runAgent(options);
  assert.deepEqual(log, ['echo:real']);
  assert.equal(backend.requests[1].messages[2].content, call('Echo', { text: 'real' }));
});

test('events come in order: turn-start, deltas, calls, turn-end, results', async () => {
  const text = `Hi ${call('Echo', { text: 'q' })}`;
  const { options } = setup([{ type: 'assistant', text }, { type: 'assistant', text: 'bye' }]);
  const types: string[] = [];
  const loop = runAgentLoop(options);
  for (let step = await loop.next(); !step.done; step = await loop.next()) types.push(step.value.type);
  assert.deepEqual(types, ['turn-start', 'text-delta', 'tool-call', 'turn-end', 'tool-result', 'turn-start', 'text-delta', 'turn-end']);
});
