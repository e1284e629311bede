// The local route: an Anthropic request answered by the local model in its dialect, streamed
// back as Anthropic events while the model writes. Nothing is sent to the client until the
// first token arrives, so every failure before it (overflow, turn limit, backend error,
// silence past the first-token timeout) can still fall back to the remote.
import { createHash } from 'node:crypto';
import { streamTurn, type TurnStreamOptions } from '../backends/turn-stream.js';
import type { Backend, BackendRequest } from '../backends/types.js';
import type { ChatMessage, Usage } from '../protocol/messages.js';
import { anthropicToDialect, clientEnvironment, systemText, type DialectConversion } from '../protocol/anthropic-dialect.js';
import { appendInstruction } from '../agent/loop.js';
import { LOCOOPERATOR_PROFILE } from '../protocol/profile.js';
import { trainingPromptTools } from '../tools/catalog.js';
import { workspaceListing } from '../tools/paths.js';
import type { MessagesRequest } from '../protocol/anthropic-messages.js';
import { AnthropicStreamEncoder, newAnthropicId } from '../protocol/anthropic-stream.js';
import type { LocalSettings } from './config.js';
import type { Exchange } from './exchange.js';
import { fallbackForError, isFallback, planLocal, type Fallback } from './fallback.js';
import { createJsonOutput, createSseOutput, type LocalOutput } from './local-output.js';
import { callLimitFor, offersTools, requiredCallFor, samplingFor } from './local-request.js';

export type LocalOutcome = { kind: 'answered' } | { kind: 'fallback'; fallback: Fallback };

/** Stable per conversation (system and first user turn), so stateful backends reuse their cache. */
function conversationIdOf(messages: readonly ChatMessage[]): string {
  const hash = createHash('sha256');
  for (const message of messages.slice(0, 2)) hash.update(message.role).update('\0').update(message.content).update('\0');
  return hash.digest('hex').slice(0, 32);
}

/** Tokens when a backend stopped early reports no usage: the plan's prompt, the text seen. */
function estimatedUsage(usage: Usage, promptTokens: number, rawText: string): Usage {
  return usage.promptTokens > 0 ? usage : { promptTokens, cachedTokens: 0, completionTokens: Math.ceil(rawText.length / 4) };
}

/**
 * The request in the model's dialect under the settings' profile. A prompt that shows the
 * workspace gets the directory the client's system prompt names, listed when settings allow.
 */
export async function localConversion(request: Parameters<typeof anthropicToDialect>[0], settings: LocalSettings, offerTools: boolean): Promise<DialectConversion> {
  const profile = settings.profile ?? LOCOOPERATOR_PROFILE;
  const environment = clientEnvironment(systemText(request.system));
  if (settings.listWorkspace === true && environment.workspace !== '' && profile.systemPrompt.includes('{listing}')) {
    environment.listing = await workspaceListing(environment.workspace);
  }
  return anthropicToDialect(request, settings.systemPrompt, trainingPromptTools(), { offerTools, profile, environment, maxTurns: settings.maxTurns ?? profile.maxTurns });
}

export async function serveLocal(exchange: Exchange, request: MessagesRequest, backend: Backend, settings: LocalSettings): Promise<LocalOutcome> {
  const { record } = exchange;
  const profile = settings.profile ?? LOCOOPERATOR_PROFILE;
  const offerTools = offersTools(request.tool_choice);
  const conversion = await localConversion(request, settings, offerTools);
  const { binding } = conversion;
  const maxTurns = settings.maxTurns ?? profile.maxTurns;
  // At the limit the profile's harness asks for the final answer; the calls the model may still
  // write reach the client as text, so nothing more runs. A required call cannot be answered so.
  const finalTurn = settings.atTurnLimit === 'final-answer' && conversion.assistantTurns === maxTurns && !conversion.prefill && request.tool_choice?.type !== 'any' && request.tool_choice?.type !== 'tool';
  if (finalTurn) appendInstruction(conversion.messages, profile.finalMessage);
  const plan = planLocal(conversion, {
    maxTurns: finalTurn ? maxTurns + 1 : maxTurns,
    contextSize: settings.contextSize ?? backend.info.contextSize,
    maxTokens: Math.min(request.max_tokens, settings.maxTokens),
  });
  if (isFallback(plan)) return { kind: 'fallback', fallback: plan };
  // With tool_choice none the encoder gets no client tools, so any call stays text.
  const clientTools = offerTools && !finalTurn ? new Set(binding.clientNames) : new Set<string>();
  if (finalTurn) record.finalAnswerAsked = true;
  const requiredToolCall = requiredCallFor(request.tool_choice, conversion, (name) => binding.toClient(name, {}).name, backend.info);
  if (requiredToolCall && 'reason' in requiredToolCall) return { kind: 'fallback', fallback: requiredToolCall };

  const backendRequest: BackendRequest = {
    messages: conversion.messages,
    sampling: samplingFor(request, settings.sampling, plan.maxTokens, profile.sampling),
    tools: conversion.tools,
    conversationId: conversationIdOf(conversion.messages),
    model: settings.model,
  };
  if (requiredToolCall) backendRequest.requiredToolCall = requiredToolCall;
  // The client's stop sequences and its one-call limit end generation as the API's do: what
  // the model wrote after is never sent.
  const turnOptions: TurnStreamOptions = {
    textStopSequences: request.stop_sequences ?? [],
    maxToolCalls: callLimitFor(request.tool_choice),
    firstTokenTimeoutMs: settings.firstTokenTimeoutMs,
    idleTimeoutMs: settings.idleTimeoutMs,
  };
  const encoder = new AnthropicStreamEncoder({ messageId: newAnthropicId('msg_'), model: request.model, estimatedInputTokens: plan.promptTokens, clientTools, toClient: binding.toClient });
  const startEvents = encoder.start();
  const output: LocalOutput = request.stream === true ? createSseOutput(exchange, startEvents) : createJsonOutput(exchange, startEvents);

  const run = async (): Promise<LocalOutcome> => {
    for await (const part of streamTurn(backend, backendRequest, exchange.signal, turnOptions)) {
      if (part.type === 'aborted') {
        record.clientClosed = true;
        return { kind: 'answered' };
      }
      if (part.type === 'error') {
        // Before anything reached the client the remote can still answer.
        if (!output.committed) return { kind: 'fallback', fallback: fallbackForError(part.error) };
        const timedOut = part.error.code === 'backend-timeout';
        output.fail(timedOut ? 'timeout_error' : 'api_error', `loco proxy: ${timedOut ? part.error.message : `the local model failed mid-answer: ${part.error.message}`}`);
        return { kind: 'answered' };
      }
      if (part.type === 'finish') {
        const usage = estimatedUsage(part.usage, plan.promptTokens, part.rawText);
        record.inputTokens = usage.promptTokens;
        record.outputTokens = usage.completionTokens;
        await output.end(encoder.finish(part.reason === 'length' ? 'length' : 'stop', usage, part.stopSequence));
        return { kind: 'answered' };
      }
      await output.write(encoder.push([part]));
    }
    return { kind: 'answered' };
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
  }
}
