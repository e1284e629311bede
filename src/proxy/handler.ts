// The proxy's request handler: dispatches by method and path, reads bodies under the size
// limit, answers every failure in Anthropic's error shape, and records each /v1 request in
// the stats and the JSONL log. No port is bound here (server.ts does that).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backend } from '../backends/types.js';
import type { ProxyConfig } from './config.js';
import { readBody } from '../http/body.js';
import { createExchange, elapsedMs, sendError, sendJson, type Exchange } from './exchange.js';
import { handleCountTokens, handleMessages } from './messages-route.js';
import type { RemoteRecorder } from './record.js';
import type { RemoteClient } from './remote-client.js';
import type { RequestLog } from './request-log.js';
import { createRouter } from './routing.js';
import { STATS_PAGE } from './stats-page.js';
import { ProxyStats } from './stats.js';

export interface ProxyHandlerOptions {
  config: Readonly<ProxyConfig>;
  local: Backend;
  remote?: RemoteClient;
  log: RequestLog;
  /** Operator notes (fallbacks, failures); default: none. */
  note?: (line: string) => void;
  recorder?: RemoteRecorder;
}

export interface ProxyHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly stats: ProxyStats;
}

export function createProxyHandler(options: ProxyHandlerOptions): ProxyHandler {
  const { config, local, remote, log } = options;
  const note = options.note ?? (() => undefined);
  const stats = new ProxyStats(config.pricing);
  const router = createRouter(config.routes, config.defaultTarget, config.subagent);
  const deps = { config, router, local, remote, note, recorder: options.recorder };
  let counter = 0;

  async function withBody(exchange: Exchange, answer: (raw: Buffer) => Promise<void>): Promise<void> {
    const body = await readBody(exchange.req, config.maxBodyBytes);
    if (!body.ok && body.reason === 'aborted') {
      exchange.record.clientClosed = true;
      return;
    }
    if (!body.ok) {
      const limitMb = Math.round((config.maxBodyBytes / 1024 / 1024) * 10) / 10;
      exchange.res.setHeader('connection', 'close');
      return sendError(exchange, 413, `the request body is larger than the proxy's limit of ${limitMb} MB (${config.maxBodyBytes} bytes)`);
    }
    return answer(body.body);
  }

  async function route(exchange: Exchange): Promise<void> {
    const { req, pathname } = exchange;
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    if (read && pathname === '/') return void sendHtml(exchange);
    if (read && pathname === '/health') return sendJson(exchange, 200, { status: 'ok', local: local.info.description, remote: remote?.baseUrl ?? null });
    if (read && pathname === '/stats') return sendJson(exchange, 200, stats.snapshot());
    if (read && pathname === '/v1/models') return models(exchange);
    if (method === 'POST' && pathname === '/v1/messages') return withBody(exchange, (raw) => handleMessages(exchange, raw, deps));
    if (method === 'POST' && pathname === '/v1/messages/count_tokens') return withBody(exchange, (raw) => handleCountTokens(exchange, raw, deps));
    const known = ['/', '/health', '/stats', '/v1/models', '/v1/messages', '/v1/messages/count_tokens'].includes(pathname);
    if (known) return sendError(exchange, 405, `${method} is not allowed on ${pathname}`, 'invalid_request_error');
    return sendError(exchange, 404, `loco proxy has no route ${method} ${pathname}`);
  }

  async function models(exchange: Exchange): Promise<void> {
    if (remote) {
      exchange.record.route = 'remote';
      await remote.forward(exchange, { method: 'GET' });
      return;
    }
    const id = config.local.model ?? 'loco-local';
    sendJson(exchange, 200, { data: [{ type: 'model', id, display_name: `${id} (local, via loco proxy)`, created_at: new Date(0).toISOString() }], has_more: false, first_id: id, last_id: id });
  }

  function finish(exchange: Exchange): void {
    const { record, res } = exchange;
    if (!record.path.startsWith('/v1/')) return;
    record.latencyMs = elapsedMs(exchange);
    record.status = res.statusCode;
    stats.record(record);
    log.write(record);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    counter += 1;
    const exchange = createExchange(req, res, `req_${Date.now().toString(36)}_${counter}`);
    route(exchange)
      .catch((error: unknown) => {
        const message = `loco proxy: internal error: ${error instanceof Error ? error.message : String(error)}`;
        note(message);
        if (!res.headersSent) sendError(exchange, 500, message, 'api_error');
        else if (!res.writableEnded) res.destroy();
        exchange.record.error = message;
      })
      .finally(() => finish(exchange));
  };
  return Object.assign(handler, { stats });
}

function sendHtml(exchange: Exchange): void {
  exchange.res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(STATS_PAGE) });
  exchange.res.end(exchange.req.method === 'HEAD' ? undefined : STATS_PAGE);
}
