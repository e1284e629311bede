// Wraps a backend and writes one trace record per turn (src/trace/records.ts: `assistant`
// or `error`), the fake backend's script format, so any real run can be replayed (docs:
// style.md, practice 8). Events pass through unchanged; the line is written before the
// turn's final event is handed on, so a caller that saw the end of a turn can rely on its
// line being stored. `chunks` are the deltas exactly as received; turns are numbered from 1
// in call order.
import { LocoError } from '../errors.js';
import { appendingFileSink, createTraceWriter, type LineSink, type TraceWriter, type UnversionedTraceRecord } from '../trace/writer.js';
import type { Backend, BackendEvent, BackendRequest } from './types.js';

export type { LineSink } from '../trace/writer.js';

export interface RecordingBackend extends Backend {
  /** Resolves when every line handed to the sink so far is written. */
  flush(): Promise<void>;
}

/** `target`: a line sink, a file to append to, or a trace writer shared with other record sources. */
export function createRecordingBackend(inner: Backend, target: LineSink | string): RecordingBackend;
export function createRecordingBackend(inner: Backend, target: TraceWriter): RecordingBackend;
export function createRecordingBackend(inner: Backend, target: TraceWriter | LineSink | string): RecordingBackend {
  const writer: TraceWriter = typeof target === 'string' ? createTraceWriter(appendingFileSink(target)) : 'flush' in target ? target : createTraceWriter(target);
  const targetName = typeof target === 'string' ? target : 'the recording sink';
  let turns = 0;

  async function* record(request: BackendRequest, signal: AbortSignal | undefined): AsyncGenerator<BackendEvent> {
    const turn = ++turns;
    const started = Date.now();
    const chunks: string[] = [];
    const base = { turn, ...(request.conversationId === undefined ? {} : { conversationId: request.conversationId }) };
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
        const line: UnversionedTraceRecord =
          event.type === 'finish'
            ? { type: 'assistant', ...base, text: event.text, chunks, usage: event.usage, finishReason: event.reason, durationMs }
            : { type: 'error', ...base, chunks, error: { code: event.error.code, message: event.error.message, retryable: event.error.retryable, ...(event.error.status === undefined ? {} : { status: event.error.status }) }, durationMs };
        try {
          await writer.write(line);
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
        await writer.write({ type: 'assistant', ...base, text, chunks, usage, finishReason: 'aborted', durationMs: Date.now() - started }).catch(() => undefined);
      }
    }
  }

  return {
    info: inner.info,
    stream: (request, signal) => record(request, signal),
    flush: () => writer.flush(),
    async close() {
      await writer.flush();
      await inner.close();
    },
  };
}
