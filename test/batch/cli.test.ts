// `loco batch` as a user runs it: the built CLI as a child process on a scripted fake backend.
// Exit codes, input errors before any work, SIGKILL halfway then resume, and Ctrl-C.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BatchSummary } from '../../src/batch/summary.js';
import { CLI, runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { listFiles, scriptedBatch, toJsonl } from './scripted.js';
import { eventually } from '../support/eventually.js';

let tree: TempTree;
const COUNT = 40;
const batch = scriptedBatch(COUNT, { chunks: 3 });
before(async () => {
  const files: Record<string, string> = { 'queries.tsv': batch.queriesTsv, 'script.jsonl': toJsonl(batch.entries) };
  for (const [name, content] of Object.entries(batch.repoFiles)) files[`repo/${name}`] = content;
  tree = await makeTempTree(files);
});
after(() => tree.cleanup());

const baseArgs = (out: string) => ['batch', 'queries.tsv', '--repo', 'repo', '--out', out, '--backend', 'fake:script.jsonl', '--sandbox', 'allow-list'];
const readSummary = async (out: string) => JSON.parse(await readFile(path.join(tree.root, out, 'summary.json'), 'utf8')) as BatchSummary;
const answersIn = async (out: string) => (await listFiles(path.join(tree.root, out))).filter((file) => file.endsWith('.md'));
const leftovers = async (out: string) => (await listFiles(path.join(tree.root, out))).filter((file) => file.endsWith('.tmp') || file.endsWith('.lock'));

function spawnBatch(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: tree.root, env: { ...process.env, LOCO_BACKEND: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

async function waitForAnswers(out: string, count: number): Promise<void> {
  await eventually(async () => (await answersIn(out)).length >= count, { ms: 20_000, what: `${count} answers in ${out}` });
}

describe('loco batch', () => {
  it('answers every query, prints a report and exits 0', async () => {
    const run = await runCli([...baseArgs('out-ok'), '--concurrency', '8'], { cwd: tree.root });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^loco batch: ${COUNT} ok, 0 failed \\(of ${COUNT}\\)\n`));
    assert.match(run.stdout, /summary: .*out-ok\/summary\.json/);
    assert.match(run.stderr, /\[40\/40\] ok q\d+/, 'plain progress lines when stderr is not a terminal');
    assert.equal((await answersIn('out-ok')).length, COUNT);
    const summary = await readSummary('out-ok');
    assert.equal(summary.totals.ok, COUNT);
    assert.equal(summary.settings.concurrency, 8);
  });

  it('exits 1 when some queries failed, lists them, and finishes the others', async () => {
    const script = toJsonl([{ type: 'error', error: { code: 'backend-protocol', message: 'garbled stream' }, match: 'Question <q2>' }, ...batch.entries.filter((entry) => entry.match !== 'Question <q2>')]);
    await writeFile(path.join(tree.root, 'failing.jsonl'), script);
    const run = await runCli([...baseArgs('out-fail'), '--backend', 'fake:failing.jsonl', '--retries', '0'], { cwd: tree.root });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /39 ok, 1 failed/);
    assert.match(run.stdout, /failed q2 \(line 3\): garbled stream/);
    const summary = await readSummary('out-fail');
    assert.deepEqual(summary.failures, [{ id: 'q2', line: 3, status: 'failed', reason: 'garbled stream' }]);
  });

  it('rejects a malformed queries file with line numbers before running anything (exit 2)', async () => {
    await writeFile(path.join(tree.root, 'bad.tsv'), '1\tok\n2\n1\tdup\n3\t   \n');
    const run = await runCli(['batch', 'bad.tsv', '--repo', 'repo', '--out', 'out-bad', '--backend', 'fake:script.jsonl'], { cwd: tree.root });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /queries file bad.tsv has 3 problems; nothing was run:\n {2}line 2: expected `id<TAB>query`.*\n {2}line 3: duplicate id "1".*\n {2}line 4: empty query/);
    await assert.rejects(stat(path.join(tree.root, 'out-bad')), { code: 'ENOENT' }, 'no output folder for a rejected file');
  });

  it('needs --out and a readable --repo', async () => {
    const noOut = await runCli(['batch', 'queries.tsv', '--repo', 'repo'], { cwd: tree.root });
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /required option '-o, --out <dir>'/);
    const noRepo = await runCli(['batch', 'queries.tsv', '--repo', 'nowhere', '--out', 'x', '--backend', 'fake:script.jsonl'], { cwd: tree.root });
    assert.equal(noRepo.code, 2);
    assert.match(noRepo.stderr, /--repo nowhere: no such directory/);
  });

  it('killed with SIGKILL halfway, then resumed: each answer exactly once and no temporary files', async () => {
    const { child, done } = spawnBatch(baseArgs('out-kill'), { LOCO_FAKE_DELAY_MS: '40' });
    await waitForAnswers('out-kill', 12);
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL');
    const before = await answersIn('out-kill');
    assert.ok(before.length >= 12 && before.length < COUNT, `${before.length} answers before the resume`);
    const mtimes = new Map(await Promise.all(before.map(async (file) => [file, (await stat(path.join(tree.root, 'out-kill', file))).mtimeMs] as const)));
    // The killed run's summary is valid JSON, still saying it was running.
    assert.equal((await readSummary('out-kill')).state, 'running');

    const resumed = await runCli(baseArgs('out-kill'), { cwd: tree.root });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`${COUNT} queries: ${COUNT - before.length} to run, ${before.length} already answered`));
    const answers = await answersIn('out-kill');
    assert.deepEqual(answers, batch.ids.map((id) => `${id}.md`).sort());
    for (const id of batch.ids) assert.equal(await readFile(path.join(tree.root, 'out-kill', `${id}.md`), 'utf8'), `${batch.answerOf(id)}\n`);
    for (const [file, mtime] of mtimes) assert.equal((await stat(path.join(tree.root, 'out-kill', file))).mtimeMs, mtime, `${file} was not written again`);
    assert.deepEqual(await leftovers('out-kill'), []);
    assert.equal((await listFiles(path.join(tree.root, 'out-kill', 'traces'))).length, COUNT);
    const summary = await readSummary('out-kill');
    assert.deepEqual([summary.state, summary.totals.ok, summary.totals.resumed, summary.totals.ran], ['finished', COUNT, before.length, COUNT - before.length]);
  });

  it('Ctrl-C stops cleanly, keeps no partial files, prints how to resume; the printed command resumes', async () => {
    const { child, done } = spawnBatch([...baseArgs('out-int'), '--concurrency', '3'], { LOCO_FAKE_DELAY_MS: '40' });
    await waitForAnswers('out-int', 6);
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /stopping \(Ctrl-C again to quit at once\)/);
    const resume = /Resume with:\n {2}(loco batch .*)\n/.exec(stopped.stderr)?.[1];
    assert.ok(resume, stopped.stderr);
    assert.deepEqual(await leftovers('out-int'), []);
    const summary = await readSummary('out-int');
    assert.equal(summary.state, 'interrupted');
    assert.equal((await answersIn('out-int')).length, summary.totals.ok);
    assert.equal(summary.totals.pending, COUNT - summary.totals.ok);
    assert.ok(summary.totals.pending > 0);

    const words = resume.split(' ').slice(1);
    assert.deepEqual(words.slice(0, 2), ['batch', 'queries.tsv']);
    assert.deepEqual([...words.slice(2)].sort(), [...baseArgs('out-int').slice(2), '--concurrency', '3'].sort());
    const resumed = await runCli(words, { cwd: tree.root });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((await answersIn('out-int')).length, COUNT);
  });

  it('a second Ctrl-C exits at once', async () => {
    const { child, done } = spawnBatch(baseArgs('out-int2'), { LOCO_FAKE_DELAY_MS: '200' });
    await waitForAnswers('out-int2', 1);
    const started = Date.now();
    child.kill('SIGINT');
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130);
    assert.ok(Date.now() - started < 2_000);
  });
});
