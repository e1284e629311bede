// One HTTP request as the proxy handles it: the request, the response, an abort signal that
// fires when the client goes away (so upstream work stops), the log record being filled in,
// and the small helpers every route uses to answer.
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { anthropicError, errorTypeForStatus, type AnthropicErrorType } from '../protocol/anthropic-messages.js';
import type { RequestRecord } from './stats.js';

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Path with its query, as received (`/v1/messages?beta=true`). */
  readonly url: string;
  readonly pathname: string;
  /** Aborted when the client closes the connection before the answer is complete. */
  readonly signal: AbortSignal;
  /** performance.now() at arrival. */
  readonly startedAt: number;
  readonly record: RequestRecord;
}

export function createExchange(req: IncomingMessage, res: ServerResponse, id: string): Exchange {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const pathname = queryAt === -1 ? url : url.slice(0, queryAt);
  return {
    req,
    res,
    url,
    pathname,
    signal: controller.signal,
    startedAt: performance.now(),
    record: { time: new Date().toISOString(), id, method: req.method ?? 'GET', path: pathname, route: 'none', status: 0, latencyMs: 0 },
  };
}

export function elapsedMs(exchange: Exchange): number {
  return Math.round((performance.now() - exchange.startedAt) * 100) / 100;
}

export function sendJson(exchange: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const { res } = exchange;
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** An Anthropic-shaped error answer; `type` defaults to the one the status implies. */
export function sendError(exchange: Exchange, status: number, message: string, type: AnthropicErrorType = errorTypeForStatus(status)): void {
  exchange.record.error ??= message;
  sendJson(exchange, status, anthropicError(type, message));
}

/** Writes, waiting for the socket to drain when the client reads slower than we produce. */
export async function writeChunk(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  if (res.destroyed || res.writableEnded) return;
  if (res.write(chunk)) return;
  await Promise.race([once(res, 'drain'), once(res, 'close')]);
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' | 'aborted'; bytes: number };

/** Past the limit the rest is read and dropped, so the client sees the 413 instead of a reset. */
const DISCARD_LIMIT_FACTOR = 8;

export async function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  const parts: Buffer[] = [];
  let bytes = 0;
  let tooLarge = Number.isFinite(declared) && declared > limit;
  try {
    for await (const part of req as AsyncIterable<Buffer>) {
      bytes += part.length;
      if (bytes > limit) tooLarge = true;
      if (!tooLarge) parts.push(part);
      else if (bytes > limit * DISCARD_LIMIT_FACTOR) {
        req.destroy();
        break;
      }
    }
  } catch {
    // The client went away mid-upload.
    return { ok: false, reason: 'aborted', bytes };
  }
  return tooLarge ? { ok: false, reason: 'too-large', bytes } : { ok: true, body: Buffer.concat(parts, bytes) };
}
