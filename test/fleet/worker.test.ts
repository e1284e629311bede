// The queue pieces in-process against a real redis-server: job ids from what decides an
// answer, --queue URLs, BullMQ retrying a backend failure up to its cap (the last failure
// kept as a failed record with its trace), and the CLI's usage errors for --queue.
import assert from 'node:assert/strict';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createFakeBackend, type FakeEntry } from '../../src/backends/fake.js';
import { openBatchOutput } from '../../src/batch/output.js';
import { parseTemplate, DEFAULT_TEMPLATE } from '../../src/batch/template.js';
import { collectResults } from '../../src/fleet/collect.js';
import { jobIdOf, parseQueueUrl, WORKER_PROFILE } from '../../src/fleet/jobs.js';
import { openQueue, queueCounts, submitBatch } from '../../src/fleet/submit.js';
import { startFleetWorker } from '../../src/fleet/worker.js';
import { eventually } from '../support/eventually.js';
import { startRedis, skipWithoutRedis, type RedisServer } from '../support/redis-server.js';
import { runCli } from '../support/run-cli.js';
import { startSlotServer } from '../support/slot-server.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

test('a job id changes with each input that decides the answer, and only with those', () => {
  const harness = { promptStyle: 'training', subagents: true, maxTurns: 10, contextBudget: 50_000 };
  const base = { repo: '/r', commit: 'abc', question: 'q?', model: undefined, profile: WORKER_PROFILE, sampling: { maxTokens: 100 }, harness };
  const id = jobIdOf(base);
  assert.match(id, /^q-[0-9a-f]{32}$/);
  assert.equal(jobIdOf({ ...base }), id);
  for (const changed of [{ repo: '/s' }, { commit: 'abd' }, { commit: undefined }, { question: 'q!' }, { model: 'm' }, { profile: 'other' }, { sampling: { maxTokens: 100, temperature: 0 } },
    { harness: { ...harness, promptStyle: 'qwen-tools' } }, { harness: { ...harness, subagents: false } }, { harness: { ...harness, maxTurns: 4 } }, { harness: { ...harness, contextBudget: 20_000 } }]) {
    assert.notEqual(jobIdOf({ ...base, ...changed }), id, JSON.stringify(changed));
  }
});

test('--queue URLs: database, queue name, and clear errors', () => {
  const address = parseQueueUrl('redis://10.0.0.5:6380/3?queue=nightly');
  assert.deepEqual([address.connection, address.queueName], [{ host: '10.0.0.5', port: 6380, db: 3, maxRetriesPerRequest: null }, 'nightly']);
  assert.equal(parseQueueUrl('redis://localhost').queueName, 'loco-batch');
  assert.throws(() => parseQueueUrl('http://localhost:6379'), /only redis:\/\/host:port\/N/);
  assert.throws(() => parseQueueUrl('redis://localhost:6379/x'), /database after the port must be a whole number/);
  assert.throws(() => parseQueueUrl('localhost:6379'), /only redis:\/\/host:port\/N|is not a URL/);
});

test('--queue usage errors name the fix', async () => {
  const forced = await runCli(['batch', 'q.tsv', '--queue', 'redis://127.0.0.1:1/0', '--force']);
  assert.equal(forced.code, 2);
  assert.match(forced.stderr, /--force does not apply to --queue/);
  const withOut = await runCli(['batch', 'q.tsv', '--queue', 'redis://127.0.0.1:1/0', '--out', 'answers']);
  assert.equal(withOut.code, 2);
  assert.match(withOut.stderr, /--out does not apply to --queue: .*loco batch collect --queue redis:\/\/127\.0\.0\.1:1\/0 --out answers/);
  const noOut = await runCli(['batch', 'q.tsv']);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /--out <dir>' not specified \(or pass --queue/);
});

test('loco batch and loco ask take a fleet: --backend more than once', { timeout: 30_000 }, async () => {
  const answer = (question: string) => `Answer to ${/<(\w+)>/.exec(question)?.[1] ?? '?'}.`;
  const a = await startSlotServer({ slots: 1, latencyMs: 50, answer });
  const b = await startSlotServer({ slots: 1, latencyMs: 50, answer });
  const tree = await makeTempTree({ 'repo/README.md': '# r\n', 'q.tsv': Array.from({ length: 6 }, (_, index) => `k${index}\tQuestion <k${index}>`).join('\n') });
  try {
    const batch = await runCli(['batch', 'q.tsv', '--repo', 'repo', '--out', 'out', '--concurrency', '2', '--sandbox', 'allow-list', '--backend', a.url, '--backend', b.url], { cwd: tree.root });
    assert.equal(batch.code, 0, batch.stdout + batch.stderr);
    assert.match(batch.stderr, /with fleet of 2: /);
    assert.equal(await readFile(path.join(tree.root, 'out', 'k3.md'), 'utf8'), 'Answer to k3.\n');
    assert.equal(a.stats().answered + b.stats().answered, 6);
    assert.ok(a.stats().answered > 0 && b.stats().answered > 0, 'both servers answered');
    assert.deepEqual([a.stats().maxOpen, b.stats().maxOpen], [1, 1], 'one slot each, never two requests at once on one');
    const ask = await runCli(['ask', 'repo', 'Question <solo>', '--sandbox', 'allow-list', '--backend', a.url, '--backend', b.url], { cwd: tree.root });
    assert.equal(ask.code, 0, ask.stderr);
    assert.equal(ask.stdout.trim(), 'Answer to solo.');
  } finally {
    await Promise.all([a.close(), b.close(), tree.cleanup()]);
  }
});

