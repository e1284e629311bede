// `loco serve`: an OpenAI-compatible HTTP server over the embedded engine (node:http, no
// framework). The only module of src/serve that binds a port. Routes:
//   POST /v1/chat/completions   chat completions, JSON or SSE (chat-completions.ts)
//   GET  /v1/models             the loaded model
//   GET  /health                {status: 'ok'}, or 503 while the model loads (never needs the key)
//   GET  /props                 llama.cpp-style: default_generation_settings.n_ctx, total_slots, slots in use
// Up to `parallel` requests generate at once (one KV sequence each); more wait in order. A
// client that disconnects aborts its generation. The access log is one line per request
// (method, path, status, time, tokens): never message contents, never the API key.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createEmbeddedBackend, DEFAULT_SEQUENCES, type EmbeddedStats } from '../backends/embedded/index.js';
import { LocoError, toLocoError } from '../errors.js';
import { DEFAULT_SAMPLING } from '../protocol/messages.js';
import { CLIENT_CLOSED, serveChatCompletion, type AbortCause, type CompletionOutcome } from './chat-completions.js';
import { RawTurnMemory } from './raw-turns.js';
import type { ServeEngine } from './completion.js';
import { errorFromEngine, HttpError, notFound, serverError, unavailable } from './errors.js';
import { answerClientError, bearerMatches, ClientClosedError, DEFAULT_MAX_BODY_BYTES, readJsonBody, sendJson } from './http-io.js';

export type { ServeEngine } from './completion.js';

export interface ServerOptions {
  /** The GGUF file to serve (also named in /props). */
  modelPath: string;
  /** The id /v1/models and answers report (default: the file name without .gguf). */
  modelId?: string;
  /** Default 127.0.0.1: only this machine can connect. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Tokens per slot (default: the engine's, as memory allows up to 16384). */
  contextSize?: number;
  /** Requests generating at once, one KV sequence each (default 4). */
  parallel?: number;
  threads?: number;
  gpuLayers?: 'auto' | number;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest request body (default 16 MiB); bigger ones get 413. */
  maxBodyBytes?: number;
  /** Receives the access log, one line per request. */
  log?: (line: string) => void;
  /** Serve this engine instead of loading modelPath (tests); the caller closes it. */
  engine?: ServeEngine;
  /** How long close() lets aborted requests finish their answers (default 5000 ms). */
  shutdownGraceMs?: number;
  /** Time to receive a whole request, headers and body, before a 408 (default 120000 ms). */
  requestTimeoutMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080; the OpenAI base URL is `${url}/v1`. */
  url: string;
  /** Resolves once the model is loaded; rejects with the LocoError that stopped it. */
  ready: Promise<void>;
  /** Slots busy and waiting, as /props reports them. */
  stats(): EmbeddedStats;
  /** Stops accepting, ends requests in flight, frees the model. Safe to call twice. */
  close(): Promise<void>;
}

type LoadState = { kind: 'loading' } | { kind: 'ready' } | { kind: 'failed'; error: LocoError };

interface InFlight {
  controller: AbortController;
  cause?: AbortCause;
  done: Promise<void>;
}

