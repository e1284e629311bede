// The recording backend: events pass through unchanged, one line per turn is written in the
// fake script format, and a recorded file replays through the fake with identical events.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createFakeBackend, loadFakeScript } from '../../src/backends/fake.js';
import { createOpenAICompatibleBackend, serverPresets } from '../../src/backends/openai-compatible.js';
import { createRecordingBackend } from '../../src/backends/recording.js';
import type { Backend, BackendEvent, BackendRequest } from '../../src/backends/types.js';
import { chunkEvent, startReplayServer } from '../support/openai-replay-server.js';
import { makeTempTree } from '../support/temp-tree.js';
import { collect } from '../support/collect.js';

const sampling = { temperature: 0.7, topP: 0.8, topK: 20, maxTokens: 100 };
function ask(question: string, conversationId?: string): BackendRequest {
  return { messages: [{ role: 'user', content: question }], sampling, ...(conversationId ? { conversationId } : {}) };
}

/** Events with errors flattened to comparable data (LocoError instances differ by identity). */
function comparable(events: BackendEvent[]): unknown[] {
  return events.map((event) => (event.type === 'error' ? { type: 'error', code: event.error.code, message: event.error.message, retryable: event.error.retryable, status: event.error.status } : event));
}

describe('createRecordingBackend', () => {
  it('records an HTTP session to a file that replays through the fake with identical events', async () => {
    const server = await startReplayServer([
      { deltas: ['Let me look.\n<tool', '_call>\n{"name": "Glob", "arguments": {"pattern": "*.ts"}}\n</tool_call>'], usage: { prompt_tokens: 40, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 0 } } },
      { deltas: ['It is in ', 'src/main.ts.'], finishReason: 'length', usage: { prompt_tokens: 80, completion_tokens: 6, prompt_tokens_details: { cached_tokens: 40 } } },
      { sse: [chunkEvent({ content: 'half' }), 'data: {"error":{"message":"crashed"}}\n\n'] },
      { status: 400, body: { error: { message: 'bad request' } } },
    ]);
    const tree = await makeTempTree();
    const file = path.join(tree.root, 'trace.jsonl');
    const inner = createOpenAICompatibleBackend({ baseUrl: server.url, capabilities: serverPresets.vllm, retries: { baseDelayMs: 1 } });
    try {
      const recording = createRecordingBackend(inner, file);
      const requests = [ask('where is main?', 'c1'), ask('tool results', 'c1'), ask('again'), ask('bad')];
      const live: BackendEvent[][] = [];
      for (const request of requests) live.push(await collect(recording.stream(request)));
      await recording.close();

      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(lines.length, 4);
      const { durationMs, ...first } = lines[0];
      assert.equal(typeof durationMs, 'number');
      assert.deepEqual(first, {
        type: 'assistant',
        v: 2,
        turn: 1,
        conversationId: 'c1',
        text: 'Let me look.\n<tool_call>\n{"name": "Glob", "arguments": {"pattern": "*.ts"}}\n</tool_call>',
        chunks: ['Let me look.\n<tool', '_call>\n{"name": "Glob", "arguments": {"pattern": "*.ts"}}\n</tool_call>'],
        usage: { promptTokens: 40, cachedTokens: 0, completionTokens: 20 },
        finishReason: 'stop',
      });
      assert.deepEqual([lines[2].type, lines[2].turn, lines[2].chunks], ['error', 3, ['half']]);
      assert.deepEqual(lines[3].error, { code: 'backend-http', message: `${server.url}/chat/completions answered HTTP 400: bad request`, retryable: false, status: 400 });

      const replay = createFakeBackend(await loadFakeScript(file));
      for (const [index, request] of requests.entries()) {
        assert.deepEqual(comparable(await collect(replay.stream(request))), comparable(live[index]), `turn ${index + 1}`);
      }
      assert.equal(replay.remaining(), 0);
    } finally {
      await inner.close();
      await server.close();
      await tree.cleanup();
    }
  });

  it('passes events through unchanged and writes each line before the final event reaches the caller', async () => {
    const lines: string[] = [];
    const inner = createFakeBackend([{ type: 'assistant', text: 'abc', chunks: ['a', 'bc'], usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 2 } }]);
    const recording = createRecordingBackend(inner, { write: (line) => void lines.push(line) });
    const seen: BackendEvent[] = [];
    for await (const event of recording.stream(ask('q'))) {
      if (event.type === 'finish') assert.equal(lines.length, 1, 'line written before finish is delivered');
      seen.push(event);
    }
    assert.deepEqual(seen, [
      { type: 'text-delta', text: 'a' },
      { type: 'text-delta', text: 'bc' },
      { type: 'finish', reason: 'stop', usage: { promptTokens: 1, cachedTokens: 0, completionTokens: 2 }, text: 'abc' },
    ]);
    assert.ok(lines[0].endsWith('}\n'));
    assert.equal(recording.info, inner.info);
  });

  it('numbers turns in call order and keeps lines whole when conversations run in parallel', async () => {
    const lines: string[] = [];
    const inner = createFakeBackend(
      [
        { type: 'assistant', text: 'slow answer', chunks: ['slow ', 'answer'], match: 'A' },
        { type: 'assistant', text: 'quick', match: 'B' },
      ],
      { delayMs: 5 },
    );
    const recording = createRecordingBackend(inner, {
      write: async (line) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        lines.push(line);
      },
    });
    await Promise.all([collect(recording.stream(ask('A', 'a'))), collect(recording.stream(ask('B', 'b')))]);
    await recording.flush();
    const records = lines.map((line) => JSON.parse(line) as { turn: number; conversationId: string; text: string });
    assert.deepEqual(records.map((record) => [record.turn, record.conversationId, record.text]).sort(), [
      [1, 'a', 'slow answer'],
      [2, 'b', 'quick'],
    ]);
  });

  it('records a turn the caller stopped reading as aborted, with the chunks it got', async () => {
    const lines: string[] = [];
    const recording = createRecordingBackend(createFakeBackend([{ type: 'assistant', text: 'abcd', chunks: ['ab', 'cd'] }]), { write: (line) => void lines.push(line) });
    for await (const event of recording.stream(ask('q'))) {
      if (event.type === 'text-delta') break;
    }
    const record = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.deepEqual([record.type, record.text, record.chunks, record.finishReason], ['assistant', 'ab', ['ab'], 'aborted']);
  });

  it('turns a failed write into an io error instead of losing the line silently', async () => {
    const failing: Backend = createRecordingBackend(createFakeBackend([{ type: 'assistant', text: 'x' }]), {
      write: () => {
        throw new Error('disk full');
      },
    });
    const events = await collect(failing.stream(ask('q')));
    const last = events.at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'io');
    assert.equal(last?.type === 'error' && last.error.message, 'cannot write recording to the recording sink: disk full');
  });
});
