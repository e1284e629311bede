// `loco batch` on the embedded engine: the tiny generated model answers the 200 reference
// queries (shared/data/tqdm-queries.tsv) about a real source tree (this repository's src/),
// four at a time on one model through four sequences. Bounded: one turn, 32 tokens a reply.
// On a 2-core machine the whole file takes about 12 s; `bench/batch.ts --tiny` measures it.
import assert from 'node:assert/strict';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { BatchSummary } from '../../src/batch/summary.js';
import { runCli } from '../support/run-cli.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { tinyGgufPath } from '../support/tiny-gguf.js';

const QUERIES = path.resolve(import.meta.dirname, '../../../../shared/data/tqdm-queries.tsv');
const SOURCE_TREE = path.resolve(import.meta.dirname, '../../../src');

let scratch: TempTree;
before(async () => {
  scratch = await makeTempTree();
});
after(() => scratch.cleanup());

test('the tiny embedded model answers the 200 reference queries at concurrency 4', { timeout: 180_000 }, async (context) => {
  try {
    await access(QUERIES);
  } catch {
    context.skip(`${QUERIES} is not here (shared/ sits beside the repository)`);
    return;
  }
  const model = await tinyGgufPath();
  const out = path.join(scratch.root, 'tqdm');
  const flags = ['--backend', `gguf:${model}`, '--threads', '1', '--ctx-size', '4096', '--temperature', '0', '--max-turns', '1', '--max-tokens', '32', '--concurrency', '4'];
  const started = Date.now();
  const run = await runCli(['batch', QUERIES, '--repo', SOURCE_TREE, '--out', out, ...flags], { timeoutMs: 170_000 });
  const seconds = (Date.now() - started) / 1000;
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as BatchSummary;
  context.diagnostic(`200 queries in ${seconds.toFixed(1)} s (${summary.run.queriesPerMinute} queries/min, ${summary.run.completionTokensPerSecond} tokens/s, p50 ${summary.distributions.wallMs.p50} ms)`);

  assert.equal(run.code, summary.failures.length === 0 ? 0 : 1, run.stderr);
  assert.match(run.stderr, /with embedded tiny\.gguf \(threads 1, ctx 4096\) \(concurrency 4/);
  assert.equal(summary.state, 'finished');
  assert.equal(summary.totals.queries, 200);
  assert.equal(summary.totals.pending, 0);
  // A random model may close a turn at once (no answer); it must never break the engine.
  for (const failure of summary.failures) assert.match(failure.reason ?? '', /gave no answer/, JSON.stringify(failure));
  assert.ok(summary.totals.ok >= 190, `${summary.totals.ok} answered`);
  assert.ok(summary.totals.tokens.completion > 0 && summary.totals.tokens.prompt > 200 * 100);
  const answers = (await readdir(out)).filter((name) => name.endsWith('.md'));
  assert.equal(answers.length, summary.totals.ok);
  assert.equal((await readdir(path.join(out, 'traces'))).length, 200);
});
