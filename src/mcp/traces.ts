// The traces of recent explore runs, kept in memory for `loco://traces/<id>` resources:
// at most `limit` runs (the oldest dropped first), each at most `maxChars` (later lines are
// replaced by one note), so a long-lived server's memory stays bounded.
import { randomUUID } from 'node:crypto';
import type { AgentEvent } from '../agent/events.js';
import { createAgentTrace } from '../agent/trace-records.js';
import type { TraceWriter } from '../trace/writer.js';

export const TRACE_URI_PREFIX = 'loco://traces/';

export interface TraceRun {
  readonly id: string;
  readonly uri: string;
  /** For the recording backend: the run's turn lines go through the same writer, in order. */
  readonly writer: TraceWriter;
  onEvent(event: AgentEvent): void;
}

export interface TraceEntry {
  id: string;
  uri: string;
  startedAt: string;
  question: string;
  text(): string;
}

export interface TraceStore {
  start(meta: { question: string; root: string; backend: string }): TraceRun;
  get(id: string): TraceEntry | undefined;
  /** Newest first. */
  list(): TraceEntry[];
}

export function createTraceStore(options: { limit?: number; maxChars?: number } = {}): TraceStore {
  const limit = options.limit ?? 20;
  const maxChars = options.maxChars ?? 4_000_000;
  const runs = new Map<string, TraceEntry>();

  return {
    start(meta) {
      const id = randomUUID();
      const lines: string[] = [];
      let chars = 0;
      let cut = false;
      const append = (line: string) => {
        if (cut) return;
        const text = line.endsWith('\n') ? line : `${line}\n`;
        if (chars + text.length > maxChars) {
          cut = true;
          lines.push(`${JSON.stringify({ type: 'note', text: `trace cut at ${maxChars} characters` })}\n`);
          return;
        }
        chars += text.length;
        lines.push(text);
      };
      const startedAt = new Date().toISOString();
      const trace = createAgentTrace({ write: append }, meta);
      const entry: TraceEntry = { id, uri: `${TRACE_URI_PREFIX}${id}`, startedAt, question: meta.question, text: () => lines.join('') };
      runs.set(id, entry);
      while (runs.size > limit) runs.delete(runs.keys().next().value as string);
      return { id, uri: entry.uri, writer: trace.writer, onEvent: (event) => trace.onEvent(event) };
    },
    get: (id) => runs.get(id),
    list: () => [...runs.values()].reverse(),
  };
}
