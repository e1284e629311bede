// Stop strings over streamed text and over parsed parts (src/protocol/stop-sequences.ts):
// whatever the chunking, the emitted text is the text cut at the earliest stop string.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StopSequencePartFilter, StopSequenceScanner } from '../../src/protocol/stop-sequences.js';
import { ToolCallStreamParser, type ParsedPart } from '../../src/protocol/tool-call-parser.js';

/** The reference: cut at the earliest occurrence of any stop string. */
function cutAtFirst(text: string, stops: readonly string[]): { text: string; matched?: string } {
  let best: { at: number; stop: string } | undefined;
  for (const stop of stops) {
    const at = stop === '' ? -1 : text.indexOf(stop);
    if (at !== -1 && (best === undefined || at < best.at)) best = { at, stop };
  }
  return best ? { text: text.slice(0, best.at), matched: best.stop } : { text };
}

const alphabet = fc.constantFrom('a', 'b', 'S', 'T', '\n');
const word = fc.array(alphabet, { maxLength: 12 }).map((chars) => chars.join(''));

describe('StopSequenceScanner', () => {
  it('emits the text cut at the earliest stop string, for every chunking (property)', () => {
    fc.assert(
      fc.property(word, fc.array(fc.array(alphabet, { minLength: 1, maxLength: 3 }).map((chars) => chars.join('')), { maxLength: 3 }), fc.array(fc.nat(12), { maxLength: 5 }), (text, stops, cuts) => {
        const points = [...new Set(cuts.filter((cut) => cut < text.length))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, index, all) => text.slice(start, all[index + 1] ?? text.length));
        const scanner = new StopSequenceScanner(stops);
        let out = '';
        for (const chunk of chunks) out += scanner.push(chunk);
        out += scanner.flush();
        const expected = cutAtFirst(text, stops);
        assert.equal(out, expected.text);
        assert.equal(scanner.hit, expected.matched !== undefined);
        // With one stop string a prefix of another, chunking decides which is seen first;
        // either way it is a stop string that starts where the text was cut.
        if (scanner.hit) assert.ok(stops.includes(scanner.matched ?? '') && text.startsWith(scanner.matched ?? '', expected.text.length));
        else assert.equal(scanner.matched, undefined);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('StopSequenceScanner, a shorter stop string completing inside a longer one still being written', () => {
  it('waits: the longer one starts earlier, so it ends the text when it completes', () => {
    const scanner = new StopSequenceScanner(['Saa', 'a']);
    assert.equal(scanner.push('Sa'), '');
    assert.equal(scanner.hit, false);
    assert.equal(scanner.push('a'), '');
    assert.deepEqual([scanner.hit, scanner.matched], [true, 'Saa']);
  });

  it('the shorter one wins when the longer one does not complete, also at the end of the text', () => {
    const broken = new StopSequenceScanner(['Saa', 'a']);
    assert.equal(broken.push('Sa'), '');
    assert.equal(broken.push('b'), 'S');
    assert.deepEqual([broken.hit, broken.matched], [true, 'a']);
    const ended = new StopSequenceScanner(['Saa', 'a']);
    assert.equal(ended.push('Sa'), '');
    assert.equal(ended.flush(), 'S');
    assert.deepEqual([ended.hit, ended.matched], [true, 'a']);
  });
});

describe('StopSequencePartFilter', () => {
  function run(chunks: readonly string[], stops: readonly string[]): { parts: ParsedPart[]; filter: StopSequencePartFilter } {
    const parser = new ToolCallStreamParser();
    const filter = new StopSequencePartFilter(stops);
    const parts: ParsedPart[] = [];
    for (const chunk of chunks) parts.push(...filter.push(parser.push(chunk)));
    parts.push(...filter.push(parser.finish()), ...filter.flush());
    return { parts, filter };
  }
  const textOf = (parts: readonly ParsedPart[]): string => parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

  it('cuts visible text and drops every later part, calls included', () => {
    const { parts, filter } = run(['ab', 'cST', 'OP x <tool_call>\n{"name": "Grep", "arguments": {}}\n</tool_call>'], ['STOP']);
    assert.equal(textOf(parts), 'abc');
    assert.ok(parts.every((part) => part.type === 'text'));
    assert.equal(filter.matched, 'STOP');
  });

  it('never matches inside a call, and releases held text before it', () => {
    const { parts, filter } = run(['see S', '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "STOP"}}\n</tool_call>'], ['STOP']);
    assert.equal(filter.hit, false);
    assert.deepEqual(
      parts.filter((part) => part.type === 'text' || part.type === 'tool-call').map((part) => (part.type === 'tool-call' ? part.call.arguments : part.text)),
      ['see ', 'S', { pattern: 'STOP' }],
    );
  });
});
