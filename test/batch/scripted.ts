// Scripted batches for the batch tests and the benchmark: a repository of small files, a
// queries file, and a fake-backend script that answers each query deterministically through
// `match`. Every third query reads its file first (two turns), so summaries have tool calls.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FakeEntry } from '../../src/backends/fake.js';
import type { Backend, BackendEvent, BackendRequest } from '../../src/backends/types.js';
import { LocoError } from '../../src/errors.js';

export interface ScriptedBatch {
  /** Relative path -> content, for makeTempTree. */
  repoFiles: Record<string, string>;
  /** `id<TAB>query` lines. */
  queriesTsv: string;
  entries: FakeEntry[];
  ids: string[];
  answerOf(id: string): string;
  /** Queries answered after a Read. */
  withTool: Set<string>;
}

export interface ScriptOptions {
  /** Entries per query, for retries that restart a conversation (default 1). */
  copies?: number;
  /** Each answer arrives in this many chunks (default 1): with a fake delay, slower queries. */
  chunks?: number;
}

export function scriptedBatch(count: number, options: ScriptOptions = {}): ScriptedBatch {
  const copies = options.copies ?? 1;
  const chunkCount = options.chunks ?? 1;
  const ids = Array.from({ length: count }, (_, index) => `q${index + 1}`);
  const withTool = new Set(ids.filter((_, index) => index % 3 === 0));
  const repoFiles: Record<string, string> = { 'README.md': '# scripted\n' };
  const entries: FakeEntry[] = [];
  const answerOf = (id: string) => `Answer for ${id}: see notes/${id}.txt line 1.`;
  const split = (text: string): string[] => {
    const size = Math.ceil(text.length / chunkCount);
    return Array.from({ length: chunkCount }, (_, index) => text.slice(index * size, (index + 1) * size)).filter((chunk) => chunk !== '');
  };
  for (const id of ids) {
    repoFiles[`notes/${id}.txt`] = `token-<${id}>\n`;
    for (let copy = 0; copy < copies; copy++) {
      if (withTool.has(id)) {
        const call = `<tool_call>\n{"name": "Read", "arguments": {"file_path": "notes/${id}.txt"}}\n</tool_call>`;
        entries.push({ type: 'assistant', text: call, match: `Question <${id}>` });
        entries.push({ type: 'assistant', text: answerOf(id), chunks: split(answerOf(id)), match: `token-<${id}>` });
      } else {
        entries.push({ type: 'assistant', text: answerOf(id), chunks: split(answerOf(id)), match: `Question <${id}>` });
      }
    }
  }
  const queriesTsv = `# scripted queries\n${ids.map((id) => `${id}\tQuestion <${id}>: what does the note say?`).join('\n')}\n`;
  return { repoFiles, queriesTsv, entries, ids, answerOf, withTool };
}

export function toJsonl(entries: FakeEntry[]): string {
  return entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
}

/** A backend that fails a share of its turns before they reach the inner one (so no entry is used). */
export function createFlakyBackend(inner: Backend, failureRate: number, random: () => number): Backend & { failures: number; turns: number } {
  const flaky = {
    failures: 0,
    turns: 0,
    info: inner.info,
    stream(request: BackendRequest, signal?: AbortSignal): AsyncIterable<BackendEvent> {
      flaky.turns += 1;
      if (random() >= failureRate) return inner.stream(request, signal);
      flaky.failures += 1;
      return (async function* () {
        yield { type: 'error', error: new LocoError('backend-http', 'HTTP 503: overloaded', { retryable: true, status: 503 }) } satisfies BackendEvent;
      })();
    },
    close: () => inner.close(),
  };
  return flaky;
}

/** Counts streams in flight, to see the pool's real concurrency. */
export function createGaugedBackend(inner: Backend): Backend & { peak: number } {
  let inFlight = 0;
  const gauged = {
    peak: 0,
    info: inner.info,
    async *stream(request: BackendRequest, signal?: AbortSignal): AsyncGenerator<BackendEvent> {
      inFlight += 1;
      gauged.peak = Math.max(gauged.peak, inFlight);
      try {
        yield* inner.stream(request, signal);
      } finally {
        inFlight -= 1;
      }
    },
    close: () => inner.close(),
  };
  return gauged;
}


/** Every file under a folder, relative, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}
