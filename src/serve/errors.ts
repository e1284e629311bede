// Error answers of `loco serve` in the shapes clients parse: OpenAI's
// `{"error": {"message", "type", "param", "code"}}`, and llama.cpp server's
// `exceed_context_size_error` (with n_prompt_tokens and n_ctx) for a prompt that does not
// fit, which loco's own HTTP backend and proxy recognise. Pure: no I/O.
import type { LocoError } from '../errors.js';

export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param?: string | null;
    code?: string | number | null;
    /** llama.cpp's overflow numbers. */
    n_prompt_tokens?: number;
    n_ctx?: number;
  };
}

/** An answer that ends a request early: its status and body are sent as they are. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: OpenAIErrorBody,
  ) {
    super(body.error.message);
    this.name = 'HttpError';
  }
}

export function invalidRequest(message: string, param?: string, code?: string): HttpError {
  return new HttpError(400, { error: { message, type: 'invalid_request_error', param: param ?? null, code: code ?? null } });
}

export function notFound(message: string): HttpError {
  return new HttpError(404, { error: { message, type: 'not_found_error', param: null, code: null } });
}

export function unavailable(message: string): HttpError {
  // llama.cpp answers 503 with this type while the model loads.
  return new HttpError(503, { error: { message, type: 'unavailable_error', param: null, code: 503 } });
}

export function serverError(message: string): HttpError {
  return new HttpError(500, { error: { message, type: 'server_error', param: null, code: null } });
}

const OVERFLOW_NUMBERS = /the prompt is (\d+) tokens but the context holds (\d+)/;
const CONTEXT_NUMBER = /n_ctx (\d+)/;

/**
 * The engine's overflow error as llama.cpp server sends it. The numbers are read from the
 * engine's message (pinned by its tests); n_ctx falls back to the loaded context size.
 */
export function contextOverflow(error: LocoError, contextSize: number | undefined): HttpError {
  const numbers = OVERFLOW_NUMBERS.exec(error.message);
  const promptTokens = numbers ? Number(numbers[1]) : undefined;
  const nCtx = numbers ? Number(numbers[2]) : Number(CONTEXT_NUMBER.exec(error.message)?.[1] ?? contextSize ?? 0);
  return new HttpError(400, {
    error: {
      code: 400,
      type: 'exceed_context_size_error',
      message: `the request exceeds the available context size: ${error.message}`,
      ...(promptTokens === undefined ? {} : { n_prompt_tokens: promptTokens }),
      n_ctx: nCtx,
    },
  });
}

/** Maps an engine failure to the answer a client can act on. */
export function errorFromEngine(error: LocoError, contextSize: number | undefined): HttpError {
  switch (error.code) {
    case 'context-overflow':
      return contextOverflow(error, contextSize);
    case 'usage':
      // E.g. a response_format or tool schema the grammar builder cannot express.
      return invalidRequest(error.message);
    case 'config':
      return unavailable(`the model is not available: ${error.message}`);
    case 'aborted':
      return unavailable(`the request was stopped: ${error.message}`);
    default:
      return serverError(error.message);
  }
}
