// The HTTP server both `loco serve` and `loco proxy` stand on: node:http with request and
// header timeouts checked often enough to matter, answers with a body (in the caller's wire
// shape) for requests node could not parse or did not receive in time, listening with errors
// that name the fix, and a close that lets answers in flight finish for a grace period.
import { createServer, maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LocoError } from '../errors.js';

/** What went wrong before a request reached the handler, in words for the client. */
export interface ClientFailure {
  status: number;
  /** A stable name: request_timeout, request_header_fields_too_large, incomplete_body, ... */
  code: string;
  message: string;
}

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The flag that sets the port, named when it is taken (e.g. `--port`). */
  portFlag: string;
  /** The whole request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (at most requestTimeoutMs). */
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** The body for a failure answered below the handler, in the server's wire shape. */
  errorBody(failure: ClientFailure): unknown;
}

export interface HttpServer {
  readonly server: Server;
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  /** Stops accepting and closes idle connections; open ones are destroyed after `graceMs` unless `settled` resolves first. */
  close(graceMs: number, settled?: Promise<unknown>): Promise<void>;
}

/** How node:http names what went wrong before a request reached the handler. */
export function clientFailure(code: string | undefined, timeouts: { headersTimeoutMs: number; requestTimeoutMs: number }): ClientFailure {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'request_timeout',
        message: `the request was not received in time (headers within ${timeouts.headersTimeoutMs} ms, the whole request within ${timeouts.requestTimeoutMs} ms): send the headers and the whole body promptly`,
      };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'request_header_fields_too_large', message: `the request headers are larger than ${maxHeaderSize} bytes: send fewer or shorter headers` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'request_too_large', message: "the request body's chunk extensions are too large" };
    case 'HPE_INVALID_EOF_STATE':
      return { status: 400, code: 'incomplete_body', message: 'the connection ended before the whole body arrived: send exactly Content-Length bytes' };
    default:
      return { status: 400, code: 'malformed_request', message: `malformed HTTP request (${code ?? 'parse error'}): check the request line, headers, Content-Length and chunked encoding` };
  }
}

function listen(server: Server, options: HttpServerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const why =
        error.code === 'EADDRINUSE'
          ? `the port is in use: pass ${options.portFlag} N (0 picks a free one)`
          : error.code === 'EACCES'
            ? `permission denied: use a port above 1023 with ${options.portFlag}`
            : error.message;
      reject(new LocoError('usage', `cannot listen on ${options.host}:${options.port}: ${why}`, { cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, options.host);
  });
}

export async function startHttpServer(handler: (request: IncomingMessage, response: ServerResponse) => void, options: HttpServerOptions): Promise<HttpServer> {
  const timeouts = { headersTimeoutMs: options.headersTimeoutMs ?? options.requestTimeoutMs, requestTimeoutMs: options.requestTimeoutMs };
  const server = createServer(
    {
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // How often node checks those timeouts (its default, 30 s, would make them that coarse).
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4))),
    },
    handler,
  );
  const sockets = new Set<Socket>();
  // The response in progress on each socket, so a late client error never writes into it.
  const responses = new WeakMap<Socket, ServerResponse>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => responses.set(request.socket, response));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Node answers these with an empty body; clients expect an error object they can read.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const response = responses.get(socket);
    if (error.code === 'ECONNRESET' || !socket.writable || (response !== undefined && response.headersSent && !response.writableEnded)) {
      socket.destroy();
      return;
    }
    const failure = clientFailure(error.code, timeouts);
    // A handler already reading this request logs it with the status the client got.
    if (response !== undefined && !response.headersSent) response.statusCode = failure.status;
    const body = JSON.stringify(options.errorBody(failure));
    socket.end(
      `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await listen(server, options);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    port: address.port,
    async close(graceMs, settled) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      });
      await Promise.race([settled === undefined ? closed : Promise.all([settled, closed]), grace]);
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
