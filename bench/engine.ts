// Benchmark: the embedded engine on the tiny random-weight qwen3 model, one thread, CPU.
// 1. KV-cache prefix reuse: a 10-turn conversation (training system prompt, real tool
//    results) sent to a backend that reuses each conversation's evaluated prefix and to one
//    that re-evaluates every prompt whole (prefixReuse: false, the baseline), turn by turn
//    in the same run. Goal: evaluated prompt tokens with reuse < 15% of the baseline's.
// 2. Harness overhead: explore() (a `loco ask` run minus the CLI) with tool calls forced,
//    so Read/Grep/Glob really run; wall time against the time awaited on llama.cpp
//    (lastTurnTimings per turn) and the tools' own time. Goal: the rest < 5% of wall time.
// 3. Grammar-constrained tool-call generation against free generation, in tokens/s.
// The model's weights are random, so only the engine's costs are measured, not answers.
// Run alone: npm run bench:engine
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { explore } from '../src/agent/explorer.js';
import { FINAL_TURN_INSTRUCTION } from '../src/agent/loop.js';
import { createEmbeddedBackend, type EmbeddedBackend, type EmbeddedBackendOptions, type EmbeddedRequest, type EmbeddedTurnTimings, type ToolCallConstraint } from '../src/backends/embedded/index.js';
import type { Backend, BackendEvent } from '../src/backends/types.js';
import type { ChatMessage, Sampling } from '../src/protocol/messages.js';
import { buildSystemPrompt, type ToolSignature } from '../src/protocol/system-prompt.js';
import { renderToolResults } from '../src/protocol/tool-call-codec.js';
import { createToolbox, type Toolbox } from '../src/tools/toolbox.js';
import { makeTempTree } from '../test/support/temp-tree.js';
import { writeTinyGguf } from '../test/support/tiny-gguf.js';

const THREADS = 1;
/** Tokens per sequence: the tiny tokenizer has few merges (about one token per byte), so 10 turns need room. */
const CONTEXT = 8192;
const TURNS = 10;
const REUSE_RUNS = 3;
const HARNESS_RUNS = 3;
const HARNESS_MAX_TURNS = 4;
const THROUGHPUT_SEEDS = 6;
const GOAL_REUSE = 0.15;
const GOAL_HARNESS = 0.05;
const QUESTION = 'Where are sessions created and how long do they live? Answer with file paths and line numbers.';
const greedy: Sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 32 };
const FORCE_CALL = { '<tool_call>': 100 } as const;

// A small TypeScript service: what the tools read, grep and glob.
const PROJECT: Record<string, string> = {
  'package.json': '{\n  "name": "session-service",\n  "type": "module",\n  "scripts": { "test": "node --test" }\n}\n',
  'README.md': '# session-service\n\nIssues and checks login sessions. See src/server/auth.ts.\n',
  'src/config.ts': `export interface Config {
  port: number;
  sessionTtlSeconds: number;
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return { port: Number(env.PORT ?? '8080'), sessionTtlSeconds: Number(env.SESSION_TTL ?? '3600') };
}
`,
  'src/server/auth.ts': `import { randomUUID } from 'node:crypto';
import { LruCache } from '../util/cache.js';

export interface Session { id: string; user: string; expires: number }

const sessions = new LruCache<string, Session>(1000);

export function createSession(user: string, ttlSeconds: number): Session {
  // TODO: persist sessions across restarts
  const session = { id: randomUUID(), user, expires: Date.now() + ttlSeconds * 1000 };
  sessions.set(session.id, session);
  return session;
}

export function checkSession(id: string): Session | undefined {
  const session = sessions.get(id);
  return session && session.expires > Date.now() ? session : undefined;
}
`,
  'src/server/routes.ts': `import { createSession, checkSession } from './auth.js';
import type { Config } from '../config.js';

export function routes(config: Config) {
  return {
    'POST /login': (user: string) => createSession(user, config.sessionTtlSeconds),
    'GET /me': (id: string) => checkSession(id)?.user ?? null,
  };
}
`,
  'src/util/cache.ts': `export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) this.entries.delete(key), this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    // TODO: evict in batches
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }
}
`,
  'test/routes.test.ts': `import assert from 'node:assert/strict';
import { it } from 'node:test';
import { routes } from '../src/server/routes.js';

it('logs in', () => {
  const api = routes({ port: 0, sessionTtlSeconds: 60 });
  assert.equal(api['GET /me'](api['POST /login']('ada').id), 'ada');
});
`,
};

