// `loco distill build` through the CLI: each filter drops (or repairs) what it should and
// counts it under its name, secrets are redacted (and only previewed under --dry-run),
// lengths are Qwen3 tokens, and no repository lands in both splits.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { CONVERSATION_VERSION, type Conversation, type ConversationMessage } from '../../src/distill/conversation.js';
import { splitOf } from '../../src/distill/build.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree();
});
after(async () => tree.cleanup());

function conversation(id: string, messages: ConversationMessage[], extra: Partial<Conversation> = {}): Conversation {
  return { v: CONVERSATION_VERSION, id, origin: { source: 'claude-code', file: `${id}.jsonl` }, subagent: true, repo: `/repos/${id}`, messages, ...extra };
}

/** A small explorer conversation; `topic` makes its text distinct. */
function explorer(id: string, topic: string, extra: Partial<Conversation> = {}): Conversation {
  return conversation(
    id,
    [
      { role: 'user', content: `Where is ${topic} handled in this codebase, and which module owns the ${topic} settings?` },
      { role: 'assistant', content: `Searching for ${topic}.`, toolCalls: [{ id: 't1', name: 'Grep', arguments: { pattern: topic } }] },
      { role: 'tool', toolCallId: 't1', name: 'Grep', content: `Found 40 files\n${Array.from({ length: 40 }, (_, index) => `src/${topic}/part-${index}.ts`).join('\n')}`, isError: false },
      { role: 'assistant', content: `${topic} is handled in src/${topic}.ts, which owns its settings and exports the ${topic} handler used at start-up.`, toolCalls: [] },
    ],
    extra,
  );
}

async function writeConversations(name: string, items: (Conversation | string)[]): Promise<string> {
  const file = path.join(tree.root, name);
  await writeFile(file, items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join('\n') + '\n');
  return file;
}

async function build(input: string, out: string, ...flags: string[]): Promise<{ code: number | null; stats: Record<string, unknown> & { dropped: Record<string, Record<string, number>> }; stderr: string }> {
  const run = await runCli(['distill', 'build', input, '--out', out, ...flags]);
  return { code: run.code, stats: run.code === 0 ? JSON.parse(run.stdout) : { dropped: {} }, stderr: run.stderr };
}

async function rows(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  return text.trim() === '' ? [] : text.trim().split('\n').map((line) => JSON.parse(line));
}

test('each filter drops what it should, under its own name', async () => {
  const input = await writeConversations('filters.jsonl', [
    explorer('keep', 'billing'),
    explorer('dup', 'billing'),
    // The same conversation but for one word: a near duplicate.
    conversation('near', explorer('x', 'billing').messages.map((message) => (message.role === 'user' ? { ...message, content: message.content.replace('codebase', 'code base') } : message))),
    conversation('writer', [
      { role: 'user', content: 'Fix the bug' },
      { role: 'assistant', content: '', toolCalls: [{ name: 'Edit', arguments: { file_path: 'a', old_string: 'x', new_string: 'y' } }] },
      { role: 'tool', name: 'Edit', content: 'ok', isError: false },
      { role: 'assistant', content: 'Done.', toolCalls: [] },
    ]),
    conversation('empty-args', [
      { role: 'user', content: 'Find the logger' },
      { role: 'assistant', content: '', toolCalls: [{ name: 'Grep', arguments: {} }] },
      { role: 'tool', name: 'Grep', content: '<tool_use_error>missing pattern</tool_use_error>', isError: true },
      { role: 'assistant', content: 'Unknown.', toolCalls: [] },
    ]),
    conversation('repairable', [
      { role: 'user', content: 'Show the first lines of the parser module please' },
      { role: 'assistant', content: '', toolCalls: [{ name: 'Read', arguments: { file_path: 'src/parser.ts', limit: '20', colour: 'red' } }] },
      { role: 'tool', name: 'Read', content: '     1\tconst parser = 1;', isError: false },
      { role: 'assistant', content: 'The parser module starts with a single constant.', toolCalls: [] },
    ]),
    conversation('stuck', [
      { role: 'user', content: 'Look at the missing file' },
      { role: 'assistant', content: '', toolCalls: [{ name: 'Read', arguments: { file_path: 'nope.ts' } }] },
      { role: 'tool', name: 'Read', content: 'File does not exist.', isError: true },
    ]),
    explorer('main-agent', 'routing', { subagent: false }),
    '{"this is": "not a conversation"}',
    '{"truncated',
  ]);
  const out = path.join(tree.root, 'filters-out');
  const { code, stats, stderr } = await build(input, out, '--subagents-only', '--validation-ratio', '0');
  assert.equal(code, 0, stderr);
  assert.deepEqual(stats.dropped, {
    input: { 'not JSON': 1, 'not a conversation record (run `loco distill import` first)': 1 },
    shape: { 'not a sub-agent': 1, 'calls a tool outside the explorer set': 1 },
    schema: { 'call with empty arguments': 1 },
    errors: { 'ends on failed calls': 1 },
    duplicates: { exact: 1, near: 1 },
  });
  assert.deepEqual(stats.calls, { invalid: 2, repaired: 1 });
  assert.deepEqual(stats.kept, { train: 2, validation: 0 });
  const kept = (await rows(path.join(out, 'train.conversations.jsonl'))) as Conversation[];
  assert.deepEqual(kept.map((item) => item.id), ['keep', 'repairable']);
  const repaired = kept[1].messages[1];
  assert.deepEqual(repaired.role === 'assistant' && repaired.toolCalls[0].arguments, { file_path: 'src/parser.ts', limit: 20 });
  // Read output re-rendered in the training form.
  const swift = (await rows(path.join(out, 'train.swift.jsonl'))) as { messages: { role: string; content: string }[] }[];
  assert.equal(swift[1].messages.find((message) => message.role === 'tool_response')?.content, '     1→const parser = 1;');

  // --drop: the repairable call drops its conversation instead.
  const strict = await build(input, path.join(tree.root, 'filters-strict'), '--subagents-only', '--validation-ratio', '0', '--invalid-calls', 'drop');
  assert.deepEqual(strict.stats.dropped.schema, { 'call with empty arguments': 1, 'invalid call': 1 });
});

