// The scorer: citation parsing, hand-computed file/line P/R/F1 and F0.5, bootstrap and the
// sign test, and `loco bench score` on real tqdm tasks: an oracle answer set scores 1.0
// everywhere, an empty one 0 with every task counted as uncited; bad input gets clear errors.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bootstrapInterval, comparePaired, signTestP } from '../../src/explore-bench/bootstrap.js';
import { parseAnswer } from '../../src/explore-bench/citations.js';
import { prepareTruth, scoreAnswer } from '../../src/explore-bench/score.js';
import { parseTasks, type BenchTask } from '../../src/explore-bench/task-file.js';
import { LocoError } from '../../src/errors.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { cloneTqdm, TQDM_SKIP } from './git-fixture.js';

const COMMIT = 'a'.repeat(40);
function task(truth: BenchTask['truth'], id = 't1'): BenchTask {
  return { id, kind: 'localization', repo: '/work/repo', commit: COMMIT, question: 'Where?', truth, meta: {} };
}

describe('parseAnswer', () => {
  it('reads path, path:N, path:N-M, path#LN-LM and absolute paths under a root; counts paths outside the repository', () => {
    const answer = [
      'See `src/a.py:10-12` and src/b.py:7, also ./src/c.py#L3-L5 and src/d.ts#L9.',
      'The whole file /work/repo/src/e.py matters; /etc/passwd:1 and ../other/f.py:2 do not count.',
      'Docs at https://example.com/docs/page.html, e.g. here; version 3.14 is old.',
    ].join('\n');
    const parsed = parseAnswer(answer, ['/work/repo']);
    assert.deepEqual(parsed.files, [
      { path: 'src/a.py', ranges: [[10, 12]] },
      { path: 'src/b.py', ranges: [[7, 7]] },
      { path: 'src/c.py', ranges: [[3, 5]] },
      { path: 'src/d.ts', ranges: [[9, 9]] },
      { path: 'src/e.py', ranges: [] },
    ]);
    assert.equal(parsed.count, 7);
    assert.equal(parsed.outside, 2);
  });

  it('reads only the last <final_answer> block when there is one, and merges repeated ranges', () => {
    const answer = 'I looked at src/wrong.py:1-400 first.\n<final_answer>\nsrc/a.py:10-20\nsrc/a.py:15-30\nsrc/a.py:40\n</final_answer>';
    assert.deepEqual(parseAnswer(answer, []).files, [{ path: 'src/a.py', ranges: [[10, 30], [40, 40]] }]);
  });

  it('finds no citation in prose', () => {
    assert.deepEqual(parseAnswer('I could not find where this happens, sorry. Maybe look at the parser.', []), { files: [], count: 0, outside: 0 });
  });
});

describe('scoreAnswer (hand-computed)', () => {
  // Truth: a.py lines 10-19 (10 lines), b.py lines 1-5 (5 lines).
  const truth = prepareTruth(task({ files: ['a.py', 'b.py'], lines: { 'a.py': [[10, 19]], 'b.py': [[1, 5]] } }), new Map([['a.py', [[8, 30]]]]));

  it('file and line precision, recall, F1 and F0.5', () => {
    // Cited: a.py 15-24 (10 lines, 5 in truth), c.py 1-10 (10 lines, none).
    const score = scoreAnswer(truth, 'a.py:15-24\nc.py:1-10', []);
    assert.deepEqual(score.file, { precision: 0.5, recall: 0.5, f1: 0.5 });
    assert.equal(score.line.precision, 0.25);
    assert.ok(Math.abs(score.line.recall - 1 / 3) < 1e-12);
    assert.ok(Math.abs(score.line.f1 - 2 / 7) < 1e-12);
    assert.ok(Math.abs(score.line.f05 - 5 / 19) < 1e-12);
    assert.equal(score.citedLines, 20);
    assert.equal(score.truthLines, 15);
    assert.equal(score.functionHit, 1);
    assert.equal(score.noCitation, false);
  });

  it('citing whole files finds them but scores no lines; F0.5 punishes over-citation more than F1', () => {
    const files = scoreAnswer(truth, 'a.py and b.py', []);
    assert.deepEqual(files.file, { precision: 1, recall: 1, f1: 1 });
    assert.deepEqual({ ...files.line }, { precision: 0, recall: 0, f1: 0, f05: 0 });
    assert.equal(files.functionHit, 0);
    const wide = scoreAnswer(truth, 'a.py:1-1000\nb.py:1-1000', []);
    assert.equal(wide.line.recall, 1);
    assert.ok(wide.line.f05 < wide.line.f1);
  });

  it('an answer without citations, or no answer, scores 0 and is marked', () => {
    for (const answer of ['no idea', undefined]) {
      const score = scoreAnswer(truth, answer, []);
      assert.equal(score.noCitation, true);
      assert.equal(score.missing, answer === undefined);
      assert.deepEqual([score.file.f1, score.line.f1, score.line.f05, score.functionHit], [0, 0, 0, 0]);
    }
  });
});

