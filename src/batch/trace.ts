// One query's trace, kept in memory and written whole when the query ends (so a killed run
// never leaves half a trace), in the lines of agent/trace-records.ts (as `loco ask --trace`).
import type { AgentEvent } from '../agent/events.js';
import { traceMetaRecord, traceRecordOf } from '../agent/trace-records.js';
import type { LineSink } from '../backends/recording.js';

export interface QueryTrace {
  /** Receives the recording backend's lines. */
  readonly sink: LineSink;
  onEvent(event: AgentEvent): void;
  text(): string;
}

export function createQueryTrace(meta: Record<string, unknown>): QueryTrace {
  const lines: string[] = [`${JSON.stringify(traceMetaRecord(meta))}\n`];
  return {
    sink: { write: (line) => void lines.push(line.endsWith('\n') ? line : `${line}\n`) },
    onEvent(event) {
      const record = traceRecordOf(event);
      if (record) lines.push(`${JSON.stringify(record)}\n`);
    },
    text: () => lines.join(''),
  };
}
