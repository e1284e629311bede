// A Messages request nested thousands of levels deep (in a tool_use input) gets an
// Anthropic-shaped 400 naming the limit, not a 500 from a stack overflow; the proxy stays up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scriptedBackend, startProxy, usage } from './harness.js';

test('a request body nested too deep: 400 invalid_request_error naming the limit', async () => {
  const local = scriptedBackend(async function* () {
    yield { type: 'text-delta', text: 'ok' };
    yield { type: 'finish', reason: 'stop', usage, text: 'ok' };
  });
  const proxy = await startProxy({ local, remote: false });
  try {
    const post = (input: string) =>
      fetch(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
        body:
          '{"model": "claude-haiku-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "q"}, ' +
          `{"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Grep", "input": {"deep": ${input}}}]}, ` +
          '{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "r"}]}]}',
      });
    for (const levels of [600, 20_000]) {
      const response = await post(`${'['.repeat(levels)}${']'.repeat(levels)}`);
      assert.equal(response.status, 400);
      const body = (await response.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, /nests more than 512 levels/);
    }
    // A realistic depth still works.
    const fine = await post(`${'['.repeat(20)}${']'.repeat(20)}`);
    assert.equal(fine.status, 200, await fine.clone().text());
    assert.equal((await fetch(`${proxy.url}/health`)).status, 200);
  } finally {
    await proxy.close();
  }
});
