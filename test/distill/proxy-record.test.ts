// `loco proxy --record DIR` as a user runs it: two requests of one conversation go to the
// remote (one streamed, one not); DIR then holds one trace of the whole conversation, with no
// key in it, and `loco distill import DIR` reads it as one conversation.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, startListeningCli } from '../support/run-cli.js';
import { startFakeAnthropic, type RecordedRequest } from '../proxy/fake-anthropic.js';
import { conversationSchema } from '../../src/distill/conversation.js';

const KEY = 'sk-ant-api03-client-key-never-recorded';
const READ_SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYzz12';

function hasToolResult(request: RecordedRequest): boolean {
  return JSON.stringify(request.body.messages).includes('"tool_result"');
}

test('--record writes each conversation the remote answered as a trace distill imports, without keys', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'loco-proxy-record-'));
  const script = path.join(dir, 'script.jsonl');
  await writeFile(script, `${JSON.stringify({ type: 'assistant', text: 'Local hello.' })}\n`);
  const records = path.join(dir, 'records');
  const remote = await startFakeAnthropic((request) =>
    hasToolResult(request)
      ? { message: { content: [{ type: 'text', text: 'Routing lives in src/router.ts.' }] } }
      : { message: { content: [{ type: 'text', text: 'Searching.' }, { type: 'tool_use', id: 'toolu_1', name: 'Grep', input: { pattern: 'route' } }] } },
  );
  const server = await startListeningCli(['proxy', '--port', '0', '--local', `fake:${script}`, '--remote', remote.url, '--record', records, '--log', path.join(dir, 'log.jsonl')]);
  const { child, url } = server;
  const system = 'You are a coding agent.\nWorking directory: /repos/shop';
  const question = { role: 'user', content: 'Where is routing done?' };
  const ask = async (messages: unknown[], stream: boolean): Promise<string> => {
    const response = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, stream, system, messages }),
    });
    assert.equal(response.status, 200);
    return response.text();
  };
  try {
    await ask([question], false);
    await ask(
      [
        question,
        { role: 'assistant', content: [{ type: 'text', text: 'Searching.' }, { type: 'tool_use', id: 'toolu_1', name: 'Grep', input: { pattern: 'route' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: `Found 1 file\nsrc/router.ts\nSTRIPE_SECRET=${READ_SECRET}` }] },
      ],
      // The last answer streamed: the record is rebuilt from its SSE events.
      true,
    );
  } finally {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, server.stderr());
    await remote.close();
  }
  try {
    const files = await readdir(records);
    assert.equal(files.length, 1, `one conversation: ${files.join(', ')}`);
    const trace = await readFile(path.join(records, files[0]), 'utf8');
    assert.ok(!trace.includes(KEY) && !server.stderr().includes(KEY), 'no key in the record');
    assert.ok(!trace.includes(READ_SECRET) && trace.includes('[REDACTED:env-value]'), 'a secret a tool read is scrubbed before it reaches the disk');
    const out = path.join(dir, 'conversations.jsonl');
    const imported = await runCli(['distill', 'import', records, '--out', out]);
    assert.equal(imported.code, 0, imported.stderr);
    const conversation = conversationSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    assert.equal(conversation.repo, '/repos/shop');
    assert.deepEqual(conversation.messages, [
      { role: 'user', content: 'Where is routing done?' },
      { role: 'assistant', content: 'Searching.', toolCalls: [{ name: 'Grep', arguments: { pattern: 'route' } }] },
      { role: 'tool', name: 'Grep', content: 'Found 1 file\nsrc/router.ts\nSTRIPE_SECRET=[REDACTED:env-value]', isError: false },
      { role: 'assistant', content: 'Routing lives in src/router.ts.', toolCalls: [] },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
