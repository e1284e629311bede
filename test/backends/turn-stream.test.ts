// streamTurn: the one parsed backend turn. Parts in order, the early stops (stop strings, an
// invented `<tool_response>`) that also stop the backend, finish-text reconciliation, the
// caller's abort, backend failures and timeouts, each ending the stream with one final part.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { streamTurn, type TurnPart, type TurnSource, type TurnStreamOptions } from '../../src/backends/turn-stream.js';
import type { BackendEvent } from '../../src/backends/types.js';
import { LocoError } from '../../src/errors.js';

const usage = { promptTokens: 10, cachedTokens: 4, completionTokens: 3 };

/** A backend that streams the given chunks, then finishes (or fails); records its signal. */
function scripted(chunks: string[], end: BackendEvent | 'hang' | 'nothing' | 'throw' = { type: 'finish', reason: 'stop', usage, text: chunks.join('') }) {
  const seen: { signal?: AbortSignal; deliveredAfterAbort: number } = { deliveredAfterAbort: 0 };
  const source: TurnSource<string> = {
    async *stream(_request, signal) {
      seen.signal = signal;
      for (const text of chunks) {
        if (signal?.aborted) seen.deliveredAfterAbort++;
        yield { type: 'text-delta', text };
        await Promise.resolve();
      }
      if (end === 'nothing') return;
      if (end === 'throw') throw new Error('socket hang up');
      if (end === 'hang') {
        if (!signal?.aborted) await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
        yield { type: 'error', error: new LocoError('aborted', 'aborted') };
        return;
      }
      yield end;
    },
  };
  return { source, seen };
}

async function run(source: TurnSource<string>, options?: TurnStreamOptions, signal?: AbortSignal): Promise<TurnPart[]> {
  const parts: TurnPart[] = [];
  for await (const part of streamTurn(source, 'request', signal, options)) parts.push(part);
  return parts;
}

function last(parts: TurnPart[]): TurnPart {
  const end = parts[parts.length - 1];
  assert.ok(end.type === 'finish' || end.type === 'aborted' || end.type === 'error', `the stream ends with a final part, not ${end.type}`);
  assert.equal(parts.filter((part) => part.type === 'finish' || part.type === 'aborted' || part.type === 'error').length, 1, 'exactly one final part');
  return end;
}

const CALL = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.ts"}}\n</tool_call>';

