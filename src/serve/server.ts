// `loco serve`: an OpenAI-compatible HTTP server over the embedded engine (node:http, no
// framework). The only module of src/serve that binds a port; the routes live in handler.ts:
//   POST /v1/chat/completions   chat completions, JSON or SSE (chat-completions.ts)
//   GET  /v1/models             the loaded model
//   GET  /health                {status: 'ok'}, or 503 while the model loads (never needs the key)
//   GET  /props                 llama.cpp-style: default_generation_settings.n_ctx, total_slots, slots in use
// Up to `parallel` requests generate at once (one KV sequence each); more wait in order. A
// client that disconnects aborts its generation. The access log is one line per request
// (method, path, status, time, tokens): never message contents, never the API key.
import path from 'node:path';
import { createEmbeddedBackend, DEFAULT_SEQUENCES, type EmbeddedStats } from '../backends/embedded/index.js';
import { toLocoError } from '../errors.js';
import { startHttpServer } from '../http/server.js';
import type { ServeEngine } from './completion.js';
import { createServeHandler, type LoadState } from './handler.js';

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

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const parallel = Math.max(1, Math.floor(options.parallel ?? DEFAULT_SEQUENCES));
  const ownsEngine = options.engine === undefined;
  const engine: ServeEngine =
    options.engine ??
    createEmbeddedBackend({ modelPath: options.modelPath, threads: options.threads, contextSize: options.contextSize, gpuLayers: options.gpuLayers, sequences: parallel });
  let state: LoadState = { kind: 'loading' };
  const handler = createServeHandler({
    engine,
    modelId: options.modelId ?? path.basename(options.modelPath).replace(/\.gguf$/i, ''),
    modelPath: options.modelPath,
    parallel,
    loadState: () => state,
    apiKey: options.apiKey,
    maxBodyBytes: options.maxBodyBytes,
    log: options.log,
  });
  const http = await startHttpServer(
    (request, response) => {
      void handler.handle(request, response);
    },
    {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8080,
      portFlag: '--port',
      requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
      // Malformed requests, oversized headers and request timeouts: OpenAI-shaped answers.
      errorBody: (failure) => ({ error: { message: failure.message, type: 'invalid_request_error', param: null, code: failure.code } }),
    },
  );

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

  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    ready,
    stats: () => engine.stats(),
    close() {
      closing ??= (async () => {
        await http.close(options.shutdownGraceMs ?? 5_000, handler.shutdown());
        if (ownsEngine) await engine.close();
      })();
      return closing;
    },
  };
}
