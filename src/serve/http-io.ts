// Small HTTP pieces of `loco serve`: reading a bounded JSON body, sending JSON and SSE, and
// checking the API key in constant time.
import { timingSafeEqual, createHash } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
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
 * makes some clients stop reading. Past that the 413 goes out at once while the rest is
 * read and dropped: closing instead would reset the connection before the answer is read.
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
        // Far over: answer now, but keep reading (and dropping) what still comes, so the
        // client is not reset before it reads the 413; the request timeout bounds the rest.
        if (size > limit * 4) reject(tooLarge(limit));
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

/** How node:http names what went wrong before a request reached the handler. */
function clientErrorAnswer(code: string | undefined, maxBodyBytes: number): { status: number; message: string; code: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'the request was not received in time: send the headers and the whole body promptly', code: 'request_timeout' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `the request headers are larger than ${maxHeaderSize} bytes: send fewer or shorter headers`, code: 'request_header_fields_too_large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: `the request body's chunk extensions are too large; bodies may hold up to ${maxBodyBytes} bytes`, code: 'request_too_large' };
    case 'HPE_INVALID_EOF_STATE':
      return { status: 400, message: 'the connection ended before the whole body arrived: send exactly Content-Length bytes', code: 'incomplete_body' };
    default:
      return { status: 400, message: `malformed HTTP request (${code ?? 'parse error'}): check the request line, headers, Content-Length and chunked encoding`, code: 'malformed_request' };
  }
}

/**
 * Answers a request node:http could not parse or did not receive in time (its `clientError`
 * event) with an OpenAI-shaped body; node's own answer has none. Like node's default, it
 * writes only when no answer on this socket has started.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, maxBodyBytes: number): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const answer = clientErrorAnswer(error.code, maxBodyBytes);
  const body = JSON.stringify({ error: { message: answer.message, type: 'invalid_request_error', param: null, code: answer.code } });
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
