// `loco mcp` over stdio as a client runs it: the built CLI as a child process, the SDK's
// Client and StdioClientTransport, a scripted backend and a real temp tree.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { symlink, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { CONFIG_PY, findConfigScript, linksOf, textOf, writeScript, type ScriptFile } from './support.js';

let tree: TempTree;
let outside: string;
let script: ScriptFile;
before(async () => {
  tree = await makeTempTree({ 'src/config.py': CONFIG_PY, 'README.md': '# Demo\n' });
  outside = await mkdtemp(path.join(os.tmpdir(), 'loco-mcp-outside-'));
  await writeFile(path.join(outside, 'secret.txt'), 'secret\n');
  await symlink(outside, path.join(tree.root, 'escape'));
  script = await writeScript(findConfigScript());
});
after(async () => {
  await tree.cleanup();
  await rm(outside, { recursive: true, force: true });
  await script.cleanup();
});

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.LOCO_BACKEND = '';
  return env;
}

async function connect(args: string[]): Promise<{ client: Client; stderr: () => string; errors: Error[] }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', ...args], env: childEnv(), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'loco-test', version: '1.0.0' });
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  return { client, stderr: () => stderr, errors };
}

test('stdio: lists explore and status, explores with progress, cites checked lines and links the trace', async () => {
  const { client, stderr, errors } = await connect(['--backend', `fake:${script.file}`, '--root', tree.root, '--sandbox', 'allow-list']);
  try {
    const { tools } = await client.listTools();
    const explore = tools.find((tool) => tool.name === 'explore');
    assert.ok(explore, 'explore tool listed');
    assert.deepEqual(Object.keys(explore.inputSchema.properties ?? {}).sort(), ['max_turns', 'path', 'question', 'thoroughness']);
    assert.deepEqual(explore.inputSchema.required, ['question']);
    assert.ok(explore.outputSchema?.properties?.citations, 'outputSchema declares citations');
    assert.ok(tools.some((tool) => tool.name === 'status'));

    const progress: string[] = [];
    const result = await client.callTool({ name: 'explore', arguments: { question: 'Where is find_config?', thoroughness: 'quick' } }, undefined, {
      onprogress: (update) => progress.push(update.message ?? ''),
    });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual(progress, ['turn 1', progress[1], 'turn 2']);
    assert.match(progress[1], /^Read done \(\d+ ms\)$/);
    const structured = result.structuredContent as { citations: Array<{ path: string; start: number; end: number; reason: string }>; truncated: boolean; trace: string };
    // The invented file and the line past the end are dropped; the real ranges are kept.
    assert.deepEqual(structured.citations.map((c) => `${c.path}:${c.start}-${c.end}`), ['src/config.py:3-5', 'src/config.py:5-5']);
    assert.equal(structured.citations[0].reason, 'find_config is defined in src/config.py:3-5.');
    assert.equal(structured.truncated, false);
    const text = textOf(result);
    assert.match(text, /^src\/config\.py:3-5 {2}find_config is defined/m);
    assert.match(text, /^src\/config\.py:5-5 /m);
    assert.deepEqual(linksOf(result), [structured.trace]);

    const listed = await client.listResources();
    assert.ok(listed.resources.some((resource) => resource.uri === structured.trace), 'trace listed');
    assert.ok(listed.resources.some((resource) => resource.uri === 'loco://status'));
    const trace = await client.readResource({ uri: structured.trace });
    const lines = String((trace.contents[0] as { text: string }).text).trim().split('\n').map((line) => JSON.parse(line) as { type: string; name?: string });
    // The recording backend's assistant lines are written asynchronously: compare as a set.
    assert.equal(lines[0].type, 'meta');
    assert.deepEqual(lines.map((line) => line.type).sort(), ['assistant', 'assistant', 'finish', 'meta', 'tool-call', 'tool-result']);

    const status = await client.callTool({ name: 'status', arguments: {} });
    assert.deepEqual(
      { ...(status.structuredContent as Record<string, unknown>), model: undefined },
      { model: undefined, loaded: true, slots: 4, busy: 0, queued: 0, completed: 1, roots: [tree.root], traces: 1 },
    );
    assert.match(stderr(), /loco mcp: explore [0-9a-f]{8}: answer, 2 turns, 1 tool calls/);
    assert.deepEqual(errors, []);
  } finally {
    await client.close();
  }
});

