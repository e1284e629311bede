// Small HTTP pieces of `loco serve`: reading a bounded JSON body, sending JSON and SSE, and
// checking the API key in constant time.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nestingProblem } from '../protocol/json-depth.js';
import { HttpError, invalidRequest } from './errors.js';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The client went away before its request was read: nobody to answer. */
export class ClientClosedError extends Error {
  constructor() {
    super('the client closed the connection before sending the whole body');
    this.name = 'ClientClosedError';
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, { error: { message: `the request body is larger than ${limit} bytes`, type: 'invalid_request_error', param: null, code: 'request_too_large' } });
}

/**
 * Reads and parses a JSON body. An oversized body is still read to its end (up to a few
 * times the limit) before the 413 goes out: answering while the client is still sending
 * makes most clients see a reset connection instead of the answer.
 */
export function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        if (size > limit * 4) {
          request.destroy();
          reject(tooLarge(limit));
        }
        return;
      }
      chunks.push(chunk);
    });
    // A client that leaves mid-body: 'error' (ECONNRESET) or only 'close'.
    request.on('error', () => reject(new ClientClosedError()));
    request.on('close', () => {
      if (!request.complete) reject(new ClientClosedError());
    });
    request.on('end', () => {
      if (over) return reject(tooLarge(limit));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(invalidRequest('the body is empty: send a JSON chat-completions request'));
      // Checked before parsing: validation and rendering recurse once per level.
      const tooDeep = nestingProblem(text, 'the body');
      if (tooDeep !== undefined) return reject(invalidRequest(tooDeep, undefined, 'invalid_json'));
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(invalidRequest(`the body is not valid JSON (${error instanceof Error ? error.message : String(error)})`, undefined, 'invalid_json'));
      }
    });
  });
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // Reverse proxies (nginx) must not buffer the stream.
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();
}

export function writeEvent(response: ServerResponse, data: unknown): void {
  if (response.writableEnded || response.destroyed) return;
  response.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

/** Compares hashes, so neither the key's length nor its bytes leak through timing. */
export function bearerMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1].trim()), digest(key));
}
