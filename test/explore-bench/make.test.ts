// `loco bench make` through the CLI on real git repositories: filters, truth from diffs,
// leak rejection, new-file and test-file exclusion, masking, determinism on the real tqdm
// history, imports, and bad input that leaves nothing written.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exclusionOf } from '../../src/explore-bench/source-files.js';
import { parseTasks, type BenchTask } from '../../src/explore-bench/task-file.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { cloneTqdm, git, makeRepo, numbered, TQDM_SKIP } from './git-fixture.js';

const UTIL = `def compute_total(items):
    """Sum the prices of every item in the shopping cart."""
    return sum(item.price for item in items)


def parse_header(text):
    """parse_header reads the first line of a file header and splits its fields."""
    return text.split("\\n")[0].split(",")


def undocumented(x):
    return x
`;

describe('loco bench make on a small repository', () => {
  let repo: TempTree;
  let out: TempTree;
  before(async () => {
    repo = await makeRepo([
      { message: 'Initial import of the project files', files: { 'src/app.py': numbered(40), 'src/util.py': UTIL, 'tests/test_app.py': numbered(5, 't'), 'README.md': '# app\n' } },
      { message: 'Handle empty input in the parser gracefully\n\nThe parser crashed on an empty string.\n\nSigned-off-by: t <t@example.com>', files: { 'src/app.py': numbered(40).replace('line_20 = 20', 'line_20 = 0'), 'src/new_mod.py': 'x = 1\n', 'tests/test_app.py': numbered(6, 't') } },
      { message: 'Fix crash in util.py when the list is empty', files: { 'src/util.py': UTIL.replace('return x', 'return x or 0') } },
      { message: 'Fix typo in comments', files: { 'src/app.py': numbered(40).replace('line_2 = 2', 'line_2 = 22') } },
      { message: 'Only the tests of the parser changed here', files: { 'tests/test_app.py': numbered(7, 't') } },
    ]);
    out = await makeTempTree();
  });
  after(async () => {
    await repo.cleanup();
    await out.cleanup();
  });

  it('turns a descriptive commit into a task on its parent: old-side ranges, new and test files left out, leaks rejected', async () => {
    const file = path.join(out.root, 'loc.jsonl');
    const run = await runCli(['bench', 'make', repo.root, '--out', file, '--kinds', 'localization', '--count', '10']);
    assert.equal(run.code, 0, run.stderr);
    const tasks = parseTasks(await readFile(file, 'utf8'), file);
    assert.equal(tasks.length, 1);
    const [task] = tasks;
    const fix = git(repo.root, 'rev-parse', 'HEAD~3').trim();
    assert.equal(task.commit, git(repo.root, 'rev-parse', 'HEAD~4').trim(), 'the tree to explore is the parent');
    assert.equal(task.id, `loc-${fix.slice(0, 12)}`);
    assert.equal(task.question, 'Handle empty input in the parser gracefully\n\nThe parser crashed on an empty string.');
    assert.deepEqual(task.truth, { files: ['src/app.py'], lines: { 'src/app.py': [[17, 23]] } });
    assert.deepEqual(task.meta.newFiles, ['src/new_mod.py']);
    assert.deepEqual(task.meta.excludedFiles, { 'tests/test_app.py': 'test' });
    assert.deepEqual(task.meta.leakCheck, { checked: ['src/app.py'], named: [] });
    const report = JSON.parse(await readFile(path.join(out.root, 'loc.report.json'), 'utf8'));
    assert.deepEqual(report.byKind.localization.rejected, { leak: 1, 'trivial-message': 1, 'no-existing-source-file': 1, 'root-commit': 1 });
    assert.match(run.stdout, /localization: 1 kept .*leak 1/);
  });

  it('makes definition tasks from docstrings with the name masked and the definition as truth', async () => {
    const file = path.join(out.root, 'def.jsonl');
    const run = await runCli(['bench', 'make', repo.root, '--out', file, '--kinds', 'definition', '--count', '10']);
    assert.equal(run.code, 0, run.stderr);
    const tasks = parseTasks(await readFile(file, 'utf8'), file);
    const bySymbol = new Map(tasks.map((task) => [task.meta.symbol, task]));
    assert.deepEqual([...bySymbol.keys()].sort(), ['compute_total', 'parse_header']);
    const header = bySymbol.get('parse_header') as BenchTask;
    assert.equal(header.question, 'Where is the code that [name] reads the first line of a file header and splits its fields?');
    assert.deepEqual(header.truth, { files: ['src/util.py'], lines: { 'src/util.py': [[6, 8]] } });
    assert.equal(bySymbol.get('compute_total')?.question, 'Where is the code that sum the prices of every item in the shopping cart?');
    assert.equal(header.commit, git(repo.root, 'rev-parse', 'HEAD').trim());
    const report = JSON.parse(await readFile(path.join(out.root, 'def.report.json'), 'utf8'));
    assert.equal(report.byKind.definition.rejected['no-docstring'], 1);
  });

  it('--since and --languages narrow the history; when nothing is left, or --commit names no commit, it says so and writes nothing', async () => {
    const file = path.join(out.root, 'narrow.jsonl');
    for (const flags of [['--since', '2030-01-01'], ['--languages', 'typescript']]) {
      const run = await runCli(['bench', 'make', repo.root, '--out', file, '--kinds', 'localization', ...flags]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /no task passed the filters.*nothing was written/);
      assert.equal(existsSync(file), false);
    }
    const gone = await runCli(['bench', 'make', repo.root, '--out', file, '--commit', 'f'.repeat(40)]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /has no commit "f{40}": pass an existing commit/);
    assert.equal(existsSync(file), false);
    const unknown = await runCli(['bench', 'make', repo.root, '--out', file, '--languages', 'cobol']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown language "cobol".*python/);
  });

  it('refuses a directory that is not a git repository and a shallow clone, writing nothing', async () => {
    const plain = await makeTempTree({ 'a.py': 'x = 1\n' });
    const shallowParent = await makeTempTree();
    try {
      const file = path.join(out.root, 'bad.jsonl');
      const notGit = await runCli(['bench', 'make', plain.root, '--out', file]);
      assert.equal(notGit.code, 2);
      assert.match(notGit.stderr, /is not a git repository/);
      git(shallowParent.root, 'clone', '-q', '--depth', '1', `file://${repo.root}`, 'shallow');
      const shallow = await runCli(['bench', 'make', path.join(shallowParent.root, 'shallow'), '--out', file]);
      assert.equal(shallow.code, 2);
      assert.match(shallow.stderr, /shallow clone.*fetch --unshallow/s);
      assert.equal(existsSync(file), false);
      assert.deepEqual((await readdir(out.root)).filter((name) => name.startsWith('bad') || name.endsWith('.tmp')), []);
    } finally {
      await plain.cleanup();
      await shallowParent.cleanup();
    }
  });

  it('imports SWE-bench lines with truth from the patch (new files left out), checks base commits, names bad lines', async () => {
    const base = git(repo.root, 'rev-parse', 'HEAD~1').trim();
    const patch = [
      'diff --git a/src/app.py b/src/app.py',
      '--- a/src/app.py',
      '+++ b/src/app.py',
      '@@ -10,7 +10,8 @@ def f():',
      ' a', ' b', ' c', '-d', '+d2', '+d3', ' e', ' f', ' g',
      'diff --git a/src/added.py b/src/added.py',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/src/added.py',
      '@@ -0,0 +1 @@',
      '+x = 1',
      '',
    ].join('\n');
    const line = (id: string, commit: string) => JSON.stringify({ instance_id: id, repo: 'acme/app', base_commit: commit, problem_statement: 'Parsing breaks on empty input', patch, FAIL_TO_PASS: '[]' });
    const input = path.join(out.root, 'swe.jsonl');
    await writeFile(input, `${line('acme__app-1', base)}\n`);
    const file = path.join(out.root, 'imported.jsonl');
    const run = await runCli(['bench', 'make', repo.root, '--import', input, '--out', file]);
    assert.equal(run.code, 0, run.stderr);
    const [task] = parseTasks(await readFile(file, 'utf8'), file);
    assert.deepEqual(task.truth, { files: ['src/app.py'], lines: { 'src/app.py': [[10, 16]] } });
    assert.equal(task.repo, repo.root);
    assert.equal(task.meta.instanceId, 'acme__app-1');

    const missing = path.join(out.root, 'missing.jsonl');
    await writeFile(input, `${line('acme__app-1', base)}\n${line('acme__app-2', 'f'.repeat(40))}\n`);
    const gone = await runCli(['bench', 'make', repo.root, '--import', input, '--out', missing]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /lacks 1 base commit.*line 2: f{40}/s);
    await writeFile(input, `${line('acme__app-1', base)}\n{"instance_id": "x"}\nnot json\n`);
    const bad = await runCli(['bench', 'make', '--import', input, '--out', missing]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /2 bad line.*line 2: .*base_commit.*\n.*line 3: not JSON/s);
    assert.equal(existsSync(missing), false);
  });
});

