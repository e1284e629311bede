// POST /v1/chat/completions: validate, run one completion, answer as JSON or as SSE
// (`data: {chat.completion.chunk}` events, a final chunk with finish_reason and llama.cpp
// timings, a usage chunk when `stream_options.include_usage`, then `data: [DONE]`).
// Headers wait for the engine's first event, so errors found before generation (a prompt
// over the context, a schema the grammar cannot express) are real HTTP errors even when
// streaming; later errors arrive as a `data: {"error": …}` event.
import type { ServerResponse } from 'node:http';
import type { Usage } from '../protocol/messages.js';
import type { RawTurnMemory } from './raw-turns.js';
import { parseChatRequest } from './chat-request.js';
import { prepareCompletion, runCompletion, type ServeEngine } from './completion.js';
import { errorFromEngine, HttpError, serverError, unavailable } from './errors.js';
import { sendJson, startEventStream } from '../http/respond.js';
import { writeEvent } from './http-io.js';
import { chatCompletion, completionChunk, newCompletionIdentity, usageChunk } from './openai-shapes.js';

export interface CompletionContext {
  engine: ServeEngine;
  /** The id answers carry, whatever model the client asked for. */
  modelId: string;
  rawTurns: RawTurnMemory;
}

/** Why the request's signal aborted: the client went away, or the server is closing. */
export type AbortCause = 'client' | 'shutdown';

/** What the access log reports. */
export interface CompletionOutcome {
  status: number;
  usage?: Usage;
}

/** Status logged for a client that left before its answer (nginx's convention). */
export const CLIENT_CLOSED = 499;

const SHUTTING_DOWN = 'the server is shutting down';

/** Runs the request; throws HttpError for answers decided before any output was sent. */
export async function serveChatCompletion(
  context: CompletionContext,
  body: unknown,
  response: ServerResponse,
  signal: AbortSignal,
  abortCause: () => AbortCause | undefined,
): Promise<CompletionOutcome> {
  const request = parseChatRequest(body);
  if (request instanceof HttpError) throw request;
  const prepared = prepareCompletion(request, { contextSize: context.engine.stats().contextSize, rawTurns: context.rawTurns });
  const identity = newCompletionIdentity(context.modelId);
  let streaming = false;

  const endStreamWithError = async (error: HttpError): Promise<CompletionOutcome> => {
    await writeEvent(response, error.body);
    response.end();
    return { status: error.status };
  };

  for await (const event of runCompletion(context.engine, prepared, signal, context.rawTurns)) {
    switch (event.type) {
      case 'started':
        // A client gone while queued gets no stream; the engine's next event says aborted.
        if (prepared.stream && !signal.aborted) {
          streaming = true;
          startEventStream(response);
          await writeEvent(response, completionChunk(identity, { role: 'assistant', content: '' }));
        }
        break;
      case 'content':
        if (streaming) await writeEvent(response, completionChunk(identity, { content: event.text }));
        break;
      case 'tool-call':
        if (streaming) await writeEvent(response, completionChunk(identity, { tool_calls: [{ index: event.index, ...event.call }] }));
        break;
      case 'done':
        if (!streaming) {
          sendJson(response, 200, chatCompletion(identity, event));
          return { status: 200, usage: event.usage };
        }
        // llama.cpp puts its timings on the chunk that carries finish_reason.
        await writeEvent(response, completionChunk(identity, {}, event.finishReason, { timings: event.timings }));
        if (prepared.includeUsage) await writeEvent(response, usageChunk(identity, event.usage, event.timings));
        await writeEvent(response, '[DONE]');
        response.end();
        return { status: 200, usage: event.usage };
      case 'error': {
        const error = errorFromEngine(event.error, context.engine.stats().contextSize);
        if (!streaming) throw error;
        return endStreamWithError(error);
      }
      case 'aborted': {
        if (abortCause() !== 'shutdown') {
          // Nobody is listening any more; drop the connection.
          response.destroy();
          return { status: CLIENT_CLOSED, usage: event.usage };
        }
        if (!streaming) throw unavailable(SHUTTING_DOWN);
        return endStreamWithError(unavailable(SHUTTING_DOWN));
      }
    }
  }
  const error = serverError('the engine ended the answer without finishing it');
  if (!streaming) throw error;
  return endStreamWithError(error);
}
