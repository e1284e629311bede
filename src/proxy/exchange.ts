// One HTTP request as the proxy handles it: the request, the response, an abort signal that
// fires when the client goes away (so upstream work stops), the log record being filled in,
// and the small helpers every route uses to answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson as sendJsonAnswer } from '../http/respond.js';
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
  sendJsonAnswer(exchange.res, status, body, headers);
}

/** An Anthropic-shaped error answer; `type` defaults to the one the status implies. */
export function sendError(exchange: Exchange, status: number, message: string, type: AnthropicErrorType = errorTypeForStatus(status)): void {
  exchange.record.error ??= message;
  sendJson(exchange, status, anthropicError(type, message));
}
