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
    'tail.txt': 'one\ntwo',
    'wide.txt': `${'w'.repeat(2100)}\nok\n`,
    ...many,
  });
  toolbox = createToolbox({ roots: [tree.root], allowWrite: false, sandbox: 'allow-list', tools: FASTCONTEXT_PROFILE.tools, caps: FASTCONTEXT_PROFILE.caps, errors: FASTCONTEXT_PROFILE.errors });
});
after(() => tree.cleanup());

const run = (name: string, args: Record<string, unknown>) => toolbox.execute({ name, arguments: args }, new AbortController().signal);

test('Read: a fenced block headed with the path as given and start-end; N|line lines keep their newline, so the fence follows an empty line', async () => {
  const file = path.join(tree.root, 'notes.md');
  assert.deepEqual(await run('Read', { path: file }).then((r) => [r.output, r.isError]), [`\`\`\`${file}:1-2\n1|alpha\n2|beta\n\n\`\`\``, false]);
  assert.equal((await run('Read', { path: 'src/app.py', offset: 5, limit: 2 })).output, '```src/app.py:5-6\n5|# line 5\n6|def handler(): pass\n\n```');
  // The last line without a newline: no empty line before the fence. A negative offset reads from line 1.
  assert.equal((await run('Read', { path: 'tail.txt', offset: -3 })).output, '```tail.txt:1-2\n1|one\n2|two\n```');
  // A line over the cap is cut and ended with "...", which brings its own newline.
  assert.equal((await run('Read', { path: 'wide.txt' })).output, `\`\`\`wide.txt:1-2\n1|${'w'.repeat(2000)}...\n2|ok\n\n\`\`\``);
});

test('Read: 2000 lines at most, then "..." inside the fence; an empty file says so; file_path is accepted as an alias of path', async () => {
  const output = (await run('Read', { path: 'big.txt' })).output.split('\n');
  assert.equal(output[0], '```big.txt:1-2000');
  assert.equal(output[2000], '2000|line 2000');
  assert.deepEqual(output.slice(2001), ['...', '```']);
  // A range inside the cap ends where asked, with no "...".
  assert.equal((await run('Read', { path: 'big.txt', offset: 2099, limit: 5 })).output, '```big.txt:2099-2100\n2099|line 2099\n2100|line 2100\n\n```');
  assert.equal((await run('Read', { path: 'empty.txt' })).output, 'File is empty.');
  assert.match((await run('Read', { file_path: 'notes.md' })).output, /^```notes\.md:1-2\n1\|alpha/);
});

test("errors in FastContext's words: unknown tool, invalid arguments, a missing file, a path outside the workspace", async () => {
  assert.deepEqual(await run('Bash', { command: 'ls' }).then((r) => [r.output, r.isError]), ['Tool `Bash` not found.', true]);
  assert.deepEqual(await run('Read', { path: 'notes.md', offset: 'two' }).then((r) => [r.output, r.isError]), ['Tool `Read` arguments are invalid.', true]);
  assert.equal((await run('Read', {})).output, 'Tool `Read` arguments are invalid.');
  // An argument the shown schema lacks is refused before the implementation sees it.
  assert.equal((await run('Glob', { pattern: '*', depth: 2 })).output, 'Tool `Glob` arguments are invalid.');
  const missing = await run('Read', { path: 'nope.py' });
  assert.deepEqual([missing.output, missing.isError], ['Read Tool: file nope.py does not exist.', true]);
  const outside = await run('Read', { path: '/etc/hostname' });
  assert.deepEqual([outside.output, outside.isError], [`Permission error: \`/etc/hostname\` is not within the working directory \`${tree.root}\`.`, true]);
  assert.equal((await run('Glob', { pattern: '*', directory: 'nowhere' })).output, 'The directory `nowhere` does not exist.');
});

test('Glob: rg --files under directory, "No files found", 100 results then the truncation sentence', { skip: rg }, async () => {
  assert.equal((await run('Glob', { pattern: '*.py', directory: 'src' })).output, path.join(tree.root, 'src/app.py'));
  assert.equal((await run('Glob', { pattern: '*.rs' })).output, 'No files found');
  // `path` is accepted for the directory.
  assert.equal((await run('Glob', { pattern: '*.py', path: 'src' })).output, path.join(tree.root, 'src/app.py'));
  const output = (await run('Glob', { pattern: '*.txt', directory: 'many' })).output.split('\n');
  assert.equal(output.length, 101);
  assert.equal(output[100], 'Results are truncated: showing first 100 results. Consider using a more specific path or pattern.');
  for (const line of output.slice(0, 100)) assert.match(line, new RegExp(`^${tree.root}/many/f\\d{3}\\.txt$`));
});

test('Grep: --heading output; content mode defaults to -C 3 -n; no output_mode gives plain matching lines; "No matches found"; the 100-line cap', { skip: rg }, async () => {
  const app = path.join(tree.root, 'src/app.py');
  const content = await run('Grep', { pattern: 'def handler', path: 'src', output_mode: 'content' });
  assert.equal(content.output, [app, '3-# line 3', '4-# line 4', '5-# line 5', '6:def handler(): pass', '7-# line 7', '8-# line 8', '9-# line 9'].join('\n'));
  // Given context and -n are honoured.
  assert.equal((await run('Grep', { pattern: 'def handler', path: 'src', output_mode: 'content', '-C': 0, '-n': false })).output, [app, 'def handler(): pass'].join('\n'));
  assert.equal((await run('Grep', { pattern: 'def handler', path: 'src' })).output, [app, 'def handler(): pass'].join('\n'));
  assert.equal((await run('Grep', { pattern: 'handler', output_mode: 'files_with_matches' })).output, app);
  assert.equal((await run('Grep', { pattern: 'HANDLER', path: 'src', output_mode: 'files_with_matches', '-i': true })).output, app);
  assert.equal((await run('Grep', { pattern: 'zzz_nothing' })).output, 'No matches found');
  const capped = (await run('Grep', { pattern: 'line', path: 'big.txt', output_mode: 'content' })).output.split('\n');
  assert.equal(capped.length, 101);
  assert.equal(capped[100], 'Results truncated to first 100 lines');
  const limited = (await run('Grep', { pattern: 'line', path: 'big.txt', output_mode: 'content', head_limit: 5 })).output.split('\n');
  assert.deepEqual(limited.slice(5), ['Results truncated to first 5 lines']);
  // A head_limit over the cap does not lift it.
  assert.equal((await run('Grep', { pattern: 'line', path: 'big.txt', output_mode: 'content', head_limit: 500 })).output.split('\n').length, 101);
});

test("a profile's own schema decides before the implementation: an argument the model was not shown is refused", async () => {
  const read = FASTCONTEXT_PROFILE.tools[0];
  const narrowed = { ...read, parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } };
  const strict = createToolbox({ roots: [tree.root], allowWrite: false, sandbox: 'allow-list', tools: [narrowed], caps: FASTCONTEXT_PROFILE.caps, errors: FASTCONTEXT_PROFILE.errors });
  const refused = await strict.execute({ name: 'Read', arguments: { path: 'notes.md', offset: 2 } }, new AbortController().signal);
  assert.deepEqual([refused.output, refused.isError], ['Tool `Read` arguments are invalid.', true]);
  // The alias still maps onto the shown name first.
  assert.match((await strict.execute({ name: 'Read', arguments: { file_path: 'notes.md' } }, new AbortController().signal)).output, /^```notes\.md:1-2/);
  assert.deepEqual(strict.signatures()[0].parameters, narrowed.parameters);
});
