// The trace file (--trace): one JSON object per line, appended as things happen so a crash
// keeps everything up to it. Assistant lines use the recording backend's format, so a trace
// replays through `--backend fake:<trace>`.
import { appendFileSync, writeFileSync } from 'node:fs';
import type { AgentEvent } from '../agent/events.js';

export interface TraceWriter {
  write(line: string): void;
  onEvent(event: AgentEvent): void;
}

export function createTraceWriter(file: string, meta: Record<string, unknown>): TraceWriter {
  writeFileSync(file, `${JSON.stringify({ type: 'meta', ...meta, startedAt: new Date().toISOString() })}\n`);
  const write = (line: string) => appendFileSync(file, line.endsWith('\n') ? line : `${line}\n`);
  return {
    write,
    onEvent(event) {
      if (event.type === 'tool-call') {
        write(JSON.stringify({ type: 'tool-call', agentId: event.agentId, turn: event.turn, index: event.index, name: event.name, arguments: event.arguments, repaired: event.repaired }));
      } else if (event.type === 'tool-result') {
        write(JSON.stringify({ type: 'tool-result', agentId: event.agentId, turn: event.turn, index: event.index, name: event.name, isError: event.isError, durationMs: event.durationMs, output: event.output }));
      } else if (event.type === 'finish' && event.agentId === 'main') {
        const { messages: _messages, ...rest } = event.result;
        write(JSON.stringify({ type: 'finish', ...rest, error: rest.error?.message }));
      }
    },
  };
}
