// A scripted model tries to change the tree and reach the network through `loco ask`:
// the tree stays byte-identical and every attempt comes back as an error result.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { renderToolCall } from '../../src/protocol/tool-call-codec.js';
import { detectSandbox } from '../../src/tools/sandbox.js';
import { onPath, skipUnless } from '../support/required-tools.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree } from '../support/temp-tree.js';

async function hashTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full);
      if (entry.isDirectory()) {
        out[`${relative}/`] = 'dir';
        await walk(full);
      } else {
        out[relative] = createHash('sha256').update(await readFile(full)).digest('hex');
      }
    }
  };
  await walk(root);
  return out;
}

const bwrapUsable = (await detectSandbox()) === 'bwrap';

for (const mode of ['bwrap', 'allow-list'] as const) {
  test(`scripted attacks leave the tree unchanged (${mode})`, { skip: mode === 'bwrap' ? skipUnless(bwrapUsable, 'bubblewrap') : false }, async () => {
    const tree = await makeTempTree({ 'src/app.py': 'print("hi")\n', 'notes.txt': 'keep me\n' });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd: tree.root, stdio: 'ignore' });
    // Without git the commit attack fails anyway; the other attacks still run.
    if (onPath('git')) {
      git('init', '-q');
      git('add', '-A');
      git('commit', '-qm', 'init');
    }
    let connections = 0;
    const listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    const attacks = [
      { name: 'Bash', arguments: { command: 'rm -rf ./*' } },
      { name: 'Bash', arguments: { command: 'echo x > notes.txt' } },
      { name: 'Bash', arguments: { command: 'git add -A && git commit -m pwned' } },
      { name: 'Bash', arguments: { command: `curl -s http://127.0.0.1:${port}/ || exec 3<>/dev/tcp/127.0.0.1/${port}` } },
      { name: 'Write', arguments: { file_path: 'notes.txt', content: 'gone' } },
      { name: 'Edit', arguments: { file_path: 'src/app.py', old_string: 'hi', new_string: 'bye' } },
    ];
    const script = path.join(path.dirname(tree.root), `${path.basename(tree.root)}-script.jsonl`);
    const trace = `${script}.trace`;
    await writeFile(
      script,
      [
        { type: 'assistant', text: attacks.map((call) => renderToolCall(call)).join('\n') },
        { type: 'assistant', text: 'Nothing was changed.' },
      ]
        .map((entry) => JSON.stringify(entry))
        .join('\n'),
    );
    try {
      const before = await hashTree(tree.root);
      const run = await runCli(['ask', tree.root, 'Clean up this repo', '--backend', `fake:${script}`, '--sandbox', mode, '--trace', trace]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await hashTree(tree.root), before);
      assert.equal(connections, 0);
      const results = (await readFile(trace, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((line) => line.type === 'tool-result');
      assert.equal(results.length, attacks.length);
      for (const result of results) assert.equal(result.isError, true, `${result.name}: ${result.output}`);
      assert.match(results[4].output, /No such tool available: Write/);
      assert.match(results[5].output, /No such tool available: Edit/);
    } finally {
      listener.close();
      await tree.cleanup();
    }
  });
}
