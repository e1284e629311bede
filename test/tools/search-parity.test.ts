// The ripgrep and JS searchers must give the model the same text. Every Grep option and
// output mode, and Glob, run with both on one realistic tree (nested .gitignore, hidden
// files, a .git folder, unicode, CRLF, BOM and UTF-16 files, binary files, a symlink to
// outside the root, long lines), and the outputs are compared exactly. A few expected
// outputs are also pinned, so two equally wrong searchers cannot pass.
import assert from 'node:assert/strict';
import { chmod, symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createGlobTool, type GlobArguments } from '../../src/tools/glob.js';
import { createGrepTool, type GrepArguments } from '../../src/tools/grep.js';
import { createPathPolicy, type PathPolicy } from '../../src/tools/paths.js';
import { findRipgrep } from '../../src/tools/search/ripgrep.js';
import { ToolUseError } from '../../src/tools/types.js';
import { skipUnless } from '../support/required-tools.js';
import { withoutPrivileges } from '../support/tool-errors.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const noRipgrep = skipUnless(findRipgrep() !== undefined, 'ripgrep (rg)');
const signal = new AbortController().signal;

const INDEX_TS = [
  "import { helper } from './util';",
  'import type { Thing } from "./types";',
  '',
  '// TODO: remove hello',
  'export function greet(name: string): string {',
  '  return `hello ${name}`;',
  '}',
  '',
  'export function count(): number {',
  '  return 42;',
  '}',
  '',
].join('\n');

/** Enough matching lines (about 90 KB of output) to pass Grep's output limit. */
function bigFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let file = 1; file <= 5; file += 1) {
    const lines = Array.from({ length: 400 }, (_, index) => (index % 7 === 3 ? `filler ${index}` : `needle ${file}.${index} with some padding text`));
    files[`big/part-${file}.txt`] = `${lines.join('\n')}\n`;
  }
  return files;
}

function treeFiles(): Record<string, string | Uint8Array> {
  const filler = `${'a'.repeat(99)}\n`.repeat(1000);
  return {
    '.gitignore': 'node_modules/\n*.log\nbuild/\n!important.log\n',
    '.git/config': 'hello from git config\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.hidden/secret.ts': "export const token = 'hello hidden';\n",
    '.env': 'API_KEY=hello\n',
    'src/index.ts': INDEX_TS,
    'src/util.ts': 'export function helper(x: number) {\n  return x * 2; // hello util\n}\n',
    'src/app.test.ts': "test('hello', () => {});\n",
    'src/deep/nested/mod.ts': 'export const deep = 1234;\nexport const hello = "deep";\n',
    'src/sub/.gitignore': 'generated.ts\n',
    'src/sub/generated.ts': 'export const hello = "generated";\n',
    'src/sub/kept.ts': 'export const kept = "hello kept";\n',
    'lib/legacy.js': 'var hello = function () { return 1; };\nmodule.exports = hello;\n',
    'lib/helper.py': 'def hello():\n    return "HELLO python"\n',
    'docs/README.md': '# Grüße, 世界! hello 👋\n<!-- comment -->\nαβγ Greek line\nplain 123 and ٣٤ digits\n',
    'docs/notes.txt': 'first line\r\nhello crlf\r\nline two\r\n',
    'docs/bom.md': '\ufeffhello bom\n',
    'docs/utf16.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello utf16\nsecond\n', 'utf16le')]),
    'build/out.js': 'hello build\n',
    'node_modules/pkg/index.js': 'hello module\n',
    'debug.log': 'hello debug\n',
    'important.log': 'hello important\n',
    'data/blob.bin': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), Buffer.from('hello binary\n')]),
    'data/late.dat': `hello early\n${filler}\u0000hello late\n`,
    'explicit/context.dat': `hello 1\n${filler}ctx\u0000\nhello 2\nhello 3\n`,
    'long/minified.js': `var a="hello";${'x'.repeat(600)}\nshort hello\n${'y'.repeat(499)}\nhello after long\n`,
    'ümlaut/ñame.ts': 'export const ñ = "hello ñ";\n',
    ...bigFiles(),
  };
}

let tree: TempTree;
let outside: TempTree;
let policy: PathPolicy;

before(async () => {
  tree = await makeTempTree(treeFiles());
  outside = await makeTempTree({ 'secret.txt': 'hello outside\n', 'dir/more.ts': 'hello outside dir\n' });
  await symlink(outside.root, path.join(tree.root, 'linked-outside'));
  await symlink(path.join(outside.root, 'secret.txt'), path.join(tree.root, 'linked-secret.txt'));
  await symlink(path.join(tree.root, 'src/index.ts'), path.join(tree.root, 'src/alias.ts'));
  policy = createPathPolicy([tree.root]);
});

after(async () => {
  await tree.cleanup();
  await outside.cleanup();
});

async function outcome(run: () => Promise<{ output: string }>): Promise<string> {
  try {
    return (await run()).output;
  } catch (error) {
    // Messages differ (ripgrep's parser versus JavaScript's); that both refuse must not.
    if (error instanceof ToolUseError) return 'ToolUseError';
    throw error;
  }
}

