// An agent run's trace (src/trace/records.ts): the `meta` header, `tool-call` and
// `tool-result` lines, and the main agent's closing `finish` line, mapped from agent events;
// the recording backend writes the `assistant`/`error` turn lines through the same writer.
// `loco ask --trace` gives it a file appended to as things happen (a crash keeps everything
// up to it); `loco batch` gives it memory and writes each query's trace whole.
import { createTraceWriter, type LineSink, type TraceWriter, type UnversionedTraceRecord } from '../trace/writer.js';
import type { AgentEvent } from './events.js';

export interface AgentTrace {
  /** For the recording backend, so turn lines and event lines share one order. */
  readonly writer: TraceWriter;
  onEvent(event: AgentEvent): void;
}

/** Starts a trace with its meta line. */
export function createAgentTrace(sink: LineSink, meta: Record<string, unknown>): AgentTrace {
  const writer = createTraceWriter(sink);
  // A sink that fails fails the recording backend's next turn line too, which reports it.
  const write = (record: UnversionedTraceRecord) => void writer.write(record).catch(() => undefined);
  write(traceMetaRecord(meta));
  return {
    writer,
    onEvent(event) {
      const record = traceRecordOf(event);
      if (record) write(record);
    },
  };
}

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
