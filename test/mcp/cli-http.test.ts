// `loco mcp --http` as a user starts it: the built CLI as a child process on a free port,
// the URL read from stderr, a bearer token from the variable named by --token-env.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI, runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { CONFIG_PY, findConfigScript, writeScript, type ScriptFile } from './support.js';

let tree: TempTree;
let script: ScriptFile;
before(async () => {
  tree = await makeTempTree({ 'src/config.py': CONFIG_PY });
  script = await writeScript(findConfigScript());
});
after(async () => {
  await tree.cleanup();
  await script.cleanup();
});

test('loco mcp --http --port 0 prints its URL on stderr, requires the token and stops on SIGTERM', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'mcp', '--http', '--port', '0', '--token-env', 'MY_MCP_TOKEN', '--backend', `fake:${script.file}`, '--root', tree.root, '--sandbox', 'allow-list'], {
    env: { ...process.env, LOCO_BACKEND: '', MY_MCP_TOKEN: 'tok-123' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/mcp) \(bearer token required\)/.exec(stderr);
      if (match) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  try {
    const denied = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(denied.status, 401);
    const client = new Client({ name: 'loco-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: 'Bearer tok-123' } } }));
    const result = await client.callTool({ name: 'explore', arguments: { question: 'Where is find_config?' } });
    assert.equal(result.isError, undefined);
    assert.equal((result.structuredContent as { citations: unknown[] }).citations.length, 2);
    await client.close();
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  assert.equal(stdout, '');
  assert.doesNotMatch(stderr, /tok-123/);
});

test('loco mcp --token-env names a variable that must be set; bad flags fail before serving', async () => {
  const unset = await runCli(['mcp', '--http', '--token-env', 'NOT_SET_ANYWHERE', '--root', tree.root], { env: { NOT_SET_ANYWHERE: '' } });
  assert.equal(unset.code, 2);
  assert.match(unset.stderr, /--token-env NOT_SET_ANYWHERE: the variable is not set or empty; export NOT_SET_ANYWHERE=<token> first/);
  const badRoot = await runCli(['mcp', '--root', `${tree.root}/nope`]);
  assert.equal(badRoot.code, 2);
  assert.match(badRoot.stderr, /--root .*nope: not a directory/);
  const badParallel = await runCli(['mcp', '--parallel', '0', '--root', tree.root]);
  assert.equal(badParallel.code, 2);
  assert.match(badParallel.stderr, /--parallel must be a whole number from 1 to 64/);
});
