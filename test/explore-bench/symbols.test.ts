// Definitions from tree-sitter (web-tree-sitter and the grammars' wasm): line ranges with
// decorators and export keywords, doc comments and docstrings, the enclosing definition of a
// line, and the masked question of a definition task.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definitionQuestion } from '../../src/explore-bench/symbol-tasks.js';
import { definitionsIn, docSummary, enclosingDefinitions } from '../../src/explore-bench/symbols.js';

const PYTHON = `import functools


@functools.cache
def load(path):
    '''Load the settings file.

    Longer text that the summary leaves out.
    '''
    return open(path).read()


class Store:
    """Keeps every record in memory."""

    def put(self, key, value):
        """Store value under key, replacing what was there."""
        self.items[key] = value
`;

const TYPESCRIPT = `/** Adds two numbers and rounds the sum. */
export function add(a: number, b: number): number {
  return Math.round(a + b);
}

/**
 * Turns text into words.
 * @param text the input
 */
export const split = (text: string): string[] => text.split(' ');

export class Queue<T> {
  /** Takes the oldest item out of the queue. */
  shift(): T | undefined {
    return this.items.shift();
  }
  items: T[] = [];
}

function bare() {}
`;

describe('definitionsIn', () => {
  it('Python: functions, classes and methods with docstrings; a decorator starts the range', async () => {
    const found = await definitionsIn('pkg/settings.py', PYTHON);
    assert.deepEqual(
      found?.map(({ name, kind, start, end, doc }) => ({ name, kind, start, end, summary: doc === undefined ? undefined : docSummary(doc) })),
      [
        { name: 'load', kind: 'function', start: 4, end: 10, summary: 'Load the settings file.' },
        { name: 'Store', kind: 'class', start: 13, end: 18, summary: 'Keeps every record in memory.' },
        { name: 'put', kind: 'function', start: 16, end: 18, summary: 'Store value under key, replacing what was there.' },
      ],
    );
  });

  it('TypeScript: JSDoc on functions, exported arrow constants and methods; @tags left out', async () => {
    const found = await definitionsIn('src/util.ts', TYPESCRIPT);
    assert.deepEqual(
      found?.map(({ name, kind, start, end, doc }) => ({ name, kind, start, end, summary: doc === undefined ? undefined : docSummary(doc) })),
      [
        { name: 'add', kind: 'function', start: 2, end: 4, summary: 'Adds two numbers and rounds the sum.' },
        { name: 'split', kind: 'function', start: 10, end: 10, summary: 'Turns text into words.' },
        { name: 'Queue', kind: 'class', start: 12, end: 18, summary: undefined },
        { name: 'shift', kind: 'function', start: 14, end: 16, summary: 'Takes the oldest item out of the queue.' },
        { name: 'bare', kind: 'function', start: 20, end: 20, summary: undefined },
      ],
    );
  });

  it('has no answer for a language without a grammar', async () => {
    assert.equal(await definitionsIn('main.go', 'package main\n'), undefined);
  });

  it('finds the innermost definition enclosing truth lines', async () => {
    const found = (await definitionsIn('pkg/settings.py', PYTHON)) ?? [];
    assert.deepEqual(enclosingDefinitions(found, [[18, 18]]).map((definition) => definition.name), ['put']);
    assert.deepEqual(enclosingDefinitions(found, [[9, 14]]).map((definition) => definition.name), ['load', 'Store']);
    assert.deepEqual(enclosingDefinitions(found, [[1, 2]]), []);
  });
});

describe('definitionQuestion', () => {
  it('masks every mention of the name, whole words only, and asks for the code', () => {
    assert.deepEqual(definitionQuestion('Load the config; load_all calls Load twice.', 'load'), {
      question: 'Where is the code that [name] the config; load_all calls [name] twice?',
      masked: 2,
    });
  });
});
