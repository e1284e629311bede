// A scripted stand-in for the embedded engine, through the real ServeEngine interface: each
// stream() call plays the next turn's chunks and records the request it got, so tests can
// assert the exact dialect the server renders and drive tool-call conversion precisely.
// Not a wrapper of src/backends/fake.ts: it fakes the engine, not a backend (load, stats,
// busy sequences, per-turn delays, usage counted in characters) for serve's scheduling tests.
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedRequest, EmbeddedStats } from '../../src/backends/embedded/index.js';
import type { BackendEvent, FinishReason } from '../../src/backends/types.js';
import type { LocoError } from '../../src/errors.js';
import type { ServeEngine } from '../../src/serve/server.js';

export interface FakeTurn {
  chunks?: string[];
  reason?: FinishReason;
  /** Pause before each chunk. */
  delayMs?: number;
  /** Fails with this error instead of answering. */
  error?: LocoError;
  promptTokens?: number;
  cachedTokens?: number;
}

export interface FakeEngine extends ServeEngine {
  readonly requests: EmbeddedRequest[];
  /** Turns still to play. */
  readonly remaining: number;
  /** Calls whose stream saw its signal abort. */
  readonly aborted: number;
}

export function createFakeEngine(turns: FakeTurn[], options: { contextSize?: number; sequences?: number; loadMs?: number } = {}): FakeEngine {
  const requests: EmbeddedRequest[] = [];
  const queue = [...turns];
  let busy = 0;
  let aborted = 0;
  let loaded = false;
  const contextSize = options.contextSize ?? 1024;
  return {
    info: { description: 'fake engine', contextSize },
    requests,
    get remaining() {
      return queue.length;
    },
    get aborted() {
      return aborted;
    },
    async load() {
      if (options.loadMs) await sleep(options.loadMs);
      loaded = true;
    },
    stats(): EmbeddedStats {
      return { loaded, sequences: options.sequences ?? 2, busy, waiting: 0, conversations: [], threads: 1, contextSize: loaded ? contextSize : undefined };
    },
    async *stream(request, signal): AsyncGenerator<BackendEvent> {
      requests.push(request);
      const turn = queue.shift();
      if (!turn) throw new Error('the fake engine script is exhausted');
      if (turn.error) return yield { type: 'error', error: turn.error };
      busy++;
      let text = '';
      const usage = () => ({ promptTokens: turn.promptTokens ?? 10, cachedTokens: turn.cachedTokens ?? 0, completionTokens: text.length });
      try {
        for (const chunk of turn.chunks ?? []) {
          if (turn.delayMs) await sleep(turn.delayMs);
          if (signal?.aborted) {
            aborted++;
            return yield { type: 'finish', reason: 'aborted', usage: usage(), text };
          }
          text += chunk;
          yield { type: 'text-delta', text: chunk };
        }
        yield { type: 'finish', reason: turn.reason ?? 'stop', usage: usage(), text };
      } finally {
        busy--;
      }
    },
    async close() {
      loaded = false;
    },
  };
}
