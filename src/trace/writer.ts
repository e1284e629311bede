// The one trace writer: turns records into versioned JSONL lines and hands them, in order,
// to a line sink (a file appended to as things happen, so a crash keeps everything up to
// it; or memory, for traces written whole and atomically by their owner).
import { appendFileSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { TRACE_VERSION, type TraceRecord } from './records.js';

export interface LineSink {
  /** Receives one complete line, newline included; a returned promise is awaited. */
  write(line: string): void | Promise<void>;
}

/** A record without its version; the writer stamps the current one. */
export type UnversionedTraceRecord = TraceRecord extends infer R ? (R extends unknown ? Omit<R, 'v'> : never) : never;

export function traceLine(record: UnversionedTraceRecord): string {
  const { type, ...rest } = record;
  return `${JSON.stringify({ type, v: TRACE_VERSION, ...rest })}\n`;
}

export interface TraceWriter {
  /** Resolves once the line is written; rejects when the sink fails (later writes still run). */
  write(record: UnversionedTraceRecord): Promise<void>;
  /** Resolves when every line handed over so far is written. */
  flush(): Promise<void>;
}

export function createTraceWriter(sink: LineSink): TraceWriter {
  // Records of parallel conversations may arrive together: chain writes so lines never interleave.
  let writes: Promise<void> = Promise.resolve();
  return {
    write(record) {
      const line = traceLine(record);
      const written = writes.then(() => sink.write(line));
      writes = written.catch(() => undefined);
      return written;
    },
    flush: () => writes,
  };
}

/** Appends each line to `file` as it comes (asynchronously). */
export function appendingFileSink(file: string): LineSink {
  return { write: (line) => appendFile(file, line, 'utf8') };
}

/**
 * Starts `file` afresh (throws when it cannot be written) and appends each line synchronously,
 * so lines written before a crash are on disk.
 */
export function freshFileSink(file: string): LineSink {
  writeFileSync(file, '');
  return { write: (line) => appendFileSync(file, line) };
}

export interface MemorySink extends LineSink {
  text(): string;
}

/** Keeps lines in memory, for a trace its owner writes whole. */
export function memorySink(): MemorySink {
  const lines: string[] = [];
  return {
    write: (line) => void lines.push(line),
    text: () => lines.join(''),
  };
}
