// The trace file (--trace): one record per line, appended as things happen so a crash keeps
// everything up to it. The format is src/trace/records.ts; the lines come from
// agent/trace-records.ts and the recording backend, through one writer.
import type { AgentEvent } from '../agent/events.js';
import { traceMetaRecord, traceRecordOf } from '../agent/trace-records.js';
import { createTraceWriter, freshFileSink, type TraceWriter, type UnversionedTraceRecord } from '../trace/writer.js';

export interface AskTrace {
  readonly writer: TraceWriter;
  onEvent(event: AgentEvent): void;
}

/** Starts the trace file with its meta line; throws when the file cannot be written. */
export function createAskTrace(file: string, meta: Record<string, unknown>): AskTrace {
  const writer = createTraceWriter(freshFileSink(file));
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
