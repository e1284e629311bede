import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { renderToolCall, renderToolResults, toDialectJson } from '../../src/protocol/tool-call-codec.js';
import { collectParts, emptyTurn, parseAssistantText, ToolCallStreamParser, type ParsedPart } from '../../src/protocol/tool-call-parser.js';

function parseChunks(chunks: readonly string[]) {
  const parser = new ToolCallStreamParser();
  const parts: ParsedPart[] = [];
  for (const chunk of chunks) parts.push(...parser.push(chunk));
  parts.push(...parser.finish());
  return { parts, turn: collectParts(parts, emptyTurn()) };
}

function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(text.slice(start, point));
    start = point;
  }
  chunks.push(text.slice(start));
  return chunks;
}

test('renders calls with the dialect separators', () => {
  assert.equal(
    renderToolCall({ name: 'Grep', arguments: { pattern: 'x', '-n': true, head_limit: 5 } }),
    '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "x", "-n": true, "head_limit": 5}}\n</tool_call>',
  );
  assert.equal(toDialectJson({ a: [1, 'é', null], b: { c: 'q"' } }), '{"a": [1, "é", null], "b": {"c": "q\\""}}');
  assert.equal(renderToolResults(['one', 'two']), '<tool_response>\none\n</tool_response>\n<tool_response>\ntwo\n</tool_response>');
});

test('parses text around several calls', () => {
  const text = 'Let me look.\n<tool_call>\n{"name": "Glob", "arguments": {"pattern": "**/*.py"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "input": {"file_path": "a.py"}}\n</tool_call>';
  const turn = parseAssistantText(text);
  assert.equal(turn.text, 'Let me look.\n\n');
  assert.deepEqual(turn.calls.map((c) => [c.index, c.call, c.repaired]), [
    [0, { name: 'Glob', arguments: { pattern: '**/*.py' } }, false],
    [1, { name: 'Read', arguments: { file_path: 'a.py' } }, false],
  ]);
  assert.equal(turn.failures.length, 0);
});

test('finds tags split at every byte boundary', () => {
  const text = 'A<tool_call>\n{"name": "Grep", "arguments": {"pattern": "<tool"}}\n</tool_call>B';
  const expected = parseAssistantText(text);
  assert.equal(expected.calls.length, 1);
  assert.equal(expected.text, 'AB');
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j += 7) {
      const { turn } = parseChunks([text.slice(0, i), text.slice(i, j), text.slice(j)]);
      assert.deepEqual(turn, expected, `split at ${i},${j}`);
    }
  }
});

test('text is released as soon as it cannot start a tag', () => {
  const parser = new ToolCallStreamParser();
  assert.deepEqual(parser.push('hello <to'), [{ type: 'text', text: 'hello ' }]);
  assert.deepEqual(parser.push('ol'), []);
  assert.deepEqual(parser.push('s are'), [{ type: 'text', text: '<tools are' }]);
  const start = parser.push(' <tool_call>{"na');
  assert.deepEqual(start, [{ type: 'text', text: ' ' }, { type: 'tool-call-start', index: 0 }, { type: 'tool-call-delta', index: 0, text: '{"na' }]);
});

test('repairs malformed JSON where unambiguous and records it', () => {
  const cases: Array<[string, unknown]> = [
    ['{"name": "Read", "arguments": {"file_path": "a.py",}}', { file_path: 'a.py' }],
    ["{'name': 'Read', 'arguments': {'file_path': 'a.py'}}", { file_path: 'a.py' }],
    ['{"name": "Read", "arguments": {"file_path": "a.py"}', { file_path: 'a.py' }],
    ['{"name": "Read", "arguments": "{\\"file_path\\": \\"a.py\\"}"}', { file_path: 'a.py' }],
  ];
  for (const [json, args] of cases) {
    const turn = parseAssistantText(`<tool_call>\n${json}\n</tool_call>`);
    assert.equal(turn.failures.length, 0, json);
    assert.deepEqual(turn.calls[0].call, { name: 'Read', arguments: args });
    assert.equal(turn.calls[0].repaired, true, json);
    assert.equal(turn.calls[0].raw, `\n${json}\n`);
  }
});

test('reports what cannot be repaired, keeping the raw text', () => {
  const bad = ['', 'not json at all {', '{"arguments": {}}', '[1, 2]', '{"name": "Read", "arguments": [1]}', '{"name": "bad name!", "arguments": {}}', '{"name": "Read", "arguments": {"file_path": }}', '{"name": "Read", "arguments": {"file_path": "src/ma', '{"name": "Bash", "arguments": {"command": "ls 2>/dev/null", "timeout": }}'];
  for (const body of bad) {
    const turn = parseAssistantText(`x<tool_call>\n${body}\n</tool_call>y`);
    assert.equal(turn.calls.length, 0, body);
    assert.equal(turn.failures.length, 1, body);
    assert.equal(turn.failures[0].raw, `\n${body}\n`);
    assert.match(turn.failures[0].message, /tool call|name|arguments/);
    assert.equal(turn.text, 'xy');
  }
  const empty = parseAssistantText('<tool_call></tool_call>');
  assert.equal(empty.failures.length, 1);
});

test('an unterminated call at the end of the stream is parsed and marked repaired', () => {
  const turn = parseAssistantText('<tool_call>\n{"name": "Glob", "arguments": {"pattern": "*.md"}}\n');
  assert.deepEqual(turn.calls[0].call, { name: 'Glob', arguments: { pattern: '*.md' } });
  assert.equal(turn.calls[0].repaired, true);
});

