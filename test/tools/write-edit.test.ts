// Write and Edit on real temp trees: read-before-change, staleness, uniqueness, CRLF, unicode,
// confinement, atomic writes and preserved file modes.
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { writeFileAtomic } from '../../src/atomic-write.js';
import { applyEdit, createEditTool } from '../../src/tools/edit.js';
import { createPathPolicy } from '../../src/tools/paths.js';
import { FileReadState } from '../../src/tools/read-state.js';
import { ToolUseError, type ToolResult } from '../../src/tools/types.js';
import { createWriteTool } from '../../src/tools/write.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const context = { signal: new AbortController().signal };

let tree: TempTree;
let outside: TempTree;
let readState: FileReadState;
let write: ReturnType<typeof createWriteTool>;
let edit: ReturnType<typeof createEditTool>;

beforeEach(async () => {
  tree = await makeTempTree({
    'a.txt': 'alpha\nbeta\ngamma\n',
    'dup.txt': 'x = 1\nx = 1\nx = 1\n',
    'crlf.txt': 'one\r\ntwo\r\nthree\r\n',
    'unicode.txt': 'naïve café — 日本語 🎉\nline two\n',
  });
  outside = await makeTempTree({ 'secret.txt': 'outside' });
  readState = new FileReadState();
  const policy = createPathPolicy([tree.root]);
  write = createWriteTool({ policy, readState });
  edit = createEditTool({ policy, readState });
});

afterEach(async () => {
  await tree.cleanup();
  await outside.cleanup();
});

/** What the Read tool records after reading a file. */
async function markRead(relative: string): Promise<void> {
  const absolute = path.join(tree.root, relative);
  readState.recordRead(absolute, (await stat(absolute)).mtimeMs);
}

async function toolError(promise: Promise<ToolResult>): Promise<string> {
  try {
    const result = await promise;
    assert.fail(`expected a ToolUseError, got ${JSON.stringify(result)}`);
  } catch (error) {
    if (!(error instanceof ToolUseError)) throw error;
    return error.message;
  }
}

const read = (relative: string) => readFile(path.join(tree.root, relative), 'utf8');

describe('Write', () => {
  test('creates a new file and its parent directories', async () => {
    const result = await write.run({ file_path: 'new/dir/file.txt', content: 'hi\n' }, context);
    assert.deepEqual(result, { output: `File created successfully at: ${path.join(tree.root, 'new/dir/file.txt')}`, isError: false });
    assert.equal(await read('new/dir/file.txt'), 'hi\n');
  });

  test('an existing file must be read first', async () => {
    const message = await toolError(write.run({ file_path: 'a.txt', content: 'x' }, context));
    assert.equal(message, 'File has not been read yet. Read it first before writing to it.');
    assert.equal(await read('a.txt'), 'alpha\nbeta\ngamma\n');
  });

  test('updates a file that was read', async () => {
    await markRead('a.txt');
    const absolute = path.join(tree.root, 'a.txt');
    const result = await write.run({ file_path: absolute, content: 'new content' }, context);
    assert.deepEqual(result, { output: `The file ${absolute} has been updated successfully.`, isError: false });
    assert.equal(await read('a.txt'), 'new content');
    // The write counts as a read: a second change needs no new Read.
    await write.run({ file_path: 'a.txt', content: 'again' }, context);
    assert.equal(await read('a.txt'), 'again');
  });

  test('refuses a file modified since it was read', async () => {
    await markRead('a.txt');
    const later = new Date(Date.now() + 10_000);
    await utimes(path.join(tree.root, 'a.txt'), later, later);
    const message = await toolError(write.run({ file_path: 'a.txt', content: 'x' }, context));
    assert.equal(message, 'File has been modified since read, either by the user or by a linter. Read it again before attempting to write it.');
  });

  test('keeps the file mode', async () => {
    await chmod(path.join(tree.root, 'a.txt'), 0o751);
    await markRead('a.txt');
    await write.run({ file_path: 'a.txt', content: '#!/bin/sh\n' }, context);
    assert.equal((await stat(path.join(tree.root, 'a.txt'))).mode & 0o7777, 0o751);
  });

  test('refuses a directory', async () => {
    await mkdir(path.join(tree.root, 'dir'));
    assert.match(await toolError(write.run({ file_path: 'dir', content: 'x' }, context)), /not a regular file/);
  });
});