/** What a model exploring PROJECT for QUESTION would call, one call per turn (part 1). */
const SCRIPTED_CALLS: { name: string; arguments: Record<string, unknown> }[] = [
  { name: 'Glob', arguments: { pattern: '**/*.ts' } },
  { name: 'Grep', arguments: { pattern: 'Session', output_mode: 'content' } },
  { name: 'Read', arguments: { file_path: 'src/server/auth.ts' } },
  { name: 'Read', arguments: { file_path: 'src/server/routes.ts' } },
  { name: 'Grep', arguments: { pattern: 'sessionTtl', output_mode: 'content' } },
  { name: 'Read', arguments: { file_path: 'src/config.ts' } },
  { name: 'Read', arguments: { file_path: 'src/util/cache.ts', limit: 12 } },
  { name: 'Grep', arguments: { pattern: 'TODO', output_mode: 'content' } },
  { name: 'Read', arguments: { file_path: 'test/routes.test.ts' } },
];

interface Finished {
  text: string;
  completionTokens: number;
  timings: EmbeddedTurnTimings;
  wallMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
const percent = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)}%`;
const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((cells) => cells[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  console.log(line(header));
  for (const cells of rows) console.log(line(cells));
}

/** Runs one request to its end; a bench cannot go on after an engine error. */
async function finish(backend: EmbeddedBackend, request: EmbeddedRequest): Promise<Finished> {
  const started = performance.now();
  let done: Extract<BackendEvent, { type: 'finish' }> | undefined;
  for await (const event of backend.stream(request)) {
    if (event.type === 'error') throw event.error;
    if (event.type === 'finish') done = event;
  }
  const wallMs = performance.now() - started;
  const timings = backend.lastTurnTimings(request.conversationId);
  if (!done || !timings) throw new Error('the backend finished without a finish event or timings');
  return { text: done.text, completionTokens: done.usage.completionTokens, timings, wallMs };
}

// ---- 1. Prefix reuse --------------------------------------------------------------------

interface Side {
  evaluated: number;
  promptMs: number;
  wallMs: number;
}

interface ReuseTurn {
  promptTokens: number;
  /** Tokens added since the previous request's prompt and answer: all a perfect cache evaluates. */
  newTokens: number;
  reuse: Side;
  baseline: Side;
  sameText: boolean;
}

const side = (finished: Finished): Side => ({ evaluated: finished.timings.evaluatedPromptTokens, promptMs: finished.timings.promptMs, wallMs: finished.wallMs });

/** One 10-turn conversation on a fresh pair of backends (so no run starts from another's cache). */
async function reuseRun(options: EmbeddedBackendOptions, start: ChatMessage[], results: readonly string[]): Promise<ReuseTurn[]> {
  const reuse = createEmbeddedBackend({ ...options, sequences: 2 });
  const baseline = createEmbeddedBackend({ ...options, sequences: 2, prefixReuse: false });
  try {
    await Promise.all([reuse.load(), baseline.load()]);
    // First-call costs (bias tables, JIT) out of the way, on a conversation of its own.
    for (const backend of [reuse, baseline]) await finish(backend, { messages: [{ role: 'user', content: 'warm up' }], sampling: greedy, conversationId: 'warm-up' });
    const messages = [...start];
    const turns: ReuseTurn[] = [];
    let previous: { promptTokens: number; completionTokens: number } | undefined;
    for (let turn = 0; turn < TURNS; turn++) {
      const run = (backend: EmbeddedBackend) => finish(backend, { messages: [...messages], sampling: greedy, conversationId: backend === reuse ? 'reuse' : 'baseline' });
      // Alternate which goes first, so drift (caches, clocks, neighbours) affects both alike.
      const withReuse = turn % 2 === 0 ? await run(reuse) : undefined;
      const withoutReuse = await run(baseline);
      const reused = withReuse ?? (await run(reuse));
      const promptTokens = reused.timings.promptTokens;
      const newTokens = previous ? promptTokens - previous.promptTokens - previous.completionTokens : promptTokens;
      turns.push({ promptTokens, newTokens, reuse: side(reused), baseline: side(withoutReuse), sameText: reused.text === withoutReuse.text });
      previous = { promptTokens, completionTokens: reused.completionTokens };
      // Both see the reuse backend's answer, so their prompts stay identical.
      messages.push({ role: 'assistant', content: reused.text });
      if (turn < TURNS - 1) messages.push({ role: 'user', content: renderToolResults([results[turn % results.length]]) });
    }
    return turns;
  } finally {
    await reuse.close();
    await baseline.close();
  }
}

/** REUSE_RUNS conversations; token counts from the first (they are deterministic), times as medians. */
async function measureReuse(options: EmbeddedBackendOptions, toolbox: Toolbox): Promise<{ turns: ReuseTurn[]; deterministic: boolean }> {
  const signal = new AbortController().signal;
  const results: string[] = [];
  for (const call of SCRIPTED_CALLS) results.push((await toolbox.execute(call, signal)).output);
  const start: ChatMessage[] = [
    { role: 'system', content: buildSystemPrompt('training', toolbox.signatures()) },
    { role: 'user', content: `${QUESTION}\n\nWorking directory: ${toolbox.policy.cwd}` },
  ];
  const runs: ReuseTurn[][] = [];
  for (let run = 0; run < REUSE_RUNS; run++) runs.push(await reuseRun(options, start, results));
  const tokens = (turns: ReuseTurn[]) => JSON.stringify(turns.map((turn) => [turn.promptTokens, turn.reuse.evaluated, turn.baseline.evaluated]));
  const deterministic = runs.every((run) => tokens(run) === tokens(runs[0]));
  const medianSide = (index: number, which: 'reuse' | 'baseline'): Side => ({
    evaluated: runs[0][index][which].evaluated,
    promptMs: median(runs.map((run) => run[index][which].promptMs)),
    wallMs: median(runs.map((run) => run[index][which].wallMs)),
  });
  const turns = runs[0].map((turn, index) => ({ ...turn, reuse: medianSide(index, 'reuse'), baseline: medianSide(index, 'baseline'), sameText: runs.every((run) => run[index].sameText) }));
  return { turns, deterministic };
}

// ---- 2. Harness overhead ------------------------------------------------------------------

/** Read/Grep/Glob with arguments narrowed to ones that fit PROJECT, so forced calls do real work. */
function realisticCalls(signatures: readonly ToolSignature[]): ToolCallConstraint {
  const narrowed: Record<string, Record<string, unknown>> = {
    Read: { file_path: { type: 'string', enum: ['src/server/auth.ts', 'src/server/routes.ts', 'src/config.ts', 'src/util/cache.ts'] } },
    Grep: { pattern: { type: 'string', enum: ['Session', 'sessionTtl', 'TODO', 'export function'] }, output_mode: { type: 'string', enum: ['content', 'files_with_matches'] } },
    Glob: { pattern: { type: 'string', enum: ['**/*.ts', 'src/**', 'test/*.ts'] } },
  };
  const tools = signatures
    .filter((signature) => signature.name in narrowed)
    .map((signature) => {
      const properties = narrowed[signature.name];
      return { ...signature, parameters: { type: 'object', properties, required: Object.keys(properties), additionalProperties: false } };
    });
  return { tools, stopAfterCalls: 1 };
}

interface HarnessRun {
  turns: number;
  calls: number;
  failedCalls: number;
  wallMs: number;
  llamaMs: number;
  promptMs: number;
  generateMs: number;
  toolMs: number;
  /** Inside backend.stream() but not in llama.cpp: tokenizing, slot, decoding, the loop's per-delta parsing. */
  streamOtherMs: number;
  waitMs: number;
  /** Outside backend.stream() and the tools: explore() setup, messages, results, budget. */
  loopOtherMs: number;
}

async function measureHarness(backend: EmbeddedBackend, root: string): Promise<HarnessRun> {
  let constraint: ToolCallConstraint | undefined;
  let conversationId: string | undefined;
  // explore() picks its conversation id itself: read it from the requests.
  const forcing: Backend = {
    info: backend.info,
    stream(request, signal) {
      conversationId = request.conversationId;
      constraint ??= realisticCalls(request.tools ?? []);
      const last = request.messages[request.messages.length - 1];
      const final = last?.role === 'user' && last.content.endsWith(FINAL_TURN_INSTRUCTION);
      const extra: Partial<EmbeddedRequest> = final ? { constrainToolCalls: false } : { tokenBias: FORCE_CALL, constrainToolCalls: constraint };
      return backend.stream({ ...request, ...extra }, signal);
    },
    close: async () => undefined,
  };
  const turns: EmbeddedTurnTimings[] = [];
  let toolMs = 0;
  let failedCalls = 0;
  const started = performance.now();
  const result = await explore(QUESTION, {
    backend: forcing,
    roots: [root],
    sandbox: 'allow-list',
    maxTurns: HARNESS_MAX_TURNS,
    subagents: false,
    contextBudget: CONTEXT,
    sampling: { temperature: 0, topP: 1, topK: 1, maxTokens: 128 },
    onEvent: (event) => {
      if (event.type === 'turn-end') {
        const timings = conversationId === undefined ? undefined : backend.lastTurnTimings(conversationId);
        if (!timings) throw new Error(`no timings for conversation ${conversationId}`);
        turns.push(timings);
      } else if (event.type === 'tool-result') {
        toolMs += event.durationMs;
        if (event.isError) failedCalls++;
      }
    },
  });
  const wallMs = performance.now() - started;
  if (result.stopReason === 'error') throw result.error ?? new Error('explore() failed');
  const llamaMs = sum(turns.map((turn) => turn.llamaMs));
  const turnMs = sum(turns.map((turn) => turn.turnMs));
  return {
    turns: result.turns,
    calls: result.toolCalls.length,
    failedCalls,
    wallMs,
    llamaMs,
    promptMs: sum(turns.map((turn) => turn.promptMs)),
    generateMs: sum(turns.map((turn) => turn.freeMs + turn.constrainedMs)),
    toolMs,
    streamOtherMs: turnMs - llamaMs,
    waitMs: sum(turns.map((turn) => turn.waitMs)),
    loopOtherMs: wallMs - turnMs - toolMs,
  };
}

// ---- 3. Constrained vs free generation ---------------------------------------------------

async function measureThroughput(backend: EmbeddedBackend, toolbox: Toolbox) {
  const messages: ChatMessage[] = [
    { role: 'system', content: buildSystemPrompt('training', toolbox.signatures()) },
    { role: 'user', content: QUESTION },
  ];
  const sampling: Sampling = { temperature: 1, topP: 1, topK: 0, maxTokens: 160 };
  // Real schemas (optional members included), strings capped so random weights terminate.
  const constraint: ToolCallConstraint = { tools: toolbox.signatures().filter((signature) => signature.name !== 'Bash'), limits: { maxStringLength: 32 } };
  const totals = { freeTokens: 0, freeMs: 0, constrainedTokens: 0, constrainedMs: 0, calls: 0 };
  for (let seed = 1; seed <= THROUGHPUT_SEEDS; seed++) {
    const free = (await finish(backend, { messages, sampling, seed, constrainToolCalls: false })).timings;
    const constrained = (await finish(backend, { messages, sampling, seed, tokenBias: FORCE_CALL, constrainToolCalls: constraint })).timings;
    totals.freeTokens += free.freeTokens;
    totals.freeMs += free.freeMs;
    totals.constrainedTokens += constrained.constrainedTokens;
    totals.constrainedMs += constrained.constrainedMs;
    totals.calls += constrained.constrainedCalls;
  }
  return totals;
}

// ---- main ---------------------------------------------------------------------------------

interface Summary {
  reuseRatio: number;
  floorRatio: number;
  wallRatio: number;
  harnessShare: number;
  outsideShare: number;
  constrainedRatio: number;
}

async function reportReuse(options: EmbeddedBackendOptions, toolbox: Toolbox): Promise<Pick<Summary, 'reuseRatio' | 'floorRatio' | 'wallRatio'>> {
  console.log(`1. Prompt tokens evaluated per turn, ${TURNS} turns (temperature 0, maxTokens ${greedy.maxTokens}); baseline: prefixReuse false`);
  console.log(`   token counts from run 1 of ${REUSE_RUNS} (fresh backends each), milliseconds the per-turn medians\n`);
  const { turns, deterministic } = await measureReuse(options, toolbox);
  const total = (select: (turn: ReuseTurn) => number) => sum(turns.map(select));
  const columns: [string, (turn: ReuseTurn) => number, number][] = [
    ['prompt', (turn) => turn.promptTokens, 0],
    ['new', (turn) => turn.newTokens, 0],
    ['eval reuse', (turn) => turn.reuse.evaluated, 0],
    ['eval base', (turn) => turn.baseline.evaluated, 0],
    ['prompt ms reuse', (turn) => turn.reuse.promptMs, 1],
    ['prompt ms base', (turn) => turn.baseline.promptMs, 1],
    ['turn ms reuse', (turn) => turn.reuse.wallMs, 1],
    ['turn ms base', (turn) => turn.baseline.wallMs, 1],
  ];
  printTable(
    ['turn', ...columns.map(([title]) => title), 'same text'],
    [
      ...turns.map((turn, index) => [String(index + 1), ...columns.map(([, select, digits]) => select(turn).toFixed(digits)), turn.sameText ? 'yes' : 'no']),
      ['total', ...columns.map(([, select, digits]) => total(select).toFixed(digits)), ''],
    ],
  );
  if (!deterministic) console.log('\n  WARNING: token counts differed between runs (temperature 0 should be deterministic)');
  const evaluated = total((turn) => turn.reuse.evaluated) / total((turn) => turn.baseline.evaluated);
  const floor = total((turn) => turn.newTokens) / total((turn) => turn.baseline.evaluated);
  const promptMs = total((turn) => turn.reuse.promptMs) / total((turn) => turn.baseline.promptMs);
  const wall = total((turn) => turn.reuse.wallMs) / total((turn) => turn.baseline.wallMs);
  console.log(`\n  evaluated reuse/baseline ${percent(evaluated, 1)}; floor (only the tokens new since the last turn) ${percent(floor, 1)}`);
  console.log(`  prompt ms reuse/baseline ${percent(promptMs, 1)}; turn wall ms reuse/baseline ${percent(wall, 1)}`);
  return { reuseRatio: evaluated, floorRatio: floor, wallRatio: wall };
}

async function reportHarness(backend: EmbeddedBackend, root: string): Promise<Pick<Summary, 'harnessShare' | 'outsideShare'>> {
  console.log(`\n2. explore() with forced Read/Grep/Glob calls (maxTurns ${HARNESS_MAX_TURNS}, then a free final turn); 1 cold run, then ${HARNESS_RUNS} counted\n`);
  const runs: HarnessRun[] = [];
  for (let index = 0; index <= HARNESS_RUNS; index++) runs.push(await measureHarness(backend, root));
  const counted = runs.slice(1);
  const outside = (run: HarnessRun) => (run.wallMs - run.llamaMs) / run.wallMs;
  const harness = (run: HarnessRun) => (run.wallMs - run.llamaMs - run.toolMs) / run.wallMs;
  const columns: [string, (run: HarnessRun) => number][] = [
    ['wall ms', (run) => run.wallMs],
    ['llama ms', (run) => run.llamaMs],
    ['(prompt', (run) => run.promptMs],
    ['generate)', (run) => run.generateMs],
    ['tools ms', (run) => run.toolMs],
    ['stream other', (run) => run.streamOtherMs],
    ['(wait)', (run) => run.waitMs],
    ['loop other', (run) => run.loopOtherMs],
  ];
  const row = (name: string, run: HarnessRun) => [name, String(run.turns), `${run.calls} (${run.failedCalls})`, ...columns.map(([, select]) => select(run).toFixed(1)), percent(outside(run), 1), percent(harness(run), 1)];
  const medianOf = (select: (run: HarnessRun) => number) => median(counted.map(select)).toFixed(1);
  printTable(
    ['run', 'turns', 'calls (err)', ...columns.map(([title]) => title), 'outside llama', 'harness only'],
    [
      ...runs.map((run, index) => row(index === 0 ? 'cold' : String(index), run)),
      ['median', '', '', ...columns.map(([, select]) => medianOf(select)), percent(median(counted.map(outside)), 1), percent(median(counted.map(harness)), 1)],
    ],
  );
  console.log('\n  llama ms: lastTurnTimings().llamaMs summed over the turns; tools ms: tool-result durationMs summed (whole ms)');
  console.log('  stream other: in backend.stream() but not llama.cpp (tokenizing, slot wait, detokenizing, the loop parsing deltas)');
  console.log('  loop other: outside backend.stream() and the tools (explore() setup, messages, results, budget, events)');
  console.log('  outside llama = (wall - llama) / wall; harness only = (wall - llama - tools) / wall; medians of the per-run shares');
  return { harnessShare: median(counted.map(harness)), outsideShare: median(counted.map(outside)) };
}

async function reportThroughput(backend: EmbeddedBackend, toolbox: Toolbox): Promise<number> {
  console.log(`\n3. Free vs grammar-constrained tool-call generation (temperature 1, same prompt, ${THROUGHPUT_SEEDS} seeds each)\n`);
  const totals = await measureThroughput(backend, toolbox);
  const freeRate = (totals.freeTokens / totals.freeMs) * 1000;
  const constrainedRate = (totals.constrainedTokens / totals.constrainedMs) * 1000;
  const row = (name: string, tokens: number, ms: number) => [name, String(tokens), ms.toFixed(1), ((tokens / ms) * 1000).toFixed(0), (ms / tokens).toFixed(3)];
  printTable(
    ['mode', 'tokens', 'ms', 'tokens/s', 'ms/token'],
    [row('free', totals.freeTokens, totals.freeMs), row(`constrained (${totals.calls} calls)`, totals.constrainedTokens, totals.constrainedMs)],
  );
  return constrainedRate / freeRate;
}

async function main(): Promise<void> {
  const started = performance.now();
  const folder = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-engine-'));
  const project = await makeTempTree(PROJECT);
  const modelPath = path.join(folder, 'tiny.gguf');
  await writeTinyGguf(modelPath, { contextLength: CONTEXT });
  const options: EmbeddedBackendOptions = { modelPath, threads: THREADS, gpuLayers: 0, contextSize: CONTEXT };
  // One sequence per explore() run, so each starts from an empty cache like a fresh `loco ask`.
  const backend = createEmbeddedBackend({ ...options, sequences: HARNESS_RUNS + 1 });
  try {
    await backend.load();
    const toolbox = createToolbox({ roots: [project.root], allowWrite: false, sandbox: 'allow-list' });
    console.log(`Tiny random qwen3 GGUF, ${THREADS} thread, CPU, context ${CONTEXT}. Model load excluded.\n`);
    const reuse = await reportReuse(options, toolbox);
    const harness = await reportHarness(backend, project.root);
    const constrainedRatio = await reportThroughput(backend, toolbox);
    console.log('\nSummary');
    console.log(`  prompt tokens evaluated, reuse/baseline: ${percent(reuse.reuseRatio, 1)} (goal < ${percent(GOAL_REUSE, 1)}): ${verdict(reuse.reuseRatio < GOAL_REUSE)}; floor for this conversation ${percent(reuse.floorRatio, 1)}`);
    console.log(`  turn wall time over ${TURNS} turns, reuse/baseline: ${reuse.wallRatio.toFixed(2)}x`);
    console.log(`  harness only (not llama.cpp, not tools), median of ${HARNESS_RUNS}: ${percent(harness.harnessShare, 1)} of wall (goal < ${percent(GOAL_HARNESS, 1)}): ${verdict(harness.harnessShare < GOAL_HARNESS)}`);
    console.log(`  outside llama.cpp (tools included), median of ${HARNESS_RUNS}: ${percent(harness.outsideShare, 1)} of wall`);
    console.log(`  constrained/free generation tokens/s: ${constrainedRatio.toFixed(2)}x (no goal)`);
    console.log(`\nBench wall time ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await backend.close();
    await project.cleanup();
    await rm(folder, { recursive: true, force: true });
  }
}

await main();
