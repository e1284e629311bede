// Answers both servers send: JSON with its length, server-sent event streams, writes that wait
// for a slow reader, and a constant-time bearer-key check.
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Sends a JSON answer unless one has started or the client is gone. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export function startEventStream(response: ServerResponse, headers: Record<string, string> = {}): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // Reverse proxies (nginx) must not buffer the stream.
    'x-accel-buffering': 'no',
    ...headers,
  });
  response.flushHeaders();
}

/** Writes, waiting for the socket to drain when the client reads slower than we produce. */
export async function writeChunk(response: ServerResponse, chunk: string | Buffer): Promise<void> {
  if (response.destroyed || response.writableEnded) return;
  if (response.write(chunk)) return;
  // Both waits end together, so the loser leaves no listener behind on a long stream.
  const done = new AbortController();
  try {
    await Promise.race([once(response, 'drain', { signal: done.signal }), once(response, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}

/** Compares hashes, so neither the key's length nor its bytes leak through timing. */
export function bearerMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1].trim()), digest(key));
}
