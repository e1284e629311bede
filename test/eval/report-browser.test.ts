// report.html in a real browser: headless Chromium (Debian's package, driven by
// playwright-core) loads the page from disk with networking off; there must be no console
// error, no request beyond the file itself, the three charts must be drawn, and a
// screenshot must show a real page (many colours, plenty of ink), not a blank one.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createFakeBackend } from '../../src/backends/fake.js';
import { runEvaluation } from '../../src/eval/evaluate.js';
import { writeReportFiles } from '../../src/eval/report-files.js';
import { parseSamples } from '../../src/eval/samples.js';
import { DEFAULT_SAMPLING } from '../../src/protocol/messages.js';
import { chromiumSkip, withReportPage } from '../support/chromium.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { CASES, fakeEntries, samplesJsonl } from './fixtures.js';

let tree: TempTree;
let reportFile: string;

before(async () => {
  tree = await makeTempTree();
  const { samples } = parseSamples(samplesJsonl());
  // A failed generation too, so every outcome colour is on the page.
  const entries = fakeEntries();
  entries[0] = { type: 'error', error: { code: 'backend-timeout', message: 'too slow' }, match: '[s1]' };
  const report = await runEvaluation({ samples, samplesFile: 'fixture.jsonl', backend: createFakeBackend(entries), sampling: DEFAULT_SAMPLING, runs: 1, concurrency: 2 });
  await writeReportFiles(tree.root, report, { results: true });
  reportFile = path.join(tree.root, 'report.html');
});
after(() => tree.cleanup());

test('report.html renders in headless Chromium with no console errors', { skip: chromiumSkip(), timeout: 120_000 }, async () => {
  await withReportPage(reportFile, async ({ page, context, problems, requests, url }) => {
    assert.equal(await page.title(), 'loco eval report');
    assert.equal(await page.locator('#tool-chart rect').count() > 6, true);
    assert.equal(await page.locator('#confusion-chart rect').count(), 4);
    assert.equal(await page.locator('#sample-grid rect.sample').count(), CASES.length);
    assert.equal(await page.locator('#sample-grid rect.failed').count(), 1);
    assert.equal(await page.locator('#sample-grid rect.presence').count(), 2);
    const screenshot = await page.screenshot({ fullPage: true });

    // Decode the screenshot in a blank page (the report's CSP rightly forbids data: images).
    const blank = await context.newPage();
    const ink = await blank.evaluate(async (base64) => {
      const image = new Image();
      image.src = `data:image/png;base64,${base64}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const drawing = canvas.getContext('2d');
      if (!drawing) throw new Error('no 2d context');
      drawing.drawImage(image, 0, 0);
      const pixels = drawing.getImageData(0, 0, image.width, image.height).data;
      const colours = new Set<number>();
      let nonWhite = 0;
      for (let offset = 0; offset < pixels.length; offset += 4) {
        const [red, green, blue] = [pixels[offset], pixels[offset + 1], pixels[offset + 2]];
        colours.add((red << 16) | (green << 8) | blue);
        if (red < 240 || green < 240 || blue < 240) nonWhite++;
      }
      return { width: image.width, height: image.height, colours: colours.size, nonWhite: nonWhite / (pixels.length / 4) };
    }, screenshot.toString('base64'));

    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url]);
    assert.equal(ink.width, 1100);
    assert.ok(ink.height > 1200, `page height ${ink.height}`);
    assert.ok(ink.colours > 50, `only ${ink.colours} colours`);
    assert.ok(ink.nonWhite > 0.05, `only ${(ink.nonWhite * 100).toFixed(1)}% of pixels are not white`);
  });
});
