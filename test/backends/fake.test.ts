// The scripted fake backend: script parsing with line-numbered errors, replay order,
// `match` routing, usage estimates, errors, exhaustion, abort and recorded requests.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createFakeBackend, loadFakeScript, parseFakeScript, type FakeEntry } from '../../src/backends/fake.js';
import type { BackendEvent, BackendRequest } from '../../src/backends/types.js';
import { LocoError } from '../../src/errors.js';
import { makeTempTree } from '../support/temp-tree.js';
import { collect } from '../support/collect.js';
import { usageError } from '../support/usage-error.js';

const sampling = { temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 100 };
function ask(question: string): BackendRequest {
  return { messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: question }], sampling };
}

describe('parseFakeScript', () => {
  it('keeps assistant and error lines, skips blank lines and other record types', () => {
    const text = [
      '{"type":"meta","question":"q"}',
      '',
      '{"type":"assistant","text":"ab","chunks":["a","b"],"turn":1,"durationMs":5}',
      '{"type":"error","error":{"code":"backend-http","message":"boom","retryable":true}}',
    ].join('\n');
    assert.deepEqual(parseFakeScript(text, 's.jsonl'), [
      { type: 'assistant', text: 'ab', chunks: ['a', 'b'] },
      { type: 'error', error: { code: 'backend-http', message: 'boom', retryable: true } },
    ]);
  });

  it('names the file and line of bad JSON', () => {
    const error = usageError(() => parseFakeScript('{"type":"assistant","text":"x"}\n{oops', 'script.jsonl'));
    assert.match(error.message, /^fake backend script script\.jsonl:2: not valid JSON/);
  });

  it('names the line and field of an invalid entry', () => {
    const error = usageError(() => parseFakeScript('\n{"type":"assistant","txt":"x"}', 's.jsonl'));
    assert.match(error.message, /^fake backend script s\.jsonl:2: invalid assistant entry: text: /);
    const badCode = usageError(() => parseFakeScript('{"type":"error","error":{"code":"nope","message":"m"}}', 's.jsonl'));
    assert.match(badCode.message, /s\.jsonl:1: invalid error entry: error\.code: /);
  });

  it('rejects chunks that do not join to the text, and lines that are not objects', () => {
    assert.equal(usageError(() => parseFakeScript('{"type":"assistant","text":"abc","chunks":["a","b"]}', 's.jsonl')).message, 'fake backend script s.jsonl:1: "chunks" joined must equal "text"');
    assert.equal(usageError(() => parseFakeScript('[1,2]', 's.jsonl')).message, 'fake backend script s.jsonl:1: each line must be a JSON object');
    assert.match(usageError(() => createFakeBackend([{ type: 'assistant', text: 'x', chunks: ['y'] }])).message, /fake backend entry 1 of inline/);
  });
});

