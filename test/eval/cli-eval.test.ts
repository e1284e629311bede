// `loco eval` as a user runs it: the real CLI, the fake backend, the hand-made fixture.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { CASES, fakeEntries, fakeScriptJsonl, writeFixtureFiles } from './fixtures.js';

let tree: TempTree;
let files: { samples: string; script: string };
let perfectScript: string;

before(async () => {
  tree = await makeTempTree();
  files = await writeFixtureFiles(tree.root);
  // A model that answers exactly what the teacher did.
  perfectScript = path.join(tree.root, 'perfect.jsonl');
  await writeFile(perfectScript, fakeScriptJsonl(fakeEntries(CASES.map((item) => ({ ...item, output: item.label })))));
});
after(() => tree.cleanup());

test('--json prints the model card metrics with their counts', async () => {
  const run = await runCli(['eval', files.samples, '--backend', `fake:${files.script}`, '--json', '--concurrency', '4']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  const { metrics } = report;
  assert.deepEqual([metrics.presence.matched, metrics.presence.total], [11, 13]);
  assert.deepEqual([metrics.firstToolType.matched, metrics.firstToolType.total], [5, 10]);
  assert.deepEqual([metrics.jsonValidity.valid, metrics.jsonValidity.total], [11, 13]);
  assert.deepEqual([metrics.argumentSyntax.valid, metrics.argumentSyntax.total], [9, 13]);
  assert.deepEqual([metrics.labelArgumentSyntax.valid, metrics.labelArgumentSyntax.total], [12, 13]);
  assert.equal(metrics.toolCounts.model.Read, 5);
  assert.equal(metrics.toolCounts.label.Read, 6);
  assert.equal(report.samples.length, 13);
  assert.equal(report.samples[0].id, 's1');
  assert.equal(report.samples[0].presenceMatched, true);
});

test('the table reads like the model card', async () => {
  const run = await runCli(['eval', files.samples, '--backend', `fake:${files.script}`]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Tool call presence alignment\s+84\.6% \(11\/13\)\s+57\.8-95\.7%/);
  assert.match(run.stdout, /First tool type match\s+50\.0% \(5\/10\)/);
  assert.match(run.stdout, /JSON validity\s+84\.6% \(11\/13\).*100\.0% \(13\/13\)/);
  assert.match(run.stdout, /Argument syntax correctness\s+69\.2% \(9\/13\).*92\.3% \(12\/13\)/);
  assert.match(run.stdout, /Read\s+5\s+6\s+-1/);
  assert.equal(run.stderr, '');
});

test('--out writes results.jsonl, report.md and report.html; score re-scores them without a model', async () => {
  const out = path.join(tree.root, 'out');
  const run = await runCli(['eval', files.samples, '--backend', `fake:${files.script}`, '--out', out, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const lines = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines[0].kind, 'run');
  assert.equal(lines[0].samples, 13);
  assert.equal(lines.length, 14);
  const s4 = lines.find((line) => line.id === 's4');
  assert.equal(s4.output, CASES[3].output);
  assert.equal(s4.verdict.model.calls[0].jsonValid, false);
  const markdown = await readFile(path.join(out, 'report.md'), 'utf8');
  assert.match(markdown, /\| Tool call presence alignment \| 84\.6% \(11\/13\) \|/);
  assert.match(markdown, /## Samples that missed/);
  const html = await readFile(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /<svg id="tool-chart"/);
  assert.doesNotMatch(html, /(src|href)=["']?(https?:|\/\/)/);

  const scored = await runCli(['eval', 'score', path.join(out, 'results.jsonl'), '--json']);
  assert.equal(scored.code, 0, scored.stderr);
  assert.deepEqual(JSON.parse(scored.stdout).metrics, JSON.parse(run.stdout).metrics);
  const rescoredDir = path.join(tree.root, 'rescored');
  const rescored = await runCli(['eval', 'score', path.join(out, 'results.jsonl'), '--out', rescoredDir]);
  assert.equal(rescored.code, 0, rescored.stderr);
  assert.match(await readFile(path.join(rescoredDir, 'report.md'), 'utf8'), /84\.6% \(11\/13\)/);
});

test('--compare puts two runs side by side with a paired test', async () => {
  const a = path.join(tree.root, 'a');
  const b = path.join(tree.root, 'b');
  assert.equal((await runCli(['eval', files.samples, '--backend', `fake:${files.script}`, '--out', a])).code, 0);
  assert.equal((await runCli(['eval', files.samples, '--backend', `fake:${perfectScript}`, '--out', b])).code, 0);
  const run = await runCli(['eval', '--compare', path.join(a, 'results.jsonl'), path.join(b, 'results.jsonl'), '--json']);
  assert.equal(run.code, 0, run.stderr);
  const comparison = JSON.parse(run.stdout);
  const presence = comparison.metrics.find((row: { metric: string }) => row.metric === 'Tool call presence alignment');
  assert.deepEqual([presence.a.matched, presence.b.matched, presence.b.total], [11, 13, 13]);
  assert.ok(Math.abs(presence.deltaPoints - (200 / 13)) < 1e-9);
  assert.deepEqual([comparison.paired.presence.onlyA, comparison.paired.presence.onlyB], [0, 2]);
  assert.equal(comparison.paired.presence.pValue, 0.5);
  assert.deepEqual(comparison.paired.presence.onlyBIds.sort(), ['s10', 's9']);
  const text = await runCli(['eval', '--compare', path.join(a, 'results.jsonl'), path.join(b, 'results.jsonl')]);
  assert.match(text.stdout, /Tool call presence alignment\s+84\.6% \(11\/13\).*100\.0% \(13\/13\).*\+15\.4 pp/);
});

test('--runs reports the spread across runs', async () => {
  const script = path.join(tree.root, 'twice.jsonl');
  await writeFile(script, fakeScriptJsonl([...fakeEntries(), ...fakeEntries(CASES.map((item) => ({ ...item, output: item.label })))]));
  const run = await runCli(['eval', files.samples, '--backend', `fake:${script}`, '--runs', '2', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.deepEqual(report.runs.perMetric.presence.values, [11 / 13, 1]);
  assert.deepEqual([report.runs.passAll.presence.matched, report.runs.passAny.presence.matched], [11, 13]);
  const table = await runCli(['eval', files.samples, '--backend', `fake:${script}`, '--runs', '2', '--temperature', '0']);
  assert.match(table.stdout, /Across 2 runs/);
  assert.match(table.stderr, /temperature 0/);
});

test('--limit takes the first n samples', async () => {
  const run = await runCli(['eval', files.samples, '--backend', `fake:${files.script}`, '--limit', '3', '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).samples.map((sample: { id: string }) => sample.id), ['s1', 's2', 's3']);
});

test('bad sample lines are all reported with their numbers, before any generation (exit 2)', async () => {
  const bad = path.join(tree.root, 'bad.jsonl');
  const good = (await readFile(files.samples, 'utf8')).split('\n')[0];
  await writeFile(bad, [good, '{"id": "x"}', 'nope', good].join('\n'));
  const run = await runCli(['eval', bad, '--backend', `fake:${files.script}`]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /3 bad lines/);
  assert.match(run.stderr, /line 2: /);
  assert.match(run.stderr, /line 3: not valid JSON/);
  assert.match(run.stderr, /line 4: id "s1" is also used on line 1/);
  assert.equal(run.stdout, '');
});

test('usage errors exit 2 with a message that names the fix', async () => {
  const cases: [string[], RegExp][] = [
    [['eval'], /give a samples file/],
    [['eval', path.join(tree.root, 'missing.jsonl'), '--backend', 'fake:x'], /cannot read samples .*no such file/],
    [['eval', files.samples, '--backend', `fake:${files.script}`, '--concurrency', '0'], /--concurrency must be a whole number from 1/],
    [['eval', files.samples, '--backend', `fake:${files.script}`, '--temperature', 'hot'], /--temperature must be a number/],
    [['eval', '--compare', files.samples], /exactly two results files/],
    [['eval', 'score', files.samples], /not a loco eval results file/],
    [['eval', 'score', path.join(tree.root, 'nothing.jsonl')], /cannot read results/],
    [['eval', files.samples, '--out', files.samples, '--backend', `fake:${files.script}`], /cannot use --out/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(' '));
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }
});

test('a backend that fails every sample exits 1 and says why', async () => {
  const script = path.join(tree.root, 'failing.jsonl');
  await writeFile(script, fakeScriptJsonl(CASES.map(() => ({ type: 'error', error: { code: 'backend-unreachable', message: 'connection refused' } }))));
  const run = await runCli(['eval', files.samples, '--backend', `fake:${script}`, '--json']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /every generation failed: connection refused/);
  assert.equal(JSON.parse(run.stdout).failed, 13);
});