describe('Edit', () => {
  test('must read first', async () => {
    const message = await toolError(edit.run({ file_path: 'a.txt', old_string: 'beta', new_string: 'BETA' }, context));
    assert.equal(message, 'File has not been read yet. Read it first before writing to it.');
  });

  test('refuses a file modified since it was read', async () => {
    await markRead('a.txt');
    const later = new Date(Date.now() + 10_000);
    await utimes(path.join(tree.root, 'a.txt'), later, later);
    const message = await toolError(edit.run({ file_path: 'a.txt', old_string: 'beta', new_string: 'BETA' }, context));
    assert.match(message, /^File has been modified since read/);
  });

  test('replaces a unique string', async () => {
    await markRead('a.txt');
    const result = await edit.run({ file_path: 'a.txt', old_string: 'beta', new_string: 'BETA' }, context);
    assert.deepEqual(result, { output: `The file ${path.join(tree.root, 'a.txt')} has been updated successfully.`, isError: false });
    assert.equal(await read('a.txt'), 'alpha\nBETA\ngamma\n');
  });

  test('a string that is not there is an error that says to read again', async () => {
    await markRead('a.txt');
    const message = await toolError(edit.run({ file_path: 'a.txt', old_string: 'delta', new_string: 'x' }, context));
    assert.match(message, /^String to replace not found in file\.\nString: delta\n/);
    assert.match(message, /Read the file again/);
  });

  test('several matches without replace_all is an error that gives the count', async () => {
    await markRead('dup.txt');
    const message = await toolError(edit.run({ file_path: 'dup.txt', old_string: 'x = 1', new_string: 'x = 2' }, context));
    assert.match(message, /^Found 3 matches of the string to replace, but replace_all is false/);
    assert.match(message, /set replace_all to true/);
    assert.match(message, /more surrounding context/);
    assert.equal(await read('dup.txt'), 'x = 1\nx = 1\nx = 1\n');
  });

  test('replace_all replaces every occurrence', async () => {
    await markRead('dup.txt');
    await edit.run({ file_path: 'dup.txt', old_string: 'x = 1', new_string: 'x = 2', replace_all: true }, context);
    assert.equal(await read('dup.txt'), 'x = 2\nx = 2\nx = 2\n');
  });

  test('identical old and new strings are an error', async () => {
    await markRead('a.txt');
    assert.match(await toolError(edit.run({ file_path: 'a.txt', old_string: 'beta', new_string: 'beta' }, context)), /No changes to make/);
  });

  test('CRLF files match with \\n and keep \\r\\n', async () => {
    await markRead('crlf.txt');
    await edit.run({ file_path: 'crlf.txt', old_string: 'one\ntwo', new_string: 'one\nTWO\nand a half' }, context);
    assert.equal(await read('crlf.txt'), 'one\r\nTWO\r\nand a half\r\nthree\r\n');
  });

  test('unicode and $ patterns are replaced literally', async () => {
    await markRead('unicode.txt');
    await edit.run({ file_path: 'unicode.txt', old_string: 'café — 日本語 🎉', new_string: 'bistro $& $1 ✓' }, context);
    assert.equal(await read('unicode.txt'), 'naïve bistro $& $1 ✓\nline two\n');
  });

  test('a missing file is an error; an empty old_string creates it', async () => {
    assert.match(await toolError(edit.run({ file_path: 'missing.txt', old_string: 'a', new_string: 'b' }, context)), /File does not exist/);
    const result = await edit.run({ file_path: 'created.txt', old_string: '', new_string: 'fresh\n' }, context);
    assert.equal(result.isError, false);
    assert.equal(await read('created.txt'), 'fresh\n');
  });

  test('keeps the file mode', async () => {
    await chmod(path.join(tree.root, 'a.txt'), 0o600);
    await markRead('a.txt');
    await edit.run({ file_path: 'a.txt', old_string: 'beta', new_string: 'BETA' }, context);
    assert.equal((await stat(path.join(tree.root, 'a.txt'))).mode & 0o7777, 0o600);
  });

  test('refuses files that are not UTF-8 text', async () => {
    await writeFile(path.join(tree.root, 'bin.dat'), Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    await markRead('bin.dat');
    assert.match(await toolError(edit.run({ file_path: 'bin.dat', old_string: 'a', new_string: 'c' }, context)), /not valid UTF-8/);
  });
});

describe('confinement', () => {
  test('paths outside the root are refused by Write and Edit', async () => {
    const escape = path.relative(tree.root, path.join(outside.root, 'secret.txt'));
    assert.match(await toolError(write.run({ file_path: escape, content: 'x' }, context)), /outside the allowed directories/);
    assert.match(await toolError(write.run({ file_path: '../evil.txt', content: 'x' }, context)), /outside the allowed directories/);
    assert.match(await toolError(edit.run({ file_path: escape, old_string: 'outside', new_string: 'x' }, context)), /outside/);
    assert.equal(await readFile(path.join(outside.root, 'secret.txt'), 'utf8'), 'outside');
  });

  test('a symlink pointing outside is refused', async () => {
    await symlink(path.join(outside.root, 'secret.txt'), path.join(tree.root, 'link.txt'));
    await symlink(outside.root, path.join(tree.root, 'linkdir'));
    assert.match(await toolError(write.run({ file_path: 'link.txt', content: 'x' }, context)), /outside the allowed directories/);
    assert.match(await toolError(write.run({ file_path: 'linkdir/new.txt', content: 'x' }, context)), /outside/);
    assert.match(await toolError(edit.run({ file_path: 'link.txt', old_string: 'outside', new_string: 'x' }, context)), /outside/);
    assert.equal(await readFile(path.join(outside.root, 'secret.txt'), 'utf8'), 'outside');
    assert.deepEqual(await readdir(outside.root), ['secret.txt']);
  });
});

describe('atomic writes', () => {
  test('leave no temporary files behind', async () => {
    await markRead('a.txt');
    await write.run({ file_path: 'a.txt', content: 'one' }, context);
    await edit.run({ file_path: 'a.txt', old_string: 'one', new_string: 'two' }, context);
    await write.run({ file_path: 'b.txt', content: 'new' }, context);
    assert.deepEqual((await readdir(tree.root)).sort(), ['a.txt', 'b.txt', 'crlf.txt', 'dup.txt', 'unicode.txt']);
  });

  test('a failed write leaves the old file and no temporary file', async () => {
    const target = path.join(tree.root, 'dir-target');
    await mkdir(target); // renaming a file over a directory fails
    await assert.rejects(writeFileAtomic(target, 'x'));
    assert.deepEqual((await readdir(tree.root)).sort(), ['a.txt', 'crlf.txt', 'dir-target', 'dup.txt', 'unicode.txt']);
  });
});

test('applyEdit leaves mixed line endings alone', () => {
  assert.equal(applyEdit('a\r\nb\nc\r\n', 'b\nc', 'B\nC', false), 'a\r\nB\nC\r\n');
});

test('Write and Edit refuse paths inside .git', async () => {
  const tree = await makeTempTree({ '.git/config': '[core]\n', 'a.txt': 'a\n' });
  try {
    const policy = createPathPolicy([tree.root]);
    const readState = new FileReadState();
    const write = createWriteTool({ policy, readState });
    const edit = createEditTool({ policy, readState });
    await assert.rejects(write.run({ file_path: '.git/hooks/pre-commit', content: 'x' }, { signal: new AbortController().signal }), /version-control directory/);
    await assert.rejects(edit.run({ file_path: '.git/config', old_string: '[core]', new_string: '[x]', replace_all: false }, { signal: new AbortController().signal }), /version-control directory/);
    assert.equal(await readFile(path.join(tree.root, '.git/config'), 'utf8'), '[core]\n');
  } finally {
    await tree.cleanup();
  }
});

test('names that merely start with two dots are inside the root; .GIT is refused like .git', async () => {
  const tree = await makeTempTree({ '..notes.txt': 'dots\n', '.GIT/config': '[core]\n' });
  try {
    const policy = createPathPolicy([tree.root]);
    const readState = new FileReadState();
    const write = createWriteTool({ policy, readState });
    const signal = new AbortController().signal;
    await write.run({ file_path: '..fresh.txt', content: 'ok' }, { signal });
    assert.equal(await readFile(path.join(tree.root, '..fresh.txt'), 'utf8'), 'ok');
    await assert.rejects(write.run({ file_path: '../outside.txt', content: 'x' }, { signal }), /outside the allowed directories/);
    await assert.rejects(write.run({ file_path: '.GIT/hooks/pre-commit', content: 'x' }, { signal }), /version-control directory/);
  } finally {
    await tree.cleanup();
  }
});
