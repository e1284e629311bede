// The trace format: every record kind survives writer -> reader, version 1 lines (no `v`,
// `agentId` on tool lines) still read, and bad or too-new lines are refused naming the line.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocoError } from '../../src/errors.js';
import { parseTrace, readTraceFile } from '../../src/trace/reader.js';
import { TRACE_RECORD_KINDS, TRACE_VERSION } from '../../src/trace/records.js';
import { createTraceWriter, freshFileSink, memorySink, type UnversionedTraceRecord } from '../../src/trace/writer.js';
import { makeTempTree } from '../support/temp-tree.js';
import { usageError } from '../support/usage-error.js';

const records: UnversionedTraceRecord[] = [
  { type: 'meta', startedAt: '2026-01-01T00:00:00.000Z', question: 'where?', backend: 'fake inline' },
  { type: 'tool-call', conversationId: 'main-1', turn: 1, index: 0, name: 'Read', arguments: { file_path: 'a.ts' }, repaired: false },
  { type: 'assistant', turn: 1, conversationId: 'main-1', text: 'ab', chunks: ['a', 'b'], usage: { promptTokens: 9, cachedTokens: 1, completionTokens: 2 }, finishReason: 'stop', durationMs: 3 },
  { type: 'tool-result', conversationId: 'main-1', turn: 1, index: 0, name: 'Read', isError: false, durationMs: 1, output: '1→x' },
  { type: 'error', turn: 2, conversationId: 'main-1', chunks: ['c'], error: { code: 'backend-http', message: 'boom', retryable: true, status: 503 }, durationMs: 4 },
  {
    type: 'finish',
    conversationId: 'main-1',
    answer: 'ab',
    turns: 2,
    toolCalls: [{ turn: 1, index: 0, name: 'Read', arguments: { file_path: 'a.ts' }, ok: true, repaired: false, invalid: false, durationMs: 1, resultChars: 3 }],
    usage: { promptTokens: 9, cachedTokens: 1, completionTokens: 2 },
    stopReason: 'error',
    durationMs: 10,
    error: { code: 'backend-http', message: 'boom' },
  },
];

describe('trace writer and reader', () => {
  it('round-trips every record kind, stamping the current version', async () => {
    assert.deepEqual([...new Set(records.map((record) => record.type))].sort(), [...TRACE_RECORD_KINDS].sort(), 'the fixture covers every kind');
    const sink = memorySink();
    const writer = createTraceWriter(sink);
    for (const record of records) void writer.write(record);
    await writer.flush();
    const lines = sink.text().trimEnd().split('\n');
    assert.equal(lines.length, records.length);
    for (const line of lines) assert.equal(JSON.parse(line).v, TRACE_VERSION);
    assert.deepEqual(
      parseTrace(sink.text(), 'memory'),
      records.map((record) => ({ ...record, v: TRACE_VERSION })),
    );
  });

  it('appends to a fresh file synchronously and reads it back', async () => {
    const tree = await makeTempTree();
    try {
      const file = path.join(tree.root, 'trace.jsonl');
      const writer = createTraceWriter(freshFileSink(file));
      await writer.write(records[0]);
      await writer.write(records[1]);
      assert.equal((await readFile(file, 'utf8')).split('\n').length, 3);
      assert.deepEqual((await readTraceFile(file)).map((record) => record.type), ['meta', 'tool-call']);
      const again = createTraceWriter(freshFileSink(file));
      await again.write(records[2]);
      assert.deepEqual((await readTraceFile(file)).map((record) => record.type), ['assistant'], 'a fresh sink starts the file over');
    } finally {
      await tree.cleanup();
    }
  });

  it('reads version 1 lines: no "v", tool lines naming the conversation agentId', () => {
    const old = [
      '{"type":"meta","question":"q","dir":"/r","backend":"x","startedAt":"2025-01-01T00:00:00.000Z"}',
      '{"type":"tool-call","agentId":"main","turn":1,"index":0,"name":"Glob","arguments":{"pattern":"*"},"repaired":false}',
      '{"type":"assistant","turn":1,"conversationId":"main-ab12","text":"t","chunks":["t"],"usage":{"promptTokens":1,"cachedTokens":0,"completionTokens":1},"finishReason":"stop","durationMs":2}',
      '{"type":"tool-result","agentId":"agent-1","turn":1,"index":0,"name":"Glob","isError":false,"durationMs":0,"output":"a"}',
    ].join('\n');
    const read = parseTrace(old, 'old.jsonl');
    assert.deepEqual(read.map((record) => record.v), [2, 2, 2, 2]);
    assert.equal(read[0].type === 'meta' && read[0].question, 'q');
    assert.deepEqual(read[1], { type: 'tool-call', v: 2, conversationId: 'main', turn: 1, index: 0, name: 'Glob', arguments: { pattern: '*' }, repaired: false });
    assert.equal(read[3].type === 'tool-result' && read[3].conversationId, 'agent-1');
  });

  it('refuses bad lines naming source and line, and versions newer than it reads', () => {
    assert.match(usageError(() => parseTrace('{"type":"meta"}\n{"type":"tool-call","turn":1}', 't.jsonl')).message, /^trace t\.jsonl:2: invalid tool-call entry: index: /);
    assert.match(usageError(() => parseTrace('{"type":"meta","v":99}', 't.jsonl')).message, /^trace t\.jsonl:1: trace format version 99 is newer than this loco reads \(2\): update loco$/);
    assert.match(usageError(() => parseTrace('nope', 't.jsonl', { label: 'fake backend script' })).message, /^fake backend script t\.jsonl:1: not valid JSON/);
    assert.deepEqual(parseTrace('{"type":"future-kind","x":1}\n{"type":"meta"}', 't.jsonl').map((record) => record.type), ['meta'], 'unknown kinds are skipped');
    assert.deepEqual(parseTrace('{"type":"meta"}\n{"type":"tool-call"}', 't.jsonl', { kinds: ['meta'] }).length, 1, 'kinds not asked for are not validated');
  });
});
