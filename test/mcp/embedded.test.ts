// `loco mcp` on the embedded engine (node-llama-cpp, the tiny generated model found through
// the default-model route): llama.cpp's loading and logging must not reach stdout, so every
// byte there is still a JSON-RPC message.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_MODEL_FILE } from '../../src/models/refs.js';
import { CLI } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { tinyGgufPath } from '../support/tiny-gguf.js';

let tree: TempTree;
let models: TempTree;
before(async () => {
  tree = await makeTempTree({ 'main.py': 'print("hello")\n' });
  models = await makeTempTree();
  await copyFile(await tinyGgufPath(), path.join(models.root, DEFAULT_MODEL_FILE));
});
after(async () => {
  await tree.cleanup();
  await models.cleanup();
});

test('stdio on the embedded engine: the model loads on the first call and stdout holds only JSON-RPC', { timeout: 120_000 }, async () => {
  const args = [CLI, 'mcp', '--root', tree.root, '--no-pull', '--threads', '1', '--ctx-size', '4096', '--temperature', '0', '--parallel', '1', '--sandbox', 'allow-list'];
  const child = spawn(process.execPath, args, { env: { ...process.env, LOCO_BACKEND: '', LOCO_MODELS_DIR: models.root }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const answered = new Promise<void>((resolve, reject) => {
    void exited.then((code) => reject(new Error(`loco mcp exited early (${code}): ${stderr}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('"id":3}')) resolve();
    });
  });
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'explore', arguments: { question: 'What does main.py print?', max_turns: 1 }, _meta: { progressToken: 1 } } });
  // Sent at once, answered after the call: status is read while or after the model ran.
  await new Promise<void>((resolve) => {
    const check = () => (stdout.includes('"id":2}') ? resolve() : child.stdout.once('data', check));
    check();
  });
  send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'status', arguments: {} } });
  await answered;
  child.stdin.end();
  assert.equal(await exited, 0, stderr);

  const messages = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { jsonrpc: string; id?: number; result?: { isError?: boolean; structuredContent?: Record<string, unknown> } });
  for (const message of messages) assert.equal(message.jsonrpc, '2.0');
  const explore = messages.find((message) => message.id === 2);
  assert.notEqual(explore?.result?.isError, true, JSON.stringify(explore));
  assert.ok(['answer', 'max-turns'].includes(String(explore?.result?.structuredContent?.stopReason)), JSON.stringify(explore));
  const status = messages.find((message) => message.id === 3)?.result?.structuredContent;
  assert.match(String(status?.model), new RegExp(`embedded ${DEFAULT_MODEL_FILE.replace(/\./g, '\\.')} \\(threads 1, ctx 4096\\)`));
  assert.equal(status?.slots, 1);
  assert.match(stderr, /loco mcp: backend ready: embedded/);
});
