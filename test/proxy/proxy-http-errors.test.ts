// Errors node:http raises before a request reaches the proxy's handler, over a raw socket:
// a client too slow with its headers or its body gets an Anthropic-shaped 408 timeout_error,
// oversized headers a 431, garbage a 400, each with a JSON body (node's defaults are empty).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
import { resolveProxyConfig } from '../../src/proxy/config.js';
import { eventually, startProxy, type ProxyHarness } from './harness.js';

interface RawAnswer {
  status: number;
  headers: string;
  body: { type?: string; error?: { type?: string; message?: string } };
}

/** Sends `text` (and nothing more) and reads the whole answer until the server closes. */
async function rawExchange(port: number, text: string): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(text);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  const answer = Buffer.concat(chunks).toString('utf8');
  const split = answer.indexOf('\r\n\r\n');
  assert.ok(split > 0, `an HTTP answer: ${JSON.stringify(answer)}`);
  const head = answer.slice(0, split);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body: JSON.parse(answer.slice(split + 4)) as RawAnswer['body'] };
}

describe('HTTP-layer errors get Anthropic-shaped bodies', () => {
  let proxy: ProxyHarness;
  before(async () => {
    proxy = await startProxy({ local: createFakeBackend([]), remote: false, file: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
  });
  after(() => proxy.close());

  it('answers 408 timeout_error to a client that sends its body too slowly', async () => {
    const answer = await rawExchange(proxy.server.port, 'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"model": "claude-haiku');
    assert.equal(answer.status, 408);
    assert.match(answer.headers, /content-type: application\/json/);
    assert.equal(answer.body.type, 'error');
    assert.equal(answer.body.error?.type, 'timeout_error');
    assert.match(answer.body.error?.message ?? '', /not received in time/);
    await eventually(() => proxy.records.some((record) => record.status === 408));
  });

  it('answers 408 timeout_error to a client that never finishes its headers', async () => {
    const answer = await rawExchange(proxy.server.port, 'POST /v1/messages HTTP/1.1\r\nhost: x\r\n');
    assert.equal(answer.status, 408);
    assert.equal(answer.body.error?.type, 'timeout_error');
  });

  it('answers 431 to oversized headers and 400 invalid_request_error to garbage', async () => {
    const big = await rawExchange(proxy.server.port, `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(big.status, 431);
    assert.equal(big.body.error?.type, 'request_too_large');
    const garbage = await rawExchange(proxy.server.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.error?.type, 'invalid_request_error');
  });

  it('still serves a prompt client on the same server', async () => {
    const response = await fetch(`${proxy.url}/health`);
    assert.equal(response.status, 200);
  });

  it('refuses a config whose headers timeout exceeds the request timeout', () => {
    assert.throws(() => resolveProxyConfig({ headersTimeoutMs: 2000, requestTimeoutMs: 1000 }, {}, {}), /headersTimeoutMs \(2000\) must not exceed requestTimeoutMs \(1000\)/);
  });
});