const LOADING = 'Loading model';

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const parallel = Math.max(1, Math.floor(options.parallel ?? DEFAULT_SEQUENCES));
  const ownsEngine = options.engine === undefined;
  const engine: ServeEngine =
    options.engine ??
    createEmbeddedBackend({ modelPath: options.modelPath, threads: options.threads, contextSize: options.contextSize, gpuLayers: options.gpuLayers, sequences: parallel });
  const modelId = options.modelId ?? path.basename(options.modelPath).replace(/\.gguf$/i, '');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? (() => undefined);
  const rawTurns = new RawTurnMemory();
  const created = Math.floor(Date.now() / 1000);
  const inFlight = new Set<InFlight>();
  let state: LoadState = { kind: 'loading' };
  let closing: Promise<void> | undefined;

  function requireReady(): void {
    if (state.kind === 'loading') throw unavailable(LOADING);
    if (state.kind === 'failed') throw errorFromEngine(state.error, undefined);
  }

  function props(): Record<string, unknown> {
    const stats = engine.stats();
    return {
      default_generation_settings: {
        n_ctx: stats.contextSize ?? 0,
        model: modelId,
        params: { temperature: DEFAULT_SAMPLING.temperature, top_p: DEFAULT_SAMPLING.topP, top_k: DEFAULT_SAMPLING.topK, n_predict: -1 },
      },
      total_slots: stats.sequences,
      slots_in_use: stats.busy,
      requests_waiting: stats.waiting,
      model_alias: modelId,
      model_path: options.modelPath,
    };
  }

  async function route(request: IncomingMessage, response: ServerResponse, pathname: string, flight: InFlight): Promise<CompletionOutcome> {
    const method = request.method ?? 'GET';
    const allow = (methods: string): void => {
      if (!methods.split(',').includes(method)) throw new HttpError(405, { error: { message: `${method} is not allowed on ${pathname} (allowed: ${methods})`, type: 'invalid_request_error', param: null, code: 'method_not_allowed' } });
    };
    if (pathname === '/health' || pathname === '/v1/health') {
      allow('GET,HEAD');
      if (state.kind === 'loading') throw unavailable(LOADING);
      if (state.kind === 'failed') throw errorFromEngine(state.error, undefined);
      sendJson(response, 200, { status: 'ok' });
      return { status: 200 };
    }
    const known = ['/v1/models', '/models', '/props', '/v1/chat/completions', '/chat/completions'];
    if (!known.includes(pathname)) throw notFound(`no route ${method} ${pathname}: the OpenAI API is under /v1 (POST /v1/chat/completions, GET /v1/models); also GET /health, GET /props`);
    if (options.apiKey !== undefined && !bearerMatches(request.headers.authorization, options.apiKey)) {
      throw new HttpError(401, { error: { message: 'invalid or missing API key: send Authorization: Bearer <key>', type: 'authentication_error', param: null, code: 'invalid_api_key' } });
    }
    if (pathname === '/v1/models' || pathname === '/models') {
      allow('GET,HEAD');
      const meta = { n_ctx: engine.stats().contextSize ?? null, total_slots: parallel };
      sendJson(response, 200, { object: 'list', data: [{ id: modelId, object: 'model', created, owned_by: 'loco', meta }] });
      return { status: 200 };
    }
    if (pathname === '/props') {
      allow('GET,HEAD');
      requireReady();
      sendJson(response, 200, props());
      return { status: 200 };
    }
    allow('POST');
    const body = await readJsonBody(request, maxBodyBytes);
    requireReady();
    return serveChatCompletion({ engine, modelId, rawTurns }, body, response, flight.controller.signal, () => flight.cause);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    // The query string is never logged or used: it could carry anything.
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    let finish!: () => void;
    const flight: InFlight = { controller: new AbortController(), done: new Promise<void>((resolve) => (finish = resolve)) };
    inFlight.add(flight);
    response.on('close', () => {
      if (response.writableFinished) return;
      flight.cause ??= 'client';
      flight.controller.abort();
    });
    let outcome: CompletionOutcome = { status: 500 };
    try {
      if (closing) throw unavailable('the server is shutting down');
      outcome = await route(request, response, pathname, flight);
    } catch (error) {
      if (error instanceof ClientClosedError) {
        outcome = { status: CLIENT_CLOSED };
        response.destroy();
        return;
      }
      const answer = error instanceof HttpError ? error : serverError(`unexpected failure: ${toLocoError(error).message}`);
      outcome = { status: answer.status };
      if (!response.headersSent && !response.destroyed) sendJson(response, answer.status, answer.body);
      else response.destroy();
    } finally {
      inFlight.delete(flight);
      finish();
      const usage = outcome.usage ? ` prompt=${outcome.usage.promptTokens} cached=${outcome.usage.cachedTokens} completion=${outcome.usage.completionTokens}` : '';
      log(`${request.method ?? '-'} ${pathname} ${outcome.status} ${Math.round(performance.now() - started)}ms${usage}`);
    }
  }

  const requestTimeout = options.requestTimeoutMs ?? 120_000;
  const server: Server = createServer(
    {
      requestTimeout,
      headersTimeout: requestTimeout,
      // node checks the timeouts on this period (default 30 s): keep it well under the timeout.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(requestTimeout / 4))),
    },
    (request, response) => {
      void handle(request, response);
    },
  );
  // Malformed requests, oversized headers and request timeouts: OpenAI-shaped answers.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket, maxBodyBytes));
  const host = options.host ?? '127.0.0.1';
  await listen(server, host, options.port ?? 8080);
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const ready = engine.load().then(
    () => {
      state = { kind: 'ready' };
    },
    (error: unknown) => {
      const failure = toLocoError(error, 'config');
      state = { kind: 'failed', error: failure };
      throw failure;
    },
  );
  // A caller that never awaits `ready` must not see an unhandled rejection; /health reports it.
  ready.catch(() => undefined);

  return {
    url,
    ready,
    stats: () => engine.stats(),
    close() {
      closing ??= (async () => {
        server.close();
        for (const flight of inFlight) {
          flight.cause ??= 'shutdown';
          flight.controller.abort();
        }
        server.closeIdleConnections();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, options.shutdownGraceMs ?? 5_000).unref());
        await Promise.race([Promise.all([...inFlight].map((flight) => flight.done)), grace]);
        server.closeAllConnections();
        if (ownsEngine) await engine.close();
      })();
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const why = error.code === 'EADDRINUSE' ? 'the port is in use: pick another with --port' : error.code === 'EACCES' ? 'permission denied: use a port above 1023' : error.message;
      reject(new LocoError('config', `cannot listen on ${host}:${port}: ${why}`, { cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
