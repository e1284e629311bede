// Hostile model output through the whole `loco ask` pipeline (parser, tools, trace, JSON
// output): the run still answers, and the model gets an error result naming the limit.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_JSON_DEPTH } from '../../src/protocol/json-depth.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
let scripts: TempTree;
before(async () => {
  tree = await makeTempTree({ 'a.txt': 'hello\n' });
  scripts = await makeTempTree();
});
after(async () => {
  await tree.cleanup();
  await scripts.cleanup();
});

async function script(name: string, turns: string[]): Promise<string> {
  const file = path.join(scripts.root, name);
  await writeFile(file, turns.map((text) => JSON.stringify({ type: 'assistant', text })).join('\n') + '\n');
  return file;
}

const call = (argumentsJson: string) => `<tool_call>\n{"name": "Grep", "arguments": ${argumentsJson}}\n</tool_call>`;

for (const levels of [5000, 100_000]) {
  test(`arguments nested ${levels} levels deep: --json and --trace answer, the model is told the limit`, async () => {
    const deep = `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const file = await script(`deep-${levels}.jsonl`, [
      `${call(`{"pattern": "x", "deep": ${deep}}`)}\n${call(`{"pattern": ${JSON.stringify(`{"a": ${deep}}`)}}`)}\n${call(`{"deep": ${'{"a": '.repeat(levels)}`)}`,
      'done',
    ]);
    const traceFile = path.join(scripts.root, `deep-${levels}.trace.jsonl`);
    const run = await runCli(['ask', tree.root, 'q', '--backend', `fake:${file}`, '--json', '--trace', traceFile]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { answer: string; toolCalls: { ok: boolean }[] };
    assert.equal(report.answer, 'done');
    assert.equal(report.toolCalls.length, 3);
    const results = (await readFile(traceFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; output?: string });
    const outputs = results.filter((line) => line.type === 'tool-result').map((line) => line.output ?? '');
    assert.equal(outputs.length, 3);
    // The second call is well-formed (its pattern is a string that only looks deep): Grep gets it.
    assert.doesNotMatch(outputs[1], /nests more/);
    for (const index of [0, 2]) assert.match(outputs[index], new RegExp(`nests more than ${MAX_JSON_DEPTH} levels.*the limit is ${MAX_JSON_DEPTH}`));
  });
}

test('flag-shaped and oversized arguments: the model gets messages naming the fix, never usage text or E2BIG', async () => {
  const huge = 'a'.repeat(200_000);
  const calls = [
    call(`{"pattern": "x", "type": "--pre=sh"}`),
    call(`{"pattern": ${JSON.stringify(huge)}}`),
    `<tool_call>\n{"name": "Bash", "arguments": {"command": ${JSON.stringify(`echo ${huge}`)}}}\n</tool_call>`,
    `<tool_call>\n{"name": "Read", "arguments": {"file_path": ${JSON.stringify('p'.repeat(5000))}}}\n</tool_call>`,
  ];
  const file = await script('hostile-arguments.jsonl', [calls.join('\n'), 'done']);
  const traceFile = path.join(scripts.root, 'hostile-arguments.trace.jsonl');
  const run = await runCli(['ask', tree.root, 'q', '--backend', `fake:${file}`, '--json', '--trace', traceFile, '--sandbox', 'allow-list']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { answer: string }).answer, 'done');
  const outputs = (await readFile(traceFile, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; output?: string })
    .filter((line) => line.type === 'tool-result')
    .map((line) => line.output ?? '');
  assert.equal(outputs.length, 4);
  assert.match(outputs[0], /Grep's `type` must be a ripgrep file type name/);
  assert.match(outputs[1], /Grep's `pattern` is 200000 characters long; the limit is 32768/);
  assert.match(outputs[2], /Bash's `command` is 200005 characters long; the limit is 32768/);
  assert.match(outputs[3], /cannot exist: it is \d+ characters long and paths hold at most 4096/);
  for (const output of outputs) {
    assert.doesNotMatch(output, /USAGE|E2BIG|ENAMETOOLONG/);
    assert.ok(output.length < 600);
  }
});
