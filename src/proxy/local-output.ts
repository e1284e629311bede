// Where the local route's Anthropic events go: an SSE stream (sent as they come, committed to
// the client by the first write) or a whole JSON message (sent at the end). The route may
// fall back to the remote only while `committed` is false.
import { performance } from 'node:perf_hooks';
import type { AnthropicErrorType, AnthropicStreamEvent } from '../protocol/anthropic-messages.js';
import { encodeSseError, encodeSseEvents } from '../protocol/anthropic-sse.js';
import { accumulateResponse } from '../protocol/anthropic-stream.js';
import { writeChunk } from '../http/respond.js';
import { elapsedMs, sendJson, type Exchange } from './exchange.js';

/** Silence after which a stream gets a `ping`, so clients' idle timers see it alive while a call is buffered. */
export const KEEPALIVE_MS = 10_000;

export interface LocalOutput {
  readonly committed: boolean;
  /** Sends events; the first call commits (status line and message_start). */
  write(events: readonly AnthropicStreamEvent[]): Promise<void>;
  /** Sends the last events and ends the answer. */
  end(events: readonly AnthropicStreamEvent[]): Promise<void>;
  /** Ends a committed stream with an `error` event. */
  fail(type: AnthropicErrorType, message: string): void;
  close(): void;
}

function hasContent(events: readonly AnthropicStreamEvent[]): boolean {
  return events.some((event) => event.type === 'content_block_delta');
}

export function createSseOutput(exchange: Exchange, startEvents: readonly AnthropicStreamEvent[]): LocalOutput {
  const { res, record } = exchange;
  let committed = false;
  let keepalive: NodeJS.Timeout | undefined;
  let corked = false;

  function commit(): string {
    committed = true;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-loco-route': 'local' });
    keepalive = setTimeout(function ping() {
      if (res.writableEnded || res.destroyed) return;
      res.write('event: ping\ndata: {"type": "ping"}\n\n');
      keepalive = setTimeout(ping, KEEPALIVE_MS).unref();
    }, KEEPALIVE_MS).unref();
    return encodeSseEvents(startEvents);
  }

  async function send(events: readonly AnthropicStreamEvent[]): Promise<void> {
    const head = committed ? '' : commit();
    const text = head + encodeSseEvents(events);
    if (record.ttftMs === undefined && hasContent(events)) record.ttftMs = elapsedMs(exchange);
    keepalive?.refresh();
    if (text === '') return;
    // Deltas parsed out of one upstream chunk arrive within one turn of the event loop: send
    // them as one write (one packet) rather than one each, uncorking before the next I/O.
    if (!corked && !res.writableEnded) {
      corked = true;
      res.cork();
      setImmediate(() => {
        corked = false;
        res.uncork();
      });
    }
    await writeChunk(res, text);
  }

  return {
    get committed() {
      return committed;
    },
    write: send,
    async end(events) {
      await send(events);
      clearTimeout(keepalive);
      if (!res.writableEnded) res.end();
    },
    fail(type, message) {
      record.error = message;
      clearTimeout(keepalive);
      if (!res.writableEnded && !res.destroyed) res.end(encodeSseError(type, message));
    },
    close() {
      clearTimeout(keepalive);
    },
  };
}

export function createJsonOutput(exchange: Exchange, startEvents: readonly AnthropicStreamEvent[]): LocalOutput {
  const collected: AnthropicStreamEvent[] = [...startEvents];
  return {
    committed: false,
    async write(events) {
      collected.push(...events);
    },
    async end(events) {
      collected.push(...events);
      exchange.record.ttftMs = Math.round((performance.now() - exchange.startedAt) * 100) / 100;
      sendJson(exchange, 200, accumulateResponse(collected), { 'x-loco-route': 'local' });
    },
    fail() {
      // Never committed: the route falls back or answers an error instead.
    },
    close() {},
  };
}
