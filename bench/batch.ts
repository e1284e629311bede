// Benchmark: `loco batch` throughput against concurrency, and loco's own cost per query.
// The backend is the scripted fake behind a gate with a fixed latency per turn and a fixed
// number of parallel slots (as a server's or the embedded engine's sequences), so the ideal
// speedup at concurrency c is min(c, slots). Every third query makes a Read call (two turns).
// The batch runs in-process through runBatch: answers, traces and the summary go to disk with
// fsync, as in a real run.
// Goals: near-linear scaling (efficiency >= 0.9) until the slots are full; overhead < 20 ms
// per query, measured with no latency at all (every millisecond is loco's).
// `--tiny` also times the 200 reference queries on the tiny generated model at 1, 2, 4.
// Run alone: npm run bench:batch [-- --tiny]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFakeBackend } from '../src/backends/fake.js';
import type { Backend, BackendEvent, BackendRequest } from '../src/backends/types.js';
import { parseQueries, resolveRepos, type BatchQuery } from '../src/batch/input.js';
import { openBatchOutput } from '../src/batch/output.js';
import { runBatch } from '../src/batch/runner.js';
import { parseTemplate, DEFAULT_TEMPLATE } from '../src/batch/template.js';
import { makeTempTree } from '../test/support/temp-tree.js';
import { writeTinyGguf } from '../test/support/tiny-gguf.js';
import { scriptedBatch } from '../test/batch/scripted.js';

const QUERIES = 48;
const LATENCY_MS = 50;
const SLOTS = 4;
const CONCURRENCIES = [1, 2, 4, 8];
const OVERHEAD_QUERIES = 300;
const EFFICIENCY_GOAL = 0.9;
const OVERHEAD_GOAL_MS = 20;

/** Lets `slots` turns through at once; each waits `latencyMs` before the fake answers. */
function createGatedBackend(inner: Backend, slots: number, latencyMs: number): Backend {
  let busy = 0;
  const waiting: (() => void)[] = [];
  const acquire = () => (busy < slots ? (busy++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else busy--;
  };
  return {
    info: { description: `fake, ${latencyMs} ms a turn, ${slots} slots` },
    async *stream(request: BackendRequest, signal?: AbortSignal): AsyncGenerator<BackendEvent> {
      await acquire();
      try {
        if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        yield* inner.stream(request, signal);
      } finally {
        release();
      }
    },
    close: () => inner.close(),
  };
}

async function timeBatch(count: number, concurrency: number, slots: number, latencyMs: number): Promise<{ ms: number; turns: number }> {
  const scripted = scriptedBatch(count);
  const repo = await makeTempTree(scripted.repoFiles);
  const out = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-batch-'));
  try {
    const queries: BatchQuery[] = await resolveRepos(parseQueries(scripted.queriesTsv, 'bench'), { defaultRepo: repo.root, queriesFile: 'bench', cwd: repo.root });
    const backend = createGatedBackend(createFakeBackend(scripted.entries), slots, latencyMs);
    const output = await openBatchOutput(out);
    const started = performance.now();
    const { summary } = await runBatch({
      backend,
      queries,
      output,
      template: parseTemplate(DEFAULT_TEMPLATE, '(default)'),
      settings: { queriesFile: 'bench', out, backend: backend.info.description, template: '(default)', concurrency, retries: 0, maxTurns: 5, force: false },
      explorer: { sandbox: 'allow-list', maxTurns: 5, subagents: false },
      concurrency,
    });
    const ms = performance.now() - started;
    await output.release();
    if (summary.totals.ok !== count) throw new Error(`only ${summary.totals.ok} of ${count} answered: ${JSON.stringify(summary.failures.slice(0, 3))}`);
    return { ms, turns: summary.totals.turns };
  } finally {
    await repo.cleanup();
    await rm(out, { recursive: true, force: true });
  }
}

async function tinyModelRuns(): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const queries = path.resolve(root, '../shared/data/tqdm-queries.tsv');
  const cli = path.join(root, 'dist/src/cli/main.js');
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-tiny-'));
  const model = path.join(scratch, 'tiny.gguf');
  await writeTinyGguf(model);
  console.log(`\nTiny generated model, ${path.relative(process.cwd(), queries)} (200 queries) about ${path.join(root, 'src')}: one turn, 32 tokens a reply, 1 thread.`);
  console.log('concurrency  wall (s)  queries/min  tokens/s');
  try {
    for (const concurrency of [1, 2, 4]) {
      const args = ['batch', queries, '--repo', path.join(root, 'src'), '--out', path.join(scratch, `out-${concurrency}`), '--backend', `gguf:${model}`];
      args.push('--threads', '1', '--ctx-size', '4096', '--temperature', '0', '--max-turns', '1', '--max-tokens', '32', '--concurrency', String(concurrency));
      const started = performance.now();
      // The whole command, model load and process start included: what a user waits for.
      const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      const seconds = (performance.now() - started) / 1000;
      const report = /(\d+(?:\.\d+)?) queries\/min, (\d+(?:\.\d+)?) tokens\/s/.exec(run.stdout);
      const failure = run.status === 0 ? '' : `  (exit ${run.status}: ${run.stderr.trim().split('\n').pop()})`;
      console.log(`${String(concurrency).padStart(11)}  ${seconds.toFixed(1).padStart(8)}  ${(report?.[1] ?? '?').padStart(11)}  ${(report?.[2] ?? '?').padStart(8)}${failure}`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`${QUERIES} scripted queries (1/3 with a Read call), fake backend: ${LATENCY_MS} ms a turn, ${SLOTS} parallel slots.\n`);
  console.log('concurrency  wall (ms)  queries/min  speedup  ideal  efficiency');
  let baseline = 0;
  let worstBelowSlots = Infinity;
  for (const concurrency of CONCURRENCIES) {
    await timeBatch(6, concurrency, SLOTS, LATENCY_MS); // warm up the JIT and the file system
    const { ms } = await timeBatch(QUERIES, concurrency, SLOTS, LATENCY_MS);
    if (concurrency === 1) baseline = ms;
    const speedup = baseline / ms;
    const ideal = Math.min(concurrency, SLOTS);
    const efficiency = speedup / ideal;
    worstBelowSlots = Math.min(worstBelowSlots, efficiency);
    const perMinute = (QUERIES / ms) * 60_000;
    console.log(`${String(concurrency).padStart(11)}  ${ms.toFixed(0).padStart(9)}  ${perMinute.toFixed(0).padStart(11)}  ${speedup.toFixed(2).padStart(7)}  ${String(ideal).padStart(5)}  ${efficiency.toFixed(2).padStart(10)}`);
  }
  await timeBatch(20, 1, 1, 0);
  const overhead = await timeBatch(OVERHEAD_QUERIES, 1, 1, 0);
  const perQuery = overhead.ms / OVERHEAD_QUERIES;
  console.log(`\nScaling, worst efficiency against min(concurrency, slots): ${worstBelowSlots.toFixed(2)} (goal ${EFFICIENCY_GOAL}): ${worstBelowSlots >= EFFICIENCY_GOAL ? 'met' : 'NOT met'}`);
  console.log(`loco's own time per query (no latency, concurrency 1, ${OVERHEAD_QUERIES} queries, ${(overhead.turns / OVERHEAD_QUERIES).toFixed(2)} turns each): ${perQuery.toFixed(1)} ms (goal < ${OVERHEAD_GOAL_MS} ms): ${perQuery < OVERHEAD_GOAL_MS ? 'met' : 'NOT met'}`);
  if (process.argv.includes('--tiny')) await tinyModelRuns();
}

void main();
