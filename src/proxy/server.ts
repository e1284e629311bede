// The only place the proxy binds a port. Builds the local backend's partner pieces (remote
// client, request log, handler), listens (127.0.0.1 by default: the proxy forwards API keys,
// so it must not be reachable from the network unless the user says so) and closes cleanly.
import type { Backend } from '../backends/types.js';
import { startHttpServer } from '../http/server.js';
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

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { config } = options;
  const remote = options.remote === false ? undefined : (options.remote ?? createRemoteClient({ baseUrl: config.remote.url, apiKey: config.remote.apiKey, timeoutMs: config.remote.timeoutMs }));
  const handler = createProxyHandler({ config, local: options.local, remote, log: options.log, note: options.note, recorder: options.recorder });
  const http = await startHttpServer(handler, {
    host: config.host,
    port: config.port,
    portFlag: '--port',
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    // Anthropic clients read an error object; node alone answers these with an empty body.
    errorBody: (failure) => anthropicError(failure.status === 431 || failure.status === 413 ? 'request_too_large' : errorTypeForStatus(failure.status), `loco proxy: ${failure.message}`),
  });

  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    stats: handler.stats,
    close(graceMs = 2_000) {
      closing ??= (async () => {
        await http.close(graceMs);
        await remote?.close();
      })();
      return closing;
    },
  };
}
