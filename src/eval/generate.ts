// Generation for eval: ONE backend turn per sample and run (the sample's conversation in,
// the next assistant message out), never the agent loop: the label is a single next turn,
// so tools are not run. Jobs run through a fixed pool of `concurrency` workers.
import { runPool } from '../pool.js';
import { toLocoError } from '../errors.js';
import type { ChatMessage, Sampling, Usage } from '../protocol/messages.js';
import { ToolCallStreamParser } from '../protocol/tool-call-parser.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import type { Backend, FinishReason } from '../backends/types.js';

export interface GenerationRequest {
  messages: ChatMessage[];
  /** Distinct per sample and run, so stateful backends never mix two conversations. */
  conversationId: string;
}

export interface Generation {
  /** The raw assistant text; null when the backend failed. */
  output: string | null;
  finishReason?: FinishReason;
  usage?: Usage;
  /** From the request to the end of the answer (queueing inside the backend included). */
  latencyMs: number;
  /** From the request to the first text. */
  firstTokenMs?: number;
  error?: { code: string; message: string };
}

export interface GenerateOptions {
  backend: Backend;
  sampling: Sampling;
  model?: string;
  tools?: readonly ToolSignature[];
  signal?: AbortSignal;
}

const elapsed = (since: number) => Math.round(performance.now() - since);

export async function generateOne(request: GenerationRequest, options: GenerateOptions): Promise<Generation> {
  const started = performance.now();
  const generation = new AbortController();
  const onAbort = () => generation.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) generation.abort();
  // Watches for an invented `<tool_response>`: what follows is the model talking to itself,
  // so generation stops there, as it does in the agent loop.
  const parser = new ToolCallStreamParser();
  let text = '';
  let firstTokenMs: number | undefined;
  try {
    for await (const event of options.backend.stream(
      { messages: request.messages, sampling: options.sampling, model: options.model, conversationId: request.conversationId, tools: options.tools },
      generation.signal,
    )) {
      if (event.type === 'text-delta') {
        firstTokenMs ??= elapsed(started);
        text += event.text;
        if (parser.push(event.text).some((part) => part.type === 'invented-response')) generation.abort();
      } else if (event.type === 'finish') {
        if (options.signal?.aborted) return { output: null, latencyMs: elapsed(started), error: { code: 'aborted', message: 'interrupted' } };
        if (event.text.length >= text.length) text = event.text;
        // A stop forced by an invented response is a normal end of the turn.
        const finishReason: FinishReason = event.reason === 'aborted' ? 'stop' : event.reason;
        return { output: text, finishReason, usage: event.usage, latencyMs: elapsed(started), firstTokenMs };
      } else {
        if (generation.signal.aborted && !options.signal?.aborted) {
          return { output: text, finishReason: 'stop', latencyMs: elapsed(started), firstTokenMs };
        }
        return { output: null, latencyMs: elapsed(started), firstTokenMs, error: { code: event.error.code, message: event.error.message } };
      }
    }
    return { output: null, latencyMs: elapsed(started), error: { code: 'backend-protocol', message: 'the backend ended without finishing the answer' } };
  } catch (error) {
    // The contract says backends never throw; a broken one must not end the whole eval.
    const failure = toLocoError(error);
    return { output: null, latencyMs: elapsed(started), firstTokenMs, error: { code: failure.code, message: failure.message } };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs every request with at most `concurrency` in flight; results keep the requests'
 * order. `onDone` is awaited per result (in completion order), so a caller can append to a
 * file as results arrive. Requests not started before an abort are left undefined.
 */
export async function generateAll(
  requests: readonly GenerationRequest[],
  options: GenerateOptions & { concurrency: number; onDone?: (index: number, generation: Generation) => Promise<void> | void },
): Promise<(Generation | undefined)[]> {
  const results: (Generation | undefined)[] = new Array(requests.length).fill(undefined);
  let next = 0;
  const take = () => (next < requests.length ? next++ : undefined);
  await runPool(take, Math.min(options.concurrency, requests.length), async (index) => {
    const generation = await generateOne(requests[index], options);
    results[index] = generation;
    await options.onDone?.(index, generation);
  }, options.signal);
  return results;
}
