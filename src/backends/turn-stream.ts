// One backend turn, parsed: the single place where a backend's raw text stream becomes the
// parts every consumer works with (the agent loop, the proxy's and serve's encoders, eval).
// It owns the signal chain (the caller's abort and our own early stops both stop the
// backend), stop strings, the cut at a `<tool_response>` the model invents, reconciling the
// streamed text with the finish event's text, time to first token and idle timeouts.
// The stream ends with exactly one of `finish`, `aborted` or `error`, and never throws.
import { LocoError, toLocoError } from '../errors.js';
import { emptyUsage, type Usage } from '../protocol/messages.js';
import { StopSequencePartFilter, StopSequenceScanner } from '../protocol/stop-sequences.js';
import { ToolCallStreamParser, type ParsedPart, type TurnContentPart } from '../protocol/tool-call-parser.js';
import type { BackendEvent } from './types.js';

export interface TurnStreamOptions {
  /** Split `<tool_call>` blocks out of the text (default true); false passes text through. */
  parseToolCalls?: boolean;
  /**
   * Generation ends at the first of these strings in the raw text (OpenAI `stop`, as
   * llama.cpp applies it), which is not part of the turn.
   */
  stopSequences?: readonly string[];
  /**
   * Generation ends at the first of these strings in the visible text, never inside a
   * call's JSON (Anthropic `stop_sequences`, as the API applies them).
   */
  textStopSequences?: readonly string[];
  /** The turn ends once this many calls have closed (Anthropic `disable_parallel_tool_use`). */
  maxToolCalls?: number;
  /** An error part when no text arrives within this many ms of the request. */
  firstTokenTimeoutMs?: number;
  /** An error part when the backend is silent this long between events after the first text. */
  idleTimeoutMs?: number;
}

/** How a turn that finished ended. */
export type TurnEndReason =
  /** The model ended its turn, began inventing a `<tool_response>` (cut there), or reached `maxToolCalls`. */
  | 'stop'
  /** The token limit. */
  | 'length'
  /** One of the caller's stop strings (see `stopSequence`). */
  | 'stop-sequence';

interface TurnTimes {
  /** From the request to the first text; undefined when no text came. */
  firstTokenMs?: number;
  durationMs: number;
}

export type TurnPart =
  /** Visible text, a parsed `<tool_call>`, or one whose JSON could not be read. */
  | TurnContentPart
  | ({
      type: 'finish';
      reason: TurnEndReason;
      usage: Usage;
      /**
       * The turn's raw text as the model wrote it, cut at a raw stop string or an invented
       * response (after a visible-text stop or the call limit: what had streamed by then).
       */
      rawText: string;
      stopSequence?: string;
      /** The model began writing a `<tool_response>` itself; the turn was cut there. */
      inventedResponse: boolean;
    } & TurnTimes)
  /** The caller's signal ended the turn. */
  | ({ type: 'aborted'; usage: Usage; rawText: string } & TurnTimes)
  /** The backend failed (or timed out); `started`: text had already arrived. */
  | ({ type: 'error'; error: LocoError; rawText: string; started: boolean } & TurnTimes);

/** The part that ends every turn stream. */
export type TurnEnd = Extract<TurnPart, { type: 'finish' | 'aborted' | 'error' }>;

export function isTurnEnd(part: TurnPart): part is TurnEnd {
  return part.type === 'finish' || part.type === 'aborted' || part.type === 'error';
}

/** What a turn stream needs of a backend: the Backend contract, or the embedded engine. */
export interface TurnSource<Request> {
  stream(request: Request, signal?: AbortSignal): AsyncIterable<BackendEvent>;
}

type Step = IteratorResult<BackendEvent> | 'timeout';

/** Races next() against a deadline; a late rejection after the timeout is swallowed. */
function nextWithin(iterator: AsyncIterator<BackendEvent>, ms: number | undefined): Promise<Step> {
  const next = iterator.next();
  if (ms === undefined) return next;
  next.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([next, timeout]).finally(() => clearTimeout(timer));
}

