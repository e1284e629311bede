// Hostile tool arguments get a clear message for the model, never a raw system error:
// flag-shaped values never become ripgrep flags, arguments too large for an argv are
// refused naming the limit (not `spawn E2BIG`), and over-long paths are refused naming the
// kernel's limits and echoed shortened (not `ENAMETOOLONG` with the whole path).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_ARGV_CHARS, MAX_NAME_BYTES, MAX_PATH_CHARS } from '../../src/tools/argument-limits.js';
import { findRipgrep } from '../../src/tools/search/ripgrep.js';
import { detectSandbox, type SandboxMode } from '../../src/tools/sandbox.js';
import { createToolbox, type Toolbox } from '../../src/tools/toolbox.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const signal = new AbortController().signal;
const searchers = findRipgrep() === undefined ? (['js'] as const) : (['ripgrep', 'js'] as const);
const sandboxes: SandboxMode[] = (await detectSandbox()) === 'bwrap' ? ['allow-list', 'bwrap'] : ['allow-list'];
const TEN_MB = 'a'.repeat(10 * 1024 * 1024);

let tree: TempTree;
before(async () => {
  tree = await makeTempTree({ 'notes.txt': '--pre=sh and -z\n', 'src/a.js': 'const x = 1;\n' });
});
after(() => tree.cleanup());

function toolbox(searcher: 'ripgrep' | 'js', sandbox: SandboxMode = 'allow-list', allowWrite = false): Toolbox {
  return createToolbox({ roots: [tree.root], allowWrite, sandbox, searcher });
}

async function call(box: Toolbox, name: string, args: Record<string, unknown>): Promise<{ output: string; isError: boolean }> {
  return box.execute({ name, arguments: args }, signal);
}

for (const searcher of searchers) {
  test(`Grep (${searcher}): a flag-shaped type is refused with the fix; flag-shaped patterns and globs stay values`, async () => {
    const box = toolbox(searcher);
    for (const type of ['--pre=sh', '-z', '--pre', '-', 'js --pre=sh', 'a/b']) {
      const result = await call(box, 'Grep', { pattern: 'x', type });
      assert.equal(result.isError, true, type);
      assert.match(result.output, /Grep's `type` must be a ripgrep file type name such as js, py.*Use glob for file name patterns/);
      assert.doesNotMatch(result.output, /USAGE|rg \[OPTIONS\]/);
    }
    const known = await call(box, 'Grep', { pattern: 'const', type: 'js' });
    assert.equal(known.output, 'Found 1 file\nsrc/a.js');
    const unknown = await call(box, 'Grep', { pattern: 'x', type: 'nosuchtype' });
    assert.match(unknown.output, /unrecognized file type: nosuchtype/);
    // A pattern or glob that looks like a flag is searched for, not obeyed.
    const flagPattern = await call(box, 'Grep', { pattern: '--pre=sh', output_mode: 'content' });
    assert.equal(flagPattern.output, 'notes.txt:1:--pre=sh and -z');
    const dashPattern = await call(box, 'Grep', { pattern: '-z', output_mode: 'count' });
    assert.match(dashPattern.output, /^notes\.txt:1/);
    const flagGlob = await call(box, 'Grep', { pattern: 'x', glob: '--pre=sh' });
    assert.equal(flagGlob.output, 'No files found');
  });

  test(`Grep (${searcher}): a pattern or glob too large for an argv is refused naming the limit`, async () => {
    const box = toolbox(searcher);
    for (const args of [{ pattern: TEN_MB }, { pattern: 'x', glob: TEN_MB }, { pattern: 'é'.repeat(MAX_ARGV_CHARS + 1) }]) {
      const result = await call(box, 'Grep', args);
      assert.equal(result.isError, true);
      assert.match(result.output, new RegExp(`Grep's \`(pattern|glob)\` is \\d+ characters long; the limit is ${MAX_ARGV_CHARS} characters`));
      assert.ok(result.output.length < 400);
    }
    // At the limit, even in 3-byte characters, ripgrep gets it.
    const fits = await call(box, 'Grep', { pattern: '€'.repeat(MAX_ARGV_CHARS) });
    assert.equal(fits.output, 'No files found');
  });
}

for (const sandbox of sandboxes) {
  test(`Bash (${sandbox}): a command starting with '-' is never an option of the shell`, async () => {
    const box = toolbox('js', sandbox);
    for (const command of ['--version', '-c', '--rcfile /dev/null', '-x']) {
      const result = await call(box, 'Bash', { command });
      assert.equal(result.isError, true, command);
      assert.doesNotMatch(result.output, /GNU bash|Usage:|invalid option|option requires an argument/, command);
    }
  });

  test(`Bash (${sandbox}): a command too large for an argv is refused naming the limit, not E2BIG`, async () => {
    const box = toolbox('js', sandbox);
    const result = await call(box, 'Bash', { command: `echo ${TEN_MB}` });
    assert.equal(result.isError, true);
    assert.match(result.output, new RegExp(`Bash's \`command\` is ${TEN_MB.length + 5} characters long; the limit is ${MAX_ARGV_CHARS} characters. Split the work`));
    assert.doesNotMatch(result.output, /E2BIG/);
    const fits = await call(box, 'Bash', { command: `echo ${'b'.repeat(MAX_ARGV_CHARS - 13)} | wc -c` });
    assert.equal(fits.output, String(MAX_ARGV_CHARS - 12));
  });
}

test('over-long paths: every path tool names the limit and shows the path shortened', async () => {
  const box = toolbox('js', 'allow-list', true);
  const longName = 'n'.repeat(3000);
  const longPath = Array.from({ length: 20 }, () => 'd'.repeat(250)).join('/');
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [];
  for (const [value, why] of [
    [longName, `has a name of 3000 bytes and file names hold at most ${MAX_NAME_BYTES}`],
    [longPath, `is \\d+ characters long and paths hold at most ${MAX_PATH_CHARS}`],
    [TEN_MB, `is \\d+ characters long and paths hold at most ${MAX_PATH_CHARS}`],
  ] as const) {
    const expected = new RegExp(`cannot exist: it ${why}\\. Use a shorter path\\.`);
    cases.push(['Read', { file_path: value }, expected], ['Grep', { pattern: 'x', path: value }, expected], ['Glob', { pattern: '*', path: value }, expected]);
    cases.push(['Write', { file_path: value, content: 'x' }, expected], ['Edit', { file_path: value, old_string: 'a', new_string: 'b' }, expected]);
  }
  // A name just over the limit inside an existing folder, as the file system would refuse it.
  cases.push(['Read', { file_path: `src/${'m'.repeat(MAX_NAME_BYTES + 1)}` }, /has a name of 256 bytes/]);
  for (const [name, args, expected] of cases) {
    const result = await call(box, name, args);
    assert.equal(result.isError, true, name);
    assert.match(result.output, expected, `${name}: ${result.output.slice(0, 300)}`);
    assert.doesNotMatch(result.output, /ENAMETOOLONG/);
    assert.ok(result.output.length < 600, `${name} echoed ${result.output.length} characters`);
    assert.match(result.output, /…[nda/]+ \(\d+ characters\)|name of 256 bytes/);
  }
  // A name at the limit is an ordinary missing file.
  const atLimit = await call(box, 'Read', { file_path: 'm'.repeat(MAX_NAME_BYTES) });
  assert.match(atLimit.output, /File does not exist/);
});
