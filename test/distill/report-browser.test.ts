// The build's report.html in a real browser: headless Chromium (Debian's package, driven by
// playwright-core) loads it from disk; no console error, no request beyond the file, the
// drop table and the three charts drawn from the build's own stats.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/run-cli.js';
import { chromiumSkip, withReportPage } from '../support/chromium.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { CONVERSATION_VERSION, type Conversation } from '../../src/distill/conversation.js';


let tree: TempTree;
let out: string;

function conversation(id: string, tool: string, args: Record<string, unknown>): Conversation {
  return {
    v: CONVERSATION_VERSION,
    id,
    origin: { source: 'claude-code', file: `${id}.jsonl` },
    subagent: true,
    repo: `/repos/${id}`,
    messages: [
      { role: 'user', content: `Question ${id} about the ${tool} results in this repository` },
      { role: 'assistant', content: '', toolCalls: [{ name: tool, arguments: args }] },
      { role: 'tool', name: tool, content: `result of ${id}`, isError: false },
      { role: 'assistant', content: `Answer ${id}: the result names the ${tool} output for this repository.`, toolCalls: [] },
    ],
  };
}

before(async () => {
  tree = await makeTempTree();
  const input = path.join(tree.root, 'conversations.jsonl');
  const items = [conversation('a', 'Grep', { pattern: 'x' }), conversation('b', 'Read', { file_path: 'a.ts' }), conversation('c', 'Glob', { pattern: '*.ts' }), conversation('d', 'Write', { file_path: 'a', content: 'b' })];
  await writeFile(input, `${items.map((item) => JSON.stringify(item)).join('\n')}\n`);
  out = path.join(tree.root, 'data');
  const run = await runCli(['distill', 'build', input, '--out', out, '--validation-ratio', '0']);
  assert.equal(run.code, 0, run.stderr);
});
after(() => tree.cleanup());

test('the build report renders in headless Chromium, offline, with its table and charts', { skip: chromiumSkip(), timeout: 120_000 }, async () => {
  await withReportPage(path.join(out, 'report.html'), async ({ page, problems, requests, url }) => {
    assert.equal(await page.title(), 'loco distill report');
    assert.equal(await page.locator('#tool-chart rect').count(), 3, 'one bar per tool kept: Grep, Read, Glob');
    assert.equal(await page.locator('#turns-chart rect').count(), 1);
    assert.equal(await page.locator('#tokens-chart rect').count(), 1);
    assert.match(await page.locator('#dropped').innerText(), /shape\s+calls a tool outside the explorer set\s+1/);
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url]);
  });
});
