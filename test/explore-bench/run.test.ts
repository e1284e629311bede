// `loco bench run` through the CLI on the real tqdm history: the oracle baseline scores 1.0
// (the scorer proven end to end), BM25 a real floor between 0 and 1, one checkout per commit
// and none left afterwards, Ctrl-C then resume, a killed run's checkouts reused or pruned, a
// scripted model through the real explorer on the checkout, no commit after the task's (the
// fixing one) reachable from a checkout, and bad input (bad task lines, a missing commit, a
// directory that is not git) refused before anything is written.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BatchSummary } from '../../src/batch/summary.js';
import { tokenize } from '../../src/explore-bench/bm25.js';
import { parseTasks, type BenchTask } from '../../src/explore-bench/task-file.js';
import { CLI, runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { cloneTqdm, git, TQDM_SKIP } from './git-fixture.js';

describe('bm25 tokenize', () => {
  it('splits identifiers at camelCase and snake_case, keeps the whole identifier, drops stop words', () => {
    assert.deepEqual(tokenize('Where is the code that parseHTTPHeader reads my_file_name?'), ['parse', 'http', 'header', 'parsehttpheader', 'reads', 'my', 'file', 'name', 'my_file_name']);
  });
});

interface Scores {
  runs: { run: string; tasks: number; nNoCitation: number; file: { f1: { mean: number } }; line: { f1: { mean: number } }; byKind: Record<string, { tasks: number }> }[];
}

const TASK_COUNT = 100;

describe('loco bench run on tqdm', { skip: TQDM_SKIP, timeout: 600_000 }, () => {
  let repo: TempTree;
  let work: TempTree;
  let tasks: BenchTask[];
  const file = (name: string) => path.join(work.root, name);
  const worktrees = () => git(repo.root, 'worktree', 'list', '--porcelain').split('\n').filter((line) => line.startsWith('worktree ')).length;
  const summaryOf = async (out: string) => JSON.parse(await readFile(path.join(file(out), 'summary.json'), 'utf8')) as BatchSummary;
  const answers = async (out: string) => (await readdir(file(out))).filter((name) => name.endsWith('.md')).sort();
  const score = async (runs: string[], tasksFile = 'tasks.jsonl'): Promise<Scores> => {
    const run = await runCli(['bench', 'score', ...runs, '--tasks', tasksFile, '--out', `score-${runs.join('-')}`, '--no-function-level'], { cwd: work.root });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(await readFile(path.join(file(`score-${runs.join('-')}`), 'score.json'), 'utf8')) as Scores;
  };

  before(async () => {
    repo = await cloneTqdm();
    work = await makeTempTree();
    const made = await runCli(['bench', 'make', repo.root, '--out', 'tasks.jsonl', '--count', String(TASK_COUNT)], { cwd: work.root });
    assert.equal(made.code, 0, made.stderr);
    tasks = parseTasks(await readFile(file('tasks.jsonl'), 'utf8'), 'tasks.jsonl');
    assert.ok(tasks.length >= TASK_COUNT, `${tasks.length} tasks`);
  });
  after(async () => {
    await repo?.cleanup();
    await work?.cleanup();
  });

  it('oracle cites the truth and scores 1.0 on file and line F1; one checkout per commit, none left', async () => {
    const run = await runCli(['bench', 'run', 'tasks.jsonl', '--out', 'oracle', '--backend', 'baseline:oracle'], { cwd: work.root });
    assert.equal(run.code, 0, run.stderr);
    const commits = new Set(tasks.map((task) => task.commit));
    assert.ok(commits.size < tasks.length, 'definition tasks share their commit');
    assert.match(run.stdout, new RegExp(`${tasks.length} ok, 0 failed \\(of ${tasks.length} tasks\\)`));
    assert.match(run.stdout, new RegExp(`checkouts: ${commits.size} made for ${commits.size} commits of ${tasks.length} tasks`));
    // Each task explored the checkout of its own commit, shared with the other tasks of that commit.
    const summary = await summaryOf('oracle');
    const checkoutOf = new Map<string, string>();
    for (const task of tasks) {
      const checkout = summary.queries.find((query) => query.id === task.id)?.repo ?? '';
      assert.ok(checkout.startsWith(path.join(file('oracle'), '.checkouts', task.commit.slice(0, 12))), `${task.id} explored ${checkout}`);
      assert.equal(checkoutOf.get(task.commit) ?? checkout, checkout);
      checkoutOf.set(task.commit, checkout);
    }
    assert.equal(new Set(checkoutOf.values()).size, commits.size);
    assert.equal(worktrees(), 1, 'only the clone itself is left');
    assert.equal(existsSync(path.join(file('oracle'), '.checkouts')), false);

    const scores = await score(['oracle']);
    const [oracle] = scores.runs;
    assert.equal(oracle.tasks, tasks.length);
    assert.equal(oracle.nNoCitation, 0);
    assert.equal(oracle.file.f1.mean, 1);
    assert.equal(oracle.line.f1.mean, 1);
  });

  it('bm25 is a real floor: above 0 and below 1, deterministic, its ranking in the trace', async () => {
    const run = await runCli(['bench', 'run', 'tasks.jsonl', '--out', 'bm25', '--backend', 'baseline:bm25'], { cwd: work.root });
    assert.equal(run.code, 0, run.stderr);
    const [bm25] = (await score(['bm25'])).runs;
    for (const value of [bm25.file.f1.mean, bm25.line.f1.mean]) assert.ok(value > 0 && value < 1, `bm25 F1 ${value}`);
    assert.ok(bm25.file.f1.mean > bm25.line.f1.mean, 'files are easier to find than lines');
    const trace = (await readFile(path.join(file('bm25'), 'traces', `${tasks[0].id}.jsonl`), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(trace[0].backend, 'baseline:bm25');
    assert.ok(Array.isArray(trace[0].ranking) && trace[0].ranking.length > 0);
    assert.equal(trace.at(-1)?.type, 'finish');
    assert.equal(worktrees(), 1);
  });

  it('Ctrl-C stops cleanly and removes the checkouts; the printed command resumes to the same answers', async () => {
    const { stderr, done, child } = spawnCli(['bench', 'run', 'tasks.jsonl', '--out', 'bm25-int', '--backend', 'baseline:bm25', '--concurrency', '2'], work.root);
    await stderr.matching(/\[6\/\d+\]/);
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const before = await answers('bm25-int');
    assert.ok(before.length >= 6 && before.length < tasks.length, `${before.length} answers`);
    assert.equal((await summaryOf('bm25-int')).state, 'interrupted');
    assert.equal(worktrees(), 1, 'Ctrl-C removes the checkouts');
    assert.equal(existsSync(path.join(file('bm25-int'), '.checkouts')), false);
    const resume = /Resume with:\n {2}(loco bench run .*)\n/.exec(stopped.stderr)?.[1];
    assert.ok(resume, stopped.stderr);

    const resumed = await runCli(resume.split(' ').slice(1), { cwd: work.root });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`${tasks.length - before.length} to run, ${before.length} already answered`));
    assert.deepEqual(await answers('bm25-int'), await answers('bm25'));
    for (const name of await answers('bm25')) assert.equal(await readFile(path.join(file('bm25-int'), name), 'utf8'), await readFile(path.join(file('bm25'), name), 'utf8'), name);
    assert.equal(worktrees(), 1);
  });

  it('a killed run leaves its checkouts; the next run reuses or prunes them and leaves none', async () => {
    const { stderr, done, child } = spawnCli(['bench', 'run', 'tasks.jsonl', '--out', 'bm25-kill', '--backend', 'baseline:bm25', '--concurrency', '2'], work.root);
    await stderr.matching(/\[4\/\d+\]/);
    child.kill('SIGKILL');
    await done;
    const left = await readdir(path.join(file('bm25-kill'), '.checkouts'));
    assert.ok(left.length >= 1, 'the killed run could not clean up');
    // A leftover is reused when a task of its commit is still unanswered; which ones are
    // depends on when the kill landed, so the expectation is computed from what is there.
    const answered = new Set((await answers('bm25-kill')).map((name) => name.replace(/\.md$/, '')));
    const stillNeeded = new Map(tasks.filter((task) => !answered.has(task.id)).map((task) => [task.commit.slice(0, 12), task.commit]));
    // Complete leftovers only: one killed while fetching or checking out is made again.
    const complete = (name: string): boolean => {
      try {
        return git(path.join(file('bm25-kill'), '.checkouts', name, 'tqdm'), 'rev-parse', 'HEAD').trim() === stillNeeded.get(name);
      } catch {
        return false;
      }
    };
    const reusable = left.filter((name) => stillNeeded.has(name) && complete(name)).length;
    const rerun = await runCli(['bench', 'run', 'tasks.jsonl', '--out', 'bm25-kill', '--backend', 'baseline:bm25'], { cwd: work.root });
    assert.equal(rerun.code, 0, rerun.stderr);
    if (reusable > 0) assert.match(rerun.stdout, /, [1-9]\d* reused from a killed run/);
    // Every commit still needed got exactly one checkout: made now, or reused.
    const counts = /checkouts: (\d+) made(?:, (\d+) reused from a killed run)?/.exec(rerun.stdout);
    assert.ok(counts, rerun.stdout);
    assert.equal(Number(counts[1]) + Number(counts[2] ?? 0), stillNeeded.size, rerun.stdout);
    assert.equal(worktrees(), 1);
    assert.equal(existsSync(path.join(file('bm25-kill'), '.checkouts')), false);
    assert.deepEqual(await answers('bm25-kill'), await answers('bm25'));
  });

  it('a scripted model explores the checkout of the task commit through the real explorer', async () => {
    // Localization tasks whose truth file changed after their commit: reading it proves which tree was read.
    const at = (commit: string, name: string) => git(repo.root, 'ls-tree', '--name-only', commit, '--', name).trim() === name ? git(repo.root, 'show', `${commit}:${name}`) : undefined;
    const chosen = tasks.filter((task) => task.kind === 'localization' && at(task.commit, task.truth.files[0]) !== at('HEAD', task.truth.files[0])).slice(0, 3);
    assert.equal(chosen.length, 3);
    await writeFile(file('few.jsonl'), chosen.map((task) => JSON.stringify(task)).join('\n') + '\n');
    const entries: object[] = [];
    for (const [index, task] of chosen.entries()) {
      const truthFile = task.truth.files[0];
      const [start, end] = task.truth.lines[truthFile][0];
      entries.push({ type: 'assistant', text: `<tool_call>\n${JSON.stringify({ name: 'Read', arguments: { file_path: truthFile, offset: start, limit: end - start + 1 } })}\n</tool_call>` });
      // The first cites by absolute path in the checkout: the run's summary makes it repo-relative.
      const cited = index === 0 ? path.join(file('model'), '.checkouts', task.commit.slice(0, 12), 'tqdm', truthFile) : truthFile;
      entries.push({ type: 'assistant', text: `The code is here.\n\n${Object.entries(task.truth.lines).flatMap(([name, ranges]) => ranges.map(([from, to]) => `${name === truthFile ? cited : name}:${from}-${to}`)).join('\n')}` });
    }
    await writeFile(file('script.jsonl'), entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
    const run = await runCli(['bench', 'run', 'few.jsonl', '--out', 'model', '--backend', 'fake:script.jsonl', '--concurrency', '1', '--sandbox', 'allow-list'], { cwd: work.root });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /3 ok, 0 failed/);
    for (const task of chosen) {
      const truthFile = task.truth.files[0];
      const [start, end] = task.truth.lines[truthFile][0];
      const records = (await readFile(path.join(file('model'), 'traces', `${task.id}.jsonl`), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.match(String(records[0].prompt), /one per line, as path:start-end/);
      assert.ok(String(records[0].prompt).startsWith(task.question));
      const result = records.find((record) => record.type === 'tool-result');
      const lines = git(repo.root, 'show', `${task.commit}:${truthFile}`).split('\n');
      for (let line = start; line <= end; line++) {
        assert.ok(String(result?.output).includes(`${String(line).padStart(6)}→${lines[line - 1]}`), `${task.id} read line ${line} of ${truthFile} at ${task.commit}`);
      }
    }
    const [model] = (await score(['model'], 'few.jsonl')).runs;
    assert.equal(model.file.f1.mean, 1);
    assert.equal(worktrees(), 1);
  });

  it('--profile fastcontext on the same tasks: its tools read the task commit, its <final_answer> is scored, and --compare pairs it with the default profile', async () => {
    const at = (commit: string, name: string) => git(repo.root, 'ls-tree', '--name-only', commit, '--', name).trim() === name ? git(repo.root, 'show', `${commit}:${name}`) : undefined;
    const chosen = tasks.filter((task) => task.kind === 'localization' && at(task.commit, task.truth.files[0]) !== at('HEAD', task.truth.files[0])).slice(0, 3);
    const entries: object[] = [];
    for (const task of chosen) {
      const truthFile = task.truth.files[0];
      const [start, end] = task.truth.lines[truthFile][0];
      entries.push({ type: 'assistant', text: `<tool_call>\n${JSON.stringify({ name: 'Read', arguments: { path: truthFile, offset: start, limit: end - start + 1 } })}\n</tool_call>` });
      const cited = path.join(file('fastcontext'), '.checkouts', task.commit.slice(0, 12), 'tqdm', truthFile);
      entries.push({ type: 'assistant', text: `Found it.\n<final_answer>\n${cited}:${start}-${end} (the changed code)\n</final_answer>` });
    }
    await writeFile(file('fc-script.jsonl'), entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
    const run = await runCli(['bench', 'run', 'few.jsonl', '--out', 'fastcontext', '--backend', 'fake:fc-script.jsonl', '--profile', 'fastcontext', '--concurrency', '1', '--sandbox', 'allow-list'], { cwd: work.root });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /3 ok, 0 failed/);
    assert.equal((await summaryOf('fastcontext')).settings.profile, 'fastcontext');
    for (const task of chosen) {
      const truthFile = task.truth.files[0];
      const [start] = task.truth.lines[truthFile][0];
      const records = (await readFile(path.join(file('fastcontext'), 'traces', `${task.id}.jsonl`), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      const output = String(records.find((record) => record.type === 'tool-result')?.output);
      const lines = git(repo.root, 'show', `${task.commit}:${truthFile}`).split('\n');
      assert.ok(output.startsWith(`\`\`\`${truthFile}:${start}-`), output.slice(0, 80));
      assert.ok(output.includes(`\n${start}|${lines[start - 1]}\n`), `${task.id} read line ${start} of ${truthFile} at ${task.commit}`);
    }
    const compared = await runCli(['bench', 'score', 'model', 'fastcontext', '--tasks', 'few.jsonl', '--out', 'score-compare', '--no-function-level', '--compare', 'model', 'fastcontext'], { cwd: work.root });
    assert.equal(compared.code, 0, compared.stderr);
    const report = JSON.parse(await readFile(path.join(file('score-compare'), 'score.json'), 'utf8')) as Scores & { comparisons: { a: string; b: string; metric: string }[] };
    // The default-profile script cites every truth range, this one only the first file's first: scored alike, told apart.
    const [modelScore, fastcontextScore] = report.runs;
    assert.deepEqual([modelScore.run, modelScore.file.f1.mean, fastcontextScore.run], ['model', 1, 'fastcontext']);
    assert.ok(fastcontextScore.file.f1.mean > 0 && fastcontextScore.file.f1.mean <= 1 && fastcontextScore.line.f1.mean > 0, JSON.stringify(fastcontextScore.file));
    assert.deepEqual(report.comparisons.map((comparison) => [comparison.a, comparison.b, comparison.metric]), [['model', 'fastcontext', 'line F1'], ['model', 'fastcontext', 'file F1']]);
    assert.equal(worktrees(), 1);
  });

  it('a checkout holds only the history up to its commit: the fixing commit is unreachable, in git and through Bash', async () => {
    const subjectsUpTo = (commit: string) => new Set(git(repo.root, 'log', '--format=%s', commit).split('\n'));
    // A localization task whose fixing commit's subject names no earlier commit: seeing it means a leak.
    const task = tasks.find((candidate) => candidate.kind === 'localization' && !subjectsUpTo(candidate.commit).has(git(repo.root, 'log', '-1', '--format=%s', String(candidate.meta.fixCommit)).trim()));
    assert.ok(task, 'a localization task');
    const fix = String(task.meta.fixCommit);
    const fixSubject = git(repo.root, 'log', '-1', '--format=%s', fix).trim();
    assert.equal(git(repo.root, 'rev-parse', `${fix}^`).trim(), task.commit, 'the fix is a child of the task commit');
    await writeFile(file('leak.jsonl'), `${JSON.stringify(task)}\n`);
    const call = (command: string) => ({ type: 'assistant', text: `<tool_call>\n${JSON.stringify({ name: 'Bash', arguments: { command } })}\n</tool_call>` });
    const script = [call('git log --all --oneline'), call(`git show --stat ${fix}`), call('git branch -a; git remote -v; git reflog'), { type: 'assistant', text: 'Nothing.' }];
    await writeFile(file('leak-script.jsonl'), script.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
    const run = await runCli(['bench', 'run', 'leak.jsonl', '--out', 'leak', '--backend', 'fake:leak-script.jsonl', '--sandbox', 'allow-list'], { cwd: work.root });
    assert.equal(run.code, 0, run.stderr);
    const outputs = (await readFile(path.join(file('leak'), 'traces', `${task.id}.jsonl`), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record.type === 'tool-result').map((record) => String(record.output));
    assert.equal(outputs.length, 3);
    assert.ok(outputs[0].startsWith(git(repo.root, 'log', '-1', '--oneline', task.commit).trim()), `the log starts at the task commit:\n${outputs[0].slice(0, 300)}`);
    for (const output of outputs) {
      assert.ok(!output.includes(fixSubject), `the fixing commit's subject leaked:\n${output.slice(0, 500)}`);
      assert.ok(!output.includes(fix.slice(0, 7)) || /bad object|unknown revision/.test(output), `the fixing commit leaked:\n${output.slice(0, 500)}`);
    }
    assert.match(outputs[1], /bad object|unknown revision/);

    // The checkout itself, made the way the run makes it (the run removed its own).
    const { openCheckouts } = await import('../../src/explore-bench/checkouts.js');
    const checkouts = await openCheckouts(file('leak-direct'), new Map([[task.commit, repo.root]]));
    try {
      const checkout = await checkouts.ensure(repo.root, task.commit);
      const all = git(checkout, 'log', '--all', '--format=%H').split('\n');
      assert.ok(all.includes(task.commit));
      assert.ok(!all.includes(fix), 'the fixing commit is reachable from the checkout');
      assert.equal(all.filter(Boolean).length, Number(git(repo.root, 'rev-list', '--count', task.commit)));
      assert.equal(git(checkout, 'rev-parse', 'HEAD').trim(), task.commit);
      assert.equal(git(checkout, 'remote').trim(), '');
      assert.throws(() => git(checkout, 'cat-file', '-e', fix), 'the fixing commit object is not in the checkout');
      assert.equal(git(checkout, 'status', '--porcelain').trim(), '');
    } finally {
      await checkouts.removeAll();
    }
    assert.equal(existsSync(path.join(file('leak-direct'), '.checkouts')), false);
  });

  it('a checkout that cannot be made fails its tasks with the reason, and the run goes on', async () => {
    await writeFile(file('two.jsonl'), `${JSON.stringify(tasks[0])}\n`);
    // A file where the checkouts folder goes: git cannot make a worktree under it.
    await mkdir(file('blocked'));
    await writeFile(path.join(file('blocked'), '.checkouts'), 'not a folder\n');
    const run = await runCli(['bench', 'run', 'two.jsonl', '--out', 'blocked', '--backend', 'baseline:oracle'], { cwd: work.root });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, new RegExp(`failed ${tasks[0].id} \\(line 1\\): cannot check out ${tasks[0].commit} of ${repo.root}`));
    const summary = await summaryOf('blocked');
    assert.equal(summary.totals.failed, 1);
    assert.deepEqual(await answers('blocked'), []);
    const trace = JSON.parse(await readFile(path.join(file('blocked'), 'traces', `${tasks[0].id}.jsonl`), 'utf8')) as { type: string; error: { code: string } };
    assert.deepEqual([trace.type, trace.error.code], ['meta', 'io']);
    assert.equal(worktrees(), 1);
  });

  it('refuses bad task lines, a missing commit and a directory that is not git, naming the fix, writing nothing', async () => {
    const good = JSON.stringify(tasks[0]);
    await writeFile(file('bad.jsonl'), `${good}\n{"id": "x"}\nnot json\n`);
    const bad = await runCli(['bench', 'run', 'bad.jsonl', '--out', 'never', '--backend', 'baseline:oracle'], { cwd: work.root });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.jsonl has 2 bad line\(s\); fix them and run again:\n {2}line 2: .*\n {2}line 3: not JSON/);

    await writeFile(file('gone.jsonl'), `${good}\n${JSON.stringify({ ...tasks[1], commit: 'f'.repeat(40) })}\n`);
    const gone = await runCli(['bench', 'run', 'gone.jsonl', '--out', 'never', '--backend', 'baseline:oracle'], { cwd: work.root });
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, new RegExp(`1 task\\(s\\) of gone.jsonl name a commit their repository lacks.*fetch them.*--repo.*\n {2}line 2 \\(${tasks[1].id}\\): .* has no commit f{40}`));

    const plain = await makeTempTree({ 'a.py': 'x = 1\n' });
    try {
      const notGit = await runCli(['bench', 'run', 'tasks.jsonl', '--out', 'never', '--backend', 'baseline:oracle', '--repo', plain.root], { cwd: work.root });
      assert.equal(notGit.code, 2);
      assert.match(notGit.stderr, /is not a git repository with commits: pass a clone/);
    } finally {
      await plain.cleanup();
    }
    const unknown = await runCli(['bench', 'run', 'tasks.jsonl', '--out', 'never', '--backend', 'baseline:grep'], { cwd: work.root });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown baseline "baseline:grep": choose baseline:bm25 or baseline:oracle/);
    assert.equal(existsSync(file('never')), false, 'nothing written');
  });
});

/** The built CLI as a child whose stderr can be awaited for a line. */
function spawnCli(args: string[], cwd: string) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, LOCO_BACKEND: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let text = '';
  const waiting: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    for (const waiter of waiting.filter((entry) => entry.pattern.test(text))) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr: text })));
  return {
    child,
    done,
    stderr: {
      matching: (pattern: RegExp) =>
        new Promise<void>((resolve, reject) => {
          if (pattern.test(text)) return resolve();
          waiting.push({ pattern, resolve });
          void done.then(() => reject(new Error(`the run ended before stderr matched ${pattern}:\n${text}`)));
        }),
    },
  };
}
