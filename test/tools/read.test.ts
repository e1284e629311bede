// The Read tool on real files: numbering, paging, line endings, unicode, large and binary
// files, refusals (missing, directory, outside the roots, permission) and FileReadState.
import assert from 'node:assert/strict';
import { chmod, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createPathPolicy } from '../../src/tools/paths.js';
import { createReadTool, type ReadArguments } from '../../src/tools/read.js';
import { FileReadState } from '../../src/tools/read-state.js';
import { toolUseErrorOf, withoutPrivileges } from '../support/tool-errors.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const signal = new AbortController().signal;

async function withTree(files: Record<string, string | Uint8Array>, body: (tree: TempTree) => Promise<void>): Promise<void> {
  const tree = await makeTempTree(files);
  try {
    await body(tree);
  } finally {
    await tree.cleanup();
  }
}

function readTool(root: string, readState = new FileReadState(), cwd?: string) {
  return createReadTool({ policy: createPathPolicy([root], cwd), readState });
}

async function read(root: string, args: ReadArguments): Promise<string> {
  const result = await readTool(root).run(args, { signal });
  assert.equal(result.isError, false);
  return result.output;
}

async function readError(root: string, args: ReadArguments): Promise<string> {
  return toolUseErrorOf(readTool(root).run(args, { signal }));
}

/** Lines "line 1" … "line N", each ending in a newline. */
function numberedText(count: number): string {
  return Array.from({ length: count }, (_, index) => `line ${index + 1}\n`).join('');
}

test('numbers every line, right-aligned to width 6, with an arrow', async () => {
  await withTree({ 'a.txt': 'alpha\nbeta\n\ngamma\n' }, async (tree) => {
    assert.equal(await read(tree.root, { file_path: 'a.txt' }), '     1→alpha\n     2→beta\n     3→\n     4→gamma');
  });
});

test('offset is the 1-based first line and limit the line count; numbering follows offset', async () => {
  await withTree({ 'a.txt': numberedText(12) }, async (tree) => {
    assert.equal(await read(tree.root, { file_path: 'a.txt', offset: 10, limit: 2 }), '    10→line 10\n    11→line 11');
    assert.equal(await read(tree.root, { file_path: 'a.txt', offset: 11 }), '    11→line 11\n    12→line 12');
    assert.equal(await read(tree.root, { file_path: 'a.txt', limit: 1 }), '     1→line 1');
    assert.equal(await read(tree.root, { file_path: 'a.txt', offset: 0, limit: 1 }), '     1→line 1');
  });
});

test('reads at most 2000 lines by default', async () => {
  await withTree({ 'many.txt': numberedText(2500) }, async (tree) => {
    const lines = (await read(tree.root, { file_path: 'many.txt' })).split('\n');
    assert.equal(lines.length, 2000);
    assert.equal(lines[1999], '  2000→line 2000');
  });
});

test('shows CRLF lines without the carriage return and keeps a last line without a newline', async () => {
  await withTree({ 'win.txt': 'one\r\ntwo\r\nthree' }, async (tree) => {
    assert.equal(await read(tree.root, { file_path: 'win.txt' }), '     1→one\n     2→two\n     3→three');
  });
});

test('unicode survives intact, also across the chunks of a streamed read', async () => {
  const text = 'Grüße 世界 👋🏽 e\u0301 עברית\n';
  await withTree({ 'u.txt': text.repeat(3), 'big.txt': `${'é😀'.repeat(50)}\n`.repeat(3000) }, async (tree) => {
    assert.equal(await read(tree.root, { file_path: 'u.txt', offset: 2, limit: 1 }), `     2→${text.trimEnd()}`);
    const streamed = (await read(tree.root, { file_path: 'big.txt', offset: 2990, limit: 11 })).split('\n');
    assert.equal(streamed.length, 11);
    for (const line of streamed) assert.equal(line.slice(7), 'é😀'.repeat(50));
  });
});

test('a UTF-8 byte order mark is dropped and UTF-16 files are decoded', async () => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello ☃\nzwei\n', 'utf16le')]);
  await withTree({ 'bom.txt': '\ufeffhello\n', 'wide.txt': utf16 }, async (tree) => {
    assert.equal(await read(tree.root, { file_path: 'bom.txt' }), '     1→hello');
    assert.equal(await read(tree.root, { file_path: 'wide.txt' }), '     1→hello ☃\n     2→zwei');
  });
});

