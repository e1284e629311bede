// The remote route: true pass-through to an Anthropic-compatible API over undici. Bytes are
// written to the client as they arrive (no buffering); usage is read on the side. Headers are
// forwarded except those that must not be: hop-by-hop ones, host, content-length (undici sets
// it for the body it sends) and accept-encoding (asked as identity so usage can be read; the
// hop to a local client gains nothing from compression). The client's key is forwarded
// unless a remote key is configured, which then replaces it.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';
import { encodeSseError } from '../protocol/anthropic-sse.js';
import type { AnthropicErrorType } from '../protocol/anthropic-messages.js';
import { writeChunk } from '../http/respond.js';
import { sendError, type Exchange } from './exchange.js';
import { createUsageTap, type RemoteUsage } from './remote-usage.js';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'content-length', 'accept-encoding', 'expect']);
const NOT_RETURNED = new Set(HOP_BY_HOP);

type HeaderMap = Record<string, string | string[]>;

/** Headers named by `Connection:` are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(text.split(',').map((token) => token.trim().toLowerCase()).filter((token) => token !== ''));
}

export function forwardRequestHeaders(headers: IncomingHttpHeaders, apiKey: string | undefined): HeaderMap {
  const named = connectionTokens(headers.connection);
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  if (apiKey !== undefined) {
    delete out['x-api-key'];
    delete out.authorization;
    out['x-api-key'] = apiKey;
  }
  out['accept-encoding'] = 'identity';
  return out;
}

export function forwardResponseHeaders(headers: Dispatcher.ResponseData['headers']): HeaderMap {
  const named = connectionTokens(headers.connection);
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_RETURNED.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface RemoteOutcome extends RemoteUsage {
  status: number;
  clientClosed?: boolean;
}

export interface RemoteClient {
  readonly baseUrl: string;
  /** Forwards the exchange (its path and query, the given body) and answers the client. */
  forward(exchange: Exchange, init: { method: 'GET' | 'POST'; body?: Buffer | string; onChunk?: (chunk: Buffer) => void }): Promise<RemoteOutcome>;
  close(): Promise<void>;
}

export interface RemoteClientOptions {
  baseUrl: string;
  apiKey?: string;
  /** Bounds the wait for headers and each gap between body chunks. */
  timeoutMs: number;
}

function errorText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

function failureOf(error: unknown, baseUrl: string): { status: number; type: AnthropicErrorType; message: string } {
  const code = (error as { code?: unknown }).code;
  const text = errorText(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { status: 504, type: 'timeout_error', message: `loco proxy: the remote ${baseUrl} did not answer in time (${text})` };
  }
  return { status: 502, type: 'api_error', message: `loco proxy: cannot reach the remote ${baseUrl} (${text}): check --remote and the network` };
}

export function createRemoteClient(options: RemoteClientOptions): RemoteClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const agent = new Agent({ connect: { timeout: 10_000 }, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, keepAliveTimeout: 30_000 });
  let closing: Promise<void> | undefined;

  async function forward(exchange: Exchange, init: { method: 'GET' | 'POST'; body?: Buffer | string; onChunk?: (chunk: Buffer) => void }): Promise<RemoteOutcome> {
    const { res, signal } = exchange;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${baseUrl}${exchange.url}`, { dispatcher: agent, method: init.method, headers: forwardRequestHeaders(exchange.req.headers, options.apiKey), body: init.body, signal });
    } catch (error) {
      if (signal.aborted) return { status: 499, clientClosed: true };
      const failure = failureOf(error, baseUrl);
      sendError(exchange, failure.status, failure.message, failure.type);
      return { status: failure.status, error: failure.message };
    }
    const contentType = String(response.headers['content-type'] ?? '');
    const streaming = contentType.includes('text/event-stream');
    try {
      res.writeHead(response.statusCode, { ...forwardResponseHeaders(response.headers), 'x-loco-route': 'remote' });
    } catch (error) {
      // A header Node refuses to send: free the upstream socket, answer a clean error.
      response.body.destroy();
      const message = `loco proxy: the remote ${baseUrl} sent headers that cannot be forwarded (${errorText(error)})`;
      sendError(exchange, 502, message, 'api_error');
      return { status: 502, error: message };
    }
    // The client sees the status at once, not with the first event.
    if (streaming) res.flushHeaders();
    const tap = createUsageTap(contentType);
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        tap.feed(chunk);
        init.onChunk?.(chunk);
        await writeChunk(res, chunk);
      }
      res.end();
    } catch (error) {
      if (signal.aborted) return { status: response.statusCode, ...tap.finish(), clientClosed: true };
      const message = `loco proxy: the remote ${baseUrl} broke the answer off (${errorText(error)})`;
      if (streaming && !res.writableEnded && !res.destroyed) res.end(encodeSseError('api_error', message));
      else res.destroy();
      return { status: response.statusCode, ...tap.finish(), error: message };
    }
    const usage = tap.finish();
    if (response.statusCode >= 400 && usage.error === undefined) usage.error = `the remote answered HTTP ${response.statusCode}`;
    return { status: response.statusCode, ...usage };
  }

  return {
    baseUrl,
    forward,
    close() {
      closing ??= agent.close().catch(() => undefined);
      return closing;
    },
  };
}
