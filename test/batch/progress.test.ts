// Progress output: plain lines when stderr is not a terminal, a redrawn bar when it is.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createBatchProgress, describeRecord } from '../../src/batch/progress.js';
import { formatSeconds } from '../../src/format.js';
import type { BatchProgressEvent } from '../../src/batch/runner.js';
import { LocoError } from '../../src/errors.js';

class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 120;
  constructor(tty: boolean) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

const events: BatchProgressEvent[] = [
  { type: 'batch-start', total: 5, toRun: 3, resumed: 2 },
  { type: 'query-start', id: 'a', attempt: 1 },
  { type: 'query-start', id: 'b', attempt: 1 },
  { type: 'tokens', completionTokens: 40 },
  { type: 'query-end', record: { id: 'a', line: 1, status: 'ok', turns: 2, toolCallCount: 1, wallMs: 1234 } },
  { type: 'query-retry', id: 'b', attempt: 1, delayMs: 800, error: new LocoError('backend-http', 'HTTP 503') },
  { type: 'query-end', record: { id: 'b', line: 2, status: 'failed', reason: 'HTTP 503 (after 3 attempts)' } },
];

describe('batch progress', () => {
  it('writes one plain line per finished query and retry when stderr is not a terminal', () => {
    const stream = new Capture(false);
    const progress = createBatchProgress(stream, { tty: false });
    for (const event of events) progress.onProgress(event);
    progress.stop();
    assert.equal(
      stream.text,
      [
        'loco: 5 queries: 3 to run, 2 already answered (skipped; --force redoes them)',
        'loco: [1/3] ok a (2 turns, 1 tool call, 1.2 s)',
        'loco: retrying b in 0.8 s (attempt 2): HTTP 503',
        'loco: [2/3] failed b: HTTP 503 (after 3 attempts)',
        '',
      ].join('\n'),
    );
  });

  it('draws a bar with done/total, ok, failed, running, tokens/s and ETA on a terminal, failures above it', async () => {
    const stream = new Capture(true);
    let now = 0;
    const progress = createBatchProgress(stream, { tty: true, now: () => now });
    for (const event of events) {
      now += 1000;
      progress.onProgress(event);
    }
    progress.onProgress({ type: 'query-start', id: 'c', attempt: 1 });
    const bar = /\[#{16}-{8}\] 2\/3 {2}ok 1 {2}failed 1 {2}running 1 {2}retries 1 {2}\d+ tok\/s {2}ETA /;
    const plainText = () => stream.text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    // Redraws come on a timer (5 per second): wait for the one showing the running query, however late.
    for (const deadline = Date.now() + 10_000; !bar.test(plainText()); ) {
      assert.ok(Date.now() < deadline, `no redraw with the running query:\n${plainText()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    progress.stop();
    const plain = plainText();
    assert.match(plain, bar);
    assert.match(plain, /loco: failed b: HTTP 503 \(after 3 attempts\)\n/);
    assert.doesNotMatch(plain, /loco: ok a/, 'successes only move the bar');
    assert.match(stream.text, /\u001b\[\?25h/, 'the cursor is shown again');
  });

  it('formats durations and records', () => {
    assert.equal(formatSeconds(42), '42s');
    assert.equal(formatSeconds(125), '2m05s');
    assert.equal(formatSeconds(3720), '1h02m');
    assert.equal(describeRecord({ id: 'x', line: 1, status: 'timed-out', reason: 'no answer within 5 s' }), 'timed-out x: no answer within 5 s');
  });
});