describe('statistics', () => {
  it('the sign test is exact: 5 wins and no loss give p = 2/32', () => {
    assert.equal(signTestP(5, 0), 0.0625);
    assert.equal(signTestP(3, 3), 1);
    const compared = comparePaired([0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1], 3);
    assert.deepEqual([compared.wins, compared.losses, compared.ties, compared.signTestP], [5, 0, 1, 0.0625]);
    assert.ok(Math.abs(compared.difference - 5 / 6) < 1e-12);
  });

  it('bootstrap intervals are seeded and bracket the mean', () => {
    const values = Array.from({ length: 50 }, (_, index) => (index % 3 === 0 ? 1 : 0.2));
    const one = bootstrapInterval(values, 5);
    assert.deepEqual(bootstrapInterval(values, 5), one);
    assert.ok(one && one.low < 0.47 && one.high > 0.47 && one.low > 0.2 && one.high < 1);
    assert.deepEqual(bootstrapInterval([0.5, 0.5], 1), { low: 0.5, high: 0.5 });
  });
});

describe('parseTasks', () => {
  it('names every bad line', () => {
    const good = JSON.stringify(task({ files: ['a.py'], lines: { 'a.py': [[1, 2]] } }));
    const text = [good, '{not json', JSON.stringify({ ...JSON.parse(good), id: 't2', commit: 'abc' }), JSON.stringify({ ...JSON.parse(good), id: 't3', truth: { files: ['a.py'], lines: { 'a.py': [[5, 2]] } } }), good].join('\n');
    assert.throws(
      () => parseTasks(text, 'tasks.jsonl'),
      (error: unknown) =>
        error instanceof LocoError && error.code === 'usage' && /4 bad line/.test(error.message) && /line 2: not JSON/.test(error.message) && /line 3: commit: commit must be a full 40-hex/.test(error.message) && /line 4: truth.lines.a.py.0: a range must end/.test(error.message) && /line 5: id "t1" was already used on line 1/.test(error.message),
    );
  });
});

