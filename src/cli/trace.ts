// The trace file (--trace): one JSON object per line, appended as things happen so a crash
// keeps everything up to it. See agent/trace-records.ts for the line vocabulary.
import { appendFileSync, writeFileSync } from 'node:fs';
import type { AgentEvent } from '../agent/events.js';
import { traceMetaRecord, traceRecordOf } from '../agent/trace-records.js';

export interface TraceWriter {
  write(line: string): void;
  onEvent(event: AgentEvent): void;
}

export function createTraceWriter(file: string, meta: Record<string, unknown>): TraceWriter {
  writeFileSync(file, `${JSON.stringify(traceMetaRecord(meta))}\n`);
  const write = (line: string) => appendFileSync(file, line.endsWith('\n') ? line : `${line}\n`);
  return {
    write,
    onEvent(event) {
      const record = traceRecordOf(event);
      if (record) write(JSON.stringify(record));
    },
  };
}