describe('worker retries', { skip: skipWithoutRedis(), timeout: 60_000 }, () => {
  let redis: RedisServer;
  let tree: TempTree;
  before(async () => {
    redis = await startRedis();
    tree = await makeTempTree({ 'repo/README.md': '# r\n' });
  });
  after(async () => {
    await redis?.stop();
    await tree?.cleanup();
  });

  async function runQueue(queueName: string, entries: FakeEntry[], attempts: number, roots?: string[], settled: 'done' | 'failed' = 'done') {
    const address = parseQueueUrl(`${redis.url}?queue=${queueName}`);
    const queries = [{ id: 'only', query: 'What is here?', repo: path.join(tree.root, 'repo'), line: 1 }];
    const explorer = { maxTurns: 3, contextBudget: 50_000, sampling: { maxTokens: 200 }, promptStyle: 'training' as const, subagents: false };
    const settings = { queriesFile: 'q.tsv', out: '', backend: '', template: '(default)', concurrency: 0, retries: attempts - 1, maxTurns: 3, force: false };
    await submitBatch({ address, queries, template: parseTemplate(DEFAULT_TEMPLATE, '(default)'), explorer, settings, attempts, backoffMs: 50 });
    const backend = createFakeBackend(entries);
    const events: string[] = [];
    const worker = startFleetWorker({ address, backend, concurrency: 1, sandbox: 'allow-list', roots: roots ?? [await realpath(tree.root)], onEvent: (event) => events.push(event.type) });
    const queue = openQueue(address);
    try {
      await eventually(async () => (await queueCounts(queue))[settled] === 1, { ms: 20_000, what: `the job ${settled}` });
      await worker.close(1_000);
      const output = await openBatchOutput(path.join(tree.root, queueName));
      try {
        return { events, backend, collected: await collectResults(queue, output), dir: output.dir };
      } finally {
        await output.release();
      }
    } finally {
      await queue.close();
    }
  }

  const down: FakeEntry = { type: 'error', error: { code: 'backend-http', message: 'HTTP 503: loading', status: 503 } };

  test('a backend failure is retried by the queue with backoff, and the retry answers', async () => {
    const { events, collected, dir } = await runQueue('retry-ok', [down, { type: 'assistant', text: 'It is a readme.' }], 3);
    assert.deepEqual(events, ['job-start', 'job-retry', 'job-start', 'job-end']);
    assert.equal(collected.summary.queries[0].status, 'ok');
    assert.equal(collected.summary.queries[0].attempts, 2);
    assert.equal(await readFile(path.join(dir, 'only.md'), 'utf8'), 'It is a readme.\n');
  });

  test('retries stop at the cap; the last failure is kept with its trace', async () => {
    const { events, backend, collected, dir } = await runQueue('retry-cap', [down, down, down, down], 2);
    assert.deepEqual(events, ['job-start', 'job-retry', 'job-start', 'job-end']);
    assert.equal(backend.remaining(), 2, 'two attempts, no more');
    const record = collected.summary.queries[0];
    assert.deepEqual([record.status, record.attempts, record.errorCode], ['failed', 2, 'backend-http']);
    assert.match(await readFile(path.join(dir, 'traces', 'only.jsonl'), 'utf8'), /HTTP 503: loading/);
    await assert.rejects(readFile(path.join(dir, 'only.md')), /ENOENT/);
  });

  test("a job naming a repository outside the worker's roots fails for good, and nothing is explored", async () => {
    const elsewhere = await makeTempTree({ 'x.txt': 'x\n' });
    try {
      const { events, backend } = await runQueue('outside-roots', [{ type: 'assistant', text: 'never asked' }], 3, [await realpath(elsewhere.root)], 'failed');
      assert.deepEqual(events.filter((type) => type === 'job-retry'), [], 'no retry');
      assert.equal(backend.requests.length, 0, 'the model was never asked');
    } finally {
      await elsewhere.cleanup();
    }
  });
});