test('secrets are redacted in the data; --dry-run previews them masked and writes nothing', async () => {
  const key = 'sk-ant-api03-' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6';
  const input = await writeConversations('secrets.jsonl', [
    conversation('secret', [
      { role: 'user', content: 'What does the .env configure?' },
      { role: 'assistant', content: '', toolCalls: [{ name: 'Bash', arguments: { command: `curl -H "Authorization: Bearer ${'ghp_' + 'abcdefghijklmnopqrstuvwxyz0123456789'}" https://api.example.com` } }] },
      { role: 'tool', name: 'Bash', content: `ANTHROPIC_API_KEY=${key}\nDATABASE_PASSWORD="hunter2hunter2"\nPORT=8080`, isError: false },
      { role: 'assistant', content: 'It sets the API key, the database password and the port.', toolCalls: [] },
    ]),
  ]);
  const dry = path.join(tree.root, 'secrets-dry');
  const preview = await runCli(['distill', 'build', input, '--out', dry, '--dry-run', '--validation-ratio', '0']);
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stderr, /would redact github-token ghp_…89 \(40 chars\) in secret/);
  assert.match(preview.stderr, /would redact anthropic-key sk-a…p6/);
  assert.match(preview.stderr, /would redact env-value hunt…r2/);
  assert.ok(!preview.stderr.includes(key), 'the preview never shows a whole secret');
  await assert.rejects(readdir(dry), /ENOENT/);

  const out = path.join(tree.root, 'secrets-out');
  const { code, stats } = await build(input, out, '--validation-ratio', '0');
  assert.equal(code, 0);
  assert.deepEqual(stats.secrets, { conversations: 1, redactions: { 'anthropic-key': 1, 'github-token': 1, 'env-value': 1 } });
  const text = await readFile(path.join(out, 'train.swift.jsonl'), 'utf8');
  assert.ok(!text.includes(key) && !text.includes('hunter2') && !text.includes('ghp_abc'));
  assert.match(text, /ANTHROPIC_API_KEY=\[REDACTED:anthropic-key\]\\nDATABASE_PASSWORD=\\"\[REDACTED:env-value\]\\"\\nPORT=8080/);
});

