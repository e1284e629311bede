// Benchmark: loco's Grep and Glob against plain ripgrep, over this repository's
// node_modules (present on every machine after `npm ci`). The baseline is `rg` spawned
// directly with the same command line the tool uses, its output collected in memory, so
// the ratio is the cost of the tool's own work: parsing, sorting, statting, formatting.
// Goal: Grep within 1.3x of ripgrep's wall time. The JS searcher's ratio is informational.
// Run alone: npm run bench:tools
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGlobTool } from '../src/tools/glob.js';
import { createGrepTool, type GrepArguments } from '../src/tools/grep.js';
import { createPathPolicy } from '../src/tools/paths.js';
import { findRipgrep, ripgrepGrepArguments, ripgrepListArguments } from '../src/tools/search/ripgrep.js';
import { normalizePattern } from '../src/tools/search/rust-regex.js';
import type { GrepQuery } from '../src/tools/search/types.js';

const ROOT = fileURLToPath(new URL('../../node_modules', import.meta.url));
const REPETITIONS = 7;
const JS_REPETITIONS = 3;
const GOAL = 1.3;
const signal = new AbortController().signal;

interface Row {
  name: string;
  ripgrep: number;
  loco: number;
  js: number;
  outputLines: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Plain rg: spawn, collect stdout in memory, wait for exit. */
function plainRipgrep(executable: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(chunks).length));
  });
}

/** Alternates baseline and tool runs so drift affects both alike; returns medians. */
async function measure(baseline: () => Promise<unknown>, loco: () => Promise<unknown>, js: () => Promise<unknown>): Promise<[number, number, number]> {
  await baseline();
  await loco();
  const baselineTimes: number[] = [];
  const locoTimes: number[] = [];
  for (let index = 0; index < REPETITIONS; index += 1) {
    baselineTimes.push(await time(baseline));
    locoTimes.push(await time(loco));
  }
  const jsTimes: number[] = [];
  for (let index = 0; index < JS_REPETITIONS; index += 1) jsTimes.push(await time(js));
  return [median(baselineTimes), median(locoTimes), median(jsTimes)];
}

function toQuery(args: GrepArguments): GrepQuery {
  const mode = args.output_mode ?? 'files_with_matches';
  return { root: ROOT, rootIsFile: false, pattern: normalizePattern(args.pattern), caseInsensitive: args['-i'] ?? false, multiline: false, globs: [], mode, before: 0, after: 0 };
}

async function main(): Promise<void> {
  const executable = findRipgrep();
  if (executable === undefined || !existsSync(ROOT)) {
    console.error(executable === undefined ? 'rg is not on PATH: nothing to compare against.' : `missing ${ROOT}: run npm ci first.`);
    process.exitCode = 1;
    return;
  }
  const policy = createPathPolicy([ROOT]);
  const grepRipgrep = createGrepTool({ policy, searcher: 'ripgrep' });
  const grepJs = createGrepTool({ policy, searcher: 'js' });
  const globRipgrep = createGlobTool({ policy, searcher: 'ripgrep' });
  const globJs = createGlobTool({ policy, searcher: 'js' });
  const rows: Row[] = [];

  const grepCases: GrepArguments[] = [
    { pattern: 'function', output_mode: 'content' },
    { pattern: 'function' },
    { pattern: 'TODO', output_mode: 'content' },
    { pattern: 'TODO' },
    { pattern: 'export\\s+(function|const)\\s+\\w+', output_mode: 'content' },
    { pattern: 'readFileSync', '-i': true },
  ];
  for (const args of grepCases) {
    let outputLines = 0;
    const [ripgrep, loco, js] = await measure(
      () => plainRipgrep(executable, ripgrepGrepArguments(toQuery(args)), ROOT),
      async () => {
        outputLines = (await grepRipgrep.run(args, { signal })).output.split('\n').length;
      },
      () => grepJs.run(args, { signal }),
    );
    rows.push({ name: `Grep ${args.output_mode ?? 'files_with_matches'} /${args.pattern}/${args['-i'] ? 'i' : ''}`, ripgrep, loco, js, outputLines });
  }

  for (const pattern of ['**/*.js', '**/*.d.ts', '**/package.json']) {
    let outputLines = 0;
    const [ripgrep, loco, js] = await measure(
      () => plainRipgrep(executable, ripgrepListArguments(ROOT, ['--glob', pattern]), ROOT),
      async () => {
        outputLines = (await globRipgrep.run({ pattern }, { signal })).output.split('\n').length;
      },
      () => globJs.run({ pattern }, { signal }),
    );
    rows.push({ name: `Glob ${pattern}`, ripgrep, loco, js, outputLines });
  }

  const header = ['case', 'rg ms', 'loco ms', 'ratio', 'js ms', 'js ratio', 'lines'];
  const table = rows.map((row) => [
    row.name,
    row.ripgrep.toFixed(1),
    row.loco.toFixed(1),
    `${(row.loco / row.ripgrep).toFixed(2)}x`,
    row.js.toFixed(1),
    `${(row.js / row.ripgrep).toFixed(1)}x`,
    String(row.outputLines),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((cells) => cells[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  console.log(`Searching ${path.relative(process.cwd(), ROOT) || ROOT} with ${executable}; medians of ${REPETITIONS} runs (JS searcher: ${JS_REPETITIONS}).\n`);
  console.log(line(header));
  for (const cells of table) console.log(line(cells));
  const grepRows = rows.filter((row) => row.name.startsWith('Grep'));
  const worst = Math.max(...grepRows.map((row) => row.loco / row.ripgrep));
  console.log(`\nGrep, worst ratio to plain rg: ${worst.toFixed(2)}x (goal ${GOAL}x): ${worst <= GOAL ? 'met' : 'NOT met'}`);
}

await main();
