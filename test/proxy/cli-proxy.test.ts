// `loco proxy` as a user runs it: starts, prints where it listens, serves, logs JSONL on
// stderr, stops on SIGTERM; bad flags fail with a message naming the fix.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startListeningCli } from '../support/run-cli.js';
import { startFakeAnthropic } from './fake-anthropic.js';

describe('loco proxy (CLI)', () => {
  it('serves the local route and the remote, logs each request, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'loco-proxy-cli-'));
    const script = path.join(dir, 'script.jsonl');
    await writeFile(script, `${JSON.stringify({ type: 'assistant', text: 'Local hello.' })}\n`);
    const logFile = path.join(dir, 'requests.jsonl');
    const remote = await startFakeAnthropic(() => ({ message: { content: [{ type: 'text', text: 'Cloud hello.' }] } }));
    const server = await startListeningCli(['proxy', '--port', '0', '--local', `fake:${script}`, '--remote', remote.url, '--log', logFile]);
    const { child, url } = server;
    try {
      const ask = (model: string) =>
        fetch(`${url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-secret-client-key', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ model, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
        });
      const local = (await (await ask('claude-haiku-4-5')).json()) as { content: Array<{ text: string }> };
      assert.equal(local.content[0].text, 'Local hello.');
      const cloud = (await (await ask('claude-sonnet-5-5')).json()) as { content: Array<{ text: string }> };
      assert.equal(cloud.content[0].text, 'Cloud hello.');
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, server.stderr());
      await remote.close();
    }
    assert.equal(server.stdout(), '');
    const lines = (await readFile(logFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { route: string; status: number });
    assert.deepEqual(lines.map((line) => [line.route, line.status]), [['local', 200], ['remote', 200]]);
    assert.ok(!(await readFile(logFile, 'utf8')).includes('sk-secret-client-key'));
    assert.match(server.stderr(), /stopping/);
  });

  it('fails with a message naming the fix for bad flags', async () => {
    const port = await runCli(['proxy', '--port', 'abc', '--local', 'http://127.0.0.1:1/v1']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a whole number/);
    const key = await runCli(['proxy', '--local', 'http://127.0.0.1:1/v1', '--remote-key-env', 'LOCO_TEST_NO_SUCH_KEY'], { env: { LOCO_TEST_NO_SUCH_KEY: '' } });
    assert.equal(key.code, 1);
    assert.match(key.stderr, /LOCO_TEST_NO_SUCH_KEY is empty or not set/);
  });
});
