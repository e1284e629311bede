// The Bash tool on real temp trees, in both sandbox modes: destructive commands leave the tree
// byte-identical and report an error; timeouts, output caps, cwd reset and result formats.
import { onPath, skipUnless } from '../support/required-tools.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBashTool, formatBashResult } from '../../src/tools/bash.js';
import { findRipgrep } from '../../src/tools/search/ripgrep.js';
import { detectSandbox, runSandboxed, type SandboxMode, type SandboxRunResult } from '../../src/tools/sandbox.js';
import { runBashTool as runBash } from '../support/tool-errors.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const bwrapUsable = (await detectSandbox()) === 'bwrap';
const gitInstalled = onPath('git');


/** A fingerprint of every entry under `root`: type, mode, bytes or link target. */
async function hashTree(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (directory: string): Promise<void> => {
    const names = (await readdir(directory)).sort();
    for (const name of names) {
      const full = path.join(directory, name);
      const info = await lstat(full);
      hash.update(`${path.relative(root, full)}\0${info.mode}\0`);
      if (info.isSymbolicLink()) hash.update(await readlink(full));
      else if (info.isDirectory()) await walk(full);
      else hash.update(await readFile(full));
      hash.update('\0');
    }
  };
  await walk(root);
  return hash.digest('hex');
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    stdio: 'ignore',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' },
  });
}

function processListContains(text: string): boolean {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).includes(text);
}

const modes: { mode: SandboxMode; skip: string | false }[] = [
  { mode: 'bwrap', skip: skipUnless(bwrapUsable, 'bubblewrap') },
  { mode: 'allow-list', skip: false },
];

