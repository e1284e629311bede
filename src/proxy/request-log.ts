// The JSONL request log: one RequestRecord per line, to a file (appended) or to stderr.
// Records hold no headers and no content, so keys and prompts cannot leak into it.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { RequestRecord } from './stats.js';

export interface RequestLog {
  write(record: RequestRecord): void;
  close(): Promise<void>;
}

/** `target` undefined or `-`: stderr. */
export function createRequestLog(target: string | undefined, stderr: NodeJS.WritableStream): RequestLog {
  if (target === undefined || target === '-') {
    return { write: (record) => void stderr.write(`${JSON.stringify(record)}\n`), close: async () => undefined };
  }
  const file: WriteStream = createWriteStream(target, { flags: 'a' });
  let failed = false;
  file.on('error', (error) => {
    // A full disk must not take the proxy down; say so once and keep serving.
    if (!failed) stderr.write(`loco proxy: cannot write the request log ${target}: ${error.message}\n`);
    failed = true;
  });
  return {
    write: (record) => {
      if (!failed) file.write(`${JSON.stringify(record)}\n`);
    },
    close: () => new Promise<void>((resolve) => file.end(() => resolve())),
  };
}

/** A log that keeps records in memory, for tests. */
export function createMemoryLog(): RequestLog & { records: RequestRecord[] } {
  const records: RequestRecord[] = [];
  return { records, write: (record) => void records.push(record), close: async () => undefined };
}
