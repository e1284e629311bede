// `loco mcp --http`: Streamable HTTP on one path (/mcp), 127.0.0.1 by default. Each client
// session gets its own MCP server over the shared core. An optional bearer token guards every
// request (401 without it); Host headers other than the listening address are refused, so a
// web page cannot reach the server through DNS rebinding. The server itself is src/http's,
// as for serve and the proxy; sessions idle for 30 minutes are closed.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { readBody } from '../http/body.js';
import { bearerMatches, sendJson } from '../http/respond.js';
import { startHttpServer } from '../http/server.js';
import type { McpCore } from './core.js';
import { createLocoMcpServer } from './server.js';

export const MCP_PATH = '/mcp';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** A session no request has touched for this long is closed (its client went away without saying so). */
const SESSION_IDLE_MS = 30 * 60_000;

export interface McpHttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** More host names clients may use (a LAN name when listening beyond loopback). */
  allowedHosts?: readonly string[];
}

export interface McpHttpServer {
  url: string;
  sessions(): number;
  close(): Promise<void>;
}

function rpcError(message: string, code = -32000): unknown {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startMcpHttp(core: McpCore, options: McpHttpOptions): Promise<McpHttpServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const lastSeen = new Map<string, number>();
  let allowedHosts: string[] = [];

  async function startSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const read = await readBody(req, MAX_BODY_BYTES);
    if (!read.ok) {
      if (read.reason === 'too-large') sendJson(res, 413, rpcError(`request body over ${MAX_BODY_BYTES} bytes`));
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(read.body.toString('utf8'));
    } catch {
      return sendJson(res, 400, rpcError('Parse error: the body is not JSON', -32700));
    }
    if (!isInitializeRequest(body)) return sendJson(res, 400, rpcError('Bad Request: no valid session id; start with an initialize request'));
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableDnsRebindingProtection: true,
      allowedHosts,
      onsessioninitialized: (id) => {
        transports.set(id, transport);
        lastSeen.set(id, Date.now());
      },
    });
    const server = createLocoMcpServer(core);
    transport.onclose = () => {
      if (transport.sessionId) {
        transports.delete(transport.sessionId);
        lastSeen.delete(transport.sessionId);
      }
      server.close().catch(() => undefined);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.includes(req.headers.host ?? '')) return sendJson(res, 403, rpcError(`Invalid Host header: ${req.headers.host ?? '(none)'}`));
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== MCP_PATH) return sendJson(res, 404, rpcError(`not found: the MCP endpoint is ${MCP_PATH}`));
    if (options.token !== undefined && !bearerMatches(req.headers.authorization, options.token)) {
      return sendJson(res, 401, rpcError('Unauthorized: send Authorization: Bearer <token> (the value of the variable named by --token-env)'), { 'www-authenticate': 'Bearer realm="loco"' });
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = transports.get(sessionId);
      if (!transport) return sendJson(res, 404, rpcError('Session not found: initialize a new session'));
      lastSeen.set(sessionId, Date.now());
      return transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return sendJson(res, 400, rpcError('Bad Request: no valid session id'));
    return startSession(req, res);
  }

  const http = await startHttpServer(
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        core.options.log(`loco mcp: request failed: ${(error as Error).message}`);
        if (!res.headersSent) sendJson(res, 500, rpcError('Internal error', -32603));
        else res.end();
      });
    },
    // Headers and bodies must arrive promptly; answers (SSE streams included) may take as long as they need.
    { host: options.host, port: options.port, portFlag: '--port', requestTimeoutMs: 120_000, errorBody: (failure) => rpcError(failure.message) },
  );
  const { port } = http;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  allowedHosts = [...new Set([...loopback, hostForUrl(options.host), ...(options.allowedHosts ?? [])])].map((name) => `${name}:${port}`);
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, seen] of lastSeen) {
      if (now - seen > SESSION_IDLE_MS) void transports.get(id)?.close().catch(() => undefined);
    }
  }, 60_000);
  sweeper.unref();

  return {
    url: `http://${hostForUrl(options.host)}:${port}${MCP_PATH}`,
    sessions: () => transports.size,
    async close() {
      clearInterval(sweeper);
      await Promise.all([...transports.values()].map((transport) => transport.close().catch(() => undefined)));
      await http.close(0);
    },
  };
}