describe('createFakeBackend', () => {
  it('replays chunks exactly, with given usage and finish reason', async () => {
    const fake = createFakeBackend([{ type: 'assistant', text: 'Hi <tool_call>', chunks: ['Hi <to', 'ol_call>'], usage: { promptTokens: 9, cachedTokens: 4, completionTokens: 3 }, finishReason: 'length' }]);
    assert.deepEqual(await collect(fake.stream(ask('q'))), [
      { type: 'text-delta', text: 'Hi <to' },
      { type: 'text-delta', text: 'ol_call>' },
      { type: 'finish', reason: 'length', usage: { promptTokens: 9, cachedTokens: 4, completionTokens: 3 }, text: 'Hi <tool_call>' },
    ]);
  });

  it('sends the whole text as one delta and estimates usage as ceil(chars / 4)', async () => {
    const fake = createFakeBackend([{ type: 'assistant', text: 'hello' }, { type: 'assistant', text: '' }]);
    assert.deepEqual(await collect(fake.stream(ask('question')) /* 3 + 8 = 11 chars */), [
      { type: 'text-delta', text: 'hello' },
      { type: 'finish', reason: 'stop', usage: { promptTokens: 3, cachedTokens: 0, completionTokens: 2 }, text: 'hello' },
    ]);
    assert.deepEqual(await collect(fake.stream(ask('q'))), [{ type: 'finish', reason: 'stop', usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 0 }, text: '' }]);
  });

  it('routes entries with match by the last user message, first eligible first', async () => {
    const entries: FakeEntry[] = [
      { type: 'assistant', text: 'for B', match: 'task B' },
      { type: 'assistant', text: 'for A 1', match: 'task A' },
      { type: 'assistant', text: 'for A 2', match: 'task A' },
      { type: 'assistant', text: 'anyone' },
    ];
    const fake = createFakeBackend(entries);
    const finalText = async (question: string): Promise<string> => {
      const last = (await collect(fake.stream(ask(question)))).at(-1);
      return last?.type === 'finish' ? last.text : `error: ${last?.type === 'error' ? last.error.message : ''}`;
    };
    assert.equal(await finalText('do task A'), 'for A 1');
    assert.equal(await finalText('something else'), 'anyone');
    assert.equal(await finalText('now task A'), 'for A 2');
    assert.equal(await finalText('task B please'), 'for B');
    assert.equal(fake.remaining(), 0);
  });

  it('replays error entries after their chunks', async () => {
    const fake = createFakeBackend([{ type: 'error', chunks: ['par'], error: { code: 'backend-timeout', message: 'slow', retryable: true, status: 504 } }]);
    const events = await collect(fake.stream(ask('q')));
    assert.deepEqual(events[0], { type: 'text-delta', text: 'par' });
    const last = events[1];
    assert.equal(last.type, 'error');
    if (last.type !== 'error') return;
    assert.ok(last.error instanceof LocoError);
    assert.deepEqual([last.error.code, last.error.message, last.error.retryable, last.error.status], ['backend-timeout', 'slow', true, 504]);
  });

  it('ends with an error naming the script and turn when exhausted', async () => {
    const fake = createFakeBackend([{ type: 'assistant', text: 'one' }, { type: 'assistant', text: 'x', match: 'never' }], { sourceName: 'demo.jsonl' });
    await collect(fake.stream(ask('q')));
    const events = await collect(fake.stream(ask('q')));
    assert.equal(events.length, 1);
    const last = events[0];
    assert.equal(last.type === 'error' && last.error.code, 'usage');
    assert.equal(last.type === 'error' && last.error.message, 'fake backend script demo.jsonl has no entry left for turn 2: add lines to it (1 entries left, none whose "match" is in the last user message)');
    const empty = createFakeBackend([], { sourceName: 'e.jsonl' });
    const [only] = await collect(empty.stream(ask('q')));
    assert.equal(only.type === 'error' && only.error.message, 'fake backend script e.jsonl has no entry left for turn 1: add lines to it (all 0 entries used)');
  });

  it('records deep copies of every request', async () => {
    const fake = createFakeBackend([{ type: 'assistant', text: 'a' }]);
    const request = { ...ask('q'), conversationId: 'c1' };
    await collect(fake.stream(request));
    request.messages.push({ role: 'assistant', content: 'later' });
    assert.deepEqual(fake.requests, [{ messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'q' }], sampling, conversationId: 'c1' }]);
  });

  it('finishes aborted with the text so far when the signal aborts between chunks', async () => {
    const fake = createFakeBackend([{ type: 'assistant', text: 'abc', chunks: ['a', 'b', 'c'] }], { delayMs: 20 });
    const controller = new AbortController();
    const events: BackendEvent[] = [];
    for await (const event of fake.stream(ask('q'), controller.signal)) {
      events.push(event);
      if (event.type === 'text-delta') controller.abort();
    }
    assert.deepEqual(events, [
      { type: 'text-delta', text: 'a' },
      { type: 'finish', reason: 'aborted', usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 1 }, text: 'a' },
    ]);
  });
});

describe('loadFakeScript', () => {
  it('loads a file and names a missing one', async () => {
    const tree = await makeTempTree({ 's.jsonl': '{"type":"assistant","text":"x"}\n' });
    try {
      assert.deepEqual(await loadFakeScript(path.join(tree.root, 's.jsonl')), [{ type: 'assistant', text: 'x' }]);
      const missing = path.join(tree.root, 'none.jsonl');
      await assert.rejects(loadFakeScript(missing), (error: unknown) => error instanceof LocoError && error.code === 'usage' && error.message === `cannot read fake backend script ${missing}: no such file`);
      await writeFile(path.join(tree.root, 'bad.jsonl'), '{"type":"assistant","text":"x"}\n\n{"type":');
      await assert.rejects(loadFakeScript(path.join(tree.root, 'bad.jsonl')), /bad\.jsonl:3: not valid JSON/);
    } finally {
      await tree.cleanup();
    }
  });
});
