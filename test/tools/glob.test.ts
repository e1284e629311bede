// The Glob tool's text, pinned exactly, with each searcher (ripgrep when installed, and JS).
import assert from 'node:assert/strict';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createGlobTool, type GlobArguments } from '../../src/tools/glob.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import { findRipgrep } from '../../src/tools/search/ripgrep.js';
import type { SearcherChoice } from '../../src/tools/search/types.js';
import { toolUseErrorOf } from '../support/tool-errors.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const signal = new AbortController().signal;
const searchers: SearcherChoice[] = findRipgrep() === undefined ? ['js'] : ['ripgrep', 'js'];

const FILES = {
  'top.ts': '',
  'top.js': '',
  'src/a.ts': '',
  'src/b.tsx': '',
  'src/deep/c.ts': '',
  '.hidden/h.ts': '',
  '.eslintrc.json': '',
  '.git/hooks/pre-commit.ts': '',
  '.gitignore': 'build/\n*.gen.ts\n',
  'build/out.ts': '',
  'src/x.gen.ts': '',
  'docs/ünïcode.md': '',
};

/** Files get increasing modification times in the order of `order`. */
async function withTree(body: (tree: TempTree) => Promise<void>): Promise<void> {
  const tree = await makeTempTree(FILES);
  const order = ['src/deep/c.ts', 'top.ts', '.hidden/h.ts', 'src/b.tsx', 'src/a.ts', 'top.js', 'docs/ünïcode.md', '.eslintrc.json'];
  for (const [index, file] of order.entries()) await utimes(path.join(tree.root, file), 1000 + index, 1000 + index);
  try {
    await body(tree);
  } finally {
    await tree.cleanup();
  }
}

async function glob(searcher: SearcherChoice, root: string, args: GlobArguments): Promise<string> {
  const result = await createGlobTool({ policy: createPathPolicy([root]), searcher }).run(args, { signal });
  assert.equal(result.isError, false);
  return result.output;
}

async function globError(searcher: SearcherChoice, root: string, args: GlobArguments): Promise<string> {
  return toolUseErrorOf(createGlobTool({ policy: createPathPolicy([root]), searcher }).run(args, { signal }));
}

function absolute(root: string, ...files: string[]): string {
  return files.map((file) => path.join(root, file)).join('\n');
}

