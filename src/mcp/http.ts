// `loco mcp --http`: Streamable HTTP on one path (/mcp), 127.0.0.1 by default. Each client
// session gets its own MCP server over the shared core. An optional bearer token guards every
// request (401 without it); Host headers other than the listening address are refused, so a
// web page cannot reach the server through DNS rebinding.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpCore } from './core.js';
import { createLocoMcpServer } from './server.js';

export const MCP_PATH = '/mcp';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function rpcError(message: string, code = -32000): unknown {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization ?? '';
  return timingSafeEqual(digest(header), digest(`Bearer ${token}`));
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startMcpHttp(core: McpCore, options: McpHttpOptions): Promise<McpHttpServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let allowedHosts: string[] = [];

  async function startSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (text === undefined) return sendJson(res, 413, rpcError(`request body over ${MAX_BODY_BYTES} bytes`));
    let body: unknown;
    try {
      body = JSON.parse(text);
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
      },
    });
    const server = createLocoMcpServer(core);
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
      server.close().catch(() => undefined);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.includes(req.headers.host ?? '')) return sendJson(res, 403, rpcError(`Invalid Host header: ${req.headers.host ?? '(none)'}`));
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== MCP_PATH) return sendJson(res, 404, rpcError(`not found: the MCP endpoint is ${MCP_PATH}`));
    if (!authorized(req, options.token)) {
      return sendJson(res, 401, rpcError('Unauthorized: send Authorization: Bearer <token> (the value of the variable named by --token-env)'), { 'www-authenticate': 'Bearer realm="loco"' });
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = transports.get(sessionId);
      if (!transport) return sendJson(res, 404, rpcError('Session not found: initialize a new session'));
      return transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return sendJson(res, 400, rpcError('Bad Request: no valid session id'));
    return startSession(req, res);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      core.options.log(`loco mcp: request failed: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, rpcError('Internal error', -32603));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  allowedHosts = [...new Set([...loopback, hostForUrl(options.host), ...(options.allowedHosts ?? [])])].map((name) => `${name}:${port}`);

  return {
    url: `http://${hostForUrl(options.host)}:${port}${MCP_PATH}`,
    sessions: () => transports.size,
    async close() {
      await Promise.all([...transports.values()].map((transport) => transport.close().catch(() => undefined)));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
