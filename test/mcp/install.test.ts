// `loco mcp install <client>` through the built CLI: snippets printed, and --write merging
// into real JSON and TOML files without losing other entries, with a backup.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree();
});
after(() => tree.cleanup());

test('install prints each client\'s snippet and changes nothing', async () => {
  const claude = await runCli(['mcp', 'install', 'claude'], { cwd: tree.root, env: { HOME: tree.root } });
  assert.equal(claude.code, 0, claude.stderr);
  assert.match(claude.stdout, /^claude mcp add loco -- npx loco mcp$/m);
  assert.deepEqual(JSON.parse(claude.stdout.slice(claude.stdout.indexOf('{'))), { mcpServers: { loco: { command: 'npx', args: ['loco', 'mcp'] } } });
  assert.match(claude.stderr, /--write/);
  const codex = await runCli(['mcp', 'install', 'codex'], { cwd: tree.root, env: { HOME: tree.root, CODEX_HOME: '' } });
  assert.match(codex.stdout, /^\[mcp_servers\.loco\]\ncommand = "npx"\nargs = \["loco", "mcp"\]$/m);
  const cursor = await runCli(['mcp', 'install', 'cursor'], { cwd: tree.root, env: { HOME: tree.root } });
  assert.match(cursor.stdout, /"loco": \{/);
  assert.deepEqual(await readdir(tree.root), []);
  const unknown = await runCli(['mcp', 'install', 'vim'], { cwd: tree.root });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /claude, codex, cursor/);
});

test('install --write merges into an existing JSON config, keeps other servers and backs up the old file', async () => {
  const file = path.join(tree.root, 'cursor-mcp.json');
  const before = JSON.stringify({ theme: 'dark', mcpServers: { other: { command: 'other-server' }, loco: { command: 'old' } } }, null, 2);
  await writeFile(file, before);
  const run = await runCli(['mcp', 'install', 'cursor', '--write', '--file', file], { cwd: tree.root });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { theme: 'dark', mcpServers: { other: { command: 'other-server' }, loco: { command: 'npx', args: ['loco', 'mcp'] } } });
  assert.equal(await readFile(`${file}.bak`, 'utf8'), before);
  assert.match(run.stderr, /cursor-mcp\.json\.bak/);
  // Writing the claude project file where none exists creates it.
  const fresh = await runCli(['mcp', 'install', 'claude', '--write'], { cwd: tree.root });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.deepEqual(JSON.parse(await readFile(path.join(tree.root, '.mcp.json'), 'utf8')), { mcpServers: { loco: { command: 'npx', args: ['loco', 'mcp'] } } });
});

test('install --write refuses a broken JSON file and leaves it as it was', async () => {
  const file = path.join(tree.root, 'broken.json');
  await writeFile(file, '{"mcpServers": ');
  const run = await runCli(['mcp', 'install', 'claude', '--write', '--file', file], { cwd: tree.root });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /broken\.json is not valid JSON .*nothing was written/);
  assert.equal(await readFile(file, 'utf8'), '{"mcpServers": ');
  assert.ok(!(await readdir(tree.root)).includes('broken.json.bak'));
});

test('install --write replaces the loco table of a Codex TOML config and keeps every other line', async () => {
  const codexHome = path.join(tree.root, 'codex-home');
  const file = path.join(codexHome, 'config.toml');
  const kept = '# my settings\nmodel = "o4"\n\n[mcp_servers.other]\ncommand = "x" # keep me\n';
  await runCli(['mcp', 'install', 'codex', '--write'], { cwd: tree.root, env: { CODEX_HOME: codexHome } });
  await writeFile(file, `${kept}\n[mcp_servers.loco]\ncommand = "old"\n\n[mcp_servers.loco.env]\nA = "1"\n\n[profiles.fast]\nmodel = "mini"\n`);
  const run = await runCli(['mcp', 'install', 'codex', '--write'], { cwd: tree.root, env: { CODEX_HOME: codexHome } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await readFile(file, 'utf8'), `${kept}\n[profiles.fast]\nmodel = "mini"\n\n[mcp_servers.loco]\ncommand = "npx"\nargs = ["loco", "mcp"]\n`);
});
