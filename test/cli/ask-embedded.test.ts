// `loco ask` on the embedded engine: through `--backend gguf:` and through the default
// route (the default model found in the models cache), on the tiny generated model.
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_MODEL_FILE } from '../../src/models/refs.js';
import { tinyGgufPath } from '../support/tiny-gguf.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
let models: TempTree;
let modelFile: string;
before(async () => {
  tree = await makeTempTree({ 'main.py': 'print("hello")\n' });
  models = await makeTempTree();
  modelFile = await tinyGgufPath();
  await copyFile(modelFile, path.join(models.root, DEFAULT_MODEL_FILE));
});
after(async () => {
  await tree.cleanup();
  await models.cleanup();
});

const engineFlags = ['--threads', '1', '--ctx-size', '4096', '--temperature', '0', '--max-turns', '1', '--json'];

test('the default route runs the cached default model in-process', async () => {
  const run = await runCli(['ask', tree.root, 'What does main.py print?', ...engineFlags, '--verbose'], { env: { LOCO_MODELS_DIR: models.root } });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, new RegExp(`with embedded ${DEFAULT_MODEL_FILE.replace(/\./g, '\\.')} \\(threads 1, ctx 4096\\)`));
  const report = JSON.parse(run.stdout);
  assert.equal(report.turns, 1);
  assert.equal(report.stopReason, 'answer');
  assert.ok(report.answer.length > 0);
  assert.ok(report.usage.promptTokens > 100, JSON.stringify(report.usage));
  assert.ok(report.usage.completionTokens > 0);
});

test('gguf: backend at temperature 0 gives the same answer twice', async () => {
  const first = await runCli(['ask', tree.root, 'Summarize', ...engineFlags, '--backend', `gguf:${modelFile}`]);
  const second = await runCli(['ask', tree.root, 'Summarize', ...engineFlags, '--backend', `gguf:${modelFile}`]);
  assert.equal(first.code, second.code, first.stderr + second.stderr);
  assert.equal(JSON.parse(first.stdout).answer, JSON.parse(second.stdout).answer);
});

test('a file that is not a model fails with a clear message', async () => {
  const run = await runCli(['ask', tree.root, 'q', '--backend', `gguf:${path.join(tree.root, 'main.py')}`]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /main\.py.*(GGUF|model)/);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});
