// The only place the proxy binds a port. Builds the local backend's partner pieces (remote
// client, request log, handler), listens (127.0.0.1 by default: the proxy forwards API keys,
// so it must not be reachable from the network unless the user says so) and closes cleanly.
import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Backend } from '../backends/types.js';
import { LocoError } from '../errors.js';
import { anthropicError, errorTypeForStatus } from '../protocol/anthropic-messages.js';
import type { ProxyConfig } from './config.js';
import { createProxyHandler } from './handler.js';
import type { RemoteRecorder } from './record.js';
import { createRemoteClient, type RemoteClient } from './remote-client.js';
import type { RequestLog } from './request-log.js';
import type { ProxyStats } from './stats.js';

export interface ProxyServerOptions {
  config: Readonly<ProxyConfig>;
  local: Backend;
  log: RequestLog;
  /** false: no remote at all (requests routed there get an error). Default: config.remote. */
  remote?: RemoteClient | false;
  note?: (line: string) => void;
  /** `--record DIR`: each conversation the remote answered, as a trace. */
  recorder?: RemoteRecorder;
}

export interface ProxyServer {
  /** e.g. http://127.0.0.1:9091 */
  readonly url: string;
  readonly port: number;
  readonly stats: ProxyStats;
  /** Stops accepting, ends open answers after a grace period, closes the remote client. */
  close(graceMs?: number): Promise<void>;
}

/** Node's parser and timeout errors -> the status and message the client gets. */
function clientErrorAnswer(error: NodeJS.ErrnoException, limits: { headersTimeoutMs: number; requestTimeoutMs: number }): { status: number; message: string } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, message: `loco proxy: the request was not received in time (headers within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms)` };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: 'loco proxy: the request headers are too large' };
  return { status: 400, message: `loco proxy: malformed HTTP request (${error.code ?? error.message})` };
}

/** A whole HTTP/1.1 answer written straight to a socket the HTTP layer has given up on. */
function rawAnswer(status: number, message: string): string {
  const body = JSON.stringify(anthropicError(status === 431 ? 'request_too_large' : errorTypeForStatus(status), message));
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { config } = options;
  const remote = options.remote === false ? undefined : (options.remote ?? createRemoteClient({ baseUrl: config.remote.url, apiKey: config.remote.apiKey, timeoutMs: config.remote.timeoutMs }));
  const handler = createProxyHandler({ config, local: options.local, remote, log: options.log, note: options.note, recorder: options.recorder });
  const server: Server = createServer(
    {
      keepAliveTimeout: 30_000,
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // How often node checks those timeouts (its default, 30 s, would make them that coarse).
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(Math.min(config.headersTimeoutMs, config.requestTimeoutMs) / 4))),
    },
    handler,
  );
  const sockets = new Set<Socket>();
  // The response in progress on each socket, so a late client error never writes into it.
  const responses = new WeakMap<Socket, ServerResponse>();
  server.on('request', (req, res) => responses.set(req.socket, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Node answers these with an empty body by default; Anthropic clients expect an error object.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const response = responses.get(socket);
    if (!socket.writable || (response !== undefined && response.headersSent && !response.writableEnded)) return void socket.destroy();
    const { status, message } = clientErrorAnswer(error, config);
    // A handler already reading this request logs it with the status the client got.
    if (response !== undefined && !response.headersSent) response.statusCode = status;
    socket.end(rawAnswer(status, message));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? `port ${config.port} is in use: pass --port N (0 picks a free one)` : error.message;
      reject(new LocoError('usage', `cannot listen on ${config.host}:${config.port}: ${hint}`, { cause: error }));
    });
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stats: handler.stats,
    close(graceMs = 2_000) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        await closed;
        clearTimeout(timer);
        await remote?.close();
      })();
      return closing;
    },
  };
}
