// Benchmark: explore-bench on the real tqdm history (shared/data/repos/tqdm.bundle).
// 1. `make`: tasks generated per second (history and symbols, 150 tasks).
// 2. `score`: 10,000 answers in run folders on disk, read, parsed, scored and summarized
//    with bootstrap intervals; goal under 2 s. Printed as a ratio to a baseline measured in
//    the same run: merely reading the same answer files and parsing their citations.
// The definitions enclosing truth lines (function-level hit) are computed once per task set
// and timed apart: they cost per task, not per answer.
// 3. `run`: checkout reuse (checkouts made vs tasks) and the run's time against a baseline
//    measured in the same run: one `git worktree add` + remove per task, the cost a run
//    without reuse would pay for checkouts alone (a worktree: cheaper than the run's own
//    checkouts, which fetch the commit's history into a fresh repository).
// 4. Baseline throughput: tasks/s of `baseline:oracle` (checkouts and the runner, no ranking)
//    and `baseline:bm25` (plus an index per checkout), bm25 as a ratio to oracle.
// Run alone: npm run bench:explore
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAnswer } from '../src/explore-bench/citations.js';
import { functionTruths } from '../src/explore-bench/function-truth.js';
import { makeTasks } from '../src/explore-bench/make.js';
import { seededRandom } from '../src/random.js';
import { openBatchOutput } from '../src/batch/output.js';
import { createBaseline, type BaselineName } from '../src/explore-bench/baselines.js';
import { prepareBench, runBench } from '../src/explore-bench/run.js';
import { readRunFolder } from '../src/explore-bench/run-dir.js';
import { scoreRuns } from '../src/explore-bench/scoring.js';

const BUNDLE = path.resolve(import.meta.dirname, '../../../shared/data/repos/tqdm.bundle');
const ANSWERS = 10_000;
const GOAL_MS = 2000;

