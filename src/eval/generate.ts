// Generation for eval: ONE backend turn per sample and run (the sample's conversation in,
// the next assistant message out), never the agent loop: the label is a single next turn,
// so tools are not run. Jobs run through a fixed pool of `concurrency` workers.
import { runPool } from '../pool.js';
import type { ChatMessage, Sampling, Usage } from '../protocol/messages.js';
import type { ToolSignature } from '../protocol/system-prompt.js';
import { isTurnEnd, streamTurn, type TurnEnd } from '../backends/turn-stream.js';
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

export async function generateOne(request: GenerationRequest, options: GenerateOptions): Promise<Generation> {
  const backendRequest = { messages: request.messages, sampling: options.sampling, model: options.model, conversationId: request.conversationId, tools: options.tools };
  // The turn stream stops at an invented `<tool_response>`, as in the agent loop: what
  // follows is the model talking to itself. The label is compared with the raw text.
  let end: TurnEnd | undefined;
  for await (const part of streamTurn(options.backend, backendRequest, options.signal)) if (isTurnEnd(part)) end = part;
  if (end === undefined || end.type === 'aborted') {
    return { output: null, latencyMs: end?.durationMs ?? 0, firstTokenMs: end?.firstTokenMs, error: { code: 'aborted', message: 'interrupted' } };
  }
  if (end.type === 'error') {
    return { output: null, latencyMs: end.durationMs, firstTokenMs: end.firstTokenMs, error: { code: end.error.code, message: end.error.message } };
  }
  const finishReason: FinishReason = end.reason === 'length' ? 'length' : 'stop';
  return { output: end.rawText, finishReason, usage: end.usage, latencyMs: end.durationMs, firstTokenMs: end.firstTokenMs };
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
