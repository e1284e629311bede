// Wraps a backend and writes one JSONL line per turn in the fake backend's script format,
// so any real run can be replayed (docs: style.md, practice 8). Events pass through
// unchanged; the line is written before the turn's final event is handed on, so a caller
// that saw the end of a turn can rely on its line being stored.
//
// Lines: {"type":"assistant","turn":n,"conversationId"?,"text","chunks","usage","finishReason","durationMs"}
//        {"type":"error","turn":n,"conversationId"?,"chunks","error":{"code","message","retryable","status"?},"durationMs"}
// `chunks` are the deltas exactly as received; turns are numbered from 1 in call order.
import { appendFile } from 'node:fs/promises';
import { LocoError } from '../errors.js';
import type { Backend, BackendEvent, BackendRequest } from './types.js';

export interface LineSink {
  /** Receives one complete line, newline included; a returned promise is awaited. */
  write(line: string): void | Promise<void>;
}

export interface RecordingBackend extends Backend {
  /** Resolves when every line handed to the sink so far is written. */
  flush(): Promise<void>;
}

export function createRecordingBackend(inner: Backend, sink: LineSink | string): RecordingBackend {
  const target: LineSink = typeof sink === 'string' ? { write: (line) => appendFile(sink, line, 'utf8') } : sink;
  const targetName = typeof sink === 'string' ? sink : 'the recording sink';
  // Turns of parallel conversations may end together: chain writes so lines never interleave.
  let writes: Promise<void> = Promise.resolve();
  let turns = 0;

  function writeLine(record: Record<string, unknown>): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const written = writes.then(() => target.write(line));
    writes = written.catch(() => undefined);
    return written;
  }

  async function* record(request: BackendRequest, signal: AbortSignal | undefined): AsyncGenerator<BackendEvent> {
    const turn = ++turns;
    const started = Date.now();
    const chunks: string[] = [];
    const base = (): Record<string, unknown> => ({ turn, ...(request.conversationId === undefined ? {} : { conversationId: request.conversationId }) });
    let recorded = false;
    try {
      for await (const event of inner.stream(request, signal)) {
        if (event.type === 'text-delta') {
          chunks.push(event.text);
          yield event;
          continue;
        }
        recorded = true;
        const durationMs = Date.now() - started;
        const line =
          event.type === 'finish'
            ? { type: 'assistant', ...base(), text: event.text, chunks, usage: event.usage, finishReason: event.reason, durationMs }
            : { type: 'error', ...base(), chunks, error: { code: event.error.code, message: event.error.message, retryable: event.error.retryable, ...(event.error.status === undefined ? {} : { status: event.error.status }) }, durationMs };
        try {
          await writeLine(line);
        } catch (error) {
          // A lost line would silently break replays: say so instead of passing the event on.
          yield { type: 'error', error: new LocoError('io', `cannot write recording to ${targetName}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }) };
          return;
        }
        yield event;
      }
    } finally {
      // The caller stopped reading before the turn ended: keep what arrived, as an aborted turn.
      if (!recorded) {
        const text = chunks.join('');
        const usage = { promptTokens: 0, cachedTokens: 0, completionTokens: Math.ceil(text.length / 4) };
        await writeLine({ type: 'assistant', ...base(), text, chunks, usage, finishReason: 'aborted', durationMs: Date.now() - started }).catch(() => undefined);
      }
    }
  }

  return {
    info: inner.info,
    stream: (request, signal) => record(request, signal),
    flush: () => writes,
    async close() {
      await writes;
      await inner.close();
    },
  };
}