for (const searcher of searchers) {
  test(`${searcher}: "*" stays in the search folder, "**" goes deep; oldest first, absolute paths`, async () => {
    await withTree(async (tree) => {
      assert.equal(await glob(searcher, tree.root, { pattern: '*.ts' }), absolute(tree.root, 'top.ts'));
      assert.equal(await glob(searcher, tree.root, { pattern: '**/*.ts' }), absolute(tree.root, 'src/deep/c.ts', 'top.ts', '.hidden/h.ts', 'src/a.ts'));
      assert.equal(await glob(searcher, tree.root, { pattern: 'src/*.{ts,tsx}' }), absolute(tree.root, 'src/b.tsx', 'src/a.ts'));
      assert.equal(await glob(searcher, tree.root, { pattern: '**/*.md' }), absolute(tree.root, 'docs/ünïcode.md'));
      assert.equal(await glob(searcher, tree.root, { pattern: '.*' }), absolute(tree.root, '.eslintrc.json', '.gitignore'));
      assert.equal(await glob(searcher, tree.root, { pattern: '**/*.rs' }), 'No files found');
    });
  });

  test(`${searcher}: .gitignore and VCS folders are honoured, hidden files are not skipped`, async () => {
    await withTree(async (tree) => {
      const everything = (await glob(searcher, tree.root, { pattern: '**/*' })).split('\n');
      assert.ok(everything.includes(path.join(tree.root, '.hidden/h.ts')));
      for (const skipped of ['.git/hooks/pre-commit.ts', 'build/out.ts', 'src/x.gen.ts']) assert.ok(!everything.includes(path.join(tree.root, skipped)), skipped);
      assert.equal(everything.length, 9);
    });
  });

  test(`${searcher}: path picks the folder the pattern is relative to`, async () => {
    await withTree(async (tree) => {
      // Only .gitignore files inside the search folder apply: the root's "*.gen.ts" does not.
      assert.equal(await glob(searcher, tree.root, { pattern: '*.ts', path: 'src' }), absolute(tree.root, 'src/a.ts', 'src/x.gen.ts'));
      assert.equal(
        await glob(searcher, tree.root, { pattern: '**/*.ts', path: path.join(tree.root, 'src') }),
        absolute(tree.root, 'src/deep/c.ts', 'src/a.ts', 'src/x.gen.ts'),
      );
    });
  });

  test(`${searcher}: a directory written into the pattern is used and checked`, async () => {
    await withTree(async (tree) => {
      assert.equal(await glob(searcher, tree.root, { pattern: `${tree.root}/src/**/*.ts` }), absolute(tree.root, 'src/deep/c.ts', 'src/a.ts'));
      assert.equal(await glob(searcher, tree.root, { pattern: './src/*.ts' }), absolute(tree.root, 'src/a.ts'));
      assert.equal(await glob(searcher, tree.root, { pattern: '../*.ts', path: 'src/deep' }), absolute(tree.root, 'src/a.ts', 'src/x.gen.ts'));
      assert.match(await globError(searcher, tree.root, { pattern: '/etc/*.conf' }), /outside the allowed directories/);
      assert.match(await globError(searcher, tree.root, { pattern: '../*' }), /outside the allowed directories/);
    });
  });

  test(`${searcher}: at most 100 paths, then a note`, async () => {
    await withTree(async (tree) => {
      await mkdir(path.join(tree.root, 'many'));
      for (let index = 0; index < 105; index += 1) {
        const file = path.join(tree.root, 'many', `f${String(index).padStart(3, '0')}.txt`);
        await writeFile(file, '');
        await utimes(file, 5000 - index, 5000 - index); // f104 is the oldest
      }
      const lines = (await glob(searcher, tree.root, { pattern: 'many/*.txt' })).split('\n');
      assert.equal(lines.length, 101);
      assert.equal(lines[0], path.join(tree.root, 'many/f104.txt'));
      assert.equal(lines[99], path.join(tree.root, 'many/f005.txt'));
      assert.equal(lines[100], '(Results are truncated. Consider using a more specific path or pattern.)');
    });
  });

  test(`${searcher}: refuses folders outside the roots, missing folders and files`, async () => {
    const outside = await makeTempTree({ 'secret.ts': '' });
    try {
      await withTree(async (tree) => {
        await symlink(outside.root, path.join(tree.root, 'escape'));
        assert.ok(!(await glob(searcher, tree.root, { pattern: '**/*.ts' })).includes('secret'));
        assert.match(await globError(searcher, tree.root, { pattern: '*', path: 'escape' }), /outside the allowed directories/);
        assert.match(await globError(searcher, tree.root, { pattern: '*', path: '..' }), /outside the allowed directories/);
        assert.equal(
          await globError(searcher, tree.root, { pattern: '*', path: 'nope' }),
          `Directory does not exist: nope. Note: your current working directory is ${tree.root}.`,
        );
        assert.equal(await globError(searcher, tree.root, { pattern: '*', path: 'top.ts' }), 'Path is not a directory: top.ts. Use Read for a file.');
      });
    } finally {
      await outside.cleanup();
    }
  });
}

test('the schema is closed', () => {
  const tool = createGlobTool({ policy: createPathPolicy(['/tmp']) });
  assert.equal(tool.name, 'Glob');
  assert.equal(tool.sizeCap, 100_000);
  assert.equal(tool.schema.safeParse({ pattern: '*.ts', path: 'src' }).success, true);
  assert.equal(tool.schema.safeParse({ pattern: '*.ts', glob: 'x' }).success, false);
  assert.equal(tool.schema.safeParse({ path: 'src' }).success, false);
});
