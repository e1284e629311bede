// End to end through the real Bash tool in allow-list mode (no bubblewrap): a process whose
// environment holds a secret runs the escapes of issue 9 (items 2 and 3: /proc environ files,
// other homes through ~name, globs and cd, symlinks committed in the explored repo) and the
// secret never comes back, while ordinary reads still work.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const ATTACKS = [
  'cat /proc/$PPID/environ',
  'cat /proc/self/environ',
  'cat /proc/*/environ',
  'cat /proc/[0-9]*/environ',
  'for f in /proc/*/environ; do cat "$f"; done',
  'x=/proc/$PPID/environ; cat "$x"',
  'p=/proc; cat $p/$PPID/environ',
  'cat < /proc/$PPID/environ',
  'cd /proc/$PPID && cat environ',
  'cd / && cat proc/$PPID/environ',
  'cd /proc && cat */environ',
  'grep -a -r secret /proc/$PPID/environ',
  'grep -r secret-canary /proc/self/',
  'cat $(echo /proc/$PPID/environ)',
  'echo /proc/$PPID/environ | xargs cat',
  "sed -n 'r /proc/self/environ' a.txt",
  "awk '{ while ((getline l < \"/proc/self/environ\") > 0) print l }' a.txt",
  'cat env-link',
  'cat parent-env-link',
  'head -c 100000 parent-env-link',
  'cat parent-link/environ',
  'cd parent-link && cat environ',
  'cat ./parent-link/../$PPID/environ',
  'cat *link*',
  'for f in *; do cat "$f"; done',
  'grep -R secret .',
  'cat ~root/.bashrc ~root/.profile',
  'cat /r[o]ot/.bashrc',
  'cat /ro?t/.profile',
  'cat /*/.bashrc',
  'cd ~root && cat .profile',
  'cat ~/.bash_history',
];

/** Runs the tool in a child process whose environment holds the secret (so /proc shows it). */
const RUNNER = `
const [bashUrl, pathsUrl, root, commands] = JSON.parse(process.argv[1]);
const { createBashTool } = await import(bashUrl);
const { createPathPolicy } = await import(pathsUrl);
const fs = await import('node:fs');
// Links a hostile repository could commit, pointing at this process's environment.
for (const [name, target] of [['parent-env-link', '/proc/' + process.pid + '/environ'], ['parent-link', '/proc/' + process.pid]]) {
  fs.rmSync(root + '/' + name, { force: true });
  fs.symlinkSync(target, root + '/' + name);
}
const tool = createBashTool({ policy: createPathPolicy([root]), sandbox: 'allow-list' });
const results = [];
for (const command of commands) {
  try {
    results.push({ command, ...(await tool.run({ command }, { signal: new AbortController().signal })) });
  } catch (error) {
    results.push({ command, output: error.message, isError: true });
  }
}
const own = fs.readFileSync('/proc/self/environ', 'latin1');
process.stdout.write(JSON.stringify({ results, ownEnvironHasSecret: own.includes(process.env.LOCO_API_KEY) }));
`;

interface RunnerOutput {
  results: { command: string; output: string; isError: boolean }[];
  ownEnvironHasSecret: boolean;
}

let tree: TempTree;
const secret = `secret-canary-${randomBytes(8).toString('hex')}`;

function runInSecretProcess(commands: readonly string[]): RunnerOutput {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const module = (name: string) => new URL(`file://${path.join(here, '../../src/tools', name)}`).href;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', RUNNER, JSON.stringify([module('bash.js'), module('paths.js'), tree.root, commands])], {
    env: { ...process.env, LOCO_API_KEY: secret, ANTHROPIC_API_KEY: secret, GIT_EXTERNAL_DIFF: 'false' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output) as RunnerOutput;
}

before(async () => {
  tree = await makeTempTree({ 'a.txt': 'hello\n', 'src/b.ts': 'export const b = 1;\n' });
  await symlink('/proc/self/environ', path.join(tree.root, 'env-link'));
});
after(() => tree.cleanup());

test(`the secret in the parent's environment never comes back (${ATTACKS.length} attacks)`, () => {
  const { results, ownEnvironHasSecret } = runInSecretProcess(ATTACKS);
  assert.ok(ownEnvironHasSecret, 'control: the running process really holds the secret in /proc/self/environ');
  for (const result of results) {
    assert.ok(!result.output.includes(secret), `${result.command} leaked the secret: ${result.output.slice(0, 300)}`);
    assert.ok(!result.output.includes('secret-canary'), `${result.command} leaked the secret`);
    assert.equal(result.isError, true, `${result.command} should be refused, got: ${result.output.slice(0, 300)}`);
    assert.match(result.output, /^Command refused: /, result.command);
  }
});

test('ordinary reads inside the root keep working in allow-list mode', () => {
  const { results } = runInSecretProcess(['cat a.txt', 'cd src && cat b.ts', 'for f in src/*.ts; do wc -l "$f"; done', 'cat /etc/passwd | head -1']);
  const outputs = Object.fromEntries(results.map((result) => [result.command, result]));
  assert.deepEqual(outputs['cat a.txt'], { command: 'cat a.txt', output: 'hello', isError: false });
  assert.equal(outputs['cd src && cat b.ts'].output, 'export const b = 1;');
  assert.equal(outputs['for f in src/*.ts; do wc -l "$f"; done'].output, '1 src/b.ts');
  assert.match(outputs['cat /etc/passwd | head -1'].output, /^root:/);
});