for (const { mode, skip } of modes) {
  describe(`Bash tool, ${mode} sandbox`, { skip }, () => {
    let tree: TempTree;
    let server: net.Server;
    let port = 0;
    let connections = 0;

    before(async () => {
      tree = await makeTempTree({ 'a.txt': 'hello\nworld\n', 'src/b.ts': 'export const b = 1;\n', 'unicode.txt': 'héllo wörld ✓\n' });
      if (gitInstalled) {
        git(tree.root, 'init', '-q');
        git(tree.root, 'add', '.');
        git(tree.root, 'commit', '-q', '-m', 'initial');
      }
      server = net.createServer((socket) => {
        connections++;
        socket.end('HTTP/1.0 200 OK\r\n\r\nhi');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    after(async () => {
      server.close();
      await tree.cleanup();
    });

    const destructive = () => [
      'rm -rf .',
      'rm -rf -- *',
      'rm -f a.txt',
      'echo x > a.txt',
      'echo x >> new.txt',
      'touch new',
      'mkdir newdir',
      'mv a.txt moved.txt',
      'chmod 777 a.txt',
      'git init && git commit --allow-empty -m x',
      'git add . && git -c user.name=x -c user.email=x@x commit -m x',
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`,
      `curl -sS http://127.0.0.1:${port}/ -o out.html`,
      "sed -i 's/hello/bye/' a.txt",
      'find . -delete',
      'echo x | tee a.txt',
      'cp a.txt c.txt',
    ];

    test('destructive commands fail and leave the tree byte-identical', async () => {
      for (const command of destructive()) {
        const before = await hashTree(tree.root);
        const result = await runBash(mode, tree.root, command);
        assert.equal(result.isError, true, `${command} should be an error, got: ${result.output}`);
        assert.equal(await hashTree(tree.root), before, `${command} changed the tree`);
      }
      assert.equal(connections, 0, 'no network connection reached the local listener');
    });

    test('find -exec cannot change the tree either', async () => {
      const before = await hashTree(tree.root);
      // find exits 0 when a command run by -exec ... \; fails, so this is not always an error.
      const result = await runBash(mode, tree.root, 'find . -name a.txt -exec rm {} \\;');
      assert.ok(result.isError || /Read-only file system/.test(result.output), result.output);
      assert.equal(await hashTree(tree.root), before);
    });

    test('read-only commands work', async () => {
      assert.deepEqual(await runBash(mode, tree.root, 'cat a.txt'), { output: 'hello\nworld', isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'grep -rn hello . | grep -v "^./.git"'), { output: './a.txt:1:hello', isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'cat unicode.txt'), { output: 'héllo wörld ✓', isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'find src -name "*.ts"'), { output: 'src/b.ts', isError: false });
    });

    test('read-only git commands work', { skip: skipUnless(gitInstalled, 'git') }, async () => {
      assert.deepEqual(await runBash(mode, tree.root, 'git log --format=%s'), { output: 'initial', isError: false });
    });

    test('stdout, stderr and exit codes are formatted as in training', async () => {
      assert.deepEqual(await runBash(mode, tree.root, 'echo out; echo err >&2'), { output: 'out\nerr', isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'cat a.txt > /dev/null'), { output: '', isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'echo out; ls missing'), {
        output: "Exit code 2\nls: cannot access 'missing': No such file or directory\nout",
        isError: true,
      });
      assert.deepEqual(await runBash(mode, tree.root, 'cat missing'), {
        output: 'Exit code 1\ncat: missing: No such file or directory',
        isError: true,
      });
    });

    test('exit status 1 of rg is an answer, not a failure', { skip: skipUnless(findRipgrep() !== undefined, 'ripgrep (rg)') }, async () => {
      assert.deepEqual(await runBash(mode, tree.root, 'rg nomatch a.txt'), { output: '', isError: false });
    });

    test('exit status 1 of grep, find, diff and test is an answer, not a failure', async () => {
      assert.deepEqual(await runBash(mode, tree.root, 'grep nomatch a.txt'), { output: '', isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'cat a.txt | grep -c nomatch'), { output: '0', isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'test -f missing'), { output: '', isError: false });
      assert.equal((await runBash(mode, tree.root, 'diff a.txt src/b.ts')).isError, false);
      // grep's exit status 2 is a real error.
      assert.deepEqual(await runBash(mode, tree.root, 'grep x missing'), {
        output: 'Exit code 2\ngrep: missing: No such file or directory',
        isError: true,
      });
    });

    test('the working directory is reset before every call', async () => {
      // (The allow-list refuses `cd /`: the shell may only move inside the allowed roots.)
      assert.deepEqual(await runBash(mode, tree.root, 'cd src && pwd'), { output: path.join(tree.root, 'src'), isError: false });
      assert.deepEqual(await runBash(mode, tree.root, 'pwd'), { output: tree.root, isError: false });
    });

    test('a command past its timeout is killed with its whole process group', async () => {
      const marker = `follow-${process.pid}-${mode}.txt`;
      await writeFile(path.join(tree.root, marker), 'x\n');
      // `sleep` is not on the allow-list; `tail -f` never ends either.
      const command = mode === 'bwrap' ? `sleep 30.${process.pid}` : `tail -f ${marker}`;
      const started = Date.now();
      const result = await runBash(mode, tree.root, command, 500);
      assert.ok(Date.now() - started < 5000, 'returned soon after the timeout');
      assert.equal(result.isError, true);
      assert.match(result.output, /^Command timed out after 500 ms/);
      // Killed processes leave the list once reaped: wait for that, however loaded the machine.
      for (const deadline = Date.now() + 5000; processListContains(mode === 'bwrap' ? `sleep 30.${process.pid}` : `tail -f ${marker}`); ) {
        assert.ok(Date.now() < deadline, 'the command outlived its timeout');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });

    test('output is capped at 30,000 characters with a marker saying how much was cut', async () => {
      const result = await runBash(mode, tree.root, 'yes | head -c 100000');
      assert.equal(result.isError, false);
      assert.ok(result.output.length <= 30_000, `length ${result.output.length}`);
      const cut = Number(/\[(\d+) characters truncated/.exec(result.output)?.[1]);
      const kept = result.output.slice(0, result.output.indexOf('\n\n... ['));
      assert.equal(kept.length + cut, 99_999); // the trailing newline is trimmed
    });

    test('endless output is stopped without waiting for the timeout', async () => {
      const started = Date.now();
      const result = await runBash(mode, tree.root, 'yes', 60_000);
      assert.ok(Date.now() - started < 30_000);
      assert.ok(result.output.length <= 30_000);
      assert.match(result.output, /The command was stopped after writing more than \d+ bytes of output/);
    });

    test('an abort signal stops the command', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const command = mode === 'bwrap' ? 'sleep 20' : 'tail -f a.txt';
      const started = Date.now();
      const result = await runBash(mode, tree.root, command, undefined, controller.signal);
      assert.ok(Date.now() - started < 5000);
      assert.equal(result.isError, true);
      assert.match(result.output, /aborted/);
    });
  });
}

describe('Bash tool, bwrap isolation', { skip: skipUnless(bwrapUsable, 'bubblewrap') }, () => {
  test('/tmp inside the sandbox is private', async () => {
    const tree = await makeTempTree({ 'a.txt': 'a' });
    const name = `/tmp/loco-private-${process.pid}-${Date.now()}.txt`;
    try {
      const result = await runBash('bwrap', tree.root, `echo secret > ${name} && cat ${name}`);
      assert.deepEqual(result, { output: 'secret', isError: false });
      assert.equal(existsSync(name), false);
    } finally {
      await tree.cleanup();
    }
  });

  test('the home directory is hidden, the allowed roots inside it stay visible', async () => {
    const fakeHome = await makeTempTree({ 'secret.txt': 'top secret', 'project/a.txt': 'visible' });
    const root = path.join(fakeHome.root, 'project');
    const run = (command: string) =>
      runSandboxed(command, { mode: 'bwrap', cwd: root, roots: [root], timeoutMs: 10_000, maxOutputBytes: 10_000, hiddenPaths: [fakeHome.root] });
    try {
      const secret = await run(`cat ${fakeHome.root}/secret.txt`);
      assert.notEqual(secret.exitCode, 0);
      assert.match(secret.stderr, /No such file/);
      assert.equal((await run(`ls -A ${fakeHome.root}`)).stdout.trim(), 'project');
      assert.equal((await run('cat a.txt')).stdout, 'visible');
      assert.equal((await run('echo $HOME')).stdout.trim(), '/tmp');
    } finally {
      await fakeHome.cleanup();
    }
  });

  test('host Unix sockets under /run cannot be reached', async () => {
    const tree = await makeTempTree({ 'a.txt': 'a' });
    const socketPath = `/run/loco-test-${process.pid}.sock`;
    const listener = net.createServer((socket) => socket.end('SECRET-FROM-HOST'));
    await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
    try {
      const probe = `node -e "require('net').connect('${socketPath}').on('data',d=>console.log(String(d))).on('error',e=>console.log('ERR',e.code))"`;
      const result = await runBash('bwrap', tree.root, probe);
      assert.doesNotMatch(result.output, /SECRET-FROM-HOST/);
      assert.match(result.output, /ERR (ENOENT|ECONNREFUSED|EACCES)/);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
      await tree.cleanup();
    }
  });

  test('the real home directory is empty inside the sandbox', async (t) => {
    const home = os.homedir();
    if (home === '/' || !existsSync(home)) return t.skip('no home directory');
    const tree = await makeTempTree({ 'a.txt': 'a' });
    try {
      assert.deepEqual(await runBash('bwrap', tree.root, `ls -A ${home}`), { output: '', isError: false });
    } finally {
      await tree.cleanup();
    }
  });

  test('the environment is cleared down to a minimal one', async () => {
    const tree = await makeTempTree({});
    try {
      process.env.LOCO_TEST_SECRET = 'leak';
      const result = await runBash('bwrap', tree.root, 'env | sort');
      const names = result.output.split('\n').map((line) => line.split('=')[0]);
      assert.ok(!names.includes('LOCO_TEST_SECRET'));
      for (const name of ['HOME', 'LANG', 'PATH', 'TERM', 'PAGER', 'GIT_PAGER', 'GIT_OPTIONAL_LOCKS']) assert.ok(names.includes(name), name);
    } finally {
      delete process.env.LOCO_TEST_SECRET;
      await tree.cleanup();
    }
  });
});

test('allow-list refusals name the reason and point to Read, Grep and Glob', async () => {
  const tree = await makeTempTree({ 'a.txt': 'a' });
  try {
    const result = await runBash('allow-list', tree.root, 'rm -rf .');
    assert.equal(result.isError, true);
    assert.match(result.output, /"rm" is not on the read-only allow-list/);
    assert.match(result.output, /Read tool.*Grep.*Glob/);
  } finally {
    await tree.cleanup();
  }
});

test('formatBashResult', () => {
  const base: SandboxRunResult = {
    stdout: '', stderr: '', exitCode: 0, timedOut: false, aborted: false, droppedCharacters: 0, outputLimitExceeded: false, durationMs: 1,
  };
  assert.deepEqual(formatBashResult('ls', { ...base, stdout: '\n  a\nb\n\n' }, 1000), { output: '  a\nb', isError: false });
  assert.deepEqual(formatBashResult('ls', { ...base, stderr: 'warn\n' }, 1000), { output: 'warn', isError: false });
  assert.deepEqual(formatBashResult('ls x', { ...base, exitCode: 3, stdout: 'o\n', stderr: 'e\n' }, 1000), {
    output: 'Exit code 3\ne\no',
    isError: true,
  });
  assert.deepEqual(formatBashResult('ls x', { ...base, exitCode: 3 }, 1000), { output: 'Exit code 3', isError: true });
  assert.deepEqual(formatBashResult('cat f | grep x', { ...base, exitCode: 1 }, 1000), { output: '', isError: false });
  assert.deepEqual(formatBashResult('grep x f | cat', { ...base, exitCode: 1 }, 1000), { output: 'Exit code 1', isError: true });
  assert.deepEqual(formatBashResult('sleep 9', { ...base, exitCode: 137, timedOut: true, stdout: 'partial' }, 500), {
    output: 'Command timed out after 500 ms\npartial',
    isError: true,
  });
  const dropped = formatBashResult('cat big', { ...base, stdout: 'x'.repeat(100), droppedCharacters: 5000 }, 1000);
  assert.match(dropped.output, /^x{100}\n\n\.\.\. \[5000 characters truncated/);
});

test('detectSandbox caches its answer', async () => {
  assert.equal(detectSandbox(), detectSandbox());
});

test('runSandboxed keeps only maxOutputBytes per stream', async () => {
  const tree = await makeTempTree({});
  try {
    await mkdir(path.join(tree.root, 'd'));
    const result = await runSandboxed('yes | head -c 5000', { mode: 'allow-list', cwd: tree.root, roots: [tree.root], timeoutMs: 10_000, maxOutputBytes: 1000 });
    assert.equal(result.stdout.length, 1000);
    assert.equal(result.droppedCharacters, 4000);
    assert.equal(result.exitCode, 0);
  } finally {
    await tree.cleanup();
  }
});
