// Reading a request body with a size limit, for both servers. An oversized body is still
// read to its end (up to a few times the limit) before the caller answers 413: answering
// while the client is still sending makes some clients stop reading. Far over the limit the
// answer may go out at once while the rest is read and dropped (the server's request timeout
// bounds that): closing instead would reset the connection before the answer is read.
import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' | 'aborted'; bytes: number };

/** Past this many times the limit the caller answers without waiting for the body's end. */
const ANSWER_EARLY_FACTOR = 4;

export function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = false;
    const declared = Number(request.headers['content-length']);
    const tooLarge = (): void => resolve({ ok: false, reason: 'too-large', bytes });
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) {
        chunks.push(chunk);
        return;
      }
      over = true;
      chunks.length = 0;
      if (bytes > limit * ANSWER_EARLY_FACTOR) tooLarge();
    });
    // A client that leaves mid-body: 'error' (ECONNRESET) or only 'close'.
    request.on('error', () => resolve({ ok: false, reason: 'aborted', bytes }));
    request.on('close', () => {
      if (!request.complete) resolve({ ok: false, reason: 'aborted', bytes });
    });
    request.on('end', () => {
      if (over || (Number.isFinite(declared) && declared > limit)) return tooLarge();
      resolve({ ok: true, body: Buffer.concat(chunks, bytes) });
    });
  });
}
