// Sample validation (every bad line reported with its number) and the conversion of
// OpenAI-shaped conversations into the dialect's turns that the backend receives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
import { promptFor, toDialectMessages } from '../../src/eval/conversation.js';
import { runEvaluation } from '../../src/eval/evaluate.js';
import { parseSamples } from '../../src/eval/samples.js';
import { DEFAULT_SAMPLING } from '../../src/protocol/messages.js';

const conversation = {
  id: 'conv',
  messages: [
    { role: 'developer', content: 'You explore code.' },
    { role: 'user', content: [{ type: 'text', text: 'Where is main?' }, { type: 'text', text: 'Be brief.' }] },
    {
      role: 'assistant',
      content: 'Looking.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'Grep', arguments: '{"pattern":"main"}' } },
        { id: 'c2', type: 'function', function: { name: 'Glob', arguments: { pattern: '**/*.py' } } },
      ],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'Found 1 file\napp.py' },
    { role: 'tool', tool_call_id: 'c2', content: '/repo/app.py' },
    { role: 'assistant', content: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "app.py"}}\n</tool_call>' },
    { role: 'tool', content: '     1→def main(): pass' },
  ],
  label: 'main is in app.py.',
  meta: { source: 'unit' },
};

test('tool_calls become <tool_call> blocks; consecutive tool messages become ONE user turn', () => {
  const { samples, problems } = parseSamples(JSON.stringify(conversation));
  assert.deepEqual(problems, []);
  assert.equal(samples[0].meta?.source, 'unit');
  assert.deepEqual(toDialectMessages(samples[0].messages), [
    { role: 'system', content: 'You explore code.' },
    // Text parts joined by newlines, as `loco serve` (and vLLM) do.
    { role: 'user', content: 'Where is main?\nBe brief.' },
    {
      role: 'assistant',
      content: 'Looking.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "main"}}\n</tool_call>\n<tool_call>\n{"name": "Glob", "arguments": {"pattern": "**/*.py"}}\n</tool_call>',
    },
    { role: 'user', content: '<tool_response>\nFound 1 file\napp.py\n</tool_response>\n<tool_response>\n/repo/app.py\n</tool_response>' },
    // Raw dialect text without tool_calls stays verbatim.
    { role: 'assistant', content: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "app.py"}}\n</tool_call>' },
    { role: 'user', content: '<tool_response>\n     1→def main(): pass\n</tool_response>' },
  ]);
});

test('a sample without a system turn gets the training system prompt naming the seven tools', () => {
  const { samples } = parseSamples(JSON.stringify({ id: 1, messages: [{ role: 'user', content: 'hi' }], label: 'hello' }));
  assert.equal(samples[0].id, '1');
  const prompt = promptFor(samples[0].messages);
  assert.equal(prompt[0].role, 'system');
  for (const tool of ['Read', 'Grep', 'Glob', 'Bash', 'Write', 'Edit', 'Task']) assert.match(prompt[0].content, new RegExp(`Use ${tool} `));
  assert.match(prompt[0].content, /<tool_call>\n\{"name": <tool-name>, "arguments": <args-json-object>\}\n<\/tool_call>/);
  assert.deepEqual(prompt.slice(1), [{ role: 'user', content: 'hi' }]);
});

test('the backend receives exactly the converted prompt, once per sample', async () => {
  const { samples } = parseSamples(JSON.stringify(conversation));
  const backend = createFakeBackend([{ type: 'assistant', text: 'main is in app.py.' }]);
  await runEvaluation({ samples, samplesFile: 'x', backend, sampling: DEFAULT_SAMPLING, runs: 1, concurrency: 1 });
  assert.equal(backend.requests.length, 1);
  assert.deepEqual(backend.requests[0].messages, toDialectMessages(samples[0].messages));
  assert.equal(backend.requests[0].tools?.length, 7);
});

test('every bad line is reported with its number, good lines are kept', () => {
  const good = (id: string) => JSON.stringify({ id, messages: [{ role: 'user', content: 'q' }], label: 'a' });
  const text = [
    good('ok1'),
    '{not json',
    JSON.stringify({ id: 'x', messages: [{ role: 'user', content: 'q' }] }),
    '',
    JSON.stringify({ id: 'y', messages: [{ role: 'robot', content: 'q' }], label: 'a' }),
    JSON.stringify({ id: 'z', messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }], label: 'a' }),
    good('ok1'),
    JSON.stringify({ id: 'w', messages: [{ role: 'user', content: 'q' }], label: 'a', lable: 'typo' }),
    JSON.stringify({ id: 'v', messages: [{ role: 'assistant', tool_calls: [{ function: { name: 'Read', arguments: '{oops' } }] }, { role: 'tool', content: 'r' }], label: 'a' }),
    JSON.stringify({ id: 'u', messages: [], label: 'a' }),
    good('ok2'),
  ].join('\n');
  const { samples, problems } = parseSamples(text);
  assert.deepEqual(samples.map((sample) => [sample.id, sample.line]), [['ok1', 1], ['ok2', 11]]);
  assert.deepEqual(problems.map((problem) => problem.line), [2, 3, 5, 6, 7, 8, 9, 10]);
  const at = (line: number) => problems.find((problem) => problem.line === line)?.message ?? '';
  assert.match(at(2), /not valid JSON/);
  assert.match(at(3), /label/);
  assert.match(at(5), /messages\.0/);
  assert.match(at(6), /must end with a user or tool message/);
  assert.match(at(7), /id "ok1" is also used on line 1/);
  assert.match(at(8), /lable/);
  assert.match(at(9), /tool_calls\.0\.function\.arguments/);
  assert.match(at(10), /messages/);
});
