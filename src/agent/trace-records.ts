// The trace line vocabulary shared by `loco ask --trace` and `loco batch` traces: a `meta`
// line, the recording backend's `assistant`/`error` lines (the fake backend's script format,
// so a trace replays through `--backend fake:<trace>`), `tool-call` and `tool-result` lines,
// and a closing `finish` line. The fake ignores everything but the recorded turns.
import type { AgentEvent } from './events.js';

export function traceMetaRecord(meta: Record<string, unknown>): Record<string, unknown> {
  return { type: 'meta', ...meta, startedAt: new Date().toISOString() };
}

/** The trace record for an agent event, or undefined for events a trace does not keep. */
export function traceRecordOf(event: AgentEvent): Record<string, unknown> | undefined {
  if (event.type === 'tool-call') {
    return { type: 'tool-call', agentId: event.agentId, turn: event.turn, index: event.index, name: event.name, arguments: event.arguments, repaired: event.repaired };
  }
  if (event.type === 'tool-result') {
    return { type: 'tool-result', agentId: event.agentId, turn: event.turn, index: event.index, name: event.name, isError: event.isError, durationMs: event.durationMs, output: event.output };
  }
  if (event.type === 'finish' && event.agentId === 'main') {
    const { messages: _messages, error, ...rest } = event.result;
    return { type: 'finish', ...rest, ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }) };
  }
  return undefined;
}
