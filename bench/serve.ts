// Benchmark: what `loco serve` adds per request over calling the embedded engine in-process.
// The same short conversation is sent N times to (a) an embedded backend in this process and
// (b) `loco serve` on 127.0.0.1 through loco's own OpenAI-compatible HTTP backend, alternating
// so machine noise hits both alike. Both engines run the tiny random-weight model on one
// thread with greedy decoding of a fixed number of tokens, so the work per request is equal.
// Run alone: npm run bench:serve
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedBackend } from '../src/backends/embedded/index.js';
import { createOpenAICompatibleBackend } from '../src/backends/openai-compatible.js';
import type { Backend, BackendRequest } from '../src/backends/types.js';
import { startServer } from '../src/serve/server.js';
import { writeTinyGguf } from '../test/support/tiny-gguf.js';

const REQUESTS = 40;
const MAX_TOKENS = 24;

interface Sample {
  totalMs: number;
  firstTokenMs: number;
}

async function timeRequest(backend: Backend, request: BackendRequest): Promise<Sample> {
  const started = performance.now();
  let firstTokenMs = Number.NaN;
  for await (const event of backend.stream(request)) {
    if (event.type === 'text-delta' && Number.isNaN(firstTokenMs)) firstTokenMs = performance.now() - started;
    if (event.type === 'error') throw event.error;
  }
  return { totalMs: performance.now() - started, firstTokenMs };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-serve-'));
const modelPath = path.join(dir, 'tiny.gguf');
await writeTinyGguf(modelPath, { contextLength: 4096 });
const inProcess = createEmbeddedBackend({ modelPath, threads: 1, contextSize: 2048, sequences: 1, gpuLayers: 0 });
const server = await startServer({ modelPath, port: 0, threads: 1, contextSize: 2048, parallel: 1, gpuLayers: 0, log: () => undefined });
await server.ready;
const overHttp = createOpenAICompatibleBackend({ baseUrl: `${server.url}/v1` });
const request: BackendRequest = {
  messages: [
    { role: 'system', content: 'You are an agent built on an agent SDK.' },
    { role: 'user', content: 'Which file defines the session store?' },
  ],
  // A token budget, not an end-of-turn token, ends each answer: equal work on both paths.
  sampling: { temperature: 0, topP: 1, topK: 1, maxTokens: MAX_TOKENS },
};

try {
  // Warm up: load, first evaluation, connection setup.
  await timeRequest(inProcess, request);
  await timeRequest(overHttp, request);
  const local: Sample[] = [];
  const remote: Sample[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    if (i % 2 === 0) {
      local.push(await timeRequest(inProcess, request));
      remote.push(await timeRequest(overHttp, request));
    } else {
      remote.push(await timeRequest(overHttp, request));
      local.push(await timeRequest(inProcess, request));
    }
  }
  const row = (name: string, samples: Sample[]) => {
    const total = samples.map((sample) => sample.totalMs);
    const first = samples.map((sample) => sample.firstTokenMs);
    return `${name.padEnd(22)}${percentile(total, 50).toFixed(2).padStart(10)}${percentile(total, 90).toFixed(2).padStart(10)}${percentile(first, 50).toFixed(2).padStart(14)}`;
  };
  console.log(`${REQUESTS} requests each, ${MAX_TOKENS} tokens, tiny model, 1 thread, alternating order\n`);
  console.log(`${'path'.padEnd(22)}${'p50 ms'.padStart(10)}${'p90 ms'.padStart(10)}${'p50 TTFT ms'.padStart(14)}`);
  console.log(row('in-process', local));
  console.log(row('loco serve over HTTP', remote));
  const added = local.map((sample, index) => remote[index].totalMs - sample.totalMs);
  const p50Local = percentile(local.map((sample) => sample.totalMs), 50);
  const p50Remote = percentile(remote.map((sample) => sample.totalMs), 50);
  console.log(`\nadded latency per request (paired): p50 ${percentile(added, 50).toFixed(2)} ms, p90 ${percentile(added, 90).toFixed(2)} ms`);
  console.log(`ratio serve/in-process (p50 wall): ${(p50Remote / p50Local).toFixed(3)}x`);
} finally {
  await overHttp.close();
  await inProcess.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