test('cuts lines longer than 2000 characters', async () => {
  await withTree({ 'long.txt': `${'x'.repeat(2500)}\nshort\n`, 'one-line.min.js': `${'y'.repeat(1_000_000)}\nend` }, async (tree) => {
    assert.equal(await read(tree.root, { file_path: 'long.txt' }), `     1→${'x'.repeat(2000)}... [line truncated]\n     2→short`);
    assert.equal(await read(tree.root, { file_path: 'one-line.min.js', limit: 2 }), `     1→${'y'.repeat(2000)}... [line truncated]\n     2→end`);
  });
});

test('warns when the file is empty or shorter than the offset', async () => {
  await withTree({ 'empty.txt': '', 'short.txt': numberedText(12), 'one.txt': 'only\n' }, async (tree) => {
    const empty = '<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>';
    assert.equal(await read(tree.root, { file_path: 'empty.txt' }), empty);
    assert.equal(await read(tree.root, { file_path: 'empty.txt', offset: 5 }), empty);
    assert.equal(
      await read(tree.root, { file_path: 'short.txt', offset: 50 }),
      '<system-reminder>Warning: the file exists but is shorter than the provided offset (50). The file has 12 lines.</system-reminder>',
    );
    assert.equal(
      await read(tree.root, { file_path: 'one.txt', offset: 3, limit: 5 }),
      '<system-reminder>Warning: the file exists but is shorter than the provided offset (3). The file has 1 line.</system-reminder>',
    );
  });
});

test('a missing file is an error naming the working directory and a similar file', async () => {
  await withTree({ 'src/app.ts': 'x\n' }, async (tree) => {
    assert.equal(await readError(tree.root, { file_path: 'nope.txt' }), `File does not exist. Current working directory: ${tree.root}`);
    assert.equal(
      await readError(tree.root, { file_path: 'src/app.js' }),
      `File does not exist. Did you mean ${path.join(tree.root, 'src/app.ts')}? Current working directory: ${tree.root}`,
    );
    assert.match(await readError(tree.root, { file_path: 'src/app.ts/inner' }), /^File does not exist\./);
  });
});

test('a directory is an error that points to Glob and ls', async () => {
  await withTree({ 'src/a.ts': 'x\n' }, async (tree) => {
    assert.equal(await readError(tree.root, { file_path: 'src' }), 'src is a directory, not a file. Use Glob to find files in it, or Bash with ls to list it.');
  });
});

test('binary files are refused, by content or by extension', async () => {
  await withTree({ 'blob.dat': Buffer.from([0x68, 0x69, 0x00, 0x01]), 'image.png': 'not really a png\n' }, async (tree) => {
    assert.equal(
      await readError(tree.root, { file_path: 'blob.dat' }),
      'This tool cannot read binary files. The file contains binary data. Please use appropriate tools for binary file analysis.',
    );
    assert.equal(
      await readError(tree.root, { file_path: 'image.png' }),
      'This tool cannot read binary files. The file appears to be a binary .png file. Please use appropriate tools for binary file analysis.',
    );
  });
});

test('a file over 256 KB must be paged; with offset and limit it is read', async () => {
  const line = `${'z'.repeat(99)}\n`;
  await withTree({ 'big.log': line.repeat(3072) }, async (tree) => {
    assert.equal(
      await readError(tree.root, { file_path: 'big.log' }),
      'File content (300 KB) exceeds maximum allowed size (256KB). Please use offset and limit parameters to read specific portions of the file, or use the Grep tool to search for specific content.',
    );
    assert.equal(await read(tree.root, { file_path: 'big.log', offset: 3072, limit: 5 }), `  3072→${'z'.repeat(99)}`);
    assert.equal((await read(tree.root, { file_path: 'big.log', limit: 3 })).split('\n').length, 3);
  });
});

test('pages through a multi-megabyte file by streaming', async () => {
  await withTree({}, async (tree) => {
    await writeFile(path.join(tree.root, 'huge.txt'), numberedText(450_000)); // about 5.3 MB
    assert.equal((await stat(path.join(tree.root, 'huge.txt'))).size > 5_000_000, true);
    assert.equal(await read(tree.root, { file_path: 'huge.txt', offset: 449_999, limit: 10 }), '449999→line 449999\n450000→line 450000');
    assert.equal(await read(tree.root, { file_path: 'huge.txt', offset: 1_000_000 }), '<system-reminder>Warning: the file exists but is shorter than the provided offset (1000000). The file has 450000 lines.</system-reminder>');
    const aborted = AbortSignal.abort();
    await assert.rejects(readTool(tree.root).run({ file_path: 'huge.txt', offset: 200_000, limit: 5 }, { signal: aborted }), { name: 'AbortError' });
  });
});