test('stdio: a path outside the roots, through a symlink, or missing is an error result, not an exploration', async () => {
  // An empty script: any exploration would fail with "no entry left", not with these errors.
  const empty = await writeScript([]);
  const { client } = await connect(['--backend', `fake:${empty.file}`, '--root', tree.root, '--sandbox', 'allow-list']);
  try {
    for (const [where, pattern] of [
      [outside, /outside the roots/],
      ['escape', /outside the roots/],
      ['../', /outside the roots/],
      ['nowhere', /does not exist/],
      ['src/config.py', /is a file/],
    ] as const) {
      const result = await client.callTool({ name: 'explore', arguments: { question: 'What is here?', path: where } });
      assert.equal(result.isError, true, where);
      assert.match(textOf(result), pattern);
    }
    const status = await client.callTool({ name: 'status', arguments: {} });
    assert.equal((status.structuredContent as { completed: number }).completed, 0);
    const bad = await client.callTool({ name: 'explore', arguments: { question: 'x', max_turns: 500 } });
    assert.equal(bad.isError, true);
    assert.match(textOf(bad), /max_turns/);
  } finally {
    await client.close();
    await empty.cleanup();
  }
});

test('stdio: every line on stdout is a JSON-RPC message, logs included nowhere else', async () => {
  const child = spawn(process.execPath, [CLI, 'mcp', '--backend', `fake:${script.file}`, '--root', tree.root, '--sandbox', 'allow-list'], {
    env: childEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const answered = new Promise<void>((resolve, reject) => {
    child.on('close', (code) => reject(new Error(`loco mcp exited early (${code}): ${stderr}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('"id":2}') && stdout.includes('"id":3}')) resolve();
    });
  });
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'explore', arguments: { question: 'Where is find_config?' }, _meta: { progressToken: 'p' } } });
  send({ jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'loco://status' } });
  await answered;
  const exited = new Promise((resolve) => child.on('close', resolve));
  child.stdin.end();
  assert.equal(await exited, 0, stderr);
  const lines = stdout.split('\n').filter((line) => line !== '');
  assert.ok(lines.length >= 6, stdout);
  for (const line of lines) {
    const message = JSON.parse(line) as { jsonrpc: string };
    assert.equal(message.jsonrpc, '2.0', line);
  }
  assert.ok(stdout.endsWith('\n'));
  assert.match(stderr, /loco mcp: serving on stdio/);
});

test('the stdout guard sends a library\'s console output to stderr and keeps stdout for the protocol', async () => {
  const guard = path.resolve(path.dirname(CLI), '../mcp/stdio.js');
  const program = `import { guardStdout } from ${JSON.stringify(guard)};
const out = guardStdout(process.stdout, process.stderr);
console.log('library noise');
process.stdout.write('raw noise\\n');
out.write('{"jsonrpc":"2.0","method":"x"}\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  child.stdout.pipe(stdout);
  child.stderr.pipe(stderr);
  const chunks: { out: string; err: string } = { out: '', err: '' };
  stdout.on('data', (chunk: Buffer) => (chunks.out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (chunks.err += chunk.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, chunks.err);
  assert.equal(chunks.out, '{"jsonrpc":"2.0","method":"x"}\n');
  assert.equal(chunks.err, 'library noise\nraw noise\n');
});

test('stdio with --profile fastcontext: the explorer speaks its dialect and the citations come from its <final_answer> block', async () => {
  const file = path.join(tree.root, 'src/config.py');
  const fastcontext = await writeScript([
    { type: 'assistant', text: `<tool_call>\n${JSON.stringify({ name: 'Read', arguments: { path: file } })}\n</tool_call>`, match: '<query>Where is find_config?</query>' },
    // The next turn is answered only when the result is in FastContext's form.
    { type: 'assistant', text: `It walks up.\n<final_answer>\n${file}:3-5 (defines find_config)\n${tree.root}/src/gone.py:1-2\n</final_answer>`, match: `\`\`\`${file}:1-5\n1|import os\n2|\n3|def find_config(start):` },
  ]);
  const { client, errors } = await connect(['--backend', `fake:${fastcontext.file}`, '--root', tree.root, '--sandbox', 'allow-list', '--profile', 'fastcontext']);
  try {
    const result = await client.callTool({ name: 'explore', arguments: { question: 'Where is find_config?' } });
    assert.equal(result.isError, undefined, textOf(result));
    const structured = result.structuredContent as { citations: Array<{ path: string; start: number; end: number; reason: string }> };
    assert.deepEqual(structured.citations, [{ path: 'src/config.py', start: 3, end: 5, reason: 'defines find_config' }]);
    assert.deepEqual(errors, []);
  } finally {
    await client.close();
    await fastcontext.cleanup();
  }
});
