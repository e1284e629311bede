// The proof that the training data is right: a conversation loco ran (scripted model, real
// tools, real HTTP), imported from its trace and built into MS-SWIFT rows, renders under
// MS-SWIFT's qwen3_nothinking + hermes rules (swift-template.ts) to exactly the text loco
// sent the model at inference time, byte for byte, whatever `ensure_ascii` the trainer uses.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startReplayServer } from '../support/openai-replay-server.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { renderSwiftRow, type SwiftMessage } from './swift-template.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree({ 'repo/README.md': '# Demo\nA naïve demo.\n', 'repo/src/app.ts': 'export const demo = 1;\n' });
});
after(async () => tree.cleanup());

/** ChatML framing of model-dialect.md section 1: what the model reads for a request's messages. */
function inferenceText(messages: readonly { role: string; content: string }[]): string {
  return messages.map((message) => `<|im_start|>${message.role}\n${message.content}<|im_end|>\n`).join('');
}

const TURNS = [
  // Text, then two parallel calls, as the model writes them.
  'I will read the readme and search the sources.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "README.md"}}\n</tool_call>\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "demo", "output_mode": "content"}}\n</tool_call>',
  // A call alone, with non-ASCII in its JSON.
  '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "naïve", "path": "README.md"}}\n</tool_call>',
  'It is a naïve demo: README.md says so and src/app.ts:1 exports `demo`.',
];

test('MS-SWIFT rows render to the text loco sent the model, byte for byte', async () => {
  const repo = path.join(tree.root, 'repo');
  const server = await startReplayServer(TURNS.map((text) => ({ deltas: [text] })));
  const trace = path.join(tree.root, 'trace.jsonl');
  try {
    const ask = await runCli(['ask', repo, 'What is this project?', '--backend', server.url, '--trace', trace, '--sandbox', 'allow-list']);
    assert.equal(ask.code, 0, ask.stderr);
  } finally {
    await server.close();
  }
  const lastRequest = server.requests.at(-1) as { messages: { role: string; content: string }[] };
  const expected = `${inferenceText(lastRequest.messages)}<|im_start|>assistant\n${TURNS[2]}<|im_end|>`;

  const conversations = path.join(tree.root, 'conversations.jsonl');
  const imported = await runCli(['distill', 'import', trace, '--out', conversations]);
  assert.equal(imported.code, 0, imported.stderr);
  const out = path.join(tree.root, 'data');
  const built = await runCli(['distill', 'build', conversations, '--out', out, '--validation-ratio', '0']);
  assert.equal(built.code, 0, built.stderr);
  const rows = (await readFile(path.join(out, 'train.swift.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { messages: SwiftMessage[]; tools?: string });
  assert.equal(rows.length, 1);
  const [row] = rows;
  assert.equal(row.tools, undefined, 'the training prompt style sends no tool schemas');
  // The first turn uses MS-SWIFT's own tool_call / tool_response roles.
  assert.deepEqual(
    row.messages.map((message) => message.role),
    ['system', 'user', 'assistant', 'tool_call', 'tool_call', 'tool_response', 'tool_response', 'assistant', 'tool_response', 'assistant'],
  );
  for (const ensureAscii of [false, true]) {
    assert.equal(renderSwiftRow(row.messages, { ensureAscii }), expected, `ensure_ascii=${ensureAscii}`);
  }

  // The other formats carry the same turns.
  const sharegpt = JSON.parse((await readFile(path.join(out, 'train.sharegpt.jsonl'), 'utf8')).trim()) as { system: string; conversations: { from: string; value: string }[] };
  const sharegptText = inferenceText([{ role: 'system', content: sharegpt.system }, ...sharegpt.conversations.map((turn) => ({ role: turn.from === 'gpt' ? 'assistant' : 'user', content: turn.value }))]);
  assert.equal(`${sharegptText.slice(0, -1)}`, expected);
  const openai = JSON.parse((await readFile(path.join(out, 'train.openai.jsonl'), 'utf8')).trim()) as { messages: Record<string, unknown>[] };
  assert.deepEqual(openai.messages[2], {
    role: 'assistant',
    content: 'I will read the readme and search the sources.',
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"README.md"}' } },
      { id: 'call_2', type: 'function', function: { name: 'Grep', arguments: '{"pattern":"demo","output_mode":"content"}' } },
    ],
  });
  assert.deepEqual(openai.messages[3], { role: 'tool', tool_call_id: 'call_1', content: '     1→# Demo\n     2→A naïve demo.' });
  const script = await readFile(path.join(out, 'train.sh'), 'utf8');
  for (const flag of ['--train_type full', '--template qwen3_nothinking', '--agent_template hermes', '--torch_dtype bfloat16', '--num_train_epochs 1', '--learning_rate 2e-5', '--warmup_ratio 0.03', '--per_device_train_batch_size 2', '--gradient_accumulation_steps 4', '--max_length 16384', '--truncation_strategy delete']) {
    assert.ok(script.includes(flag), `train.sh has ${flag}`);
  }
});
