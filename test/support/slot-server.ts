// A fake model server with a fixed latency and a fixed number of slots, as llama.cpp's server
// behaves: at most `slots` requests are answered at once, the rest wait; GET /props reports
// total_slots, slots_in_use and requests_waiting as `loco serve` does. Each streamed answer is
// `answer(last user message)`. For fleet tests and the fleet benchmark; binds 127.0.0.1.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SlotServerOptions {
  slots: number;
  latencyMs: number;
  answer(lastUser: string): string;
}

export interface SlotServer {
  /** Base URL ending in /v1. */
  url: string;
  /** Chat requests answered; the most in slots at once; the most received at once (in slots or waiting). */
  stats(): { answered: number; maxBusy: number; busy: number; maxOpen: number };
  /** Stops listening and cuts every open connection: the server is dead. */
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
}

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'slot', object: 'chat.completion.chunk', created: 0, model: 'slot', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

export async function startSlotServer(options: SlotServerOptions): Promise<SlotServer> {
  let busy = 0;
  let maxBusy = 0;
  let answered = 0;
  let open = 0;
  let maxOpen = 0;
  const waiting: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method === 'GET' && request.url === '/props') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ total_slots: options.slots, slots_in_use: busy, requests_waiting: waiting.length }));
        return;
      }
      if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
        response.writeHead(404).end();
        return;
      }
      const body = JSON.parse(await readBody(request)) as { messages: { role: string; content: string }[] };
      const lastUser = [...body.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      if (busy >= options.slots) await new Promise<void>((resolve) => waiting.push(resolve));
      busy += 1;
      maxBusy = Math.max(maxBusy, busy);
      try {
        await sleep(options.latencyMs);
        const text = options.answer(lastUser);
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(chunk({ role: 'assistant', content: text }) + chunk({}, 'stop') + 'data: [DONE]\n\n');
        answered += 1;
      } finally {
        busy -= 1;
        open -= 1;
        waiting.shift()?.();
      }
    })().catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats: () => ({ answered, maxBusy, busy, maxOpen }),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
