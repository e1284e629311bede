// runBatch in-process over the scripted fake backend: answers, traces, summary, resume,
// --force, retries against a flaky backend, time limits and cancellation.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeBackend, parseFakeScript } from '../../src/backends/fake.js';
import type { Backend } from '../../src/backends/types.js';
import { parseQueries, resolveRepos, type BatchQuery } from '../../src/batch/input.js';
import { LOCK_FILE, openBatchOutput } from '../../src/batch/output.js';
import { runBatch, type BatchProgressEvent, type BatchRunOptions } from '../../src/batch/runner.js';
import type { BatchSummary } from '../../src/batch/summary.js';
import { parseTemplate } from '../../src/batch/template.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { seededRandom } from '../../src/random.js';
import { createFlakyBackend, createGaugedBackend, listFiles, scriptedBatch, type ScriptedBatch } from './scripted.js';

let repo: TempTree;
let scratch: TempTree;
const batch: ScriptedBatch = scriptedBatch(50, { copies: 8 });
let queries: BatchQuery[];
before(async () => {
  repo = await makeTempTree(batch.repoFiles);
  scratch = await makeTempTree();
  queries = await resolveRepos(parseQueries(batch.queriesTsv, 'queries.tsv'), { defaultRepo: repo.root, queriesFile: 'queries.tsv', cwd: scratch.root });
});
after(async () => {
  await repo.cleanup();
  await scratch.cleanup();
});

let runs = 0;
async function run(backend: Backend, overrides: Partial<BatchRunOptions> = {}, outDir?: string): Promise<{ summary: BatchSummary; interrupted: boolean; out: string; events: BatchProgressEvent[] }> {
  const out = outDir ?? path.join(scratch.root, `out-${++runs}`);
  const output = await openBatchOutput(out);
  const events: BatchProgressEvent[] = [];
  try {
    const result = await runBatch({
      backend,
      queries,
      output,
      template: parseTemplate('{question}', 'test'),
      settings: { queriesFile: 'queries.tsv', out, backend: backend.info.description, template: 'test', concurrency: 8, retries: 2, maxTurns: 5, force: false },
      explorer: { sandbox: 'allow-list', maxTurns: 5, subagents: false },
      concurrency: 8,
      retry: { baseDelayMs: 1, maxDelayMs: 4 },
      onProgress: (event) => events.push(event),
      ...overrides,
    });
    return { ...result, out, events };
  } finally {
    await output.release();
  }
}

const fake = () => createFakeBackend(structuredClone(batch.entries));

