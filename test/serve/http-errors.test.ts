// Requests node:http itself refuses (malformed, oversized headers, a body shorter than its
// Content-Length, too slow) and bodies nested too deep: each gets an OpenAI-shaped error
// body over a raw socket, and the server keeps serving.
import assert from 'node:assert/strict';
import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MAX_JSON_DEPTH } from '../../src/protocol/json-depth.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { createFakeEngine } from './fake-engine.js';

interface RawAnswer {
  status: number;
  headers: string;
  body: { error: { message: string; type: string; param: string | null; code: string | number | null } };
}

describe('loco serve: HTTP-level errors carry OpenAI-shaped bodies', () => {
  let server: RunningServer;
  let port: number;
  before(async () => {
    server = await startServer({ modelPath: '/models/fake.gguf', port: 0, engine: createFakeEngine([]), requestTimeoutMs: 400 });
    await server.ready;
    port = Number(new URL(server.url).port);
  });
  after(() => server.close());

  /** Sends `text` on a fresh connection (then half-closes when asked) and reads until the server closes. */
  function raw(text: string, options: { halfClose?: boolean } = {}): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(text);
        if (options.halfClose) socket.end();
      });
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, body] = [received.slice(0, received.indexOf('\r\n\r\n')), received.slice(received.indexOf('\r\n\r\n') + 4)];
        try {
          resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body: JSON.parse(body) as RawAnswer['body'] });
        } catch {
          reject(new Error(`not an HTTP answer with a JSON body: ${JSON.stringify(received.slice(0, 300))}`));
        }
      });
    });
  }

  function assertShape(answer: RawAnswer, status: number, code: string, message: RegExp): void {
    assert.equal(answer.status, status, answer.headers);
    assert.match(answer.headers, /content-type: application\/json/i);
    assert.deepEqual(Object.keys(answer.body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(answer.body.error.type, 'invalid_request_error');
    assert.equal(answer.body.error.code, code);
    assert.match(answer.body.error.message, message);
  }

  const post = (headers: string, body: string) => `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

  it('a malformed request line or stray bytes after the body: 400', async () => {
    assertShape(await raw('GARBAGE\r\n\r\n'), 400, 'malformed_request', /malformed HTTP request/);
    assertShape(await raw('GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'), 400, 'malformed_request', /Content-Length/);
  });

  it('headers over the size limit: 431', async () => {
    const answer = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(maxHeaderSize + 1)}\r\n\r\n`);
    assertShape(answer, 431, 'request_header_fields_too_large', new RegExp(`larger than ${maxHeaderSize} bytes`));
  });

  it('a body shorter than its Content-Length, then the end of sending: 400 naming Content-Length', async () => {
    const answer = await raw(post('Content-Length: 100\r\n', '{"messages"'), { halfClose: true });
    assertShape(answer, 400, 'incomplete_body', /send exactly Content-Length bytes/);
  });

  it('headers or a body that never finish: 408 after the request timeout', async () => {
    const started = performance.now();
    assertShape(await raw(post('Content-Length: 100\r\n', '{"me')), 408, 'request_timeout', /not received in time/);
    assertShape(await raw('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n'), 408, 'request_timeout', /not received in time/);
    assert.ok(performance.now() - started < 10_000);
  });

  it(`a body nested deeper than ${MAX_JSON_DEPTH} levels: 400 naming the limit, before anything recurses`, async () => {
    for (const levels of [MAX_JSON_DEPTH + 1, 200_000]) {
      const body = `{"messages": [{"role": "user", "content": "q"}], "x": ${'['.repeat(levels)}${']'.repeat(levels)}}`;
      const response = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 400);
      const { error } = (await response.json()) as RawAnswer['body'];
      assert.match(error.message, new RegExp(`nests more than ${MAX_JSON_DEPTH} levels`));
    }
    const args = JSON.stringify({ a: JSON.parse(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`) as unknown });
    const messages = [{ role: 'user', content: 'q' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'Grep', arguments: args } }] }, { role: 'tool', tool_call_id: 'c', content: 'r' }];
    const deepArguments = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages }) });
    assert.equal(deepArguments.status, 400);
    const { error } = (await deepArguments.json()) as RawAnswer['body'];
    assert.equal(error.param, 'messages[1].tool_calls[0].function.arguments');
    assert.match(error.message, /nests more than/);
  });

  it('bodies over the limit, even far over it: 413 with the body, not a reset connection', async () => {
    const small = await startServer({ modelPath: '/models/fake.gguf', port: 0, engine: createFakeEngine([]), maxBodyBytes: 1024 });
    try {
      await small.ready;
      for (const size of [2000, 100_000, 10_000_000]) {
        const response = await fetch(`${small.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'a'.repeat(size) });
        assert.equal(response.status, 413, String(size));
        const { error } = (await response.json()) as RawAnswer['body'];
        assert.deepEqual([error.type, error.code, error.message], ['invalid_request_error', 'request_too_large', 'the request body is larger than 1024 bytes']);
      }
      assert.equal((await fetch(`${small.url}/health`)).status, 200);
    } finally {
      await small.close();
    }
  });

  it('keeps serving after all of them', async () => {
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
  });
});