export async function* streamTurn<Request>(
  backend: TurnSource<Request>,
  request: Request,
  signal?: AbortSignal,
  options: TurnStreamOptions = {},
): AsyncGenerator<TurnPart, void, undefined> {
  const started = performance.now();
  const since = (): number => Math.round(performance.now() - started);
  // Our own early stops (a stop string, an invented response) abort the backend too.
  const generation = new AbortController();
  const forward = (): void => generation.abort();
  signal?.addEventListener('abort', forward, { once: true });
  if (signal?.aborted) generation.abort();

  const parser = options.parseToolCalls === false ? undefined : new ToolCallStreamParser();
  const scanner = new StopSequenceScanner(options.stopSequences ?? []);
  const textStops = new StopSequencePartFilter(options.textStopSequences ?? []);
  const callLimit = options.maxToolCalls;
  let callsClosed = 0;
  /** Raw text as streamed (before stop strings are applied). */
  let streamed = '';
  /** Length of the raw text the scanner let through: the turn's text when a stop string hit. */
  let passed = 0;
  let inventedAt: number | undefined;
  let firstTokenMs: number | undefined;
  let usage: Usage = emptyUsage();
  let finishText: string | undefined;
  let backendReason: Extract<BackendEvent, { type: 'finish' }>['reason'] = 'stop';
  let failure: LocoError | undefined;
  const limitReached = (): boolean => callLimit !== undefined && callsClosed >= callLimit;
  const stoppedEarly = (): boolean => scanner.hit || inventedAt !== undefined || textStops.hit || limitReached();

  function* parsed(parts: ParsedPart[]): Generator<TurnPart> {
    const content: TurnContentPart[] = [];
    for (const part of parts) {
      if (part.type === 'text' || part.type === 'tool-call' || part.type === 'tool-call-error') content.push(part);
      else if (part.type === 'invented-response') inventedAt ??= part.offset;
    }
    for (const part of textStops.push(content)) {
      if (limitReached()) break;
      yield part;
      if (part.type === 'tool-call') callsClosed += 1;
    }
    if (stoppedEarly()) generation.abort();
  }

  function* pass(text: string): Generator<TurnPart> {
    if (text === '') return;
    passed += text.length;
    if (parser) yield* parsed(parser.push(text));
    else yield { type: 'text', text };
  }

  const iterator = backend.stream(request, generation.signal)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const limit = firstTokenMs === undefined ? options.firstTokenTimeoutMs : options.idleTimeoutMs;
      let step: Step;
      try {
        step = await nextWithin(iterator, limit);
      } catch (error) {
        // The contract says backends never throw; a broken one still ends the turn cleanly.
        failure = toLocoError(error);
        break;
      }
      if (step === 'timeout') {
        if (signal?.aborted) break;
        const detail = firstTokenMs === undefined ? `the model sent no token within ${limit} ms` : `the model sent nothing for ${limit} ms mid-answer`;
        failure = new LocoError('backend-timeout', detail, { retryable: true });
        break;
      }
      if (step.done) {
        if (failure === undefined && finishText === undefined && !stoppedEarly() && !signal?.aborted) {
          failure = new LocoError('backend-protocol', 'the backend ended its stream without a finish event');
        }
        break;
      }
      const event = step.value;
      if (event.type === 'text-delta') {
        if (stoppedEarly() || event.text === '') continue;
        firstTokenMs ??= since();
        streamed += event.text;
        const text = scanner.push(event.text);
        yield* pass(text);
        if (scanner.hit) generation.abort();
      } else if (event.type === 'finish') {
        usage = event.usage;
        finishText = event.text;
        backendReason = event.reason;
      } else if (!stoppedEarly() || event.error.code !== 'aborted') {
        failure = event.error;
      }
    }
  } finally {
    signal?.removeEventListener('abort', forward);
    generation.abort();
    // Lets the backend's generator run its cleanup once its pending step settles.
    void iterator.return?.()?.catch(() => undefined);
  }

  if (signal?.aborted) {
    yield { type: 'aborted', usage, rawText: streamed, firstTokenMs, durationMs: since() };
    return;
  }
  if (failure && !(stoppedEarly() && failure.code === 'aborted')) {
    yield { type: 'error', error: failure, rawText: streamed, started: firstTokenMs !== undefined, firstTokenMs, durationMs: since() };
    return;
  }
  if (!stoppedEarly()) yield* pass(scanner.flush());
  if (parser) yield* parsed(parser.finish());
  // Held text that turned out not to begin a stop string.
  if (!stoppedEarly()) yield* textStops.flush();
  let rawText = streamed;
  // The finish event's text is the backend's own record of the turn; it wins when a backend
  // streamed less (a server that dropped a last delta). Only streamed text is parsed.
  if (!stoppedEarly() && finishText !== undefined && finishText.length >= streamed.length) rawText = finishText;
  let reason: TurnEndReason = backendReason === 'length' ? 'length' : 'stop';
  if (inventedAt !== undefined) {
    rawText = streamed.slice(0, inventedAt).trimEnd();
    reason = 'stop';
  } else if (scanner.hit) {
    rawText = streamed.slice(0, passed);
    reason = 'stop-sequence';
  } else if (textStops.hit) {
    reason = 'stop-sequence';
  }
  yield {
    type: 'finish',
    reason,
    usage,
    rawText,
    stopSequence: scanner.matched ?? textStops.matched,
    inventedResponse: inventedAt !== undefined,
    firstTokenMs,
    durationMs: since(),
  };
}
