// Benchmark: `loco eval` throughput (samples per second) at concurrency 1 and 8 on the fake
// backend, end to end in-process: conversion, generation, results.jsonl, judging, metrics.
// Two backends: an instant one (what is left is eval's own cost per sample) and one that
// takes ~20 ms per answer like a fast server (concurrency should then scale almost
// linearly). Goal: on the slow backend, concurrency 8 at least 6x concurrency 1.
// Run alone: npm run bench:eval
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFakeBackend, type FakeEntry } from '../src/backends/fake.js';
import { runEvaluation } from '../src/eval/evaluate.js';
import { parseSamples } from '../src/eval/samples.js';
import { DEFAULT_SAMPLING } from '../src/protocol/messages.js';
import { CASES } from '../test/eval/fixtures.js';

const GOAL = 6;
const REPETITIONS = 3;

function samplesText(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    const item = CASES[index % CASES.length];
    const messages = [
      { role: 'user', content: `Question ${index}: where is the handler for route ${index}?` },
      { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'Grep', arguments: `{"pattern": "route${index}"}` } }] },
      { role: 'tool', tool_call_id: 'c1', content: `Found 1 file\nsrc/routes/r${index}.ts` },
    ];
    lines.push(JSON.stringify({ id: `b${index}`, messages, label: item.label }));
  }
  return lines.join('\n');
}

/** The answers, split into ten chunks each so a per-chunk delay stands for generation time. */
function entries(count: number): FakeEntry[] {
  return Array.from({ length: count }, (_, index) => {
    const text = CASES[index % CASES.length].output;
    const size = Math.ceil(text.length / 10);
    const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, part) => text.slice(part * size, (part + 1) * size));
    return { type: 'assistant', text, chunks };
  });
}

async function samplesPerSecond(count: number, concurrency: number, delayMs: number, outDir: string): Promise<number> {
  const { samples } = parseSamples(samplesText(count));
  const times: number[] = [];
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    const backend = createFakeBackend(entries(count), { delayMs });
    const started = performance.now();
    const report = await runEvaluation({ samples, samplesFile: 'bench', backend, sampling: DEFAULT_SAMPLING, runs: 1, concurrency, outDir });
    times.push(performance.now() - started);
    if (report.metrics.scored !== count) throw new Error(`scored ${report.metrics.scored} of ${count}`);
  }
  times.sort((a, b) => a - b);
  return count / (times[times.length >> 1] / 1000);
}

async function main(): Promise<void> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-eval-'));
  try {
    const rows: [string, number, number][] = [];
    for (const [name, count, delayMs] of [
      ['instant backend (eval overhead)', 2000, 0],
      ['~20 ms per answer', 160, 2],
    ] as const) {
      const one = await samplesPerSecond(count, 1, delayMs, outDir);
      const eight = await samplesPerSecond(count, 8, delayMs, outDir);
      rows.push([name, one, eight]);
    }
    console.log('backend                            concurrency 1   concurrency 8   ratio');
    for (const [name, one, eight] of rows) {
      console.log(`${name.padEnd(34)} ${one.toFixed(0).padStart(9)}/s    ${eight.toFixed(0).padStart(9)}/s   ${(eight / one).toFixed(2)}x`);
    }
    const slow = rows[1];
    const ratio = slow[2] / slow[1];
    console.log(`goal: concurrency 8 >= ${GOAL}x concurrency 1 on the slow backend: ${ratio >= GOAL ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`);
    console.log(`eval's own cost per sample: ${(1000 / rows[0][1]).toFixed(3)} ms at concurrency 1`);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

await main();
