// Starts a loco proxy in-process on a free port, over a given local backend and (optionally)
// a fake Anthropic remote, with an in-memory request log, for the proxy tests.
import Anthropic from '@anthropic-ai/sdk';
import type { Backend, BackendEvent } from '../../src/backends/types.js';
import type { Profile } from '../../src/protocol/profile.js';
import { resolveProxyConfig, type ProxyConfig, type ProxyFile } from '../../src/proxy/config.js';
import { createMemoryLog } from '../../src/proxy/request-log.js';
import type { RequestRecord } from '../../src/proxy/stats.js';
import { startProxyServer, type ProxyServer } from '../../src/proxy/server.js';

export interface ProxyHarness {
  url: string;
  server: ProxyServer;
  config: Readonly<ProxyConfig>;
  records: RequestRecord[];
  notes: string[];
  /** An SDK client on the proxy: no retries, so faults show as they are. */
  client: Anthropic;
  close(): Promise<void>;
}

export interface HarnessOptions {
  local: Backend;
  /** Remote base URL; false: none. */
  remote?: string | false;
  file?: ProxyFile;
  env?: NodeJS.ProcessEnv;
  remoteKeyEnv?: string;
  /** The model profile, as `loco proxy --profile` resolves it. */
  profile?: Profile;
}

export async function startProxy(options: HarnessOptions): Promise<ProxyHarness> {
  const resolved = resolveProxyConfig(options.file ?? {}, { port: '0', remote: options.remote || undefined, remoteKeyEnv: options.remoteKeyEnv }, options.env ?? {});
  const config = options.profile ? Object.freeze({ ...resolved, local: { ...resolved.local, profile: options.profile } }) : resolved;
  const log = createMemoryLog();
  const notes: string[] = [];
  const server = await startProxyServer({ config, local: options.local, log, remote: options.remote === false ? false : undefined, note: (line) => notes.push(line) });
  const client = new Anthropic({ baseURL: server.url, apiKey: 'sk-client-key', maxRetries: 0, timeout: 20_000 });
  return {
    url: server.url,
    server,
    config,
    records: log.records,
    notes,
    client,
    close: () => server.close(200),
  };
}

/**
 * A local backend under the test's full control: each stream runs `script`. Not the JSONL fake
 * (src/backends/fake.ts, which replays recorded turns): these tests need timing the script
 * decides (hang until aborted, wait on a gate mid-answer) and count calls and aborts.
 */
export function scriptedBackend(script: (signal: AbortSignal | undefined) => AsyncGenerator<BackendEvent>, contextSize?: number): Backend & { calls: number; aborted: number } {
  const state = { calls: 0, aborted: 0 };
  return {
    info: { description: 'scripted test backend', contextSize },
    get calls() {
      return state.calls;
    },
    get aborted() {
      return state.aborted;
    },
    stream(_request, signal) {
      state.calls += 1;
      signal?.addEventListener('abort', () => (state.aborted += 1), { once: true });
      return script(signal);
    },
    close: async () => undefined,
  };
}

/** Resolves when the signal aborts (never otherwise). */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}

export { eventually } from '../support/eventually.js';

export const usage = { promptTokens: 100, cachedTokens: 0, completionTokens: 20 };
