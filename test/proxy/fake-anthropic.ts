// An in-process fake of the Anthropic Messages API for proxy tests: each POST /v1/messages
// is answered by a script (a function of the request, or a list used in order), streamed as
// real SSE when the request asks for it. Records requests (headers, raw body) and counts
// answers the client abandoned, so tests can assert pass-through and abort propagation.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type FakeBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export type FakeAnswer =
  | { message: { content: FakeBlock[]; stop_reason?: string; usage?: { input_tokens: number; output_tokens: number } }; delayMs?: number; then?: 'hang' | 'destroy' }
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hang: true };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

export interface FakeAnthropic {
  /** Base URL without /v1, as ANTHROPIC_BASE_URL takes it. */
  url: string;
  requests: RecordedRequest[];
  /** Answers whose connection closed before they were complete. */
  abandoned: number;
  close(): Promise<void>;
}

export type FakeScript = FakeAnswer[] | ((request: RecordedRequest) => FakeAnswer);

/** The SSE text of one streamed message, split into one write per event. */
export function messageEvents(model: string, answer: Extract<FakeAnswer, { message: unknown }>['message'], id = 'msg_fake'): string[] {
  const usage = answer.usage ?? { input_tokens: 11, output_tokens: 7 };
  const write = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const events = [
    write('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1 } } }),
    write('ping', {}),
  ];
  answer.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(write('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      const half = Math.ceil(block.text.length / 2);
      for (const piece of [block.text.slice(0, half), block.text.slice(half)]) {
        if (piece !== '') events.push(write('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
      }
    } else {
      events.push(write('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }));
      events.push(write('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } }));
    }
    events.push(write('content_block_stop', { index }));
  });
  const stop = answer.stop_reason ?? (answer.content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
  events.push(write('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
  events.push(write('message_stop', {}));
  return events;
}

export async function startFakeAnthropic(script: FakeScript): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let next = 0;
  const state = { abandoned: 0 };

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = {};
      }
      const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, raw, body };
      if (req.method === 'GET' && (req.url ?? '').startsWith('/v1/models')) {
        return json(res, 200, { data: [{ type: 'model', id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' }], has_more: false, first_id: 'claude-sonnet-4-5', last_id: 'claude-sonnet-4-5' });
      }
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/messages')) return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'no such route' } });
      requests.push(recorded);
      if ((req.url ?? '').startsWith('/v1/messages/count_tokens')) return json(res, 200, { input_tokens: 42 });
      const answer = typeof script === 'function' ? script(recorded) : script[next++];
      res.on('close', () => {
        if (!res.writableFinished) state.abandoned += 1;
      });
      if (!answer) return json(res, 500, { type: 'error', error: { type: 'api_error', message: `fake remote has no answer left for request ${requests.length}` } });
      void respond(res, recorded, answer).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get abandoned() {
      return state.abandoned;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake', ...headers });
  res.end(text);
}

async function respond(res: ServerResponse, request: RecordedRequest, answer: FakeAnswer): Promise<void> {
  if ('hang' in answer) return;
  if ('status' in answer) return json(res, answer.status, answer.body, answer.headers);
  const model = typeof request.body.model === 'string' ? request.body.model : 'claude';
  if (request.body.stream !== true) {
    const usage = answer.message.usage ?? { input_tokens: 11, output_tokens: 7 };
    const stop = answer.message.stop_reason ?? (answer.message.content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
    return json(res, 200, { id: 'msg_fake', type: 'message', role: 'assistant', model, content: answer.message.content, stop_reason: stop, stop_sequence: null, usage });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
  res.flushHeaders();
  const events = messageEvents(model, answer.message);
  const cut = answer.then === undefined ? events.length : Math.max(3, Math.floor(events.length / 2));
  for (const event of events.slice(0, cut)) {
    if (res.destroyed) return;
    res.write(event);
    if (answer.delayMs) await sleep(answer.delayMs);
  }
  if (answer.then === 'destroy') res.socket?.destroy();
  else if (answer.then !== 'hang') res.end();
}
