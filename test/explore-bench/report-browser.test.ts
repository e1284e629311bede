// The bench's report.html in headless Chromium (playwright-core, networking off): no console
// error, no request beyond the file, bars with intervals for every run and metric, one point
// per run in the F1-against-tokens chart, and a screenshot with real ink.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { QueryRecord } from '../../src/batch/summary.js';
import { writeScoreFiles } from '../../src/explore-bench/report-files.js';
import type { RunFolder } from '../../src/explore-bench/run-dir.js';
import { scoreRuns } from '../../src/explore-bench/scoring.js';
import type { BenchTask } from '../../src/explore-bench/task-file.js';
import { chromiumSkip, withReportPage } from '../support/chromium.js';
import { seededRandom } from '../../src/random.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

const RUNS = ['bm25', 'loco-4b', 'oracle'];
let tree: TempTree;
let reportFile: string;

before(async () => {
  tree = await makeTempTree();
  const random = seededRandom(11);
  const tasks: BenchTask[] = Array.from({ length: 30 }, (_, index) => ({
    id: `t${index}`,
    kind: index % 2 === 0 ? 'localization' : 'definition',
    repo: 'acme/app',
    commit: 'b'.repeat(40),
    question: `Where is thing ${index}?`,
    truth: { files: [`src/f${index % 5}.py`], lines: { [`src/f${index % 5}.py`]: [[10, 30]] } },
    meta: {},
  }));
  // Answers of three qualities: far off, near, exact; token use grows with quality.
  const runs: RunFolder[] = RUNS.map((name, quality) => {
    const answers = new Map<string, string>();
    const records = new Map<string, QueryRecord>();
    for (const entry of tasks) {
      const file = entry.truth.files[0];
      const shift = quality === 2 ? 0 : Math.floor(random() * (quality === 0 ? 40 : 10));
      if (quality > 0 || random() < 0.7) answers.set(entry.id, `${file}:${10 + shift}-${30 + shift}`);
      records.set(entry.id, { id: entry.id, line: 1, status: 'ok', turns: 2 + quality, toolCalls: { Grep: 1 + quality }, tokens: { prompt: 2000 * (quality + 1), cached: 100, completion: 200 }, wallMs: 1000 });
    }
    return { name, dir: name, answers, records, roots: [] };
  });
  const report = scoreRuns({ tasks, tasksFile: 'tasks.jsonl', runs, seed: 1, compare: ['bm25', 'oracle'] });
  await writeScoreFiles(tree.root, report);
  reportFile = path.join(tree.root, 'report.html');
});
after(() => tree.cleanup());

test('the bench report.html renders in headless Chromium with its charts and no errors', { skip: chromiumSkip(), timeout: 120_000 }, async () => {
  await withReportPage(reportFile, async ({ page, problems, requests, url }) => {
    assert.equal(await page.title(), 'loco explore-bench report');
    assert.equal(await page.locator('#score-chart rect.score').count(), 3 * RUNS.length);
    assert.equal(await page.locator('#score-chart line.interval').count(), 3 * RUNS.length);
    assert.equal(await page.locator('#scatter-chart circle.point').count(), RUNS.length);
    // Line F1 bars (the second group) grow with quality: the chart draws the numbers, not placeholders.
    const widths = await page.locator('#score-chart rect.score').evaluateAll((rects) => rects.map((rect) => Number(rect.getAttribute('width'))));
    assert.ok(widths[5] > widths[4] && widths[4] > widths[3], JSON.stringify(widths));
    assert.match(await page.locator('pre').innerText(), /Paired comparison/);
    const box = await page.locator('#score-chart').boundingBox();
    assert.ok(box && box.width > 500 && box.height > 100);
    const screenshot = await page.screenshot({ fullPage: true });
    assert.ok(screenshot.length > 20_000, `screenshot of ${screenshot.length} bytes`);
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url]);
  });
});
