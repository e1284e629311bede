// FastContext's tools on real temp files, through a toolbox built from the fastcontext
// profile: its argument names and aliases, result formats, caps and error strings.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FASTCONTEXT_PROFILE } from '../../src/protocol/profile.js';
import { createToolbox, type Toolbox } from '../../src/tools/toolbox.js';
import { onPath, skipUnless } from '../support/required-tools.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const rg = skipUnless(onPath('rg'), 'ripgrep (rg)');
const lines = (count: number, text = (n: number) => `line ${n}`) => Array.from({ length: count }, (_, index) => text(index + 1)).join('\n') + '\n';
const many: Record<string, string> = {};
for (let index = 0; index < 105; index++) many[`many/f${String(index).padStart(3, '0')}.txt`] = 'x\n';

let tree: TempTree;
let toolbox: Toolbox;
before(async () => {
  tree = await makeTempTree({
    'src/app.py': lines(12, (n) => (n === 6 ? 'def handler(): pass' : `# line ${n}`)),
    'empty.txt': '',
    'big.txt': lines(2100),
    'notes.md': 'alpha\nbeta\n',
    ...many,
  });
  toolbox = createToolbox({ roots: [tree.root], allowWrite: false, sandbox: 'allow-list', tools: FASTCONTEXT_PROFILE.tools, caps: FASTCONTEXT_PROFILE.caps, errors: FASTCONTEXT_PROFILE.errors });
});
after(() => tree.cleanup());

const run = (name: string, args: Record<string, unknown>) => toolbox.execute({ name, arguments: args }, new AbortController().signal);

test('Read: a fenced block headed path:start-end with N|text lines; offset and limit select the range', async () => {
  const file = path.join(tree.root, 'notes.md');
  assert.deepEqual(await run('Read', { path: file }).then((r) => [r.output, r.isError]), [`\`\`\`${file}:1-2\n1|alpha\n2|beta\n\`\`\``, false]);
  const app = path.join(tree.root, 'src/app.py');
  assert.equal((await run('Read', { path: 'src/app.py', offset: 5, limit: 2 })).output, `\`\`\`${app}:5-6\n5|# line 5\n6|def handler(): pass\n\`\`\``);
});

test('Read: 2000 lines at most, then "..."; an empty file says so; file_path is accepted as an alias of path', async () => {
  const output = (await run('Read', { path: 'big.txt' })).output.split('\n');
  assert.equal(output[0], `\`\`\`${path.join(tree.root, 'big.txt')}:1-2000`);
  assert.equal(output[2000], '2000|line 2000');
  assert.deepEqual(output.slice(2001), ['...', '```']);
  assert.equal((await run('Read', { path: 'empty.txt' })).output, 'File is empty.');
  assert.match((await run('Read', { file_path: 'notes.md' })).output, /^```.*notes\.md:1-2\n1\|alpha/);
});

test('errors in FastContext\'s words: unknown tool, invalid arguments, a missing file, a path outside the workspace', async () => {
  assert.deepEqual(await run('Bash', { command: 'ls' }).then((r) => [r.output, r.isError]), ['Tool `Bash` not found.', true]);
  assert.deepEqual(await run('Read', { path: 'notes.md', offset: 'two' }).then((r) => [r.output, r.isError]), ['Tool `Read` arguments are invalid.', true]);
  assert.equal((await run('Read', {})).output, 'Tool `Read` arguments are invalid.');
  const missing = await run('Read', { path: 'nope.py' });
  assert.equal(missing.isError, true);
  assert.match(missing.output, /^Error: nope\.py does not exist\.$/);
  const outside = await run('Read', { path: '/etc/hostname' });
  assert.equal(outside.isError, true);
  assert.match(outside.output, /^Error: /);
});

test('Glob: rg --files under directory, "No files found", 100 results then the truncation sentence', { skip: rg }, async () => {
  assert.equal((await run('Glob', { pattern: '*.py', directory: 'src' })).output, path.join(tree.root, 'src/app.py'));
  assert.equal((await run('Glob', { pattern: '*.rs' })).output, 'No files found');
  // `path` is FastContext's alias for the directory.
  assert.equal((await run('Glob', { pattern: '*.py', path: 'src' })).output, path.join(tree.root, 'src/app.py'));
  const output = (await run('Glob', { pattern: '*.txt', directory: 'many' })).output.split('\n');
  assert.equal(output.length, 101);
  assert.equal(output[100], 'Results are truncated: showing first 100 results. Consider using a more specific path or pattern.');
  for (const line of output.slice(0, 100)) assert.match(line, new RegExp(`^${tree.root}/many/f\\d{3}\\.txt$`));
});

test('Grep: --heading output, content mode forces -C 3 -n, "No matches found", the 100-line cap', { skip: rg }, async () => {
  const app = path.join(tree.root, 'src/app.py');
  const content = await run('Grep', { pattern: 'def handler', path: 'src', output_mode: 'content', '-C': 0, '-n': false });
  assert.equal(content.output, [app, '3-# line 3', '4-# line 4', '5-# line 5', '6:def handler(): pass', '7-# line 7', '8-# line 8', '9-# line 9'].join('\n'));
  assert.equal((await run('Grep', { pattern: 'handler' })).output, app);
  assert.equal((await run('Grep', { pattern: 'zzz_nothing' })).output, 'No matches found');
  const capped = (await run('Grep', { pattern: 'line', path: 'big.txt', output_mode: 'content' })).output.split('\n');
  assert.equal(capped.length, 101);
  assert.equal(capped[100], 'Results truncated to first 100 lines');
  const limited = (await run('Grep', { pattern: 'line', path: 'big.txt', output_mode: 'content', head_limit: 5 })).output.split('\n');
  assert.deepEqual(limited.slice(5), ['Results truncated to first 5 lines']);
});
