// Every metric on the hand-made fixture (fixtures.ts), with the expected values worked out
// here by hand, then checked against a full in-process run on the fake backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
import { runEvaluation } from '../../src/eval/evaluate.js';
import { UNDECODED_CALLS } from '../../src/eval/metrics.js';
import { parseSamples } from '../../src/eval/samples.js';
import { judgeSample } from '../../src/eval/verdicts.js';
import { DEFAULT_SAMPLING } from '../../src/protocol/messages.js';
import { CASES, call, fakeEntries, samplesJsonl } from './fixtures.js';

async function evaluateFixture(concurrency: number) {
  const { samples, problems } = parseSamples(samplesJsonl());
  assert.deepEqual(problems, []);
  const backend = createFakeBackend(fakeEntries());
  const report = await runEvaluation({ samples, samplesFile: 'fixture', backend, sampling: DEFAULT_SAMPLING, runs: 1, concurrency });
  assert.equal(backend.remaining(), 0);
  return report;
}

test('presence: 11 of 13 (both call in 10, neither in s1; s9 model only, s10 label only)', async () => {
  const { metrics } = await evaluateFixture(1);
  assert.equal(metrics.scored, 13);
  assert.deepEqual(metrics.presenceConfusion, { both: 10, modelOnly: 1, labelOnly: 1, neither: 1 });
  assert.equal(metrics.presence.matched, 11);
  assert.equal(metrics.presence.total, 13);
});

test('first tool type: 5 of 10 strict (s2 s4 s7 s12 s13), 7 of 10 relaxed (+ s8 Grep~grep, s11 Read~cat)', async () => {
  const { metrics } = await evaluateFixture(1);
  assert.deepEqual([metrics.firstToolType.matched, metrics.firstToolType.total], [5, 10]);
  assert.deepEqual([metrics.firstToolTypeRelaxed.matched, metrics.firstToolTypeRelaxed.total], [7, 10]);
});

test('JSON validity 11 of 13 calls (s4 repaired, s5 not JSON); argument syntax 9 of 13 (s5 s6 s7 s8 fail)', async () => {
  const { metrics } = await evaluateFixture(1);
  assert.deepEqual([metrics.jsonValidity.valid, metrics.jsonValidity.total], [11, 13]);
  assert.deepEqual([metrics.argumentSyntax.valid, metrics.argumentSyntax.total], [9, 13]);
  // The teacher: 13 calls, all parse, one (s13's extra `path`) breaks Read's schema.
  assert.deepEqual([metrics.labelJsonValidity.valid, metrics.labelJsonValidity.total], [13, 13]);
  assert.deepEqual([metrics.labelArgumentSyntax.valid, metrics.labelArgumentSyntax.total], [12, 13]);
});

test('tool distribution, model vs label, with deltas', async () => {
  const { metrics } = await evaluateFixture(1);
  assert.deepEqual(metrics.toolCounts.model, { Read: 5, Grep: 2, Glob: 1, Bash: 3, Search: 1, [UNDECODED_CALLS]: 1 });
  assert.deepEqual(metrics.toolCounts.label, { Read: 6, Grep: 3, Glob: 1, Bash: 3, Search: 0, [UNDECODED_CALLS]: 0 });
  assert.deepEqual(metrics.toolCounts.delta, { Read: -1, Grep: -1, Glob: 0, Bash: 0, Search: 1, [UNDECODED_CALLS]: 1 });
  assert.deepEqual(Object.keys(metrics.toolCounts.model), ['Read', 'Grep', 'Glob', 'Bash', 'Search', UNDECODED_CALLS]);
});

test('calls per turn: 13 calls in 11 turns on both sides; parallel turns 1 (s3) vs 2 (s3, s13)', async () => {
  const { metrics } = await evaluateFixture(1);
  const { model, label } = metrics.callsPerTurn;
  assert.deepEqual([model.toolTurns, model.calls, model.multiCall.matched], [11, 13, 1]);
  assert.deepEqual([label.toolTurns, label.calls, label.multiCall.matched], [11, 13, 2]);
  assert.equal(model.mean, 13 / 11);
  assert.deepEqual(model.histogram, { 1: 10, 3: 1 });
  assert.deepEqual(label.histogram, { 1: 9, 2: 2 });
});

test('Bash calls that only read: model 2 of 3 (rm -rf is not), label 3 of 3', async () => {
  const { metrics } = await evaluateFixture(1);
  assert.deepEqual([metrics.bashReadOnly.model.valid, metrics.bashReadOnly.model.total], [2, 3]);
  assert.deepEqual([metrics.bashReadOnly.label.valid, metrics.bashReadOnly.label.total], [3, 3]);
});

test('every rate carries its Wilson interval; usage and latency are summarised per sample', async () => {
  const { metrics } = await evaluateFixture(1);
  const interval = metrics.presence.interval;
  assert.ok(interval);
  // Wilson 95% for 11/13, worked out: p = 0.8462, z^2/n = 0.2955, centre 0.9939 / 1.2955 = 0.7672,
  // half-width 1.96 * sqrt(0.010014 + 0.005683) / 1.2955 = 0.1896.
  assert.ok(Math.abs(interval.low - 0.5777) < 5e-4, String(interval.low));
  assert.ok(Math.abs(interval.high - 0.9567) < 5e-4, String(interval.high));
  assert.equal(metrics.usage.latencyMs?.count, 13);
  assert.ok((metrics.usage.completionTokens?.mean ?? 0) > 0);
  assert.ok((metrics.usage.promptTokens?.mean ?? 0) > 0);
});

