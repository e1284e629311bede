// A scripted backend: replays assistant turns from JSONL so the loop, the proxy and the
// CLI can be tested without a model. The script format is also what the recording backend
// writes, so any real run can become a fixture (docs: style.md, practice 8).
//
// One JSON object per line:
//   {"type":"assistant","text":"...","chunks"?:["..."],"usage"?:{...},"finishReason"?:"stop"|"length"|"aborted","match"?:"..."}
//   {"type":"error","error":{"code":"backend-http","message":"...","retryable"?:bool,"status"?:n},"chunks"?:["..."],"match"?:"..."}
// These are the trace format's turn records (src/trace/records.ts), read by its reader;
// lines of other types are ignored, so whole traces replay. Extra keys (turn, durationMs,
// conversationId, v) are allowed and ignored. An entry with `match` is eligible only when the
// last user message contains it; each request takes the first unconsumed eligible entry.
// An error entry's `chunks` are the deltas that arrived before the error.
import { LocoError } from '../errors.js';
import type { Usage } from '../protocol/messages.js';
import { parseTrace, readTraceFile } from '../trace/reader.js';
import type { TraceAssistantRecord, TraceRecord, TraceErrorRecord, TraceTurnRecord } from '../trace/records.js';
import type { Backend, BackendEvent, BackendRequest, FinishReason } from './types.js';

/** What a replay needs of a recorded turn; the rest of a trace record is dropped. */
export type FakeAssistantEntry = Pick<TraceAssistantRecord, 'type' | 'text' | 'chunks' | 'usage' | 'finishReason' | 'match'>;
export type FakeErrorEntry = Pick<TraceErrorRecord, 'type' | 'error' | 'chunks' | 'match'>;
export type FakeEntry = FakeAssistantEntry | FakeErrorEntry;

function entryOf(record: TraceTurnRecord): FakeEntry {
  const { type, chunks, match } = record;
  const common = { ...(chunks === undefined ? {} : { chunks }), ...(match === undefined ? {} : { match }) };
  if (type === 'error') return { type, error: record.error, ...common };
  const { text, usage, finishReason } = record;
  return { type, text, ...common, ...(usage === undefined ? {} : { usage }), ...(finishReason === undefined ? {} : { finishReason }) };
}

const SCRIPT = { label: 'fake backend script', kinds: ['assistant', 'error'], problem: (record: TraceRecord) => chunkProblem(record as FakeEntry) } as const;

export interface FakeBackendOptions {
  /** Pause before each chunk, for benchmarks and abort tests (default 0). */
  delayMs?: number;
  /** Names the script in messages and in `info.description` (default `inline`). */
  sourceName?: string;
}

export interface FakeBackend extends Backend {
  /** Every request received, deep-copied at arrival, so tests can assert exact messages. */
  readonly requests: BackendRequest[];
  /** Entries not yet consumed. */
  remaining(): number;
}

/** Parses a JSONL script (a trace's turn records); throws LocoError('usage') naming the source and line. */
export function parseFakeScript(text: string, sourceName: string): FakeEntry[] {
  return (parseTrace(text, sourceName, SCRIPT) as TraceTurnRecord[]).map(entryOf);
}

/** Reads and parses a script file; a missing or unreadable file is a LocoError('usage') naming it. */
export async function loadFakeScript(path: string): Promise<FakeEntry[]> {
  return ((await readTraceFile(path, SCRIPT)) as TraceTurnRecord[]).map(entryOf);
}

function chunkProblem(entry: FakeEntry): string | undefined {
  if (entry.type === 'assistant' && entry.chunks && entry.chunks.join('') !== entry.text) return '"chunks" joined must equal "text"';
  return undefined;
}

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function lastUserMessage(request: BackendRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    if (request.messages[index].role === 'user') return request.messages[index].content;
  }
  return '';
}

export function createFakeBackend(entries: FakeEntry[], options: FakeBackendOptions = {}): FakeBackend {
  const sourceName = options.sourceName ?? 'inline';
  entries.forEach((entry, index) => {
    const problem = chunkProblem(entry);
    if (problem) throw new LocoError('usage', `fake backend entry ${index + 1} of ${sourceName}: ${problem}`);
  });
  const delayMs = options.delayMs ?? 0;
  const consumed = entries.map(() => false);
  const requests: BackendRequest[] = [];

  function take(request: BackendRequest): FakeEntry | undefined {
    const lastUser = lastUserMessage(request);
    const index = entries.findIndex((entry, position) => !consumed[position] && (entry.match === undefined || lastUser.includes(entry.match)));
    if (index === -1) return undefined;
    consumed[index] = true;
    return entries[index];
  }

  async function* replay(request: BackendRequest, signal: AbortSignal | undefined): AsyncGenerator<BackendEvent> {
    requests.push(structuredClone(request));
    const turn = requests.length;
    const promptTokens = estimateTokens(request.messages.map((message) => message.content).join(''));
    let text = '';
    const aborted = (): BackendEvent => ({ type: 'finish', reason: 'aborted', usage: { promptTokens, cachedTokens: 0, completionTokens: estimateTokens(text) }, text });
    if (signal?.aborted) return yield aborted();
    const entry = take(request);
    if (!entry) {
      const left = consumed.filter((done) => !done).length;
      const because = left > 0 ? ` (${left} entries left, none whose "match" is in the last user message)` : ` (all ${entries.length} entries used)`;
      return yield { type: 'error', error: new LocoError('usage', `fake backend script ${sourceName} has no entry left for turn ${turn}: add lines to it${because}`) };
    }
    const chunks = entry.chunks ?? (entry.type === 'assistant' && entry.text !== '' ? [entry.text] : []);
    for (const chunk of chunks) {
      if (delayMs > 0) await pause(delayMs, signal);
      if (signal?.aborted) return yield aborted();
      text += chunk;
      yield { type: 'text-delta', text: chunk };
    }
    if (entry.type === 'error') {
      const { code, message, retryable, status } = entry.error;
      return yield { type: 'error', error: new LocoError(code, message, { retryable, status }) };
    }
    const usage: Usage = {
      promptTokens: entry.usage?.promptTokens ?? promptTokens,
      cachedTokens: entry.usage?.cachedTokens ?? 0,
      completionTokens: entry.usage?.completionTokens ?? estimateTokens(entry.text),
    };
    const reason: FinishReason = entry.finishReason ?? 'stop';
    yield { type: 'finish', reason, usage, text: entry.text };
  }

  return {
    info: { description: `fake ${sourceName}` },
    requests,
    remaining: () => consumed.filter((done) => !done).length,
    stream: (request, signal) => replay(request, signal),
    close: async () => undefined,
  };
}

/** Waits `ms`, ending early (without throwing) when the signal aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
