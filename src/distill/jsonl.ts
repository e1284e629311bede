// Streaming JSONL for `loco distill`: a line reader that never holds a whole file (it yields
// each line with its number, and says which lines are not UTF-8 or not JSON instead of
// throwing), and a writer that fills a temporary file beside the target and renames it into
// place only on commit, so an interrupted run leaves no half-written output.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export type JsonlLine =
  | { line: number; ok: true; value: unknown }
  | { line: number; ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeLine(bytes: Buffer, line: number): JsonlLine | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { line, ok: false, reason: 'not UTF-8' };
  }
  if (text.trim() === '') return undefined;
  try {
    return { line, ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { line, ok: false, reason: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** Each non-blank line of `file`, parsed; a final line without a newline is read too (and is usually truncated JSON). */
export async function* readJsonlLines(file: string): AsyncGenerator<JsonlLine> {
  let pending: Buffer[] = [];
  let line = 0;
  for await (const chunk of createReadStream(file)) {
    let buffer = chunk as Buffer;
    let newline = buffer.indexOf(0x0a);
    while (newline !== -1) {
      pending.push(buffer.subarray(0, newline));
      line += 1;
      const parsed = decodeLine(Buffer.concat(pending), line);
      pending = [];
      if (parsed) yield parsed;
      buffer = buffer.subarray(newline + 1);
      newline = buffer.indexOf(0x0a);
    }
    if (buffer.length > 0) pending.push(buffer);
  }
  if (pending.length > 0) {
    const parsed = decodeLine(Buffer.concat(pending), line + 1);
    if (parsed) yield parsed;
  }
}

export interface AtomicJsonlWriter {
  readonly file: string;
  /** Lines written so far. */
  readonly count: number;
  write(value: unknown): Promise<void>;
  /** Flushes and renames the temporary file into place. */
  commit(): Promise<void>;
  /** Removes the temporary file; the target is left as it was. */
  abort(): Promise<void>;
}

export async function createAtomicJsonlWriter(file: string): Promise<AtomicJsonlWriter> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const stream: WriteStream = createWriteStream(temporary, { flags: 'wx' });
  await once(stream, 'open');
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  let count = 0;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    stream.end();
    await once(stream, 'close');
  };
  return {
    file,
    get count() {
      return count;
    },
    async write(value) {
      if (failure) throw failure;
      count += 1;
      // Back-pressure: wait for the stream to drain so memory stays flat on large outputs.
      if (!stream.write(`${JSON.stringify(value)}\n`)) await once(stream, 'drain');
    },
    async commit() {
      await close();
      if (failure) {
        await rm(temporary, { force: true });
        throw failure;
      }
      await rename(temporary, file);
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(temporary, { force: true });
    },
  };
}

/** Runs `fill` with writers for `files`; commits all of them only when it succeeds, removes every temporary file otherwise. */
export async function withAtomicJsonlWriters<T>(files: readonly string[], fill: (writers: AtomicJsonlWriter[]) => Promise<T>): Promise<T> {
  const writers: AtomicJsonlWriter[] = [];
  try {
    for (const file of files) writers.push(await createAtomicJsonlWriter(file));
    const result = await fill(writers);
    for (const writer of writers) await writer.commit();
    return result;
  } catch (error) {
    for (const writer of writers) await writer.abort();
    throw error;
  }
}
