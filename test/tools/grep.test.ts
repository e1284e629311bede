// The Grep tool's text, pinned exactly, with each searcher (ripgrep when installed, and JS).
import assert from 'node:assert/strict';
import { symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createGrepTool, type GrepArguments } from '../../src/tools/grep.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import { findRipgrep } from '../../src/tools/search/ripgrep.js';
import type { SearcherChoice } from '../../src/tools/search/types.js';
import { toolUseErrorOf } from '../support/tool-errors.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const signal = new AbortController().signal;
const searchers: SearcherChoice[] = findRipgrep() === undefined ? ['js'] : ['ripgrep', 'js'];

const FILES = {
  'src/a.ts': 'import { b } from "./b";\nexport const a = 1;\n',
  'src/b.ts': 'export const b = 2;\n// TODO fix b\n',
  'src/c.ts': 'line 1\nline 2\nmatch here\nline 4\nline 5\nline 6\nline 7\nmatch again\nline 9\n',
  'src/d.ts': 'TODO: one\nTODO: two\n',
  'lib/e.py': 'def e():\n    return "todo lower"\n',
  '.hidden/h.ts': '// TODO hidden\n',
  '.git/info.txt': 'TODO inside git\n',
  '.gitignore': 'dist/\n',
  'dist/out.js': 'TODO built\n',
  'flags.txt': '--verbose flag\n-x short\n',
};

async function withTree(body: (tree: TempTree) => Promise<void>): Promise<void> {
  const tree = await makeTempTree(FILES);
  // Distinct modification times make "newest first" checkable.
  const times: Record<string, number> = { 'src/a.ts': 1000, 'src/b.ts': 3000, 'src/c.ts': 2000, 'src/d.ts': 2000, 'lib/e.py': 500, '.hidden/h.ts': 100 };
  for (const [file, seconds] of Object.entries(times)) await utimes(path.join(tree.root, file), seconds, seconds);
  try {
    await body(tree);
  } finally {
    await tree.cleanup();
  }
}

async function grep(searcher: SearcherChoice, root: string, args: GrepArguments, cwd?: string): Promise<string> {
  const result = await createGrepTool({ policy: createPathPolicy([root], cwd), searcher }).run(args, { signal });
  assert.equal(result.isError, false);
  return result.output;
}

async function grepError(searcher: SearcherChoice, root: string, args: GrepArguments): Promise<string> {
  return toolUseErrorOf(createGrepTool({ policy: createPathPolicy([root]), searcher }).run(args, { signal }));
}