test('records the real path and modification time of a successful read', async () => {
  await withTree({ 'dir/file.txt': 'content\n' }, async (tree) => {
    const readState = new FileReadState();
    await symlink(path.join(tree.root, 'dir/file.txt'), path.join(tree.root, 'alias.txt'));
    await readTool(tree.root, readState).run({ file_path: 'alias.txt' }, { signal });
    const real = path.join(tree.root, 'dir/file.txt');
    assert.equal(readState.lastRead(real), (await stat(real)).mtimeMs);
    const failed = new FileReadState();
    await assert.rejects(readTool(tree.root, failed).run({ file_path: 'dir' }, { signal }));
    assert.equal(failed.lastRead(path.join(tree.root, 'dir')), undefined);
  });
});

test('relative paths resolve against the working directory', async () => {
  await withTree({ 'pkg/src/a.txt': 'in pkg\n' }, async (tree) => {
    const tool = readTool(tree.root, new FileReadState(), path.join(tree.root, 'pkg'));
    assert.equal((await tool.run({ file_path: 'src/a.txt' }, { signal })).output, '     1→in pkg');
    assert.equal((await tool.run({ file_path: path.join(tree.root, 'pkg/src/a.txt') }, { signal })).output, '     1→in pkg');
  });
});

test('refuses paths outside the roots: .. and symlinks that lead out', async () => {
  const outside = await makeTempTree({ 'secret.txt': 'top secret\n' });
  try {
    await withTree({ 'inside.txt': 'ok\n' }, async (tree) => {
      await symlink(path.join(outside.root, 'secret.txt'), path.join(tree.root, 'leak.txt'));
      await symlink(outside.root, path.join(tree.root, 'leak-dir'));
      for (const file_path of ['leak.txt', 'leak-dir/secret.txt', '../' + path.basename(outside.root) + '/secret.txt', path.join(outside.root, 'secret.txt')]) {
        const message = await readError(tree.root, { file_path });
        assert.match(message, /is outside the allowed directories/);
        assert.ok(!message.includes('top secret'));
      }
    });
  } finally {
    await outside.cleanup();
  }
});


test('a file this process may not read is a clear permission error', async () => {
  await withTree({ 'locked.txt': 'hidden\n', 'open.txt': 'visible\n', 'closed/inner.txt': 'x\n' }, async (tree) => {
    await chmod(tree.root, 0o755);
    await chmod(path.join(tree.root, 'locked.txt'), 0o000);
    await chmod(path.join(tree.root, 'closed'), 0o000);
    try {
      const readState = new FileReadState();
      const results = await withoutPrivileges(async () => {
        const outcomes: string[] = [];
        for (const file_path of ['locked.txt', 'closed/inner.txt', 'open.txt']) {
          outcomes.push(
            await readTool(tree.root, readState)
              .run({ file_path }, { signal })
              .then(
                (result) => result.output,
                (error: Error) => `${error.name}: ${error.message}`,
              ),
          );
        }
        return outcomes;
      });
      assert.deepEqual(results, [
        'ToolUseError: Permission denied: this process is not allowed to read locked.txt.',
        'ToolUseError: Permission denied: this process is not allowed to read closed/inner.txt.',
        '     1→visible',
      ]);
      assert.equal(readState.lastRead(path.join(tree.root, 'locked.txt')), undefined);
    } finally {
      await chmod(path.join(tree.root, 'closed'), 0o755);
    }
  });
});

test('the schema is closed and uses the dialect names', async () => {
  const schema = readTool('/tmp').schema;
  assert.equal(schema.safeParse({ file_path: 'a', offset: 2, limit: 3 }).success, true);
  assert.equal(schema.safeParse({ file_path: 'a', path: 'b' }).success, false);
  assert.equal(schema.safeParse({ offset: 2 }).success, false);
  assert.equal(schema.safeParse({ file_path: 'a', limit: 0 }).success, false);
  const tool = readTool('/tmp');
  assert.equal(tool.name, 'Read');
  assert.equal(tool.readOnly, true);
  assert.equal(tool.sizeCap, 100_000);
});
