// The only place the proxy binds a port. Builds the local backend's partner pieces (remote
// client, request log, handler), listens (127.0.0.1 by default: the proxy forwards API keys,
// so it must not be reachable from the network unless the user says so) and closes cleanly.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Backend } from '../backends/types.js';
import { LocoError } from '../errors.js';
import type { ProxyConfig } from './config.js';
import { createProxyHandler } from './handler.js';
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
}

export interface ProxyServer {
  /** e.g. http://127.0.0.1:9091 */
  readonly url: string;
  readonly port: number;
  readonly stats: ProxyStats;
  /** Stops accepting, ends open answers after a grace period, closes the remote client. */
  close(graceMs?: number): Promise<void>;
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { config } = options;
  const remote = options.remote === false ? undefined : (options.remote ?? createRemoteClient({ baseUrl: config.remote.url, apiKey: config.remote.apiKey, timeoutMs: config.remote.timeoutMs }));
  const handler = createProxyHandler({ config, local: options.local, remote, log: options.log, note: options.note });
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"type":"error","error":{"type":"invalid_request_error","message":"malformed HTTP request"}}');
    else socket.destroy();
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
