// The HTTP layer both servers stand on: a taken port named with its flag, answers with the
// caller's body shape for requests node rejects below the handler, bounded bodies, and a
// close that ends what is still open after the grace period.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { readBody } from '../../src/http/body.js';
import { sendJson } from '../../src/http/respond.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { LocoError } from '../../src/errors.js';

const servers: HttpServer[] = [];
after(() => Promise.all(servers.map((server) => server.close(0))));

async function start(handler: Parameters<typeof startHttpServer>[0], port = 0, requestTimeoutMs = 2_000): Promise<HttpServer> {
  const server = await startHttpServer(handler, {
    host: '127.0.0.1',
    port,
    portFlag: '--listen-port',
    requestTimeoutMs,
    errorBody: (failure) => ({ shape: 'mine', status: failure.status, code: failure.code, message: failure.message }),
  });
  servers.push(server);
  return server;
}

/** Sends raw bytes and reads the whole answer. */
function raw(server: HttpServer, bytes: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.split(' ')[1]), body: JSON.parse(text.slice(split + 4)) as Record<string, unknown> });
    });
  });
}

describe('startHttpServer', () => {
  it('names the port flag when the port is taken', async () => {
    const first = await start((_request, response) => sendJson(response, 200, {}));
    await assert.rejects(start(() => undefined, first.port), (error: unknown) => error instanceof LocoError && /in use: pass --listen-port N/.test(error.message));
  });

  it("answers malformed requests and slow ones with the caller's body shape", async () => {
    // Like the real handlers, it answers once the body is read.
    const server = await start((request, response) => void readBody(request, 1024).then(() => sendJson(response, 200, {})), 0, 300);
    const garbage = await raw(server, 'GARBAGE\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.deepEqual([garbage.body.shape, garbage.body.code], ['mine', 'malformed_request']);
    const slow = await raw(server, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"a');
    assert.equal(slow.status, 408);
    assert.match(String(slow.body.message), /not received in time/);
  });

  it('reads bodies up to the limit and reports larger ones', async () => {
    const results: string[] = [];
    const server = await start((request, response) => {
      void readBody(request, 16).then((read) => {
        results.push(read.ok ? read.body.toString() : read.reason);
        sendJson(response, read.ok ? 200 : 413, {});
      });
    });
    assert.equal((await fetch(server.url, { method: 'POST', body: 'small' })).status, 200);
    assert.equal((await fetch(server.url, { method: 'POST', body: 'x'.repeat(1000) })).status, 413);
    assert.deepEqual(results, ['small', 'too-large']);
  });

  it('close ends connections still open after the grace period', async () => {
    let started!: () => void;
    const begun = new Promise<void>((resolve) => (started = resolve));
    const server = await start((_request, response) => {
      response.writeHead(200);
      response.write('partial');
      started();
    });
    const answer = fetch(server.url).then((response) => response.text());
    await begun;
    await server.close(50);
    await assert.rejects(answer);
  });
});
