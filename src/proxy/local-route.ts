// The local route: an Anthropic request answered by the local model in its dialect, streamed
// back as Anthropic events while the model writes. Nothing is sent to the client until the
// first token arrives, so every failure before it (overflow, turn limit, backend error,
// silence past the first-token timeout) can still fall back to the remote.
import { createHash } from 'node:crypto';
import type { Backend, BackendEvent, BackendRequest } from '../backends/types.js';
import { DEFAULT_SAMPLING, type ChatMessage } from '../protocol/messages.js';
import { trainingPromptTools } from '../tools/catalog.js';
import { anthropicToDialect, clientToolNames } from '../protocol/anthropic-dialect.js';
import type { MessagesRequest } from '../protocol/anthropic-messages.js';
import { AnthropicStreamEncoder, newAnthropicId } from '../protocol/anthropic-stream.js';
import { ToolCallStreamParser } from '../protocol/tool-call-parser.js';
import type { LocalSettings } from './config.js';
import type { Exchange } from './exchange.js';
import { fallbackForError, isFallback, planLocal, type Fallback } from './fallback.js';
import { createJsonOutput, createSseOutput, type LocalOutput } from './local-output.js';

export type LocalOutcome = { kind: 'answered' } | { kind: 'fallback'; fallback: Fallback };

/** Stable per conversation (system and first user turn), so stateful backends reuse their cache. */
function conversationIdOf(messages: readonly ChatMessage[]): string {
  const hash = createHash('sha256');
  for (const message of messages.slice(0, 2)) hash.update(message.role).update('\0').update(message.content).update('\0');
  return hash.digest('hex').slice(0, 32);
}

type Step = IteratorResult<BackendEvent> | 'timeout';

/** Races each next() against a deadline; one promise per wait, cleared every time. */
function nextWithin(iterator: AsyncIterator<BackendEvent>, ms: number): Promise<Step> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const next = iterator.next();
  // Backends never throw, but a late rejection after a timeout must not go unhandled.
  next.catch(() => undefined);
  return Promise.race([next, timeout]).finally(() => clearTimeout(timer));
}

export async function serveLocal(exchange: Exchange, request: MessagesRequest, backend: Backend, settings: LocalSettings): Promise<LocalOutcome> {
  const { record } = exchange;
  const conversion = anthropicToDialect(request, settings.systemPrompt, trainingPromptTools());
  const plan = planLocal(conversion, {
    maxTurns: settings.maxTurns,
    contextSize: settings.contextSize ?? backend.info.contextSize,
    maxTokens: Math.min(request.max_tokens, settings.maxTokens),
  });
  if (isFallback(plan)) return { kind: 'fallback', fallback: plan };

  const controller = new AbortController();
  const onClientGone = (): void => controller.abort();
  exchange.signal.addEventListener('abort', onClientGone, { once: true });
  const backendRequest: BackendRequest = {
    messages: conversion.messages,
    sampling: { ...DEFAULT_SAMPLING, maxTokens: plan.maxTokens },
    tools: conversion.tools,
    conversationId: conversationIdOf(conversion.messages),
    model: settings.model,
  };
  const encoder = new AnthropicStreamEncoder({ messageId: newAnthropicId('msg_'), model: request.model, estimatedInputTokens: plan.promptTokens, clientTools: clientToolNames(request.tools) });
  const parser = new ToolCallStreamParser();
  const startEvents = encoder.start();
  const output: LocalOutput = request.stream === true ? createSseOutput(exchange, startEvents) : createJsonOutput(exchange, startEvents);
  const iterator = backend.stream(backendRequest, controller.signal)[Symbol.asyncIterator]();
  let started = false;

  const fail = (type: 'api_error' | 'timeout_error', message: string): LocalOutcome => {
    output.fail(type, message);
    return { kind: 'answered' };
  };

  const run = async (): Promise<LocalOutcome> => {
    for (;;) {
      const limit = started ? settings.idleTimeoutMs : settings.firstTokenTimeoutMs;
      const step = await nextWithin(iterator, limit);
      if (exchange.signal.aborted) {
        record.clientClosed = true;
        return { kind: 'answered' };
      }
      if (step === 'timeout') {
        controller.abort();
        const detail = started ? `the local model sent nothing for ${limit} ms mid-answer` : `the local model sent no token within ${limit} ms`;
        return output.committed ? fail('timeout_error', `loco proxy: ${detail}`) : { kind: 'fallback', fallback: { reason: 'local-timeout', detail } };
      }
      if (step.done) {
        const detail = 'the local backend ended its stream without a finish event';
        return output.committed ? fail('api_error', `loco proxy: ${detail}`) : { kind: 'fallback', fallback: { reason: 'local-error', detail } };
      }
      const event = step.value;
      if (event.type === 'text-delta') {
        started = true;
        await output.write(encoder.push(parser.push(event.text)));
      } else if (event.type === 'finish') {
        record.inputTokens = event.usage.promptTokens;
        record.outputTokens = event.usage.completionTokens;
        await output.end([...encoder.push(parser.finish()), ...encoder.finish(event.reason, event.usage)]);
        return { kind: 'answered' };
      } else {
        if (!output.committed) return { kind: 'fallback', fallback: fallbackForError(event.error) };
        return fail('api_error', `loco proxy: the local model failed mid-answer: ${event.error.message}`);
      }
    }
  };

  try {
    const outcome = await run();
    if (outcome.kind === 'answered') {
      // A discarded attempt (fallback) says nothing about what the client got.
      const { report } = encoder;
      record.toolCalls = report.toolCalls;
      record.malformedToolCalls = report.malformedToolCalls;
      record.unknownToolCalls = report.unknownToolCalls;
    }
    return outcome;
  } finally {
    output.close();
    exchange.signal.removeEventListener('abort', onClientGone);
    controller.abort();
    // Lets the backend's generator run its cleanup once its pending step settles.
    void iterator.return?.()?.catch(() => undefined);
  }
}
