// Benchmark: a queued batch's throughput against the number of `loco worker` processes, and
// the queue's own cost per job. A real redis-server (started here, on a free port) holds the
// queue; the workers are separate processes with a fleet of two fake model servers of fixed
// latency and slots (test/support/slot-server.ts), so the ideal speedup with w workers of
// concurrency c is min(w * c, total slots) / c.
// Goals: near-linear scaling (efficiency >= 0.8) until the slots are full; the queue adds
// under 20% of a 400 ms backend call per job (one worker, one job at a time, against the
// same job answered in-process with answerQuery).
// Run alone: npm run bench:fleet
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackendFromSpecs } from '../src/backends/fleet-spec.js';
import { answerQuery } from '../src/batch/answer.js';
import { DEFAULT_RETRY_POLICY } from '../src/batch/retry.js';
import { parseTemplate, DEFAULT_TEMPLATE } from '../src/batch/template.js';
import { parseQueueUrl } from '../src/fleet/jobs.js';
import { openQueue, queueCounts, submitBatch } from '../src/fleet/submit.js';
import { startRedis } from '../test/support/redis-server.js';
import { startSlotServer, type SlotServer } from '../test/support/slot-server.js';
import { makeTempTree } from '../test/support/temp-tree.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const QUERIES = 32;
// Model calls last seconds; 400 ms keeps the run short while the slot reads (every 250 ms) stay fresh enough.
const LATENCY_MS = 400;
const SERVERS = 2;
const SLOTS_PER_SERVER = 2;
const WORKER_CONCURRENCY = 2;
const WORKER_COUNTS = [1, 2, 4];
const OVERHEAD_JOBS = 15;
const EFFICIENCY_GOAL = 0.8;
const OVERHEAD_GOAL = 0.2;

const template = parseTemplate(DEFAULT_TEMPLATE, '(default)');
const explorer = { maxTurns: 2, contextBudget: 50_000, sampling: { maxTokens: 200 }, promptStyle: 'training' as const, subagents: false };
const settings = { queriesFile: 'bench', out: '', backend: '', template: '(default)', concurrency: 0, retries: 0, maxTurns: 2, force: false };

function startWorker(queueUrl: string, backends: string[], concurrency: number, root: string): Promise<ChildProcess> {
  const args = [CLI, 'worker', '--queue', queueUrl, '--concurrency', String(concurrency), '--sandbox', 'allow-list', '--root', root, ...backends.flatMap((url) => ['--backend', url])];
  const child = spawn(process.execPath, args, { env: { ...process.env, LOCO_BACKEND: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('taking jobs from')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    }),
  );
}

/** Submits `count` fresh queries on a new queue and times them until every job is done. */
async function timeQueue(redisUrl: string, queueName: string, repo: string, count: number, workers: number, concurrency: number, backends: string[]): Promise<number> {
  const queueUrl = `${redisUrl}?queue=${queueName}`;
  const address = parseQueueUrl(queueUrl);
  const children: ChildProcess[] = [];
  for (let index = 0; index < workers; index++) children.push(await startWorker(queueUrl, backends, concurrency, repo));
  const queue = openQueue(address);
  try {
    const queries = Array.from({ length: count }, (_, index) => ({ id: `${queueName}-${index}`, query: `Question <${queueName}-${index}>`, repo, line: index + 1 }));
    const started = performance.now();
    await submitBatch({ address, queries, template, explorer, settings, attempts: 1 });
    while ((await queueCounts(queue)).done < count) await new Promise((resolve) => setTimeout(resolve, 5));
    return performance.now() - started;
  } finally {
    await queue.close();
    await stopWorkers(children);
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const tree = await makeTempTree({ 'README.md': '# bench\n' });
  const servers: SlotServer[] = [];
  try {
    for (let index = 0; index < SERVERS; index++) servers.push(await startSlotServer({ slots: SLOTS_PER_SERVER, latencyMs: LATENCY_MS, answer: (question) => `An answer to ${question.slice(0, 40)}` }));
    const urls = servers.map((server) => server.url);
    const totalSlots = SERVERS * SLOTS_PER_SERVER;
    console.log(`fleet: ${QUERIES} one-turn queries, ${SERVERS} servers x ${SLOTS_PER_SERVER} slots, ${LATENCY_MS} ms a call, workers of concurrency ${WORKER_CONCURRENCY}`);
    console.log('workers  wall s   queries/s  speedup  ideal  efficiency');
    let base = 0;
    let worst = 1;
    for (const workers of WORKER_COUNTS) {
      const ms = await timeQueue(redis.url, `bench-w${workers}`, tree.root, QUERIES, workers, WORKER_CONCURRENCY, urls);
      if (workers === 1) base = ms;
      const speedup = base / ms;
      const ideal = Math.min(workers * WORKER_CONCURRENCY, totalSlots) / WORKER_CONCURRENCY;
      const efficiency = speedup / ideal;
      worst = Math.min(worst, efficiency);
      console.log(`${String(workers).padStart(7)}  ${(ms / 1000).toFixed(2).padStart(6)}  ${((QUERIES / ms) * 1000).toFixed(1).padStart(10)}  ${speedup.toFixed(2).padStart(7)}  ${ideal.toFixed(1).padStart(5)}  ${efficiency.toFixed(2).padStart(10)}`);
    }

    // The queue's cost: one worker, one job at a time, against answerQuery in-process on the same server.
    const direct = await createBackendFromSpecs([urls[0]]);
    const directStarted = performance.now();
    for (let index = 0; index < OVERHEAD_JOBS; index++) {
      await answerQuery({ id: `d${index}`, query: `Question <d${index}>`, repo: tree.root, line: 1 }, { backend: direct, template, explorer: { ...explorer, sandbox: 'allow-list' }, retry: { ...DEFAULT_RETRY_POLICY, retries: 0 } });
    }
    const directMs = (performance.now() - directStarted) / OVERHEAD_JOBS;
    await direct.close();
    const queuedMs = (await timeQueue(redis.url, 'bench-overhead', tree.root, OVERHEAD_JOBS, 1, 1, [urls[0]])) / OVERHEAD_JOBS;
    const overhead = queuedMs - directMs;
    console.log(`per job: ${directMs.toFixed(1)} ms in-process, ${queuedMs.toFixed(1)} ms through the queue: the queue adds ${overhead.toFixed(1)} ms, ${(overhead / LATENCY_MS).toFixed(3)} of a ${LATENCY_MS} ms backend call`);
    const verdicts = [
      `scaling efficiency until the slots are full: worst ${worst.toFixed(2)} (goal >= ${EFFICIENCY_GOAL}) ${worst >= EFFICIENCY_GOAL ? 'ok' : 'MISSED'}`,
      `queue cost per job: ${(overhead / LATENCY_MS).toFixed(3)} of a backend call (goal < ${OVERHEAD_GOAL}) ${overhead / LATENCY_MS < OVERHEAD_GOAL ? 'ok' : 'MISSED'}`,
    ];
    for (const line of verdicts) console.log(line);
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    await redis.stop();
    await tree.cleanup();
  }
}

await main();
