// `loco eval` end to end on the embedded engine, with the tiny generated model: real
// tokenization, real generation, real usage numbers, then the saved outputs re-scored.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { tinyGgufPath } from '../support/tiny-gguf.js';
import { CASES, writeFixtureFiles } from './fixtures.js';

let tree: TempTree;
let samples: string;
let model: string;

before(async () => {
  tree = await makeTempTree();
  ({ samples } = await writeFixtureFiles(tree.root));
  model = await tinyGgufPath();
});
after(() => tree.cleanup());

const engineFlags = ['--threads', '1', '--ctx-size', '4096', '--temperature', '0', '--max-tokens', '24'];

test('eval runs every sample through the tiny model and scores what it wrote', { timeout: 120_000 }, async () => {
  const out = path.join(tree.root, 'out');
  const run = await runCli(['eval', samples, '--backend', `gguf:${model}`, ...engineFlags, '--concurrency', '2', '--out', out, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.failed, 0);
  assert.equal(report.metrics.scored, CASES.length);
  assert.match(report.run.backend, /embedded tiny\.gguf/);
  // The label side does not depend on the model.
  assert.deepEqual([report.metrics.labelArgumentSyntax.valid, report.metrics.labelArgumentSyntax.total], [12, 13]);
  for (const sample of report.samples) {
    assert.ok(sample.usage.promptTokens > 100, `${sample.id}: the system prompt was sent (${sample.usage.promptTokens} tokens)`);
    assert.ok(sample.usage.completionTokens > 0 && sample.usage.completionTokens <= 24);
    assert.ok(sample.latencyMs >= 0);
  }

  // Every `<tool_call>` the model opened is counted as a call, valid or not.
  const lines = (await readFile(path.join(out, 'results.jsonl'), 'utf8')).trim().split('\n').slice(1).map((line) => JSON.parse(line));
  assert.equal(lines.length, CASES.length);
  const opened = lines.reduce((sum, line) => sum + (line.output.split('<tool_response>')[0].split('<tool_call>').length - 1), 0);
  assert.equal(report.metrics.jsonValidity.total, opened);

  const rescored = await runCli(['eval', 'score', path.join(out, 'results.jsonl'), '--json']);
  assert.equal(rescored.code, 0, rescored.stderr);
  assert.deepEqual(JSON.parse(rescored.stdout).metrics, report.metrics);
});
