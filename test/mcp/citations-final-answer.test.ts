// Citations read from answers of every profile's shape: prose references (LocoOperator) and
// `<final_answer>` blocks (FastContext), with reasons, several blocks, no block, odd lines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { extractCitations, finalAnswerBlock, findReferences } from '../../src/mcp/citations.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree({ 'src/app.py': 'a\nb\nc\nd\ne\n', 'lib/util.ts': 'x\ny\n' });
});
after(() => tree.cleanup());

const refs = (answer: string, style: 'prose' | 'final-answer') => findReferences(answer, style).map((ref) => [ref.path, ref.start, ref.end, ref.reason]);

test('final-answer: one location a line, absolute or relative, reason in parentheses or after a dash, none at all', () => {
  const answer = `The handler is defined in app.py and used by util.ts.
<final_answer>
/repo/src/app.py:2-4 (defines the handler)
lib/util.ts:1 - calls it
/repo/src/app.py:5-5
</final_answer>`;
  assert.deepEqual(refs(answer, 'final-answer'), [
    ['/repo/src/app.py', 2, 4, 'defines the handler'],
    ['lib/util.ts', 1, undefined, 'calls it'],
    ['/repo/src/app.py', 5, 5, ''],
  ]);
});

test('final-answer lines as the harness reads them: files without an extension, bullets and backticks, spaces around the dash, junk lines skipped', () => {
  const answer = '<final_answer>\n\n- `/repo/Makefile:3-9` (build rules)\n* /repo/src/a b.py:10 – 12 (spaces in the name)\nnot a location\n/repo/Dockerfile:1\n/repo/x.py:7-7: the reason after a colon\n</final_answer>';
  assert.deepEqual(refs(answer, 'final-answer'), [
    ['/repo/Makefile', 3, 9, 'build rules'],
    ['/repo/src/a b.py', 10, 12, 'spaces in the name'],
    ['/repo/Dockerfile', 1, undefined, ''],
    ['/repo/x.py', 7, 7, 'the reason after a colon'],
  ]);
});

test('final-answer: the last block counts; an unclosed block runs to the end; without a block the prose is read', () => {
  const two = '<final_answer>\nsrc/app.py:1-1\n</final_answer>\nCorrection:\n<final_answer>\nlib/util.ts:2-2 (the real one)\n</final_answer>';
  assert.deepEqual(refs(two, 'final-answer'), [['lib/util.ts', 2, 2, 'the real one']]);
  assert.deepEqual(refs('Found it.\n<final_answer>\nsrc/app.py:3-4 (cut off', 'final-answer'), [['src/app.py', 3, 4, 'cut off']]);
  assert.equal(finalAnswerBlock('no block here'), undefined);
  assert.deepEqual(refs('It is set in src/app.py:2. Done.', 'final-answer'), [['src/app.py', 2, undefined, 'It is set in src/app.py:2.']]);
});

test('prose (LocoOperator): references anywhere, reason the sentence around them; a block is just more prose', () => {
  assert.deepEqual(refs('Config loads in `src/app.py:1-3`. Helpers live in lib/util.ts#L2.', 'prose'), [
    ['src/app.py', 1, 3, 'Config loads in src/app.py:1-3.'],
    ['lib/util.ts', 2, undefined, 'Helpers live in lib/util.ts#L2.'],
  ]);
});

test('extracted citations are checked against the tree: absolute paths inside it become relative, invented ones are dropped', async () => {
  const answer = `Brief.\n<final_answer>\n${tree.root}/src/app.py:2-40 (handler)\n${tree.root}/src/missing.py:1-2\n/etc/passwd:1-1\nlib/util.ts:9-9\n</final_answer>`;
  const citations = await extractCitations(answer, [], createPathPolicy([tree.root]), tree.root, 'final-answer');
  assert.deepEqual(citations, [{ path: 'src/app.py', start: 2, end: 5, reason: 'handler' }]);
});
