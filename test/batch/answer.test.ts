// answerQuery alone, with no output directory or queue: what a distributed runner would call.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
import { answerQuery, type AnswerDependencies, type QueryProgressEvent } from '../../src/batch/answer.js';
import { DEFAULT_RETRY_POLICY } from '../../src/batch/retry.js';
import { parseTemplate } from '../../src/batch/template.js';
import { parseTrace } from '../../src/trace/reader.js';
import { renderToolCall } from '../../src/protocol/tool-call-codec.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let repo: TempTree;
before(async () => {
  repo = await makeTempTree({ 'notes.txt': 'the answer is 42\n' });
});
after(() => repo.cleanup());

function deps(entries: Parameters<typeof createFakeBackend>[0], events: QueryProgressEvent[]): AnswerDependencies {
  return {
    backend: createFakeBackend(entries),
    template: parseTemplate('Q: {question}', 'test'),
    explorer: { sandbox: 'allow-list', maxTurns: 3, subagents: false },
    retry: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 2 },
    onProgress: (event) => events.push(event),
  };
}

test('answers one query: record, answer and a complete trace, retrying a backend failure', async () => {
  const events: QueryProgressEvent[] = [];
  const query = { id: 'q1', line: 3, query: 'what is the answer?', repo: repo.root };
  const outcome = await answerQuery(
    query,
    deps(
      [
        { type: 'error', error: { code: 'backend-http', message: 'HTTP 503', retryable: true } },
        { type: 'assistant', text: renderToolCall({ name: 'Read', arguments: { file_path: 'notes.txt' } }) },
        { type: 'assistant', text: 'It is 42 (notes.txt:1).' },
      ],
      events,
    ),
  );
  assert.ok(outcome);
  assert.equal(outcome.answer, 'It is 42 (notes.txt:1).');
  assert.equal(outcome.record.status, 'ok');
  assert.equal(outcome.record.attempts, 2);
  assert.deepEqual(outcome.record.toolCalls, { Read: 1 });
  assert.deepEqual(events.map((event) => event.type).filter((type) => type !== 'tokens'), ['query-start', 'query-retry', 'query-start']);
  const records = parseTrace(outcome.trace, 'q1 trace');
  assert.deepEqual(records.map((record) => record.type), ['meta', 'tool-call', 'assistant', 'tool-result', 'assistant', 'finish'], 'the trace is of the last attempt');
  assert.equal(records[0].type === 'meta' && records[0].prompt, 'Q: what is the answer?');
});

test('a query the batch cancels yields nothing to keep', async () => {
  const controller = new AbortController();
  controller.abort();
  const outcome = await answerQuery({ id: 'q2', line: 1, query: 'x', repo: repo.root }, { ...deps([{ type: 'assistant', text: 'never' }], []), signal: controller.signal });
  assert.equal(outcome, undefined);
});
