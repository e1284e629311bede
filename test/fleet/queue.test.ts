// `loco batch --queue`, `loco worker`, `loco batch status` and `loco batch collect` as
// processes against a real redis-server: 200 scripted queries over 3 workers, one SIGKILLed
// mid-run (its jobs go to the others), each answer written exactly once by collect,
// resubmission redoing nothing, SIGTERM shutting down cleanly, and a fleet of two model
// servers of which one dies mid-run.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { parseQueueUrl } from '../../src/fleet/jobs.js';
import { queueCounts } from '../../src/fleet/submit.js';
import { scriptedBatch, toJsonl } from '../batch/scripted.js';
import { eventually } from '../support/eventually.js';
import { startRedis, skipWithoutRedis, type RedisServer } from '../support/redis-server.js';
import { CLI, runCli } from '../support/run-cli.js';
import { startSlotServer } from '../support/slot-server.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

interface WorkerProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts `loco worker` and resolves once it takes jobs. */
async function startWorker(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], { cwd, env: { ...process.env, LOCO_BACKEND: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  await eventually(() => lines.some((line) => line.includes('taking jobs from')), { ms: 15_000, what: () => `worker ready (stderr: ${lines.join(' | ')})` });
  return { child, lines, exited };
}

const finished = (worker: WorkerProcess) => worker.lines.filter((line) => / (ok|failed|timed-out)( |:)/.test(line)).length;

const skip = skipWithoutRedis();

describe('batch over a queue', { skip, timeout: 120_000 }, () => {
  let redis: RedisServer;
  let tree: TempTree;
  let queue: Queue;
  const batch = scriptedBatch(200, { copies: 2, chunks: 4 });

  before(async () => {
    redis = await startRedis();
    tree = await makeTempTree(Object.fromEntries(Object.entries(batch.repoFiles).map(([file, content]) => [`repo/${file}`, content])));
    await writeFile(path.join(tree.root, 'queries.tsv'), batch.queriesTsv);
    await writeFile(path.join(tree.root, 'script.jsonl'), toJsonl(batch.entries));
    const address = parseQueueUrl(redis.url);
    queue = new Queue(address.queueName, { connection: address.connection });
  });
  after(async () => {
    await queue?.close();
    await redis?.stop();
    await tree?.cleanup();
  });

  test('3 workers, one SIGKILLed halfway: every answer exactly once after collect', { timeout: 60_000 }, async () => {
    const submit = await runCli(['batch', 'queries.tsv', '--repo', 'repo', '--queue', redis.url], { cwd: tree.root });
    assert.equal(submit.code, 0, submit.stderr);
    assert.match(submit.stdout, /200 queries on redis:\/\/127\.0\.0\.1:\d+\/0: 200 new, 0 already/);

    const args = ['--queue', redis.url, '--backend', 'fake:script.jsonl', '--concurrency', '4', '--sandbox', 'allow-list', '--lock-duration', '1000', '--stalled-interval', '500'];
    // 4 chunks of 40 ms: about 0.2 s a query, so the run lasts long enough to kill a worker in it.
    const env = { LOCO_FAKE_DELAY_MS: '40' };
    const workers: WorkerProcess[] = [];
    for (let index = 0; index < 3; index++) workers.push(await startWorker(tree.root, args, env));

    await eventually(() => workers.reduce((sum, worker) => sum + finished(worker), 0) >= 60, { ms: 30_000, what: '60 answers' });
    const victim = workers[0];
    const startedIds = (worker: WorkerProcess) => worker.lines.map((line) => /: (q\d+) started/.exec(line)?.[1]).filter((id): id is string => id !== undefined);
    const endedIds = new Set(victim.lines.map((line) => /: (q\d+) (ok|failed|timed-out)/.exec(line)?.[1]).filter((id): id is string => id !== undefined));
    victim.child.kill('SIGKILL');
    await victim.exited;
    const cut = startedIds(victim).filter((id) => !endedIds.has(id));
    assert.ok(cut.length > 0, 'the killed worker had jobs in hand');

    let counts = await queueCounts(queue);
    await eventually(async () => (counts = await queueCounts(queue)).done === 200, { ms: 40_000, what: () => `all 200 done (${JSON.stringify(counts)})` });
    // The killed worker's jobs were started again by the others.
    const restarted = new Set(workers.slice(1).flatMap(startedIds));
    for (const id of cut) assert.ok(restarted.has(id), `${id} was picked up again after the kill`);

    const status = await runCli(['batch', 'status', '--queue', redis.url]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /waiting 0 {2}active 0 {2}done 200 {2}failed 0/);

    for (const worker of workers.slice(1)) worker.child.kill('SIGTERM');
    for (const worker of workers.slice(1)) {
      assert.equal(await worker.exited, 0);
      assert.ok(worker.lines.some((line) => line.includes('loco worker: stopped')));
    }

    const collect = await runCli(['batch', 'collect', '--queue', redis.url, '--out', 'answers'], { cwd: tree.root });
    assert.equal(collect.code, 0, collect.stdout + collect.stderr);
    assert.match(collect.stdout, /200 ok, 0 failed, 0 still queued or running \(of 200\); 200 written now, 0 already/);
    const out = path.join(tree.root, 'answers');
    const answers = (await readdir(out)).filter((name) => name.endsWith('.md')).sort();
    assert.deepEqual(answers, [...batch.ids].sort().map((id) => `${id}.md`));
    for (const id of batch.ids) assert.equal(await readFile(path.join(out, `${id}.md`), 'utf8'), `${batch.answerOf(id)}\n`);
    assert.equal((await readdir(path.join(out, 'traces'))).length, 200);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as { state: string; totals: { ok: number; queries: number } };
    assert.equal(summary.state, 'finished');
    assert.deepEqual([summary.totals.ok, summary.totals.queries], [200, 200]);

    const again = await runCli(['batch', 'collect', '--queue', redis.url, '--out', 'answers'], { cwd: tree.root });
    assert.match(again.stdout, /0 written now, 200 already in/, 'a second collect writes nothing again');
  });

  test('resubmitting the same batch redoes nothing', { timeout: 30_000 }, async () => {
    const ids = (await queue.getJobs(['completed'], 0, -1)).map((job) => job.id).sort();
    const resubmit = await runCli(['batch', 'queries.tsv', '--repo', 'repo', '--queue', redis.url], { cwd: tree.root });
    assert.equal(resubmit.code, 0, resubmit.stderr);
    assert.match(resubmit.stdout, /200 queries on .*: 0 new, 200 already queued or done \(not redone\), 0 failed before/);
    assert.deepEqual(await queueCounts(queue), { waiting: 0, active: 0, done: 200, failed: 0 });
    assert.deepEqual((await queue.getJobs(['completed'], 0, -1)).map((job) => job.id).sort(), ids, 'the same job ids');
  });

  test('SIGTERM: running jobs get the grace period, then go back to the queue unspent', { timeout: 30_000 }, async () => {
    const graceQueue = `${redis.url}?queue=grace`;
    const two = scriptedBatch(2, { chunks: 4 });
    await writeFile(path.join(tree.root, 'two.tsv'), two.queriesTsv);
    await writeFile(path.join(tree.root, 'two.jsonl'), toJsonl(two.entries));
    const submit = await runCli(['batch', 'two.tsv', '--repo', 'repo', '--queue', graceQueue], { cwd: tree.root });
    assert.equal(submit.code, 0, submit.stderr);
    // 4 chunks of 5 s: far longer than the grace period.
    const worker = await startWorker(tree.root, ['--queue', graceQueue, '--backend', 'fake:two.jsonl', '--concurrency', '2', '--sandbox', 'allow-list', '--grace', '0.3'], { LOCO_FAKE_DELAY_MS: '5000' });
    await eventually(() => worker.lines.filter((line) => line.includes(' started (attempt 1)')).length === 2, { ms: 10_000, what: 'both jobs started' });
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    assert.equal(worker.lines.filter((line) => line.includes('handed back to the queue')).length, 2, worker.lines.join('\n'));
    const address = parseQueueUrl(graceQueue);
    const grace = new Queue(address.queueName, { connection: address.connection });
    try {
      assert.deepEqual(await queueCounts(grace), { waiting: 2, active: 0, done: 0, failed: 0 });
      for (const job of await grace.getJobs(['waiting'])) assert.equal(job.attemptsMade, 0, 'a handed-back job spent no attempt');
    } finally {
      await grace.close();
    }
  });

  test('a fleet of two servers, one dying mid-run: the other answers the rest', { timeout: 60_000 }, async () => {
    const answer = (question: string) => `Fleet answer for ${/Question <(f\d+)>/.exec(question)?.[1] ?? '?'}.`;
    const dying = await startSlotServer({ slots: 2, latencyMs: 60, answer });
    const living = await startSlotServer({ slots: 2, latencyMs: 60, answer });
    const queries = Array.from({ length: 40 }, (_, index) => `f${index + 1}\tQuestion <f${index + 1}>: what is it?`).join('\n');
    await writeFile(path.join(tree.root, 'fleet.tsv'), `${queries}\n`);
    const fleetQueue = `${redis.url}?queue=fleet`;
    const submit = await runCli(['batch', 'fleet.tsv', '--repo', 'repo', '--queue', fleetQueue, '--retries', '3'], { cwd: tree.root });
    assert.equal(submit.code, 0, submit.stderr);
    const worker = await startWorker(tree.root, ['--queue', fleetQueue, '--backend', dying.url, '--backend', living.url, '--concurrency', '4', '--sandbox', 'allow-list']);
    await eventually(() => dying.stats().answered >= 5, { ms: 20_000, what: 'the first server answering' });
    await dying.close();
    const address = parseQueueUrl(fleetQueue);
    const fleet = new Queue(address.queueName, { connection: address.connection });
    try {
      let counts = await queueCounts(fleet);
      await eventually(async () => (counts = await queueCounts(fleet)).done === 40, { ms: 40_000, what: () => `all 40 done (${JSON.stringify(counts)})` });
    } finally {
      await fleet.close();
    }
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    const collect = await runCli(['batch', 'collect', '--queue', fleetQueue, '--out', 'fleet-answers'], { cwd: tree.root });
    assert.equal(collect.code, 0, collect.stdout + collect.stderr);
    assert.match(collect.stdout, /40 ok, 0 failed/);
    assert.ok(living.stats().answered > 20, 'the living server answered the rest');
    for (let index = 1; index <= 40; index++) assert.equal(await readFile(path.join(tree.root, 'fleet-answers', `f${index}.md`), 'utf8'), `Fleet answer for f${index}.\n`);
    await living.close();
  });
  test('a --profile named at submit travels with the jobs: a worker without one answers in it; one fixed to another refuses', { timeout: 60_000 }, async () => {
    const queueUrl = `${redis.url}?queue=profiles`;
    const read = `<tool_call>\n${JSON.stringify({ name: 'Read', arguments: { path: 'README.md' } })}\n</tool_call>`;
    await writeFile(path.join(tree.root, 'fc.jsonl'), toJsonl([{ type: 'assistant', text: read }, { type: 'assistant', text: 'Found.\n<final_answer>\nREADME.md:1-1\n</final_answer>' }]));
    await writeFile(path.join(tree.root, 'profile.tsv'), 'p1\tWhat is this?\n');
    await writeFile(path.join(tree.root, 'profile2.tsv'), 'p2\tAnd this?\n');
    const plain = await runCli(['batch', 'profile.tsv', '--repo', 'repo', '--queue', queueUrl], { cwd: tree.root });
    assert.equal(plain.code, 0, plain.stderr);
    const submit = await runCli(['batch', 'profile.tsv', '--repo', 'repo', '--queue', queueUrl, '--profile', 'fastcontext'], { cwd: tree.root });
    assert.equal(submit.code, 0, submit.stderr);
    // The profile is part of the job id: the same question under it is another job.
    assert.match(submit.stdout, /1 queries on .*: 1 new, 0 already/);
    const address = parseQueueUrl(queueUrl);
    const jobs = new Queue(address.queueName, { connection: address.connection });
    try {
      const waiting = await jobs.getWaiting();
      const carried = waiting.map((job) => (job.data as { explorer: { profile?: { name: string } } }).explorer.profile?.name ?? 'none').sort();
      assert.deepEqual(carried, ['fastcontext', 'none']);
      // The job without a profile is answered by this worker's own (locooperator) from the same script; drain it first.
      await jobs.remove(waiting.find((job) => (job.data as { explorer: { profile?: unknown } }).explorer.profile === undefined)?.id ?? '');
      const worker = await startWorker(tree.root, ['--queue', queueUrl, '--backend', 'fake:fc.jsonl', '--concurrency', '1', '--sandbox', 'allow-list']);
      let counts = await queueCounts(jobs);
      try {
        await eventually(async () => (counts = await queueCounts(jobs)).done === 1, { ms: 20_000, what: () => `the fastcontext job done (${JSON.stringify(counts)})` });
        worker.child.kill('SIGTERM');
        assert.equal(await worker.exited, 0);
      } finally {
        if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      }
      const collect = await runCli(['batch', 'collect', '--queue', queueUrl, '--out', 'profile-answers'], { cwd: tree.root });
      assert.equal(collect.code, 0, collect.stdout + collect.stderr);
      const trace = await readFile(path.join(tree.root, 'profile-answers', 'traces', 'p1.jsonl'), 'utf8');
      assert.match(trace, /"output":"```README\.md:1-1\\n1\|/);

      const fixed = await startWorker(tree.root, ['--queue', queueUrl, '--backend', 'fake:fc.jsonl', '--profile', 'locooperator', '--concurrency', '1', '--sandbox', 'allow-list']);
      try {
        const second = await runCli(['batch', 'profile2.tsv', '--repo', 'repo', '--queue', queueUrl, '--profile', 'fastcontext'], { cwd: tree.root });
        assert.equal(second.code, 0, second.stderr);
        await eventually(async () => (counts = await queueCounts(jobs)).failed === 1, { ms: 20_000, what: () => `the mismatched job failed (${JSON.stringify(counts)})` });
        // The worker says why once the failure is recorded: wait for its line too.
        await eventually(() => fixed.lines.some((line) => line.includes('asks for profile fastcontext') && line.includes('--profile fastcontext')), { ms: 10_000, what: () => `the worker's reason (stderr: ${fixed.lines.join(' | ')})` });
        fixed.child.kill('SIGTERM');
        assert.equal(await fixed.exited, 0);
      } finally {
        // A failed check must not leave a worker running past the test (it would hold the run open).
        if (fixed.child.exitCode === null && fixed.child.signalCode === null) fixed.child.kill('SIGKILL');
      }
    } finally {
      await jobs.close();
    }
  });
  test('SIGTERM with the queue gone: the worker stops anyway, saying its jobs return when their locks expire', { timeout: 60_000 }, async () => {
    const lost = await startRedis();
    const worker = await startWorker(tree.root, ['--queue', lost.url, '--backend', 'fake:script.jsonl', '--grace', '1', '--sandbox', 'allow-list']);
    try {
      await lost.stop();
      const started = Date.now();
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0);
      assert.ok(Date.now() - started < 15_000, `stopped after ${Date.now() - started} ms`);
      assert.ok(worker.lines.some((line) => line.includes('the queue does not answer')), worker.lines.join('\n'));
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    }
  });
});