describe('loco bench score on real tqdm tasks', { skip: TQDM_SKIP }, () => {
  let repo: TempTree;
  let work: TempTree;
  let tasksFile: string;
  let tasks: BenchTask[];
  before(async () => {
    repo = await cloneTqdm();
    work = await makeTempTree();
    tasksFile = path.join(work.root, 'tasks.jsonl');
    const made = await runCli(['bench', 'make', repo.root, '--out', tasksFile, '--count', '40', '--seed', '3'], { timeoutMs: 120_000 });
    assert.equal(made.code, 0, made.stderr);
    tasks = parseTasks(await readFile(tasksFile, 'utf8'), tasksFile);
    const oracle = path.join(work.root, 'oracle');
    const empty = path.join(work.root, 'empty');
    await mkdir(oracle);
    await mkdir(empty);
    for (const [index, entry] of tasks.entries()) {
      const citations = Object.entries(entry.truth.lines).flatMap(([file, ranges]) => ranges.map(([start, end]) => (index % 2 === 0 ? `${path.join(repo.root, file)}#L${start}-L${end}` : `${file}:${start}-${end}`)));
      await writeFile(path.join(oracle, `${entry.id}.md`), `Found it.\n<final_answer>\n${citations.join('\n')}\n</final_answer>\n`);
      await writeFile(path.join(empty, `${entry.id}.md`), 'I could not find it; see /etc/hosts:1 maybe.\n');
    }
    // Absolute citations under the task's repo (even tasks) count as repo-relative; so do those
    // under a checkout a query records (the first task), as a bench run will write them.
    const checkout = '/checkouts/tqdm-at-commit';
    await writeFile(path.join(oracle, `${tasks[1].id}.md`), Object.entries(tasks[1].truth.lines).flatMap(([file, ranges]) => ranges.map(([start, end]) => `${checkout}/${file}:${start}-${end}`)).join('\n'));
    const summary = { queries: tasks.map((entry, index) => ({ id: entry.id, line: 1, status: 'ok', turns: 3, toolCalls: { Grep: 2, Read: 1 }, tokens: { prompt: 1000, cached: 400, completion: 100 }, wallMs: 2000, ...(index === 1 ? { repo: checkout } : {}) })), settings: { repo: repo.root } };
    await writeFile(path.join(oracle, 'summary.json'), JSON.stringify(summary));
  });
  after(async () => {
    await repo.cleanup();
    await work.cleanup();
  });

  it('an oracle scores 1.0 everywhere, an empty set 0 with n_no_citation = all; reports and a paired test are written', async () => {
    const out = path.join(work.root, 'report');
    const run = await runCli(['bench', 'score', path.join(work.root, 'oracle'), path.join(work.root, 'empty'), '--tasks', tasksFile, '--out', out, '--compare', 'empty', 'oracle'], { timeoutMs: 120_000 });
    assert.equal(run.code, 0, run.stderr);
    const score = JSON.parse(await readFile(path.join(out, 'score.json'), 'utf8'));
    const [oracle, empty] = score.runs;
    assert.equal(oracle.run, 'oracle');
    for (const value of [oracle.file.precision, oracle.file.recall, oracle.file.f1.mean, oracle.line.precision, oracle.line.recall, oracle.line.f1.mean, oracle.line.f05.mean, oracle.functionHit.mean]) assert.equal(value, 1);
    assert.deepEqual(oracle.line.f1.interval, { low: 1, high: 1 });
    assert.ok(oracle.functionHit.tasks > tasks.length / 2);
    assert.equal(oracle.nNoCitation, 0);
    assert.equal(oracle.overCitation, 1, 'the oracle cites exactly as many lines as the truth has');
    assert.equal(oracle.outsideCitations, 0);
    assert.deepEqual(oracle.usage, { tasks: tasks.length, turns: 3, toolCalls: 3, toolCallsByTool: { Grep: 2, Read: 1 }, promptTokens: 1000, completionTokens: 100, cachedTokens: 400, totalTokens: 1100, wallMs: 2000 });
    assert.equal(empty.nNoCitation, tasks.length);
    assert.equal(empty.outsideCitations, tasks.length, 'the /etc/hosts citations are counted, not scored');
    for (const value of [empty.file.f1.mean, empty.line.f1.mean, empty.line.f05.mean, empty.functionHit.mean]) assert.equal(value, 0);
    const [lineComparison] = score.comparisons;
    assert.deepEqual([lineComparison.metric, lineComparison.wins, lineComparison.losses, lineComparison.difference], ['line F1', tasks.length, 0, 1]);
    const results = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(results.length, 2 * tasks.length);
    assert.match(await readFile(path.join(out, 'report.md'), 'utf8'), /\| oracle \| 40 \| 0 \| 1\.000 .*\| 1\.00 \| 0 \|/);
    assert.match(run.stdout, /line F1: oracle - empty = 1\.000/);
  });

  it('a task on a commit the repository no longer has is a clear error, and nothing is written', async () => {
    const gone = path.join(work.root, 'gone.jsonl');
    await writeFile(gone, `${JSON.stringify({ ...tasks[0], commit: 'f'.repeat(40) })}\n`);
    const out = path.join(work.root, 'gone-report');
    const run = await runCli(['bench', 'score', path.join(work.root, 'oracle'), '--tasks', gone, '--out', out]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`task ${tasks[0].id}: .* has no commit f{40}.*--no-function-level`));
    assert.equal(existsSync(out), false);
    const skipped = await runCli(['bench', 'score', path.join(work.root, 'oracle'), '--tasks', gone, '--out', out, '--no-function-level']);
    assert.equal(skipped.code, 0, skipped.stderr);
  });

  it('a bad task file and a missing run folder are usage errors naming the fix', async () => {
    const bad = path.join(work.root, 'bad.jsonl');
    await writeFile(bad, `${JSON.stringify(tasks[0])}\n{"id": "x"}\n`);
    const badRun = await runCli(['bench', 'score', path.join(work.root, 'oracle'), '--tasks', bad, '--out', path.join(work.root, 'r2')]);
    assert.equal(badRun.code, 2);
    assert.match(badRun.stderr, /bad\.jsonl has 1 bad line.*line 2:/s);
    const noRun = await runCli(['bench', 'score', path.join(work.root, 'nowhere'), '--tasks', tasksFile, '--out', path.join(work.root, 'r2')]);
    assert.equal(noRun.code, 2);
    assert.match(noRun.stderr, /is not a run folder/);
    assert.equal(existsSync(path.join(work.root, 'r2')), false);
  });
});