test('length is counted in Qwen3 tokens: over-long conversations are deleted, or cut at a turn boundary', async () => {
  const long = conversation('long', [
    { role: 'user', content: 'Summarise the two modules' },
    { role: 'assistant', content: 'First module.', toolCalls: [{ name: 'Read', arguments: { file_path: 'a.ts' } }] },
    { role: 'tool', name: 'Read', content: 'x', isError: false },
    { role: 'assistant', content: 'Second module.', toolCalls: [{ name: 'Read', arguments: { file_path: 'b.ts' } }] },
    { role: 'tool', name: 'Read', content: Array.from({ length: 400 }, (_, index) => `     ${index + 1}\tconst value${index} = ${index};`).join('\n'), isError: false },
    { role: 'assistant', content: 'Both modules define constants.', toolCalls: [] },
  ]);
  const input = await writeConversations('long.jsonl', [long]);
  const deleted = await build(input, path.join(tree.root, 'long-delete'), '--max-length', '1000', '--validation-ratio', '0');
  assert.deepEqual(deleted.stats.dropped, { length: { 'over 1000 tokens': 1 } });
  const cut = await build(input, path.join(tree.root, 'long-cut'), '--max-length', '1000', '--truncation', 'cut', '--validation-ratio', '0');
  assert.equal(cut.stats.cutToLength, 1);
  const [row] = (await rows(path.join(tree.root, 'long-cut', 'train.conversations.jsonl'))) as Conversation[];
  assert.deepEqual(row.messages.map((message) => message.role), ['user', 'assistant', 'tool', 'assistant']);
  const tokens = cut.stats.tokens as { max: number };
  assert.ok(tokens.max <= 1000 && tokens.max > 200, `cut conversation has ${tokens.max} tokens`);
});

test('the split is by repository: no repository in both, and the held-out side is what eval-set samples', async () => {
  const items: Conversation[] = [];
  for (let repo = 0; repo < 30; repo++) for (const topic of ['cache', 'queue']) items.push(explorer(`r${repo}-${topic}`, `${topic}${repo}`, { repo: `/repos/project-${repo}` }));
  const input = await writeConversations('split.jsonl', items);
  const out = path.join(tree.root, 'split-out');
  const { code, stats } = await build(input, out, '--validation-ratio', '0.3');
  assert.equal(code, 0);
  const splits = JSON.parse(await readFile(path.join(out, 'splits.json'), 'utf8')) as { train: string[]; validation: string[] };
  assert.ok(splits.validation.length > 0 && splits.train.length > 0);
  assert.deepEqual(splits.train.filter((repo) => splits.validation.includes(repo)), []);
  for (const repo of splits.validation) assert.equal(splitOf(repo, 0.3), 'validation');
  const validation = (await rows(path.join(out, 'validation.conversations.jsonl'))) as Conversation[];
  assert.equal(validation.length, (stats.kept as { validation: number }).validation);
  assert.ok(validation.every((item) => splits.validation.includes(item.repo ?? '')));

  const samplesFile = path.join(tree.root, 'samples.jsonl');
  const evalSet = await runCli(['distill', 'eval-set', path.join(out, 'validation.conversations.jsonl'), '--out', samplesFile, '--count', '5']);
  assert.equal(evalSet.code, 0, evalSet.stderr);
  const samples = (await rows(samplesFile)) as { id: string; messages: { role: string }[]; label: string; meta: { repo: string } }[];
  assert.equal(samples.length, Math.min(5, validation.length));
  for (const sample of samples) {
    assert.ok(sample.messages.length >= 3 && sample.messages.length <= 33);
    assert.equal(sample.messages[0].role, 'system');
    assert.ok(!splits.train.includes(sample.meta.repo));
  }
  // The samples are valid `loco eval` input: its own loader reads them.
  const { loadSamples } = await import('../../src/eval/samples.js');
  assert.equal((await loadSamples(samplesFile)).length, samples.length);
  // eval-set refuses conversations of training repositories.
  const leak = await runCli(['distill', 'eval-set', path.join(out, 'train.conversations.jsonl'), '--out', path.join(tree.root, 'leak.jsonl'), '--splits', path.join(out, 'splits.json')]);
  assert.equal(leak.code, 1);
  assert.equal(JSON.parse(leak.stdout).samples, 0);
});

test('bad input names the file and the fix, and writes nothing', async () => {
  const out = path.join(tree.root, 'never');
  const missing = await runCli(['distill', 'build', path.join(tree.root, 'nope.jsonl'), '--out', out]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.jsonl: no such file \(run `loco distill import` first\)/);
  await assert.rejects(readdir(out), /ENOENT/);
  const short = await runCli(['distill', 'build', path.join(tree.root, 'nope.jsonl'), '--out', out, '--max-length', '10']);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /--max-length must be a whole number from 64/);
});
