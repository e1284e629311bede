// Streaming parts -> Anthropic events (src/protocol/anthropic-stream.ts) and SSE framing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnthropicStreamEvent } from '../../src/protocol/anthropic-messages.js';
import { encodeSseEvent } from '../../src/protocol/anthropic-sse.js';
import { accumulateResponse, AnthropicStreamEncoder, newAnthropicId } from '../../src/protocol/anthropic-stream.js';
import { ToolCallStreamParser } from '../../src/protocol/tool-call-parser.js';

const usage = { promptTokens: 120, cachedTokens: 20, completionTokens: 30 };

function run(chunks: readonly string[], clientTools: readonly string[] = ['Grep', 'Read', 'Agent'], reason: 'stop' | 'length' = 'stop') {
  let ids = 0;
  const encoder = new AnthropicStreamEncoder({ messageId: 'msg_1', model: 'claude-haiku-4-5', estimatedInputTokens: 100, clientTools: new Set(clientTools), newToolId: () => `toolu_${++ids}` });
  const parser = new ToolCallStreamParser();
  const events: AnthropicStreamEvent[] = [...encoder.start()];
  for (const chunk of chunks) events.push(...encoder.push(parser.push(chunk)));
  events.push(...encoder.push(parser.finish()), ...encoder.finish(reason, usage));
  return { events, message: accumulateResponse(events), report: encoder.report };
}

const TURN = 'Let me look.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "main", "path": "src"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/x/é.ts"}}\n</tool_call>';

describe('AnthropicStreamEncoder', () => {
  it('streams text, then each call as a tool_use block with input_json_delta, stop_reason tool_use', () => {
    const { events, message, report } = run([TURN]);
    assert.deepEqual(
      events.map((event) => event.type),
      ['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    assert.deepEqual(message.content, [
      { type: 'text', text: 'Let me look.\n' },
      { type: 'tool_use', id: 'toolu_1', name: 'Grep', input: { pattern: 'main', path: 'src' } },
      { type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/x/é.ts' } },
    ]);
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(message.usage, { input_tokens: 100, output_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 20 });
    assert.deepEqual(report, { toolCalls: 2, malformedToolCalls: 0, unknownToolCalls: 0, inventedResponse: false });
  });

  it('gives the same message whatever the chunking, the text before a call streaming before the call closes', () => {
    const whole = run([TURN]).message;
    for (let cut = 1; cut < TURN.length; cut += 1) {
      const { message } = run([TURN.slice(0, cut), TURN.slice(cut)]);
      assert.deepEqual(message, whole, `split at ${cut}`);
    }
    assert.deepEqual(run([...TURN]).message, whole);
    const early = run(['Let me look.\n<tool_c']).events;
    assert.ok(early.some((event) => event.type === 'content_block_delta' && event.delta.type === 'text_delta' && event.delta.text === 'Let me look.\n'));
  });

  it('sends a malformed call as text with a note and counts it', () => {
    const { message, report } = run(['<tool_call>\n{"name": "Grep", "arguments": {"pattern": \n</tool_call>']);
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0].type, 'text');
    assert.match((message.content[0] as { text: string }).text, /^<tool_call>\n\{"name": "Grep".*\n\[loco proxy: this tool call was not run: /s);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(report.malformedToolCalls, 1);
  });

  it('sends a call to a tool the request lacks as tool_use anyway (the client answers "No such tool"), counted as unknown', () => {
    const { message, report } = run(['<tool_call>\n{"name": "Nope", "arguments": {}}\n</tool_call>']);
    assert.deepEqual(message.content, [{ type: 'tool_use', id: 'toolu_1', name: 'Nope', input: {} }]);
    assert.equal(report.unknownToolCalls, 1);
  });

  it('maps the model\'s Task to the client\'s Agent', () => {
    const { message } = run(['<tool_call>\n{"name": "Task", "arguments": {"description": "d", "prompt": "p", "subagent_type": "Explore"}}\n</tool_call>']);
    assert.equal((message.content[0] as { name: string }).name, 'Agent');
  });

  it('keeps calls as text when the request offers no tools', () => {
    const { message, report } = run(['<tool_call>\n{"name": "Read", "arguments": {}}\n</tool_call>'], []);
    assert.deepEqual(message.content, [{ type: 'text', text: '<tool_call>\n{"name": "Read", "arguments": {}}\n</tool_call>' }]);
    assert.equal(report.unknownToolCalls, 1);
  });

  it('makes no text block of the whitespace around calls, and reports max_tokens for a cut answer', () => {
    assert.deepEqual(run(['\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "a"}}\n</tool_call>\n  \n']).message.content.map((block) => block.type), ['tool_use']);
    const cut = run(['I was saying'], undefined, 'length').message;
    assert.equal(cut.stop_reason, 'max_tokens');
  });

  it('drops what follows an invented <tool_response>', () => {
    const { message, report } = run(['<tool_call>\n{"name": "Read", "arguments": {"file_path": "a"}}\n</tool_call>\n<tool_response>\nmade up']);
    assert.equal(message.content.length, 1);
    assert.equal(report.inventedResponse, true);
  });
});

describe('Anthropic SSE framing', () => {
  it('names each event by its type', () => {
    assert.equal(encodeSseEvent({ type: 'ping' }), 'event: ping\ndata: {"type":"ping"}\n\n');
  });
  it('makes ids of the Anthropic shape', () => {
    assert.match(newAnthropicId('toolu_'), /^toolu_[A-Za-z0-9]{24}$/);
  });
});