async function grepBoth(args: GrepArguments): Promise<{ ripgrep: string; js: string }> {
  const ripgrep = await outcome(() => createGrepTool({ policy, searcher: 'ripgrep' }).run(args, { signal }));
  const js = await outcome(() => createGrepTool({ policy, searcher: 'js' }).run(args, { signal }));
  return { ripgrep, js };
}

const grepCases: GrepArguments[] = [
  { pattern: 'hello' },
  { pattern: 'hello', '-i': true },
  { pattern: 'hello', output_mode: 'content' },
  { pattern: 'hello', output_mode: 'content', '-n': false },
  { pattern: 'hello', output_mode: 'content', '-i': true, '-C': 1 },
  { pattern: 'return', output_mode: 'content', '-A': 1 },
  { pattern: 'return', output_mode: 'content', '-B': 2 },
  { pattern: 'export', output_mode: 'content', context: 1, '-n': false },
  { pattern: 'hello', output_mode: 'count' },
  { pattern: 'hello', output_mode: 'count', '-i': true },
  { pattern: 'hello', output_mode: 'content', head_limit: 5 },
  { pattern: 'hello', output_mode: 'content', head_limit: 3, offset: 2 },
  { pattern: 'hello', head_limit: 2, offset: 1 },
  { pattern: 'hello', output_mode: 'count', head_limit: 2 },
  { pattern: 'hello', glob: '*.ts' },
  { pattern: 'hello', glob: '*.{ts,py}' },
  { pattern: 'hello', glob: '*.py,*.js' },
  { pattern: 'hello', glob: '*.md *.txt', output_mode: 'content' },
  { pattern: 'hello', glob: '!*.test.ts' },
  { pattern: 'hello', glob: 'src/**/*.ts' },
  { pattern: 'hello', glob: '*.log' },
  { pattern: 'hello', glob: '**/*', output_mode: 'count' },
  { pattern: 'hello', type: 'py' },
  { pattern: 'hello', type: 'js', output_mode: 'content' },
  { pattern: 'hello', type: 'ts', glob: '*.md' },
  { pattern: 'hello', type: 'rust' },
  { pattern: 'hello', path: 'src' },
  { pattern: 'hello', path: 'src/sub', output_mode: 'content' },
  { pattern: 'hello', path: 'src/index.ts', output_mode: 'content' },
  { pattern: 'hello', path: 'src/sub/generated.ts' },
  { pattern: 'hello', path: 'data/blob.bin', output_mode: 'content' },
  { pattern: 'hello', path: 'data/blob.bin', output_mode: 'count' },
  { pattern: 'hello', path: 'data/blob.bin' },
  { pattern: 'hello', path: 'data', output_mode: 'content' },
  { pattern: 'hello', path: 'data', output_mode: 'count' },
  { pattern: 'hello', path: 'data/late.dat', output_mode: 'content' },
  { pattern: 'hello', path: 'data/late.dat', output_mode: 'count' },
  { pattern: 'hello', path: 'explicit/context.dat', output_mode: 'content' },
  { pattern: 'hello', path: 'explicit/context.dat', output_mode: 'content', '-C': 1 },
  { pattern: 'hello', path: 'long', output_mode: 'content', '-C': 1 },
  { pattern: 'y+', path: 'long', output_mode: 'content' },
  { pattern: '\\bhello\\b', output_mode: 'count' },
  { pattern: '\\d+', output_mode: 'content' },
  { pattern: '\\w+ö|Grüße', output_mode: 'content' },
  { pattern: '[[:upper:]]{4,}', output_mode: 'content' },
  { pattern: '\\p{Greek}+', output_mode: 'content' },
  { pattern: '世界|👋', output_mode: 'content' },
  { pattern: '(?i)GRÜSSE|HELLO PYTHON', output_mode: 'content' },
  { pattern: '^\\s*return', output_mode: 'content' },
  { pattern: 'two$', output_mode: 'content' },
  { pattern: 'crlf$', output_mode: 'count' },
  { pattern: '-->', output_mode: 'content' },
  { pattern: "from '\\.\\/util'", output_mode: 'content' },
  { pattern: 'hel+o|wor.d', output_mode: 'count' },
  { pattern: 'function \\w+\\([^)]*\\)[^{]*\\{\\n\\s+return', multiline: true, output_mode: 'content' },
  { pattern: '\\{\\n\\s+return', multiline: true, output_mode: 'count' },
  { pattern: 'greet.*count', multiline: true },
  { pattern: 'hello', multiline: true, output_mode: 'count' },
  { pattern: '\\{\\n\\s+return', multiline: true, output_mode: 'content', '-C': 1 },
  { pattern: 'needle', output_mode: 'content' },
  { pattern: 'needle', output_mode: 'content', '-C': 1, offset: 1500, head_limit: 40 },
  { pattern: 'needle', output_mode: 'content', '-A': 1, offset: 700 },
  { pattern: 'needle', output_mode: 'count', '-n': false },
  { pattern: 'needle|hello', '-i': true },
  { pattern: 'foo(' },
  { pattern: '(?=hello)' },
  { pattern: '(a)\\1' },
  { pattern: 'hello\\nworld' },
  { pattern: 'hello', glob: '{a,b' },
  { pattern: 'hello', type: 'nosuchtype' },
  { pattern: 'hello', path: 'linked-outside' },
  { pattern: 'nothing-matches-this' },
  { pattern: 'nothing-matches-this', output_mode: 'content' },
];