for (const searcher of searchers) {
  test(`${searcher}: files_with_matches lists paths relative to the working directory, newest first`, async () => {
    await withTree(async (tree) => {
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO' }), 'Found 3 files\nsrc/b.ts\nsrc/d.ts\n.hidden/h.ts');
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', '-i': true }), 'Found 4 files\nsrc/b.ts\nsrc/d.ts\nlib/e.py\n.hidden/h.ts');
      assert.equal(await grep(searcher, tree.root, { pattern: 'const' }), 'Found 2 files\nsrc/b.ts\nsrc/a.ts');
      assert.equal(await grep(searcher, tree.root, { pattern: 'import' }), 'Found 1 file\nsrc/a.ts');
      assert.equal(await grep(searcher, tree.root, { pattern: 'absent' }), 'No files found');
    });
  });

  test(`${searcher}: content mode prints path:line:text, ordered by path`, async () => {
    await withTree(async (tree) => {
      assert.equal(
        await grep(searcher, tree.root, { pattern: 'TODO', output_mode: 'content' }),
        '.hidden/h.ts:1:// TODO hidden\nsrc/b.ts:2:// TODO fix b\nsrc/d.ts:1:TODO: one\nsrc/d.ts:2:TODO: two',
      );
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', output_mode: 'content', '-n': false, path: 'src/d.ts' }), 'src/d.ts:TODO: one\nsrc/d.ts:TODO: two');
      assert.equal(await grep(searcher, tree.root, { pattern: 'absent', output_mode: 'content' }), 'No matches found');
    });
  });

  test(`${searcher}: context lines use "-" and groups are separated by "--"`, async () => {
    await withTree(async (tree) => {
      assert.equal(
        await grep(searcher, tree.root, { pattern: 'match', path: 'src/c.ts', output_mode: 'content', '-C': 1 }),
        'src/c.ts-2-line 2\nsrc/c.ts:3:match here\nsrc/c.ts-4-line 4\n--\nsrc/c.ts-7-line 7\nsrc/c.ts:8:match again\nsrc/c.ts-9-line 9',
      );
      assert.equal(
        await grep(searcher, tree.root, { pattern: 'match', path: 'src/c.ts', output_mode: 'content', '-A': 4, '-B': 0 }),
        'src/c.ts:3:match here\nsrc/c.ts-4-line 4\nsrc/c.ts-5-line 5\nsrc/c.ts-6-line 6\nsrc/c.ts-7-line 7\nsrc/c.ts:8:match again\nsrc/c.ts-9-line 9',
      );
      assert.equal(
        await grep(searcher, tree.root, { pattern: 'TODO', path: 'src', output_mode: 'content', context: 1 }),
        'src/b.ts-1-export const b = 2;\nsrc/b.ts:2:// TODO fix b\n--\nsrc/d.ts:1:TODO: one\nsrc/d.ts:2:TODO: two',
      );
    });
  });

  test(`${searcher}: count mode lists path:count then the total`, async () => {
    await withTree(async (tree) => {
      assert.equal(
        await grep(searcher, tree.root, { pattern: 'TODO', output_mode: 'count' }),
        '.hidden/h.ts:1\nsrc/b.ts:1\nsrc/d.ts:2\n\nFound 4 total occurrences across 3 files.',
      );
      assert.equal(await grep(searcher, tree.root, { pattern: 'import', output_mode: 'count' }), 'src/a.ts:1\n\nFound 1 total occurrence across 1 file.');
      assert.equal(await grep(searcher, tree.root, { pattern: 'absent', output_mode: 'count' }), 'No matches found');
    });
  });

  test(`${searcher}: head_limit and offset page lines and entries`, async () => {
    await withTree(async (tree) => {
      assert.equal(
        await grep(searcher, tree.root, { pattern: 'line', path: 'src/c.ts', output_mode: 'content', head_limit: 2, offset: 1 }),
        'src/c.ts:2:line 2\nsrc/c.ts:4:line 4\n\n[Showing results with pagination = limit: 2, offset: 1]',
      );
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', head_limit: 1 }), 'Found 1 file\nsrc/b.ts\n\n[Showing results with pagination = limit: 1, offset: 0]');
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', head_limit: 0 }), 'Found 3 files\nsrc/b.ts\nsrc/d.ts\n.hidden/h.ts');
      assert.equal(
        await grep(searcher, tree.root, { pattern: 'TODO', output_mode: 'count', offset: 2 }),
        'src/d.ts:2\n\nFound 2 total occurrences across 1 file.\n\n[Showing results with pagination = offset: 2]',
      );
    });
  });

  test(`${searcher}: glob and type narrow the files`, async () => {
    await withTree(async (tree) => {
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', '-i': true, glob: '*.py' }), 'Found 1 file\nlib/e.py');
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', '-i': true, glob: '*.{py,js}' }), 'Found 1 file\nlib/e.py');
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', '-i': true, type: 'py' }), 'Found 1 file\nlib/e.py');
      assert.equal(await grep(searcher, tree.root, { pattern: 'TODO', glob: 'src/*.ts' }), 'Found 2 files\nsrc/b.ts\nsrc/d.ts');
    });
  });

  test(`${searcher}: paths outside the working directory are shown absolute`, async () => {
    await withTree(async (tree) => {
      const output = await grep(searcher, tree.root, { pattern: 'TODO', '-i': true, path: '..', output_mode: 'count' }, path.join(tree.root, 'src'));
      assert.equal(output, `${tree.root}/.hidden/h.ts:1\n${tree.root}/lib/e.py:1\nb.ts:1\nd.ts:2\n\nFound 5 total occurrences across 4 files.`);
    });
  });

  test(`${searcher}: a pattern that starts with "-" is a pattern, not a flag`, async () => {
    await withTree(async (tree) => {
      assert.equal(await grep(searcher, tree.root, { pattern: '--verbose', output_mode: 'content' }), 'flags.txt:1:--verbose flag');
      assert.equal(await grep(searcher, tree.root, { pattern: '-x', output_mode: 'content' }), 'flags.txt:2:-x short');
    });
  });

  test(`${searcher}: errors the model can fix are ToolUseErrors`, async () => {
    await withTree(async (tree) => {
      assert.match(await grepError(searcher, tree.root, { pattern: 'foo(' }), /regex parse error/);
      assert.match(await grepError(searcher, tree.root, { pattern: 'a(?=b)' }), /look-around/);
      assert.equal(
        await grepError(searcher, tree.root, { pattern: 'x', path: 'nope' }),
        `Path does not exist: nope. Note: your current working directory is ${tree.root}.`,
      );
      assert.match(await grepError(searcher, tree.root, { pattern: 'x', path: '..' }), /outside the allowed directories/);
      assert.match(await grepError(searcher, tree.root, { pattern: 'x', type: 'klingon' }), /unrecognized file type: klingon/);
    });
  });

  test(`${searcher}: symlinks are not followed, so content outside the root never shows`, async () => {
    const outside = await makeTempTree({ 'secret.ts': 'TODO outside\n' });
    try {
      await withTree(async (tree) => {
        await symlink(outside.root, path.join(tree.root, 'escape'));
        await symlink(path.join(outside.root, 'secret.ts'), path.join(tree.root, 'escape.ts'));
        const output = await grep(searcher, tree.root, { pattern: 'TODO', output_mode: 'content' });
        assert.ok(!output.includes('outside'), output);
        assert.match(await grepError(searcher, tree.root, { pattern: 'x', path: 'escape' }), /outside the allowed directories/);
        assert.match(await grepError(searcher, tree.root, { pattern: 'x', path: 'escape.ts' }), /outside the allowed directories/);
      });
    } finally {
      await outside.cleanup();
    }
  });

  test(`${searcher}: output stays under the size cap and says which offset continues`, async () => {
    const lines = Array.from({ length: 1000 }, (_, index) => `match number ${index + 1} with padding`).join('\n');
    const files = Object.fromEntries(Array.from({ length: 800 }, (_, index) => [`many/file-with-a-long-name-${index}.txt`, 'match\n']));
    const tree = await makeTempTree({ 'lines.txt': `${lines}\n`, ...files });
    try {
      const first = await grep(searcher, tree.root, { pattern: 'match', path: 'lines.txt', output_mode: 'content' });
      assert.ok(first.length <= 20_000, `${first.length} characters`);
      const [body, note] = first.split('\n\n');
      const shown = body.split('\n').length;
      assert.equal(body.split('\n')[shown - 1], `lines.txt:${shown}:match number ${shown} with padding`);
      assert.equal(note, `[Showing ${shown} of 1000 lines to stay within the output limit. Use offset: ${shown} to see more, or narrow the search with path, glob or type.]`);
      const next = await grep(searcher, tree.root, { pattern: 'match', path: 'lines.txt', output_mode: 'content', offset: shown, head_limit: 1 });
      assert.equal(next, `lines.txt:${shown + 1}:match number ${shown + 1} with padding\n\n[Showing results with pagination = limit: 1, offset: ${shown}]`);
      const listed = await grep(searcher, tree.root, { pattern: 'match', path: 'many' });
      assert.ok(listed.length <= 20_000);
      assert.match(listed, /^Found 800 files\n/);
      assert.match(listed, /\n\n\[Showing \d+ of 800 files to stay within the output limit\. Use offset: \d+ to see more, or narrow the search with path, glob or type\.\]$/);
    } finally {
      await tree.cleanup();
    }
  });

  test(`${searcher}: an aborted search rejects`, async () => {
    await withTree(async (tree) => {
      const tool = createGrepTool({ policy: createPathPolicy([tree.root]), searcher });
      await assert.rejects(tool.run({ pattern: 'TODO' }, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    });
  });
}

test('the schema is closed and keeps the dialect names, dashes included', () => {
  const tool = createGrepTool({ policy: createPathPolicy(['/tmp']) });
  assert.equal(tool.name, 'Grep');
  assert.equal(tool.sizeCap, 20_000);
  assert.equal(tool.readOnly, true);
  const valid = { pattern: 'x', '-A': 1, '-B': 2, '-C': 3, context: 1, '-n': false, '-i': true, type: 'js', head_limit: 0, offset: 2, multiline: true, output_mode: 'count', glob: '*.ts', path: '.' };
  assert.equal(tool.schema.safeParse(valid).success, true);
  assert.equal(tool.schema.safeParse({ pattern: 'x', A: 1 }).success, false);
  assert.equal(tool.schema.safeParse({ pattern: 'x', output_mode: 'lines' }).success, false);
  assert.equal(tool.schema.safeParse({ path: '.' }).success, false);
});