describe('streamTurn', () => {
  it('yields text and tool calls split across chunks, then the finish with usage and times', async () => {
    const text = `Looking.\n${CALL}`;
    const { source } = scripted([text.slice(0, 12), text.slice(12, 30), text.slice(30)]);
    const parts = await run(source);
    assert.deepEqual(
      parts.filter((part) => part.type === 'text').map((part) => (part.type === 'text' ? part.text : '')).join(''),
      'Looking.\n',
    );
    const call = parts.find((part) => part.type === 'tool-call');
    assert.ok(call?.type === 'tool-call');
    assert.deepEqual(call.call, { name: 'Read', arguments: { file_path: 'a.ts' } });
    const end = last(parts);
    assert.ok(end.type === 'finish');
    assert.equal(end.reason, 'stop');
    assert.equal(end.rawText, text);
    assert.deepEqual(end.usage, usage);
    assert.equal(end.inventedResponse, false);
    assert.ok(end.firstTokenMs !== undefined && end.firstTokenMs <= end.durationMs);
  });

  it('reports a call it cannot read as a tool-call-error part', async () => {
    const { source } = scripted(['<tool_call>\n{"name": "Read", "arguments": {"file_path": "a.ts</tool_call>']);
    const parts = await run(source);
    assert.ok(parts.some((part) => part.type === 'tool-call-error'));
    assert.equal(last(parts).type, 'finish');
  });

  it('cuts the turn at an invented <tool_response> and stops the backend there', async () => {
    const chunks = ['Reading.\n', CALL, '\n<tool_res', 'ponse>\ninvented result\n</tool_response>', 'more the model talks to itself'];
    const { source, seen } = scripted(chunks, { type: 'finish', reason: 'aborted', usage, text: chunks.join('') });
    const parts = await run(source);
    assert.ok(seen.signal?.aborted, 'the backend was told to stop');
    const end = last(parts);
    assert.ok(end.type === 'finish');
    assert.equal(end.reason, 'stop');
    assert.equal(end.inventedResponse, true);
    assert.equal(end.rawText, `Reading.\n${CALL}`);
    assert.ok(!parts.some((part) => part.type === 'text' && /invented|itself/.test(part.text)));
    assert.equal(parts.filter((part) => part.type === 'tool-call').length, 1);
  });

  it('an aborted-stream error after its own early stop is a normal finish', async () => {
    const { source } = scripted([`${CALL}\n<tool_response>\nx`], 'hang');
    const end = last(await run(source));
    assert.ok(end.type === 'finish');
    assert.equal(end.inventedResponse, true);
  });

  it('ends at the first stop string, even split across chunks, without sending it', async () => {
    const { source, seen } = scripted(['Hello E', 'ND and more', ' text'], 'hang');
    const parts = await run(source, { stopSequences: ['STOP', 'END'] });
    const text = parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
    assert.equal(text, 'Hello ');
    const end = last(parts);
    assert.ok(end.type === 'finish');
    assert.equal(end.reason, 'stop-sequence');
    assert.equal(end.stopSequence, 'END');
    assert.equal(end.rawText, 'Hello ');
    assert.ok(seen.signal?.aborted, 'the backend was told to stop');
  });

  it('a held-back partial stop string that never completes is sent at the end', async () => {
    const { source } = scripted(['Hello E', 'N']);
    const parts = await run(source, { stopSequences: ['END'] });
    assert.equal(parts.map((part) => (part.type === 'text' ? part.text : '')).join(''), 'Hello EN');
    const end = last(parts);
    assert.ok(end.type === 'finish' && end.reason === 'stop' && end.stopSequence === undefined);
  });

  it('passes tool-call text through untouched when calls are not parsed', async () => {
    const { source } = scripted([CALL]);
    const parts = await run(source, { parseToolCalls: false });
    assert.deepEqual(parts.slice(0, -1), [{ type: 'text', text: CALL }]);
  });

  it('keeps the finish event text when the backend streamed less of it', async () => {
    const { source } = scripted(['Hel'], { type: 'finish', reason: 'length', usage, text: 'Hello' });
    const end = last(await run(source));
    assert.ok(end.type === 'finish');
    assert.equal(end.rawText, 'Hello');
    assert.equal(end.reason, 'length');
  });

  it("the caller's abort stops the backend and ends with an aborted part", async () => {
    const caller = new AbortController();
    const { source, seen } = scripted(['partial '], 'hang');
    const parts: TurnPart[] = [];
    for await (const part of streamTurn(source, 'request', caller.signal)) {
      parts.push(part);
      if (part.type === 'text') caller.abort();
    }
    assert.ok(seen.signal?.aborted);
    const end = last(parts);
    assert.ok(end.type === 'aborted');
    assert.equal(end.rawText, 'partial ');
  });

  it('an already aborted signal never reaches a started turn', async () => {
    const caller = new AbortController();
    caller.abort();
    const { source, seen } = scripted(['x'], 'hang');
    const end = last(await run(source, {}, caller.signal));
    assert.equal(end.type, 'aborted');
    assert.ok(seen.signal?.aborted);
  });

  it('a backend error ends the turn with the error and whether text had started', async () => {
    const failure = new LocoError('backend-http', 'HTTP 500', { status: 500 });
    const before = last(await run(scripted([], { type: 'error', error: failure }).source));
    assert.ok(before.type === 'error' && before.error === failure && before.started === false);
    const during = last(await run(scripted(['some'], { type: 'error', error: failure }).source));
    assert.ok(during.type === 'error' && during.started === true && during.rawText === 'some');
  });

  it('a backend that throws or ends without a finish still ends the turn with an error', async () => {
    const thrown = last(await run(scripted(['a'], 'throw').source));
    assert.ok(thrown.type === 'error' && /socket hang up/.test(thrown.error.message));
    const silent = last(await run(scripted(['a'], 'nothing').source));
    assert.ok(silent.type === 'error' && silent.error.code === 'backend-protocol');
  });

  it('times out waiting for the first token, and between tokens, and stops the backend', async () => {
    const first = scripted([], 'hang');
    const noToken = last(await run(first.source, { firstTokenTimeoutMs: 30 }));
    assert.ok(noToken.type === 'error' && noToken.error.code === 'backend-timeout' && !noToken.started);
    assert.match(noToken.error.message, /no token within 30 ms/);
    assert.ok(first.seen.signal?.aborted);
    const idle = scripted(['begun'], 'hang');
    const midAnswer = last(await run(idle.source, { firstTokenTimeoutMs: 5000, idleTimeoutMs: 30 }));
    assert.ok(midAnswer.type === 'error' && midAnswer.started && /mid-answer/.test(midAnswer.error.message));
    assert.ok(idle.seen.signal?.aborted);
  });

  it('visible-text stop strings never match inside a call, and end the turn in text', async () => {
    const inCall = '<tool_call>\n{"name": "Grep", "arguments": {"pattern": "END"}}\n</tool_call>';
    const { source, seen } = scripted(['Look', `ing.\n${inCall}`, '\nthen E', 'ND here'], 'hang');
    const parts = await run(source, { textStopSequences: ['END'] });
    assert.equal(parts.filter((part) => part.type === 'tool-call').length, 1, 'the call with END in its JSON went through');
    assert.equal(parts.map((part) => (part.type === 'text' ? part.text : '')).join(''), 'Looking.\n\nthen ');
    const end = last(parts);
    assert.ok(end.type === 'finish' && end.reason === 'stop-sequence' && end.stopSequence === 'END');
    assert.ok(seen.signal?.aborted);
  });

  it('ends the turn once maxToolCalls calls have closed', async () => {
    const { source, seen } = scripted([`${CALL}\n`, CALL, '\nmore'], 'hang');
    const parts = await run(source, { maxToolCalls: 1 });
    assert.equal(parts.filter((part) => part.type === 'tool-call').length, 1);
    assert.ok(seen.signal?.aborted);
    assert.equal(last(parts).type, 'finish');
  });
});