for (const args of grepCases) {
  test(`Grep ${JSON.stringify(args)}: ripgrep and js agree`, { skip: noRipgrep }, async () => {
    const { ripgrep, js } = await grepBoth(args);
    assert.equal(js, ripgrep);
  });
}

const globCases: GlobArguments[] = [
  { pattern: '**/*.ts' },
  { pattern: '*.md' },
  { pattern: '**/*.md' },
  { pattern: 'src/**/*.{ts,js}' },
  { pattern: '**/*.log' },
  { pattern: '**/*' },
  { pattern: '.hidden/*' },
  { pattern: '**/ñame.ts' },
  { pattern: '**/node_modules/**' },
  { pattern: '*.ts', path: 'src' },
  { pattern: '**/*', path: 'linked-outside' },
];

for (const args of globCases) {
  test(`Glob ${JSON.stringify(args)}: ripgrep and js agree`, { skip: noRipgrep }, async () => {
    const ripgrep = await outcome(() => createGlobTool({ policy, searcher: 'ripgrep' }).run(args, { signal }));
    const js = await outcome(() => createGlobTool({ policy, searcher: 'js' }).run(args, { signal }));
    assert.equal(js, ripgrep);
  });
}

test('the shared results are the expected ones, not merely equal', { skip: noRipgrep }, async () => {
  const { ripgrep: files } = await grepBoth({ pattern: 'hello' });
  const listed = files.split('\n').slice(1);
  for (const present of ['.hidden/secret.ts', '.env', 'important.log', 'docs/utf16.txt', 'src/sub/kept.ts', 'ümlaut/ñame.ts', 'data/late.dat']) {
    assert.ok(listed.includes(present), `${present} should be searched`);
  }
  for (const absent of ['.git/config', 'debug.log', 'build/out.js', 'node_modules/pkg/index.js', 'src/sub/generated.ts', 'data/blob.bin', 'linked-secret.txt', 'src/alias.ts']) {
    assert.ok(!listed.includes(absent), `${absent} should be skipped`);
  }
  assert.ok(!files.includes('outside'));
  const { ripgrep: binary } = await grepBoth({ pattern: 'hello', path: 'data', output_mode: 'content' });
  assert.equal(binary, 'data/late.dat:1:hello early\ndata/late.dat: WARNING: stopped searching binary file after match (found "\\0" byte around offset 100012)');
  const { ripgrep: explicit } = await grepBoth({ pattern: 'hello', path: 'explicit/context.dat', output_mode: 'content', '-C': 1 });
  assert.equal(
    explicit,
    `explicit/context.dat:1:hello 1\nexplicit/context.dat-2-${'a'.repeat(99)}\nexplicit/context.dat: binary file matches (found "\\0" byte around offset 100011)`,
  );
  const { ripgrep: long } = await grepBoth({ pattern: 'hello', path: 'long', output_mode: 'content', '-C': 1 });
  // 499 characters plus the line end is exactly ripgrep's limit of 500: still shown.
  assert.equal(
    long,
    `long/minified.js:1:[Omitted long matching line]\nlong/minified.js:2:short hello\nlong/minified.js-3-${'y'.repeat(499)}\nlong/minified.js:4:hello after long`,
  );
});


test('an unreadable file or folder is skipped the same way by both searchers', { skip: noRipgrep }, async () => {
  const locked = await makeTempTree({ 'open.txt': 'hello open\n', 'closed.txt': 'hello closed\n', 'closed-dir/inner.txt': 'hello inner\n' });
  try {
    await chmod(locked.root, 0o755);
    await chmod(path.join(locked.root, 'closed.txt'), 0o000);
    await chmod(path.join(locked.root, 'closed-dir'), 0o000);
    const lockedPolicy = createPathPolicy([locked.root]);
    const [ripgrep, js] = await withoutPrivileges(() =>
      Promise.all(
        (['ripgrep', 'js'] as const).map(async (searcher) => {
          const tool = createGrepTool({ policy: lockedPolicy, searcher });
          return (await tool.run({ pattern: 'hello', output_mode: 'content' }, { signal })).output;
        }),
      ),
    );
    assert.equal(ripgrep, 'open.txt:1:hello open');
    assert.equal(js, ripgrep);
  } finally {
    await chmod(path.join(locked.root, 'closed-dir'), 0o755);
    await locked.cleanup();
  }
});
