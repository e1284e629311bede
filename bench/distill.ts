// Benchmark: `loco distill` import and build rate (conversations per second) on synthetic
// Claude Code transcripts, one session file each (parallel calls written as separate entries
// sharing a message id, results in completion order, a duplicate entry), and whether memory
// stays flat: live heap (after a full GC) is sampled while each stage runs, and the peak in the last fifth of the
// run must not exceed the peak in the first fifth by more than the goal (streaming holds one
// file's entries at a time, and only hashes for dedupe). Build uses the real Qwen3 tokenizer.
// Run alone: npm run bench:distill [-- 10000]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildDataset } from '../src/distill/build.js';
import { readOnlyToolNames } from '../src/distill/filters.js';
import { importSources } from '../src/distill/import.js';
import { loadQwen3Tokenizer } from '../src/distill/tokenizer.js';

const COUNT = Number(process.argv[2] ?? 10_000);
const MEMORY_GOAL = 1.5;

let clock = Date.parse('2026-01-01T00:00:00Z');
function entry(fields: Record<string, unknown>, uuid: string, parent: string | null, index: number): string {
  clock += 1000;
  return JSON.stringify({ parentUuid: parent, isSidechain: true, cwd: `/repos/project-${index % 400}`, sessionId: `s${index}`, version: '2.1.112', uuid, timestamp: new Date(clock).toISOString(), ...fields });
}

/** One synthetic explorer session: a question, two parallel calls, their results, an answer. */
function session(index: number): string {
  const words = (seed: number, count: number) => Array.from({ length: count }, (_, i) => `w${(seed * 7919 + i * 104729) % 100003}`).join(' ');
  const assistant = (id: string, block: Record<string, unknown>) => ({ type: 'assistant', requestId: `req_${id}`, message: { id: `msg_${id}`, role: 'assistant', model: 'teacher', content: [block] } });
  const source = Array.from({ length: 40 }, (_, line) => `${line + 1}\tconst v${index}_${line} = "${words(index + line, 6)}";`).join('\n');
  const lines = [
    entry({ type: 'user', message: { role: 'user', content: `Question ${index}: where is ${words(index, 8)} handled?` } }, 'u1', null, index),
    entry(assistant(`${index}a`, { type: 'text', text: `Looking for ${words(index + 1, 5)}.` }), 'a1', 'u1', index),
    entry(assistant(`${index}a`, { type: 'tool_use', id: 't1', name: 'Grep', input: { pattern: `v${index}_` } }), 'a2', 'a1', index),
    entry(assistant(`${index}a`, { type: 'tool_use', id: 't2', name: 'Read', input: { file_path: `/repos/project-${index % 400}/src/m${index}.ts` } }), 'a3', 'a2', index),
    entry(assistant(`${index}a`, { type: 'tool_use', id: 't2', name: 'Read', input: { file_path: `/repos/project-${index % 400}/src/m${index}.ts` } }), 'a3', 'a2', index),
    entry({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', content: source }] } }, 'r2', 'a3', index),
    entry({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: `Found 1 file\nsrc/m${index}.ts` }] } }, 'r1', 'r2', index),
    entry(assistant(`${index}b`, { type: 'text', text: `It is handled in src/m${index}.ts: ${words(index + 2, 30)}.` }), 'a4', 'r1', index),
  ];
  return `${lines.join('\n')}\n`;
}

// Live memory, not garbage the collector has not reached yet: each sample follows a full GC.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Peak live heap per fifth of a stage, sampled every 250 ms after a full collection. */
async function measure<T>(stage: () => Promise<T>): Promise<{ result: T; seconds: number; peaks: number[] }> {
  const samples: { at: number; heap: number }[] = [];
  const started = performance.now();
  const timer = setInterval(() => {
    collect();
    samples.push({ at: performance.now() - started, heap: process.memoryUsage().heapUsed });
  }, 250);
  const result = await stage();
  clearInterval(timer);
  const elapsed = performance.now() - started;
  const peaks = [0, 1, 2, 3, 4].map((fifth) => Math.max(0, ...samples.filter((sample) => sample.at >= (fifth * elapsed) / 5 && sample.at < ((fifth + 1) * elapsed) / 5).map((sample) => sample.heap)));
  return { result, seconds: elapsed / 1000, peaks };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-distill-'));
  try {
    const projects = path.join(dir, 'projects');
    for (let start = 0; start < COUNT; start += 500) {
      const folder = path.join(projects, `-repos-batch-${start / 500}`, 'subagents');
      await mkdir(folder, { recursive: true });
      await Promise.all(Array.from({ length: Math.min(500, COUNT - start) }, (_, offset) => writeFile(path.join(folder, `agent-${start + offset}.jsonl`), session(start + offset))));
    }
    const conversations = path.join(dir, 'conversations.jsonl');
    const imported = await measure(() => importSources([projects], conversations));
    // Loaded before timing: a fixed ~100 MB that would otherwise read as growth.
    const tokenizer = await loadQwen3Tokenizer();
    const built = await measure(() =>
      buildDataset({
        input: conversations,
        outDir: path.join(dir, 'data'),
        shape: { subagentsOnly: false, tools: readOnlyToolNames(), allowNoCalls: false },
        invalidCalls: 'repair',
        dropUnrecoverable: true,
        scrubSecrets: true,
        nearDuplicateThreshold: 0.85,
        maxLength: 16384,
        lengthPolicy: 'delete',
        validationRatio: 0.05,
        promptStyle: 'training',
        formats: ['swift', 'sharegpt', 'openai'],
        dryRun: false,
        tokenizer,
      }),
    );
    const kept = built.result.stats.kept.train + built.result.stats.kept.validation;
    let failed = false;
    for (const [name, stage, count] of [['import', imported, imported.result.conversations], ['build', built, kept]] as const) {
      const growth = stage.peaks[4] / Math.max(1, stage.peaks[0]);
      const flat = growth <= MEMORY_GOAL;
      failed ||= !flat;
      console.log(`${name}: ${count} conversations in ${stage.seconds.toFixed(1)} s = ${(count / stage.seconds).toFixed(0)}/s; heap peak per fifth ${stage.peaks.map(mb).join(', ')} (last/first ${growth.toFixed(2)}, goal <= ${MEMORY_GOAL}: ${flat ? 'flat' : 'GROWS'})`);
    }
    if (kept !== COUNT) console.log(`note: ${COUNT - kept} dropped: ${JSON.stringify(built.result.stats.dropped)}`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
