// Citation extraction against a real tree: references in the answer are kept only when they
// name a file inside the roots (symlinks resolved) and lines it has; reads stand in otherwise.
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ToolCallRecord } from '../../src/agent/events.js';
import { extractCitations, findReferences } from '../../src/mcp/citations.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
let outside: string;
before(async () => {
  tree = await makeTempTree({ 'src/a.ts': 'one\ntwo\nthree\nfour\n', 'lib/b.py': 'x\n' });
  outside = await mkdtemp(path.join(os.tmpdir(), 'loco-cite-outside-'));
  await writeFile(path.join(outside, 'c.ts'), 'secret\nsecret\n');
  await symlink(path.join(outside, 'c.ts'), path.join(tree.root, 'src/link.ts'));
});
after(async () => {
  await tree.cleanup();
  await rm(outside, { recursive: true, force: true });
});

test('reference forms: path:n, path:n-m, path:Ln-Lm, path#Ln, with an en dash', () => {
  const found = findReferences('See `src/a.ts:2`, src/a.ts:1-3 and src/a.ts:L2-L4.\n- lib/b.py#L1 sets it; also ./src/a.ts:1–2.');
  assert.deepEqual(found.map((ref) => [ref.path, ref.start, ref.end]), [
    ['src/a.ts', 2, undefined],
    ['src/a.ts', 1, 3],
    ['src/a.ts', 2, 4],
    ['lib/b.py', 1, undefined],
    ['./src/a.ts', 1, 2],
  ]);
  assert.equal(found[3].reason, 'lib/b.py#L1 sets it; also ./src/a.ts:1–2.');
});

test('invented files, lines past the end and symlinks out of the roots are dropped; ends are clamped', async () => {
  const policy = createPathPolicy([tree.root]);
  const answer = 'Defined in src/a.ts:2-99. Not in src/nope.ts:1 nor src/a.ts:50. The link src/link.ts:1 leaves the tree; ../x.ts:1 too. Same: src/a.ts:2-99.';
  const citations = await extractCitations(answer, [], policy, tree.root);
  assert.deepEqual(citations, [{ path: 'src/a.ts', start: 2, end: 4, reason: 'Defined in src/a.ts:2-99.' }]);
});

test('without references in the answer, the ranges the explorer read are cited', async () => {
  const policy = createPathPolicy([tree.root]);
  const call = (args: Record<string, unknown>, ok = true): ToolCallRecord => ({ turn: 1, index: 0, name: 'Read', arguments: args, ok, repaired: false, invalid: false, durationMs: 1, resultChars: 1 });
  const citations = await extractCitations('It is in the a module.', [call({ file_path: 'src/a.ts', offset: 2, limit: 2 }), call({ file_path: 'lib/b.py' }), call({ file_path: 'src/gone.ts' }, false)], policy, tree.root);
  assert.deepEqual(citations.map((c) => `${c.path}:${c.start}-${c.end}`), ['src/a.ts:2-3', 'lib/b.py:1-1']);
});
