// Percentiles, summary totals, carrying records into a resumed run, and the retry policy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, createQuerySignal, isRetryableFailure, sleep } from '../../src/batch/retry.js';
import { buildSummary, distribution, earlierRecords, percentile, type BatchSettings, type QueryRecord } from '../../src/batch/summary.js';
import { LocoError } from '../../src/errors.js';

const settings: BatchSettings = { queriesFile: 'q.tsv', out: 'out', backend: 'fake', template: '(default)', concurrency: 2, retries: 2, maxTurns: 10, force: false };

describe('percentiles', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 95), 95);
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([], 50), 0);
    assert.deepEqual(distribution([30, 10, 20]), { count: 3, mean: 20, p50: 20, p90: 30, p95: 30, p99: 30, max: 30 });
  });
});

describe('buildSummary', () => {
  const records: QueryRecord[] = [
    { id: 'a', line: 1, status: 'ok', attempts: 1, turns: 2, toolCalls: { Read: 1, Grep: 2 }, toolCallCount: 3, tokens: { prompt: 100, cached: 10, completion: 20 }, wallMs: 1000 },
    { id: 'b', line: 2, status: 'failed', reason: 'HTTP 503', errorCode: 'backend-http', attempts: 3, turns: 1, toolCalls: {}, toolCallCount: 0, tokens: { prompt: 50, cached: 0, completion: 0 }, wallMs: 3000 },
    { id: 'c', line: 3, status: 'timed-out', reason: 'no answer within 5 s', attempts: 1, turns: 1, toolCalls: { Read: 4 }, toolCallCount: 4, tokens: { prompt: 10, cached: 0, completion: 5 }, wallMs: 5000 },
    { id: 'd', line: 4, status: 'ok', resumed: true },
    { id: 'e', line: 5, status: 'pending' },
  ];
  const summary = buildSummary({ settings, records, startedAt: new Date(0), now: new Date(60_000), state: 'interrupted', retries: 2 });

  it('totals statuses, tools and tokens', () => {
    assert.deepEqual(summary.totals, {
      queries: 5,
      ok: 2,
      failed: 1,
      timedOut: 1,
      pending: 1,
      resumed: 1,
      ran: 3,
      retries: 2,
      turns: 4,
      toolCalls: { Grep: 2, Read: 5 },
      tokens: { prompt: 160, cached: 10, completion: 25, total: 185 },
    });
    assert.deepEqual(summary.run, { wallMs: 60_000, queriesPerMinute: 3, completionTokensPerSecond: 0.4 });
  });

  it('lists failures with reasons and measures only what was measured', () => {
    assert.deepEqual(summary.failures, [
      { id: 'b', line: 2, status: 'failed', reason: 'HTTP 503' },
      { id: 'c', line: 3, status: 'timed-out', reason: 'no answer within 5 s' },
    ]);
    assert.equal(summary.distributions.wallMs.count, 3);
    assert.equal(summary.distributions.wallMs.p50, 3000);
    assert.equal(summary.distributions.totalTokens.max, 120);
    assert.equal(summary.state, 'interrupted');
  });

  it('reads an earlier summary back by id, and ignores one it cannot read', () => {
    const earlier = earlierRecords(JSON.stringify(summary));
    assert.deepEqual(earlier.get('a'), records[0]);
    assert.equal(earlierRecords('{not json').size, 0);
    assert.equal(earlierRecords('{"queries": 3}').size, 0);
    assert.equal(earlierRecords(undefined).size, 0);
  });
});

describe('retry policy', () => {
  it('retries backend failures and failures marked retryable, nothing else', () => {
    assert.equal(isRetryableFailure(new LocoError('backend-unreachable', 'refused')), true);
    assert.equal(isRetryableFailure(new LocoError('backend-http', '400')), true);
    assert.equal(isRetryableFailure(new LocoError('internal', 'engine busy', { retryable: true })), true);
    assert.equal(isRetryableFailure(new LocoError('usage', 'no entry left')), false);
    assert.equal(isRetryableFailure(new LocoError('context-overflow', 'too long')), false);
  });

  it('backs off exponentially, with jitter between half and all of the bound, up to the cap', () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 5000 };
    assert.equal(backoffDelay(1, policy, () => 0), 500);
    assert.equal(backoffDelay(1, policy, () => 0.999999), 1000);
    assert.equal(backoffDelay(2, policy, () => 0), 1000);
    assert.equal(backoffDelay(3, policy, () => 0.999999), 4000);
    assert.equal(backoffDelay(10, policy, () => 0.999999), 5000);
  });

  it('ends a query on its time limit or on the batch abort, and tells which', async () => {
    const batch = new AbortController();
    const timed = createQuerySignal(batch.signal, 20);
    assert.equal(await sleep(1000, timed.signal), false);
    assert.equal(timed.timedOut(), true);
    timed.dispose();

    const cancelled = createQuerySignal(batch.signal, 10_000);
    batch.abort();
    assert.equal(cancelled.signal.aborted, true);
    assert.equal(cancelled.timedOut(), false);
    cancelled.dispose();
    assert.equal(createQuerySignal(batch.signal, undefined).signal.aborted, true, 'an already aborted batch starts nothing');
  });
});
