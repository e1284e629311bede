// The embedded engine's streaming detokenizer: a character split across byte tokens is
// never emitted as half a character, and bytes that never form one still come out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Token } from 'node-llama-cpp';
import { TokenTextDecoder } from '../../src/backends/embedded/token-decoder.js';

// A byte-level vocabulary: token n is the byte n, decoded as UTF-8 the way llama.cpp does.
const bytes = (text: string): Token[] => [...Buffer.from(text, 'utf8')].map((byte) => byte as Token);
const detokenize = (tokens: readonly Token[]) => Buffer.from(tokens.map(Number)).toString('utf8');

function stream(tokens: readonly Token[]): string[] {
  const decoder = new TokenTextDecoder(detokenize);
  const deltas = tokens.map((token) => decoder.push(token));
  deltas.push(decoder.flush());
  return deltas.filter((delta) => delta !== '');
}

test('multi-byte characters split over tokens come out whole, never as U+FFFD', () => {
  const text = 'a→b😀 é';
  const deltas = stream(bytes(text));
  assert.equal(deltas.join(''), text);
  for (const delta of deltas) assert.ok(!delta.includes('\uFFFD'), JSON.stringify(deltas));
  assert.deepEqual(deltas, ['a', '→', 'b', '😀', ' ', 'é']);
});

test('bytes that never complete a character come out as U+FFFD instead of being held forever', () => {
  const deltas = stream([0xf0 as Token, 0x9f as Token, 0x98 as Token, ...bytes('ab')]);
  assert.equal(deltas.join('').replaceAll('\uFFFD', '?').endsWith('ab'), true, JSON.stringify(deltas));
  assert.ok(deltas.join('').includes('\uFFFD'));
  assert.deepEqual(stream([0xe2 as Token]), ['\uFFFD'], 'a sequence open at the end is flushed');
});
