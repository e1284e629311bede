// The request handler of `loco serve`, independent of the socket it is served on, so tests
// can drive it in-process: routes, the API key, the access log line, and the requests in
// flight (aborted when the client goes away or the server closes).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmbeddedStats } from '../backends/embedded/index.js';
import { type LocoError, toLocoError } from '../errors.js';
import { bearerMatches, sendJson } from '../http/respond.js';
import { DEFAULT_SAMPLING } from '../protocol/messages.js';
import { CLIENT_CLOSED, serveChatCompletion, type AbortCause, type CompletionOutcome } from './chat-completions.js';
import type { ServeEngine } from './completion.js';
import { errorFromEngine, HttpError, notFound, serverError, unavailable } from './errors.js';
import { ClientClosedError, DEFAULT_MAX_BODY_BYTES, readJsonBody } from './http-io.js';
import { RawTurnMemory } from './raw-turns.js';

export type LoadState = { kind: 'loading' } | { kind: 'ready' } | { kind: 'failed'; error: LocoError };

export interface ServeHandlerOptions {
  engine: ServeEngine;
  /** The id answers carry, whatever model the client asked for. */
  modelId: string;
  modelPath: string;
  /** Requests generating at once. */
  parallel: number;
  loadState(): LoadState;
  apiKey?: string;
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface ServeHandler {
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** New requests get 503; those in flight are aborted. Resolves when they have all ended. */
  shutdown(): Promise<void>;
  stats(): EmbeddedStats;
}

interface InFlight {
  controller: AbortController;
  cause?: AbortCause;
  done: Promise<void>;
}

const LOADING = 'Loading model';

export function createServeHandler(options: ServeHandlerOptions): ServeHandler {
  const { engine, modelId, parallel, loadState } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? (() => undefined);
  const rawTurns = new RawTurnMemory();
  const created = Math.floor(Date.now() / 1000);
  const inFlight = new Set<InFlight>();
  let closing = false;

  function requireReady(): void {
    if (loadState().kind === 'loading') throw unavailable(LOADING);
    if (loadState().kind === 'failed') throw errorFromEngine((loadState() as { error: LocoError }).error, undefined);
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
      if (loadState().kind === 'loading') throw unavailable(LOADING);
      if (loadState().kind === 'failed') throw errorFromEngine((loadState() as { error: LocoError }).error, undefined);
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

  return {
    handle,
    shutdown() {
      closing = true;
      for (const flight of inFlight) {
        flight.cause ??= 'shutdown';
        flight.controller.abort();
      }
      return Promise.all([...inFlight].map((flight) => flight.done)).then(() => undefined);
    },
    stats: () => engine.stats(),
  };
}
