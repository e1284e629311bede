// The wire pieces of `loco serve` on top of src/http: a bounded JSON body with OpenAI-shaped
// errors, and `data:` server-sent events.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http/body.js';
import { writeChunk } from '../http/respond.js';
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

/** Reads and parses a JSON body; throws HttpError (400, 413) or ClientClosedError. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const read = await readBody(request, limit);
  if (!read.ok) throw read.reason === 'too-large' ? tooLarge(limit) : new ClientClosedError();
  const text = read.body.toString('utf8');
  if (text.trim() === '') throw invalidRequest('the body is empty: send a JSON chat-completions request');
  // Checked before parsing: validation and rendering recurse once per level.
  const tooDeep = nestingProblem(text, 'the body');
  if (tooDeep !== undefined) throw invalidRequest(tooDeep, undefined, 'invalid_json');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`the body is not valid JSON (${error instanceof Error ? error.message : String(error)})`, undefined, 'invalid_json');
  }
}

/** One `data:` event; resolves when the client has taken it (a slow reader slows generation, not memory). */
export function writeEvent(response: ServerResponse, data: unknown): Promise<void> {
  return writeChunk(response, `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}
