// Maps agent events to trace records (src/trace/records.ts): the `meta` header, `tool-call`
// and `tool-result` lines, and the main agent's closing `finish` line. The recording backend
// writes the `assistant`/`error` turn lines beside them.
import type { UnversionedTraceRecord } from '../trace/writer.js';
import type { AgentEvent } from './events.js';

export function traceMetaRecord(meta: Record<string, unknown>): UnversionedTraceRecord {
  return { type: 'meta', ...meta, startedAt: new Date().toISOString() };
}

/** The trace record for an agent event, or undefined for events a trace does not keep. */
export function traceRecordOf(event: AgentEvent): UnversionedTraceRecord | undefined {
  // Events of a loop run without a conversation id fall back to the agent's id.
  const conversationId = event.conversationId ?? event.agentId;
  if (event.type === 'tool-call') {
    return { type: 'tool-call', conversationId, turn: event.turn, index: event.index, name: event.name, arguments: event.arguments, repaired: event.repaired };
  }
  if (event.type === 'tool-result') {
    return { type: 'tool-result', conversationId, turn: event.turn, index: event.index, name: event.name, isError: event.isError, durationMs: event.durationMs, output: event.output };
  }
  if (event.type === 'finish' && event.agentId === 'main') {
    const { messages: _messages, error, ...rest } = event.result;
    return { type: 'finish', conversationId, ...rest, ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }) };
  }
  return undefined;
}
