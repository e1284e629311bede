// What every MCP session of one `loco mcp` process shares: the roots, one backend (loaded on
// the first explore call, so clients connect at once even while a model loads), the run
// queue sized to the backend's slots, the trace store and counters for the status report.
import { createPathPolicy, type PathPolicy } from '../tools/paths.js';
import type { SandboxMode } from '../tools/sandbox.js';
import type { Backend } from '../backends/types.js';
import type { Profile } from '../protocol/profile.js';
import type { SystemPromptStyle } from '../protocol/system-prompt.js';
import { createRunQueue, type RunQueue } from './queue.js';
import { createTraceStore, type TraceStore } from './traces.js';

export interface McpCoreOptions {
  /** Directories the explore tool may look in; the first is the default working directory. */
  roots: readonly string[];
  sandbox: SandboxMode;
  /** Explore runs at once (the backend's slots); more wait in line. */
  parallel: number;
  openBackend: () => Promise<Backend>;
  contextBudget?: number;
  temperature?: number;
  promptStyle?: SystemPromptStyle;
  /** The model's dialect (tools, prompts, citations); default from promptStyle. */
  profile?: Profile;
  model?: string;
  subagents?: boolean;
  /** Traces kept for `loco://traces/<id>` (default 20). */
  traceLimit?: number;
  /** One line per run and per failure; never on stdout. */
  log: (line: string) => void;
}

export interface StatusReport {
  [key: string]: unknown;
  model: string;
  loaded: boolean;
  slots: number;
  busy: number;
  queued: number;
  completed: number;
  roots: string[];
  traces: number;
}

export interface McpCore {
  readonly options: Readonly<McpCoreOptions>;
  readonly policy: PathPolicy;
  readonly queue: RunQueue;
  readonly traces: TraceStore;
  backend(): Promise<Backend>;
  /** Keeps `run` in the set close() waits for, so the backend is never closed under a run. */
  track<T>(run: Promise<T>): Promise<T>;
  runFinished(): void;
  status(): StatusReport;
  close(): Promise<void>;
}

export function createMcpCore(options: McpCoreOptions): McpCore {
  const policy = createPathPolicy(options.roots);
  const queue = createRunQueue(options.parallel);
  const traces = createTraceStore({ limit: options.traceLimit });
  let opening: Promise<Backend> | undefined;
  let loaded: Backend | undefined;
  let completed = 0;
  let closed = false;
  const running = new Set<Promise<unknown>>();

  return {
    options,
    policy,
    queue,
    traces,
    backend() {
      if (closed) return Promise.reject(new Error('the MCP server is shutting down'));
      if (!opening) {
        opening = options.openBackend().then(
          (backend) => {
            loaded = backend;
            options.log(`loco mcp: backend ready: ${backend.info.description}`);
            return backend;
          },
          (error: unknown) => {
            // The next call tries again (a download or a server may work later).
            opening = undefined;
            throw error;
          },
        );
      }
      return opening;
    },
    track(run) {
      const settled = run.then(() => undefined, () => undefined);
      running.add(settled);
      void settled.then(() => running.delete(settled));
      return run;
    },
    runFinished() {
      completed++;
    },
    status() {
      return {
        model: loaded?.info.description ?? 'not loaded yet (loads on the first explore call)',
        loaded: loaded !== undefined,
        slots: queue.size,
        busy: queue.busy,
        queued: queue.waiting,
        completed,
        roots: [...policy.roots],
        traces: traces.list().length,
      };
    },
    async close() {
      closed = true;
      // Runs in flight were aborted with their requests (the transport closed); let them end.
      await Promise.all(running);
      const pending = opening;
      opening = undefined;
      if (pending) await pending.then((backend) => backend.close(), () => undefined);
    },
  };
}
