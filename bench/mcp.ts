// Benchmark: what the MCP layer adds per explore call over calling explore() in-process.
// The same two-turn scripted exploration (one Read, then an answer with citations) over a
// real temp tree runs N times (a) through explore() directly, (b) through `loco mcp --http`
// in this process with the SDK's client, (c) through `loco mcp` on stdio as a child process,
// alternating so machine noise hits all alike. The fake backend makes the model's time zero,
// so what remains is the layer's own cost: JSON-RPC, transport, citations, trace, queue.
// Run alone: npm run bench:mcp
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { explore } from '../src/agent/explorer.js';
import { createFakeBackend, type FakeEntry } from '../src/backends/fake.js';
import { createMcpCore } from '../src/mcp/core.js';
import { startMcpHttp } from '../src/mcp/http.js';

const CALLS = 30;
const WARMUP = 3;
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');

const dir = await mkdtemp(path.join(os.tmpdir(), 'loco-bench-mcp-'));
const root = path.join(dir, 'tree');
await mkdir(path.join(root, 'src'), { recursive: true });
await writeFile(path.join(root, 'src/config.py'), 'import os\n\ndef find_config(start):\n    return os.path.join(start, ".locorc")\n'.repeat(20));
const turns: FakeEntry[] = [
  { type: 'assistant', text: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "src/config.py", "limit": 40}}\n</tool_call>' },
  { type: 'assistant', text: '`find_config` is defined in src/config.py:3-4 and used again at src/config.py:7-8.' },
];
const script = Array.from({ length: CALLS + WARMUP }, () => turns).flat();
const scriptFile = path.join(dir, 'script.jsonl');
await writeFile(scriptFile, `${script.map((entry) => JSON.stringify(entry)).join('\n')}\n`);

const direct = createFakeBackend(script);
const core = createMcpCore({ roots: [root], sandbox: 'allow-list', parallel: 1, openBackend: async () => createFakeBackend(script), log: () => undefined });
const server = await startMcpHttp(core, { host: '127.0.0.1', port: 0 });
const httpClient = new Client({ name: 'bench', version: '1' });
await httpClient.connect(new StreamableHTTPClientTransport(new URL(server.url)));
const stdioClient = new Client({ name: 'bench', version: '1' });
const env: Record<string, string> = {};
for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
await stdioClient.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--backend', `fake:${scriptFile}`, '--root', root, '--sandbox', 'allow-list', '--parallel', '1'], env, stderr: 'ignore' }));

const question = 'Where is find_config defined?';
async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}
const runs = {
  inProcess: () => explore(question, { backend: direct, roots: [root], sandbox: 'allow-list', maxTurns: 10 }),
  http: async () => {
    const result = await httpClient.callTool({ name: 'explore', arguments: { question } });
    if (result.isError) throw new Error(JSON.stringify(result.content));
  },
  stdio: async () => {
    const result = await stdioClient.callTool({ name: 'explore', arguments: { question } });
    if (result.isError) throw new Error(JSON.stringify(result.content));
  },
};
const samples: Record<keyof typeof runs, number[]> = { inProcess: [], http: [], stdio: [] };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

try {
  for (let index = 0; index < CALLS + WARMUP; index++) {
    for (const name of Object.keys(runs) as Array<keyof typeof runs>) {
      const ms = await timed(runs[name]);
      if (index >= WARMUP) samples[name].push(ms);
    }
  }
  const base = median(samples.inProcess);
  console.log(`loco mcp: ${CALLS} explore calls each (2 scripted turns, 1 Read), median per call`);
  console.log(`  explore() in-process     ${base.toFixed(2)} ms`);
  for (const name of ['http', 'stdio'] as const) {
    const value = median(samples[name]);
    console.log(`  MCP over ${name.padEnd(6)}          ${value.toFixed(2)} ms  (+${(value - base).toFixed(2)} ms, ratio ${(value / base).toFixed(2)}x)`);
  }
} finally {
  await httpClient.close();
  await stdioClient.close();
  await server.close();
  await core.close();
  await rm(dir, { recursive: true, force: true });
}