test('a call opened before the previous one closed splits into two', () => {
  const turn = parseAssistantText('<tool_call>{"name": "A", "arguments": {}}\n<tool_call>{"name": "B", "arguments": {}}</tool_call>');
  assert.deepEqual(turn.calls.map((c) => [c.call.name, c.repaired]), [['A', true], ['B', false]]);
});

test('a <tool_call> tag not followed by a JSON object is text, in prose and inside a call', () => {
  const prose = parseAssistantText('The parser splits on <tool_call> and </tool_call> tags, see codec.ts.');
  assert.deepEqual([prose.calls.length, prose.failures.length], [0, 0]);
  assert.equal(prose.text, 'The parser splits on <tool_call> and </tool_call> tags, see codec.ts.');
  const inside = parseAssistantText('<tool_call>\n{"name": "Grep", "arguments": {"pattern": "<tool_call>\\n"}}\n</tool_call>');
  assert.deepEqual(inside.calls.map((c) => c.call), [{ name: 'Grep', arguments: { pattern: '<tool_call>\n' } }]);
  // Whether a tag opens a call waits for the next non-blank character.
  const parser = new ToolCallStreamParser();
  assert.deepEqual(parser.push('x <tool_call> '), [{ type: 'text', text: 'x ' }]);
  assert.deepEqual(parser.push('y'), [{ type: 'text', text: '<tool_call> y' }]);
  assert.deepEqual(parser.push(' <tool_call>\nnot json\n</tool_call>').map((part) => part.type), ['text', 'tool-call-start', 'tool-call-delta', 'tool-call-error']);
});

test('reports where an invented <tool_response> starts in the raw text', () => {
  const raw = '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "<tool_response>"}}\n</tool_call>\n<tool_response>\nmade up';
  const parser = new ToolCallStreamParser();
  const parts = [...parser.push(raw.slice(0, 50)), ...parser.push(raw.slice(50)), ...parser.finish()];
  const invented = parts.find((part) => part.type === 'invented-response');
  assert.deepEqual(invented, { type: 'invented-response', offset: raw.lastIndexOf('<tool_response>') });
});

test('drops an invented <tool_response> and what follows', () => {
  const turn = parseAssistantText('<tool_call>{"name": "A", "arguments": {}}</tool_call>\n<tool_response>\nmade up\n</tool_response>');
  assert.equal(turn.calls.length, 1);
  assert.equal(turn.inventedResponse, true);
  assert.equal(turn.text, '\n');
});

const validCall = fc.record({
  name: fc.constantFrom('Read', 'Grep', 'Glob', 'Bash', 'Task'),
  arguments: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()), { maxKeys: 4 }),
});
const visibleText = fc.string({ maxLength: 30 }).filter((s) => !s.includes('<tool_') && !s.includes('</tool_'));

test('property: any chunking of a valid stream yields the same calls and text', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(visibleText, validCall), { maxLength: 4 }), visibleText, fc.array(fc.nat(), { maxLength: 12 }), (pieces, tail, cuts) => {
      const text = pieces.map(([t, call]) => t + renderToolCall(call)).join('\n') + tail;
      const { turn } = parseChunks(splitAt(text, cuts));
      assert.deepEqual(turn.calls.map((c) => c.call), JSON.parse(JSON.stringify(pieces.map(([, call]) => call))));
      assert.equal(turn.failures.length, 0);
      assert.equal(turn.text, pieces.map(([t]) => t).join('\n') + tail);
      assert.ok(turn.calls.every((c) => !c.repaired));
    }),
    { numRuns: 300 },
  );
});

test('property: garbage never crashes and chunking never changes the result', () => {
  const fragment = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('<tool_call>', '</tool_call>', '<tool_', '</tool', '<tool_response>', '{"name": "Read", "arguments": {', '}', '"', '\\'));
  fc.assert(
    fc.property(fc.array(fragment, { maxLength: 15 }), fc.array(fc.nat(), { maxLength: 10 }), (fragments, cuts) => {
      const text = fragments.join('');
      const whole = parseAssistantText(text);
      const { turn } = parseChunks(splitAt(text, cuts));
      assert.deepEqual(turn, whole);
    }),
    { numRuns: 500 },
  );
});

test('a call nested deeper than the limit is an error naming the limit, at any depth up to 200k', async () => {
  const { MAX_JSON_DEPTH, jsonNestingDepth } = await import('../../src/protocol/json-depth.js');
  const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const fits = parseAssistantText(`<tool_call>\n{"name": "Grep", "arguments": {"pattern": "x", "deep": ${nested(MAX_JSON_DEPTH - 2)}}}\n</tool_call>`);
  assert.equal(fits.calls.length, 1);
  for (const levels of [MAX_JSON_DEPTH, 5000, 200_000]) {
    const forms = [
      `{"name": "Grep", "arguments": {"pattern": "x", "deep": ${nested(levels)}}}`,
      // Unclosed: only the repair would close it.
      `{"name": "Grep", "arguments": {"pattern": "x", "deep": ${'['.repeat(levels)}`,
      // Arguments as a JSON string.
      `{"name": "Grep", "arguments": ${JSON.stringify(`{"deep": ${nested(levels)}}`)}}`,
    ];
    for (const form of forms) {
      const turn = parseAssistantText(`<tool_call>\n${form}\n</tool_call>`);
      assert.equal(turn.calls.length, 0);
      assert.equal(turn.failures.length, 1);
      assert.match(turn.failures[0].message, new RegExp(`nests more than ${MAX_JSON_DEPTH} levels .*the limit is ${MAX_JSON_DEPTH}`));
    }
  }
  // Brackets inside strings do not count; escaped quotes do not end a string.
  assert.equal(jsonNestingDepth('{"a": "[[[[\\"[[[", "b": [1]}'), 2);
  assert.equal(jsonNestingDepth('[[[[]]]]', 2), 3);
});
