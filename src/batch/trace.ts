// One query's trace, kept in memory and written whole when the query ends (so a killed run
// never leaves half a trace), in the format of src/trace/records.ts (as `loco ask --trace`).
import type { AgentEvent } from '../agent/events.js';
import { traceMetaRecord, traceRecordOf } from '../agent/trace-records.js';
import { createTraceWriter, memorySink, type TraceWriter, type UnversionedTraceRecord } from '../trace/writer.js';

export interface QueryTrace {
  /** Receives the recording backend's records too. */
  readonly writer: TraceWriter;
  onEvent(event: AgentEvent): void;
  text(): string;
}

export function createQueryTrace(meta: Record<string, unknown>): QueryTrace {
  const sink = memorySink();
  const writer = createTraceWriter(sink);
  // Writing to memory cannot fail.
  const write = (record: UnversionedTraceRecord) => void writer.write(record).catch(() => undefined);
  write(traceMetaRecord(meta));
  return {
    writer,
    onEvent(event) {
      const record = traceRecordOf(event);
      if (record) write(record);
    },
    text: () => sink.text(),
  };
}
