// The Bash strategy classes behind the relaxed first-tool match and the read-only share,
// and the statistics under every reported rate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyBashCommand, isReadOnlyBashCommand } from '../../src/eval/bash-strategy.js';
import { mcnemarExact, spreadOf, summarize, wilsonInterval } from '../../src/eval/statistics.js';

test('Bash commands map to the dedicated tool they stand in for', () => {
  const cases: [string, string][] = [
    ['cat README.md', 'read'],
    ['head -50 src/x.ts', 'read'],
    ["sed -n '1,20p' a.ts", 'read'],
    ['sed -i s/a/b/ a.ts', 'other'],
    ['grep -rn foo .', 'search'],
    ['cd src && rg foo', 'search'],
    ['git grep foo', 'search'],
    ['cat a.ts | grep foo', 'search'],
    ["find . -name '*.ts' | xargs grep -l foo", 'search'],
    ["find . -name '*.ts' | head -20", 'list'],
    ['ls | grep test', 'list'],
    ['ls -la src', 'list'],
    ['tree -L 2', 'list'],
    ['git ls-files', 'list'],
    ['echo ---; ls', 'list'],
    ['wc -l a.ts', 'other'],
    ['git log --oneline', 'other'],
    ['python3 x.py', 'other'],
    ['if [ ; then', 'other'],
  ];
  for (const [command, expected] of cases) assert.equal(classifyBashCommand(command), expected, command);
});

test('read-only Bash is what the allow-list sandbox accepts', () => {
  for (const command of ['ls src', 'cat a.ts', 'grep -rn x .', 'git log', 'find . -name "*.ts"']) assert.equal(isReadOnlyBashCommand(command), true, command);
  for (const command of ['rm -rf build', 'echo x > a.txt', 'sed -i s/a/b/ a.ts', 'npm install', 'curl http://example.com']) {
    assert.equal(isReadOnlyBashCommand(command), false, command);
  }
});

test('Wilson intervals match published values', () => {
  const close = (actual: number | undefined, expected: number) => assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-4, `${actual} vs ${expected}`);
  close(wilsonInterval(0, 10)?.low, 0);
  close(wilsonInterval(0, 10)?.high, 0.2775);
  close(wilsonInterval(5, 10)?.low, 0.2366);
  close(wilsonInterval(5, 10)?.high, 0.7634);
  // The model card's 65/65: at 100% the interval still says "at least 94.4%".
  close(wilsonInterval(65, 65)?.low, 0.9442);
  close(wilsonInterval(65, 65)?.high, 1);
  assert.equal(wilsonInterval(0, 0), undefined);
});

test('exact McNemar p-values', () => {
  assert.equal(mcnemarExact(0, 0), 1);
  assert.equal(mcnemarExact(0, 5), 0.0625); // 2 * (1/2)^5
  assert.ok(Math.abs(mcnemarExact(1, 9) - 22 / 1024) < 1e-12); // 2 * (1 + 10) / 2^10
  assert.equal(mcnemarExact(3, 3), 1);
  assert.ok(mcnemarExact(0, 2000) < 1e-300 || mcnemarExact(0, 2000) === 0);
});

test('summaries and spreads', () => {
  assert.deepEqual(summarize([5, 1, 3, 2, 4]), { count: 5, mean: 3, median: 3, p95: 5, min: 1, max: 5 });
  assert.equal(summarize([]), undefined);
  assert.deepEqual(spreadOf([2]), { mean: 2, standardDeviation: 0, min: 2, max: 2 });
  assert.equal(spreadOf([1, 3])?.standardDeviation, Math.SQRT2);
});