test('concurrency 8 gives the same verdicts as concurrency 1, in sample order', async () => {
  const one = await evaluateFixture(1);
  const eight = await evaluateFixture(8);
  const strip = (report: typeof one) => report.records.map((record) => [record.id, record.output, record.verdict]);
  assert.deepEqual(strip(eight), strip(one));
  assert.deepEqual(eight.metrics.presence, one.metrics.presence);
  assert.deepEqual(one.records.map((record) => record.id), CASES.map((item) => item.id));
});

test('per-call verdicts name the problem', () => {
  const verdict = judgeSample(`Let me look.\n${call('Read', { limit: 10 })}\n${call('Grep', { pattern: 'x', recursive: true })}`, call('Read', { file_path: 'a' }));
  assert.equal(verdict.model.hasText, true);
  assert.match(verdict.model.calls[0].problem ?? '', /required parameter `file_path` is missing/);
  assert.match(verdict.model.calls[1].problem ?? '', /unexpected parameter `recursive`/);
  assert.match(judgeSample(call('Search', {}), '').model.calls[0].problem ?? '', /No such tool available: Search/);
  // An unclosed call counts as emitted, with invalid JSON.
  const unclosed = judgeSample('<tool_call>\n{"name": "Read", "arguments": {"file_path": "a"}}', '');
  assert.equal(unclosed.model.calls.length, 1);
  assert.equal(unclosed.model.calls[0].jsonValid, false);
  assert.equal(unclosed.presenceMatched, false);
});

test('a failed generation is kept in the records and left out of every metric', async () => {
  const { samples } = parseSamples(samplesJsonl(CASES.slice(0, 2)));
  const backend = createFakeBackend([
    { type: 'error', error: { code: 'backend-http', message: 'boom' }, match: '[s1]' },
    { type: 'assistant', text: CASES[1].output, match: '[s2]' },
  ]);
  const report = await runEvaluation({ samples, samplesFile: 'fixture', backend, sampling: DEFAULT_SAMPLING, runs: 1, concurrency: 2 });
  assert.equal(report.failed, 1);
  assert.equal(report.metrics.scored, 1);
  assert.deepEqual(report.records[0].error, { code: 'backend-http', message: 'boom' });
  assert.equal(report.records[0].output, null);
  assert.deepEqual([report.metrics.presence.matched, report.metrics.presence.total], [1, 1]);
});

test('--runs: mean and spread per metric, pass^k and pass@k per sample', async () => {
  const cases = [
    { id: 'r1', label: call('Grep', { pattern: 'x' }) },
    { id: 'r2', label: 'No tool needed.' },
  ];
  const { samples } = parseSamples(cases.map((item) => JSON.stringify({ id: item.id, messages: [{ role: 'user', content: `q [${item.id}]` }], label: item.label })).join('\n'));
  // r1 answers right in runs 1 and 2, in text in run 3; r2 is right every time.
  const backend = createFakeBackend([
    ...[call('Grep', { pattern: 'x' }), call('Grep', { pattern: 'y' }), 'no idea'].map((text) => ({ type: 'assistant' as const, text, match: '[r1]' })),
    ...['fine', 'fine', 'fine'].map((text) => ({ type: 'assistant' as const, text, match: '[r2]' })),
  ]);
  const report = await runEvaluation({ samples, samplesFile: 'runs', backend, sampling: DEFAULT_SAMPLING, runs: 3, concurrency: 1 });
  const runs = report.runs;
  assert.ok(runs);
  assert.equal(runs.runs, 3);
  const presence = runs.perMetric.presence;
  assert.ok(presence);
  assert.deepEqual(presence.values, [1, 1, 0.5]);
  assert.ok(Math.abs(presence.mean - 5 / 6) < 1e-12);
  // Sample standard deviation of (1, 1, 0.5): sqrt(((1/6)^2 * 2 + (1/3)^2) / 2) = sqrt(1/12).
  assert.ok(Math.abs(presence.standardDeviation - Math.sqrt(1 / 12)) < 1e-12);
  assert.deepEqual([runs.passAll.presence.matched, runs.passAll.presence.total], [1, 2]);
  assert.deepEqual([runs.passAny.presence.matched, runs.passAny.presence.total], [2, 2]);
  assert.deepEqual([runs.passAll.firstToolType.matched, runs.passAll.firstToolType.total], [0, 1]);
  assert.deepEqual([runs.passAny.firstToolType.matched, runs.passAny.firstToolType.total], [1, 1]);
  // Pooled: the model's tool counts are per-run means; the label's calls are counted once.
  assert.equal(report.metrics.toolCounts.model.Grep, 0.67);
  assert.equal(report.metrics.toolCounts.label.Grep, 1);
  assert.equal(report.metrics.labelArgumentSyntax.total, 1);
  assert.equal(report.metrics.presence.total, 6);
});
