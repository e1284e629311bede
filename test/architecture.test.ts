// Guards the layering of src/: imports point one way (docs/architecture.md), and no module
// imports itself back through others. Parses the import/export specifiers of src/**/*.ts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

// Compiled to dist/test/, the sources are two levels up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = path.join(root, 'src');

/** Lower ranks are imported by higher ones, never the other way; equal ranks do not import each other. */
const RANKS: Record<string, number> = {
  '.': 0, // errors.ts, format.ts: shared by every layer
  protocol: 1,
  trace: 1,
  tools: 2,
  backends: 2,
  models: 2,
  http: 2,
  agent: 3,
  config: 4, // the layered settings of the commands; only cli reads them
  proxy: 4,
  serve: 4,
  batch: 4,
  eval: 4,
  mcp: 4,
  // Built on batch's run layout and eval's report pieces.
  'explore-bench': 5,
  // The queue runner: batch's answerQuery, output and summary over BullMQ.
  fleet: 5,
  // Teacher traces -> training data: the dialect, the trace reader, the explorer's prompt, eval's tool schemas.
  distill: 5,
  cli: 6,
};

/** Known upward or sideways imports, each with the change that removes it. Keep it short. */
const ALLOWED: ReadonlySet<string> = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*\(?\s*['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const targets: string[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2];
    if (!specifier.startsWith('.')) continue;
    targets.push(path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'));
  }
  return targets;
}

const layerOf = (file: string) => path.relative(src, file).split(path.sep).slice(0, -1)[0] ?? '.';
const name = (file: string) => path.relative(src, file);

const graph = new Map(sourceFiles(src).map((file) => [file, importsOf(file)]));

test('every src folder has a layer', () => {
  const unranked = [...new Set([...graph.keys()].map(layerOf))].filter((layer) => RANKS[layer] === undefined);
  assert.deepEqual(unranked, [], 'add new folders to RANKS in test/architecture.test.ts and docs/architecture.md');
});

test('imports point down the layers only', () => {
  const upward: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const from = layerOf(file);
      const to = layerOf(target);
      if (from === to || RANKS[to] < RANKS[from]) continue;
      const edge = `${name(file)} -> ${name(target)}`;
      if (!ALLOWED.has(edge)) upward.push(edge);
    }
  }
  assert.deepEqual(upward, [], `imports that point up or sideways (${from()}):\n${upward.join('\n')}`);
  function from(): string {
    return 'protocol, trace <- tools, backends, models <- agent <- proxy, serve, batch, eval, config <- cli';
  }
});

test('no import cycles', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  function visit(file: string): void {
    state.set(file, 'visiting');
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === 'visiting') cycles.push([...stack.slice(stack.indexOf(target)), target].map(name).join(' -> '));
      else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  }
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  assert.deepEqual(cycles, []);
});

test('every listed exception still exists (remove it once its fix lands)', () => {
  const edges = new Set([...graph].flatMap(([file, targets]) => targets.map((target) => `${name(file)} -> ${name(target)}`)));
  assert.deepEqual([...ALLOWED].filter((edge) => !edges.has(edge)), []);
});