describe('runBatch', () => {
  it('answers 50 queries at concurrency 8 with one answer and one trace each, and a correct summary', async () => {
    const backend = createGaugedBackend(fake());
    const { summary, interrupted, out } = await run(backend);
    assert.equal(interrupted, false);
    assert.equal(backend.peak, 8, 'the pool keeps 8 queries in flight');
    const files = await listFiles(out);
    assert.deepEqual(files, [...batch.ids.map((id) => `${id}.md`), 'summary.json', ...batch.ids.map((id) => `traces/${id}.jsonl`)].sort());
    for (const id of batch.ids) assert.equal(await readFile(path.join(out, `${id}.md`), 'utf8'), `${batch.answerOf(id)}\n`);

    assert.equal(summary.state, 'finished');
    assert.deepEqual({ ...summary.totals, tokens: undefined }, { queries: 50, ok: 50, failed: 0, timedOut: 0, pending: 0, resumed: 0, ran: 50, retries: 0, turns: 50 + batch.withTool.size, toolCalls: { Read: batch.withTool.size }, tokens: undefined });
    assert.deepEqual(summary.failures, []);
    const byId = new Map(summary.queries.map((record) => [record.id, record]));
    assert.deepEqual(summary.queries.map((record) => record.id), batch.ids, 'records stay in file order');
    for (const id of batch.ids) {
      const record = byId.get(id);
      assert.equal(record?.status, 'ok');
      assert.equal(record?.turns, batch.withTool.has(id) ? 2 : 1);
      assert.deepEqual(record?.toolCalls, batch.withTool.has(id) ? { Read: 1 } : {});
      assert.ok((record?.tokens?.prompt ?? 0) > 0 && (record?.tokens?.completion ?? 0) > 0);
      assert.equal(typeof record?.wallMs, 'number');
    }
    const sum = (pick: (record: (typeof summary.queries)[number]) => number) => summary.queries.reduce((total, record) => total + pick(record), 0);
    assert.equal(summary.totals.tokens.prompt, sum((record) => record.tokens?.prompt ?? 0));
    assert.equal(summary.totals.tokens.completion, sum((record) => record.tokens?.completion ?? 0));
    assert.equal(summary.totals.tokens.total, summary.totals.tokens.prompt + summary.totals.tokens.completion);
    assert.equal(summary.distributions.turns.count, 50);
    assert.equal(summary.distributions.turns.max, 2);
    assert.equal(summary.distributions.turns.p50, 1);
    assert.ok(summary.distributions.wallMs.p50 <= summary.distributions.wallMs.p95);
    // What is on disk is what was returned.
    assert.deepEqual(JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')), JSON.parse(JSON.stringify(summary)));
  });

  it('writes traces that replay through the fake backend to the same answer', async () => {
    const { out } = await run(fake());
    const id = [...batch.withTool][0];
    const trace = await readFile(path.join(out, 'traces', `${id}.jsonl`), 'utf8');
    const lines = trace.trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; id?: string; prompt?: string });
    assert.deepEqual(lines.map((line) => line.type), ['meta', 'tool-call', 'assistant', 'tool-result', 'assistant', 'finish']);
    assert.equal(lines[0].id, id);
    assert.match(lines[0].prompt ?? '', new RegExp(`Question <${id}>`));
    const replay = await run(createFakeBackend(parseFakeScript(trace, 'trace')), { queries: queries.filter((query) => query.id === id) });
    assert.equal(replay.summary.totals.ok, 1);
    assert.equal(await readFile(path.join(replay.out, `${id}.md`), 'utf8'), `${batch.answerOf(id)}\n`);
  });

  it('resumes: a rerun skips answered queries and keeps their measurements; --force runs them again', async () => {
    const first = await run(fake(), { queries: queries.slice(0, 20) });
    const earlier = first.summary.queries.find((record) => record.id === 'q1');
    const gauged = createGaugedBackend(fake());
    const second = await run(gauged, {}, first.out);
    assert.equal(second.summary.totals.resumed, 20);
    assert.equal(second.summary.totals.ran, 30);
    assert.equal(second.summary.totals.ok, 50);
    const resumed = second.summary.queries.find((record) => record.id === 'q1');
    assert.deepEqual(resumed, { ...earlier, resumed: true });
    assert.deepEqual(second.events[0], { type: 'batch-start', total: 50, toRun: 30, resumed: 20 });

    const third = await run(createGaugedBackend(fake()), {}, first.out);
    assert.equal(third.summary.totals.ran, 0, 'nothing left to run');
    const forced = await run(fake(), { force: true }, first.out);
    assert.equal(forced.summary.totals.ran, 50);
    assert.equal(forced.summary.totals.resumed, 0);
  });

  it('completes against a backend failing 30% of its turns, by retrying with backoff', async () => {
    const flaky = createFlakyBackend(fake(), 0.3, seededRandom(7));
    const { summary, out } = await run(flaky, { retry: { retries: 6, baseDelayMs: 1, maxDelayMs: 4 } });
    assert.ok(flaky.failures > 10, `the backend failed ${flaky.failures} of ${flaky.turns} turns`);
    assert.equal(summary.totals.ok, 50);
    assert.equal(summary.totals.retries, flaky.failures);
    assert.ok(summary.queries.some((record) => (record.attempts ?? 0) > 1));
    assert.equal((await listFiles(out)).filter((file) => file.endsWith('.md')).length, 50);
  });

  it('marks a query that keeps failing as failed, with its reason, and goes on', async () => {
    const flaky = createFlakyBackend(fake(), 0.3, seededRandom(11));
    const { summary, out } = await run(flaky, { retry: { retries: 0 } });
    assert.ok(summary.totals.failed > 0 && summary.totals.ok > 0, JSON.stringify(summary.totals));
    assert.equal(summary.totals.ok + summary.totals.failed, 50);
    for (const failure of summary.failures) {
      assert.equal(failure.status, 'failed');
      assert.match(failure.reason ?? '', /HTTP 503: overloaded/);
      await assert.rejects(readFile(path.join(out, `${failure.id}.md`)), { code: 'ENOENT' });
      // The failed attempt's trace is kept for debugging.
      assert.match(await readFile(path.join(out, 'traces', `${failure.id}.jsonl`), 'utf8'), /"type":"error"/);
    }
  });

  it('does not retry a failure that would repeat (a script with no entry left)', async () => {
    const backend = createFakeBackend([{ type: 'assistant', text: 'only one', match: 'Question <q1>' }]);
    const { summary } = await run(backend, { queries: queries.slice(0, 2) });
    const failed = summary.queries.find((record) => record.id === 'q2');
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.attempts, 1);
    assert.equal(failed?.errorCode, 'usage');
  });

  it('marks a query that outlives --timeout-per-query as timed-out and writes no answer', async () => {
    const slow = createFakeBackend([{ type: 'assistant', text: 'slow answer', chunks: ['slow ', 'answer'], match: 'Question <q2>' }, ...structuredClone(batch.entries)], { delayMs: 400 });
    const { summary, out } = await run(slow, { queries: queries.slice(1, 3), timeoutMs: 300 });
    const record = summary.queries.find((entry) => entry.id === 'q2');
    assert.equal(record?.status, 'timed-out');
    assert.match(record?.reason ?? '', /within 0.3 s/);
    await assert.rejects(readFile(path.join(out, 'q2.md')), { code: 'ENOENT' });
    assert.ok(summary.failures.some((failure) => failure.id === 'q2' && failure.status === 'timed-out'));
  });

  it('an interrupted --force run resumes without --force and redoes every query it had not reached', async () => {
    const first = await run(fake(), { queries: queries.slice(0, 20) });
    const slow = createFakeBackend(structuredClone(scriptedBatch(50, { chunks: 4 }).entries), { delayMs: 15 });
    const controller = new AbortController();
    let ended = 0;
    const forced = await run(
      slow,
      { queries: queries.slice(0, 20), force: true, concurrency: 2, signal: controller.signal, onProgress: (event) => event.type === 'query-end' && ++ended === 3 && controller.abort() },
      first.out,
    );
    assert.equal(forced.interrupted, true);
    const answered = forced.summary.totals.ok;
    assert.ok(answered >= 3 && answered < 20, `answered ${answered}`);
    const resumed = await run(fake(), { queries: queries.slice(0, 20) }, first.out);
    assert.equal(resumed.summary.totals.resumed, answered);
    assert.equal(resumed.summary.totals.ran, 20 - answered);
    assert.equal(resumed.summary.totals.ok, 20);
  });

  it('on abort starts nothing new, cancels running queries, leaves no partial files and marks the rest pending', async () => {
    const slow = createFakeBackend(structuredClone(scriptedBatch(50, { chunks: 4 }).entries), { delayMs: 15 });
    const controller = new AbortController();
    let ended = 0;
    const { summary, interrupted, out } = await run(slow, {
      concurrency: 4,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'query-end' && ++ended === 6) controller.abort();
      },
    });
    assert.equal(interrupted, true);
    assert.equal(summary.state, 'interrupted');
    const files = await listFiles(out);
    const answers = files.filter((file) => file.endsWith('.md')).map((file) => file.slice(0, -3));
    assert.deepEqual(files.filter((file) => file.endsWith('.tmp') || file.endsWith(LOCK_FILE)), []);
    assert.deepEqual(answers.sort(), summary.queries.filter((record) => record.status === 'ok').map((record) => record.id).sort());
    assert.ok(summary.totals.ok >= 6 && summary.totals.ok < 12, `ok ${summary.totals.ok}`);
    assert.equal(summary.totals.pending, 50 - summary.totals.ok);
    assert.equal(files.filter((file) => file.startsWith('traces/')).length, summary.totals.ok, 'cancelled queries leave no trace either');
  });

  it('refuses an output folder another live batch holds, and takes over one a killed batch left', async () => {
    const out = path.join(scratch.root, 'locked');
    const held = await openBatchOutput(out);
    await assert.rejects(
      (async () => {
        // Same process: pretend the holder is another live process (our parent).
        await writeFile(path.join(out, LOCK_FILE), JSON.stringify({ pid: process.ppid }));
        await openBatchOutput(out);
      })(),
      /another loco batch \(pid \d+\) is writing to/,
    );
    await held.release();
    await writeFile(path.join(out, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    await writeFile(path.join(out, '.q1.md.999.0123456789ab.tmp'), 'half an answer');
    const taken = await openBatchOutput(out);
    assert.deepEqual((await listFiles(out)).filter((file) => file.includes('.tmp')), []);
    await taken.release();
  });
});