describe('loco bench make on the real tqdm history', { skip: TQDM_SKIP }, () => {
  let repo: TempTree;
  let out: TempTree;
  before(async () => {
    repo = await cloneTqdm();
    out = await makeTempTree();
  });
  after(async () => {
    await repo.cleanup();
    await out.cleanup();
  });

  it('makes 150 tasks of both kinds, byte-identical for the same seed, none leaking or pointing at tests', async () => {
    const first = path.join(out.root, 'a.jsonl');
    const second = path.join(out.root, 'b.jsonl');
    const other = path.join(out.root, 'c.jsonl');
    for (const [file, seed] of [[first, '7'], [second, '7'], [other, '8']] as const) {
      const run = await runCli(['bench', 'make', repo.root, '--out', file, '--count', '150', '--seed', seed], { timeoutMs: 120_000 });
      assert.equal(run.code, 0, run.stderr);
    }
    const bytes = await readFile(first, 'utf8');
    assert.equal(await readFile(second, 'utf8'), bytes, 'same seed, same bytes');
    assert.notEqual(await readFile(other, 'utf8'), bytes, 'another seed samples other tasks');
    const tasks = parseTasks(bytes, first);
    assert.equal(tasks.length, 150);
    const kinds = new Map<string, number>();
    for (const task of tasks) kinds.set(task.kind, (kinds.get(task.kind) ?? 0) + 1);
    assert.ok((kinds.get('localization') ?? 0) >= 50 && (kinds.get('definition') ?? 0) >= 50, JSON.stringify([...kinds]));
    const languages = new Set(['python', 'javascript', 'typescript', 'go', 'rust', 'java', 'c', 'cpp', 'ruby', 'shell']);
    for (const task of tasks) {
      for (const file of task.truth.files) {
        assert.equal(exclusionOf(file, languages), undefined, `${task.id} cites ${file}`);
        assert.equal(task.question.toLowerCase().includes(file.slice(file.lastIndexOf('/') + 1).toLowerCase()), false, `${task.id} names ${file}`);
      }
      assert.deepEqual((task.meta.leakCheck as { named: string[] }).named, []);
      if (task.kind === 'localization') {
        // The truth is on the parent tree: every range lies inside the file as it was there.
        const fix = task.meta.fixCommit as string;
        assert.equal(git(repo.root, 'rev-parse', `${fix}^`).trim(), task.commit);
        for (const [file, ranges] of Object.entries(task.truth.lines)) {
          const length = git(repo.root, 'show', `${task.commit}:${file}`).split('\n').length;
          for (const [, end] of ranges) assert.ok(end <= length, `${task.id} ${file} ends at ${end} of ${length}`);
        }
      }
    }
    const report = JSON.parse(await readFile(path.join(out.root, 'a.report.json'), 'utf8'));
    for (const filter of ['merge', 'short-message', 'trivial-message', 'no-existing-source-file']) assert.ok(report.byKind.localization.rejected[filter] > 0, filter);
  });
});
