// An in-process OpenAI-compatible server for tests: answers each POST /chat/completions
// with the next scripted ReplayResponse, and records what it received so tests can assert
// the exact outgoing request. Binds 127.0.0.1 on a free port; nothing leaves the machine.
//
// Response kinds (consumed in order, one per POST /chat/completions):
// - `{ sse: [...] }`: each string is raw SSE text written as its own write (with a short
//   pause between writes so the client sees separate chunks), e.g. 'data: {...}\n\n'.
//   Strings may split an event or even a JSON object mid-way.
// - `{ deltas: [...], usage?, timings?, finishReason? }`: builds proper chat.completion.chunk
//   events: a role chunk, one chunk per delta, a finish chunk (carrying `timings`, as
//   llama.cpp does), a usage chunk with empty choices (as OpenAI/vLLM do), then [DONE].
// - `{ status, body, headers? }`: any status with a string or JSON body.
// - `{ json }`: a non-streaming 200 JSON answer.
// - `{ hang: true, deltas? }`: never finishes; with deltas, sends headers and those deltas
//   first (for idle timeouts and abort), without them sends nothing at all.
// - `{ destroy: true, deltas? }`: destroys the socket, after sending the deltas if given.
// `sse`/`deltas` accept `delayMs` (pause between writes, default 1) and `then` to end the
// answer with a hang or a destroyed socket instead of a clean end.
// GET /props answers `options.props` (llama.cpp server properties) when given, else 404.
// When the script is exhausted the server answers 500 with a message saying so.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type ReplayEnding = 'end' | 'hang' | 'destroy';

export type ReplayResponse =
  | { sse: string[]; delayMs?: number; then?: ReplayEnding; headers?: Record<string, string> }
  | {
      deltas: string[];
      /** Raw OpenAI usage object, e.g. { prompt_tokens, completion_tokens, prompt_tokens_details }. */
      usage?: Record<string, unknown>;
      /** Raw llama.cpp timings object, e.g. { prompt_n, cache_n, predicted_n }. */
      timings?: Record<string, unknown>;
      finishReason?: string;
      delayMs?: number;
      then?: ReplayEnding;
    }
  | { status: number; body: string | object; headers?: Record<string, string> }
  | { json: object }
  | { hang: true; deltas?: string[] }
  | { destroy: true; deltas?: string[] };

export interface ReplayServerOptions {
  /** Answer for GET /props (llama.cpp server properties). */
  props?: object;
}

export interface ReplayServer {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:43123/v1. */
  url: string;
  /** Parsed JSON bodies of every POST /chat/completions, in arrival order. */
  requests: unknown[];
  /** Request headers, parallel to `requests`. */
  headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Builds one `data:` SSE event holding a chat.completion.chunk. */
export function chunkEvent(delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}): string {
  const chunk = {
    id: 'chatcmpl-replay',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'replay',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...extra,
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The SSE writes a `{ deltas }` response expands to. */
export function deltasToSse(response: { deltas: string[]; usage?: Record<string, unknown>; timings?: Record<string, unknown>; finishReason?: string }): string[] {
  const writes = [chunkEvent({ role: 'assistant', content: null })];
  for (const delta of response.deltas) writes.push(chunkEvent({ content: delta }));
  writes.push(chunkEvent({}, response.finishReason ?? 'stop', response.timings ? { timings: response.timings } : {}));
  if (response.usage) {
    const usageChunk = { id: 'chatcmpl-replay', object: 'chat.completion.chunk', created: 1700000000, model: 'replay', choices: [], usage: response.usage };
    writes.push(`data: ${JSON.stringify(usageChunk)}\n\n`);
  }
  writes.push('data: [DONE]\n\n');
  return writes;
}

export async function startReplayServer(responses: ReplayResponse[], options: ReplayServerOptions = {}): Promise<ReplayServer> {
  const requests: unknown[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();
  let next = 0;

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path.endsWith('/props')) {
        if (options.props) sendJson(res, 200, options.props);
        else sendJson(res, 404, { error: { message: 'no props in this replay server' } });
        return;
      }
      if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
        sendJson(res, 404, { error: { message: `replay server has no route ${req.method} ${path}` } });
        return;
      }
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      requests.push(body);
      headers.push(req.headers);
      const response = responses[next++];
      if (!response) {
        sendJson(res, 500, { error: { message: `replay server has no response left for request ${requests.length}` } });
        return;
      }
      void answer(res, response).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    headers,
    close() {
      // Hanging answers never end by themselves: destroy their sockets so close resolves.
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function answer(res: ServerResponse, response: ReplayResponse): Promise<void> {
  if ('status' in response) {
    const isText = typeof response.body === 'string';
    res.writeHead(response.status, { 'content-type': isText ? 'text/plain' : 'application/json', ...response.headers });
    res.end(isText ? response.body : JSON.stringify(response.body));
    return;
  }
  if ('json' in response) {
    sendJson(res, 200, response.json);
    return;
  }
  if ('hang' in response || 'destroy' in response) {
    const ending: ReplayEnding = 'hang' in response ? 'hang' : 'destroy';
    if (!response.deltas) {
      if (ending === 'destroy') res.socket?.destroy();
      return;
    }
    const writes = [chunkEvent({ role: 'assistant', content: null }), ...response.deltas.map((delta) => chunkEvent({ content: delta }))];
    await writeSse(res, writes, 1, ending, {});
    return;
  }
  if ('sse' in response) {
    await writeSse(res, response.sse, response.delayMs ?? 1, response.then ?? 'end', response.headers ?? {});
    return;
  }
  await writeSse(res, deltasToSse(response), response.delayMs ?? 1, response.then ?? 'end', {});
}

async function writeSse(res: ServerResponse, writes: string[], delayMs: number, ending: ReplayEnding, extraHeaders: Record<string, string>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...extraHeaders });
  res.flushHeaders();
  for (const write of writes) {
    if (res.destroyed) return;
    res.write(write);
    // A pause lets each write reach the client as its own chunk, so split events are real.
    await sleep(delayMs);
  }
  if (ending === 'end') res.end();
  else if (ending === 'destroy') res.socket?.destroy();
}