function answerFor(truth: Record<string, [number, number][]>, root: string, random: () => number): string {
  const lines: string[] = ['I searched with Grep and read the files.', '<final_answer>'];
  for (const [file, ranges] of Object.entries(truth)) {
    for (const [start, end] of ranges) {
      const shift = Math.floor(random() * 20) - 10;
      const form = random();
      const from = Math.max(1, start + shift);
      const to = Math.max(from, end + shift);
      if (form < 0.3) lines.push(`${file}:${from}-${to}`);
      else if (form < 0.5) lines.push(`${path.join(root, file)}#L${from}-L${to}`);
      else if (form < 0.7) lines.push(`- \`${file}:${from}\` is where it starts`);
      else if (form < 0.85) lines.push(`${file}`);
      else lines.push(`tqdm/wrong_${Math.floor(random() * 5)}.py:${from}-${to}`);
    }
  }
  if (random() < 0.1) return 'I could not find it.\n';
  lines.push('</final_answer>');
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  if (!existsSync(BUNDLE)) {
    console.log(`skipped: ${BUNDLE} is not here (shared/ sits beside the repository)`);
    return;
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-explore-'));
  try {
    const repo = path.join(work, 'tqdm');
    execFileSync('git', ['clone', '-q', BUNDLE, repo]);
    const tasksFile = path.join(work, 'tasks.jsonl');
    let started = performance.now();
    const { tasks, report } = await makeTasks({ repo, out: tasksFile, count: 150, seed: 1, kinds: ['localization', 'definition'] });
    const makeMs = performance.now() - started;
    console.log(`make: ${tasks.length} tasks in ${(makeMs / 1000).toFixed(2)} s = ${((tasks.length / makeMs) * 1000).toFixed(1)} tasks/s (${Object.entries(report.byKind).map(([kind, made]) => `${kind} ${made.kept}`).join(', ')})`);

    const runs = Math.ceil(ANSWERS / tasks.length);
    const random = seededRandom(5);
    const dirs: string[] = [];
    for (let run = 0; run < runs; run++) {
      const dir = path.join(work, `run-${String(run).padStart(3, '0')}`);
      await mkdir(dir);
      dirs.push(dir);
      await Promise.all(tasks.map((task) => writeFile(path.join(dir, `${task.id}.md`), answerFor(task.truth.lines as Record<string, [number, number][]>, repo, random))));
    }
    const total = runs * tasks.length;
    const ids = tasks.map((task) => task.id);

    started = performance.now();
    const functions = await functionTruths(tasks);
    const functionMs = performance.now() - started;
    console.log(`function-level truth: ${tasks.length} tasks parsed with tree-sitter in ${functionMs.toFixed(0)} ms (once per task set)`);

    // Baseline: read every answer and parse its citations, nothing more.
    started = performance.now();
    let citations = 0;
    for (const dir of dirs) {
      const texts = await Promise.all(ids.map((id) => readFile(path.join(dir, `${id}.md`), 'utf8')));
      for (const text of texts) citations += parseAnswer(text, [repo]).count;
    }
    const baselineMs = performance.now() - started;

    started = performance.now();
    const folders = [];
    for (const dir of dirs) folders.push(await readRunFolder(dir, ids));
    const scored = scoreRuns({ tasks, tasksFile, runs: folders, functions, seed: 1 });
    const scoreMs = performance.now() - started;
    const meanLineF1 = scored.runs.reduce((sum, run) => sum + run.line.f1.mean, 0) / scored.runs.length;

    console.log(`baseline (read + parse citations): ${total} answers, ${citations} citations in ${baselineMs.toFixed(0)} ms`);
    console.log(`score (read + parse + score + bootstrap intervals): ${total} answers in ${scoreMs.toFixed(0)} ms = ${((total / scoreMs) * 1000).toFixed(0)} answers/s; mean line F1 ${meanLineF1.toFixed(3)}`);
    console.log(`ratio score/baseline: ${(scoreMs / baselineMs).toFixed(2)}x`);
    console.log(`goal: ${total} answers under ${GOAL_MS} ms: ${scoreMs < GOAL_MS ? 'met' : 'MISSED'}`);
    if (scoreMs >= GOAL_MS) process.exitCode = 1;

    // Baseline for checkouts: one worktree per task, made and removed, for the same tasks.
    started = performance.now();
    for (const [index, task] of tasks.entries()) {
      const target = path.join(work, 'per-task', String(index));
      execFileSync('git', ['worktree', 'add', '--detach', '--quiet', target, task.commit], { cwd: repo });
      execFileSync('git', ['worktree', 'remove', '--force', target], { cwd: repo });
    }
    const perTaskMs = performance.now() - started;
    console.log(`baseline (one worktree per task, checkouts only): ${tasks.length} checkouts in ${perTaskMs.toFixed(0)} ms`);

    const prepared = await prepareBench(tasksFile, { cwd: work });
    const runMs: Partial<Record<BaselineName, number>> = {};
    for (const name of ['oracle', 'bm25'] as const) {
      const output = await openBatchOutput(path.join(work, `bench-${name}`));
      started = performance.now();
      const result = await runBench({
        prepared,
        output,
        answering: { baseline: createBaseline(name) },
        concurrency: 4,
        settings: { queriesFile: tasksFile, out: output.dir, backend: `baseline:${name}`, template: '(none)', concurrency: 4, retries: 0, maxTurns: 0, force: false },
      });
      const ms = performance.now() - started;
      await output.release();
      runMs[name] = ms;
      const { checkouts } = result;
      console.log(`run baseline:${name}: ${result.summary.totals.ok} tasks in ${ms.toFixed(0)} ms = ${((tasks.length / ms) * 1000).toFixed(1)} tasks/s; checkouts ${checkouts.made} made for ${checkouts.commits} commits of ${checkouts.tasks} tasks (${(checkouts.made / checkouts.tasks).toFixed(2)} per task)`);
    }
    console.log(`ratio run baseline:oracle (whole run, one checkout per commit) / per-task checkouts alone: ${((runMs.oracle ?? 0) / perTaskMs).toFixed(2)}x`);
    console.log(`ratio baseline:bm25 / baseline:oracle run time: ${((runMs.bm25 ?? 0) / (runMs.oracle ?? 1)).toFixed(2)}x (the BM25 index and ranking)`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
