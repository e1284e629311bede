// `loco ask --profile` end to end: the built CLI on a scripted backend that speaks
// FastContext's dialect (Read with `path`, Glob with `directory`), FastContext-shaped results
// in the trace, its turn limit, and `citations` in --json for every profile.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { onPath, skipUnless } from '../support/required-tools.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
let scripts: TempTree;
before(async () => {
  tree = await makeTempTree({ 'src/app.py': 'import os\n\ndef handler():\n    return os.getcwd()\n', 'README.md': '# demo\n' });
  scripts = await makeTempTree();
});
after(async () => {
  await tree.cleanup();
  await scripts.cleanup();
});

const call = (name: string, args: Record<string, unknown>) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;

async function script(name: string, turns: string[]): Promise<string> {
  const file = path.join(scripts.root, name);
  await writeFile(file, turns.map((text) => JSON.stringify({ type: 'assistant', text })).join('\n') + '\n');
  return file;
}

interface TraceLine {
  type: string;
  name?: string;
  output?: string;
}

async function toolOutputs(traceFile: string): Promise<TraceLine[]> {
  return (await readFile(traceFile, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TraceLine)
    .filter((line) => line.type === 'tool-result');
}

test('--profile fastcontext: Read with path and Glob with directory answer in its formats; --json carries the <final_answer> citations', { skip: skipUnless(onPath('rg'), 'ripgrep (rg)') }, async () => {
  const app = path.join(tree.root, 'src/app.py');
  const file = await script('fastcontext.jsonl', [
    `${call('Glob', { pattern: '*.py', directory: tree.root })}\n${call('Read', { path: app, offset: 3, limit: 2 })}`,
    `The handler returns the working directory.\n<final_answer>\n${app}:3-4 (defines handler)\n${path.join(tree.root, 'src/gone.py')}:1-2\n</final_answer>`,
  ]);
  const traceFile = path.join(scripts.root, 'fastcontext.trace.jsonl');
  const run = await runCli(['ask', tree.root, 'Where is the handler?', '--profile', 'fastcontext', '--backend', `fake:${file}`, '--json', '--trace', traceFile]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { answer: string; turns: number; toolCalls: { name: string; ok: boolean }[]; citations: unknown[] };
  assert.deepEqual(report.toolCalls.map((toolCall) => [toolCall.name, toolCall.ok]), [['Glob', true], ['Read', true]]);
  assert.deepEqual(report.citations, [{ path: 'src/app.py', start: 3, end: 4, reason: 'defines handler' }]);
  const outputs = await toolOutputs(traceFile);
  assert.deepEqual(outputs.map((line) => line.output), [app, `\`\`\`${app}:3-4\n3|def handler():\n4|    return os.getcwd()\n\n\`\`\``]);
});

test('--profile fastcontext: 4 turns by default, then a final answer without tools; a Claude Code argument name is refused in its words', async () => {
  const read = call('Read', { path: 'README.md' });
  const file = await script('turns.jsonl', [call('Read', { file: 'README.md' }), read, read, read, `Done.\n<final_answer>\n${tree.root}/README.md:1-1\n</final_answer>`]);
  const traceFile = path.join(scripts.root, 'turns.trace.jsonl');
  const run = await runCli(['ask', tree.root, 'What is this?', '--profile', 'fastcontext', '--backend', `fake:${file}`, '--json', '--trace', traceFile]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { turns: number; stopReason: string; citations: unknown[] };
  assert.deepEqual([report.turns, report.stopReason], [5, 'max-turns']);
  assert.deepEqual(report.citations, [{ path: 'README.md', start: 1, end: 1, reason: '' }]);
  const outputs = await toolOutputs(traceFile);
  assert.equal(outputs[0].output, 'Tool `Read` arguments are invalid.');
  assert.equal(outputs[1].output, '```README.md:1-1\n1|# demo\n\n```');
});

test('default profile (locooperator): citations parsed from the prose answer; a profile file is used and a bad one refused naming the field', async () => {
  const file = await script('loco.jsonl', [`The handler is in src/app.py:3-4. It calls os.getcwd; see also src/nowhere.py:1.`]);
  const run = await runCli(['ask', tree.root, 'Where is the handler?', '--backend', `fake:${file}`, '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual((JSON.parse(run.stdout) as { citations: unknown[] }).citations, [{ path: 'src/app.py', start: 3, end: 4, reason: 'The handler is in src/app.py:3-4.' }]);

  const good = path.join(scripts.root, 'two-turns.json');
  await writeFile(good, JSON.stringify({ extends: 'fastcontext', name: 'fastcontext-short', maxTurns: 1 }));
  const turns = await script('two.jsonl', [call('Read', { path: 'README.md' }), 'Final.']);
  const short = await runCli(['ask', tree.root, 'q', '--profile', good, '--backend', `fake:${turns}`, '--json']);
  assert.equal(short.code, 0, short.stderr);
  assert.deepEqual((JSON.parse(short.stdout) as { turns: number; stopReason: string }).stopReason, 'max-turns');

  const bad = path.join(scripts.root, 'bad.json');
  await writeFile(bad, JSON.stringify({ extends: 'fastcontext', sampling: { temperature: 0.7, topP: 0.8 } }));
  const refused = await runCli(['ask', tree.root, 'q', '--profile', bad, '--backend', `fake:${turns}`]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /bad\.json: sampling\.topK: /);
});

test('loco profile list names the built-ins; profile show prints one as JSON that --profile takes back unchanged', async () => {
  const list = await runCli(['profile', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]), ['locooperator', 'qwen3-tools', 'fastcontext']);
  const shown = await runCli(['profile', 'show', 'fastcontext']);
  assert.equal(shown.code, 0, shown.stderr);
  const saved = path.join(scripts.root, 'shown.json');
  await writeFile(saved, shown.stdout.replace('"maxTurns": 4', '"maxTurns": 1'));
  const again = await runCli(['profile', 'show', saved]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual({ ...(JSON.parse(again.stdout) as object), maxTurns: 4 }, JSON.parse(shown.stdout));
  const turns = await script('shown.jsonl', [call('Read', { path: 'README.md' }), 'Final.']);
  const run = await runCli(['ask', tree.root, 'q', '--profile', saved, '--backend', `fake:${turns}`, '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { stopReason: string }).stopReason, 'max-turns');
  const missing = await runCli(['profile', 'show', path.join(scripts.root, 'absent.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*absent\.json/);
});
