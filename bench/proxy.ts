// bench:proxy: what `loco proxy` adds on top of the backends it fronts, measured in one run
// against the same in-process fake backends:
//   local route:  Anthropic client -> proxy -> OpenAI-compatible backend (the local model);
//                 also with a Claude Code sub-agent's tools and <env>, under the default
//                 profile and under --profile fastcontext (prompt, workspace listing, tool mapping)
//   remote route: Anthropic client -> proxy -> Anthropic API
// Each is timed direct (the client speaks the backend's own API), through `loco proxy` (a
// child process, as users run it) and, side by side, through claude-code-router 1.0.73 from
// npm (installed into a scratch folder with a private HOME at bench time, never a project
// dependency). Requests are interleaved so drift hits every target alike; "added" is the
// per-round difference to direct, so it is the proxy's own cost.
// Goals: added latency p50 < 2 ms; time to first token within 5% of the backend's own.
// Usage: npm run bench:proxy [-- --rounds 300 --slow-rounds 30 --no-ccr]
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';

const CCR_VERSION = '1.0.73';
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const ANSWER = 'Let me look for the entry point.\n<tool_call>\n{"name": "Grep", "arguments": {"pattern": "createServer", "path": "src"}}\n</tool_call>';
const DELTAS = ANSWER.match(/[\s\S]{1,6}/g) ?? [ANSWER];

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

interface Fakes {
  openai: string;
  anthropic: string;
  setTtft(ms: number): void;
  close(): Promise<void>;
}

/** Both fake backends; `ttft` delays the first content delta (prompt processing, in effect). */
async function startFakes(): Promise<Fakes> {
  let ttft = 0;
  const sse = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const chunk = (delta: object, finish: string | null = null): string => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'loco', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const handle = (server: Server, answer: (url: string, body: string, res: import('node:http').ServerResponse) => Promise<void>) =>
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (part: Buffer) => (body += part));
      req.on('end', () => void answer(req.url ?? '', body, res).catch(() => res.destroy()));
    });
  const openai = createServer();
  handle(openai, async (url, _body, res) => {
    if (!url.endsWith('/chat/completions')) return void res.writeHead(404).end('{}');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: null }));
    if (ttft > 0) await sleep(ttft);
    for (const delta of DELTAS) res.write(chunk({ content: delta }));
    res.write(chunk({}, 'stop'));
    res.end(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'loco', choices: [], usage: { prompt_tokens: 50, completion_tokens: 30 } })}\n\ndata: [DONE]\n\n`);
  });
  const anthropic = createServer();
  handle(anthropic, async (url, body, res) => {
    if (!url.startsWith('/v1/messages')) return void res.writeHead(404).end('{}');
    const model = (JSON.parse(body) as { model?: string }).model ?? 'claude';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_bench' });
    res.write(sse('message_start', { message: { id: 'msg_b', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 50, output_tokens: 1 } } }) + sse('ping', {}));
    if (ttft > 0) await sleep(ttft);
    let text = sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    for (const delta of DELTAS) text += sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: delta } });
    res.write(text);
    res.end(sse('content_block_stop', { index: 0 }) + sse('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 30 } }) + sse('message_stop', {}));
  });
  const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  const [openaiUrl, anthropicUrl] = [await listen(openai), await listen(anthropic)];
  return {
    openai: openaiUrl,
    anthropic: anthropicUrl,
    setTtft: (ms) => (ttft = ms),
    close: async () => {
      openai.closeAllConnections();
      anthropic.closeAllConnections();
      await Promise.all([new Promise((r) => openai.close(r)), new Promise((r) => anthropic.close(r))]);
    },
  };
}

/** Starts a child process and waits until `ready` matches its output; returns the match. */
async function startChild(command: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, waitMs = 30_000): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${waitMs} ms: ${output.slice(-800)}`)), waitMs);
    const read = (part: Buffer) => {
      output += part.toString();
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output.slice(-800)}`)));
  });
  child.removeAllListeners('exit');
  return { child, match };
}

async function waitForPort(url: string, waitMs = 30_000): Promise<void> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > until) throw new Error(`nothing answers at ${url}`);
      await sleep(200);
    }
  }
}

/** claude-code-router in a scratch folder with a private HOME; undefined (with the reason printed) when it cannot run. */
async function startCcr(fakes: Fakes): Promise<{ url: string; child: ChildProcess } | undefined> {
  const scratch = path.join(tmpdir(), `loco-bench-ccr-${CCR_VERSION}`);
  const home = path.join(scratch, 'home');
  const cli = path.join(scratch, 'node_modules', '@musistudio', 'claude-code-router', 'dist', 'cli.js');
  try {
    if (!existsSync(cli)) {
      console.log(`installing claude-code-router ${CCR_VERSION} into ${scratch} ...`);
      await mkdir(scratch, { recursive: true });
      await promisify(execFile)('npm', ['install', '--prefix', scratch, '--no-audit', '--no-fund', `@musistudio/claude-code-router@${CCR_VERSION}`], { timeout: 300_000, env: { ...process.env, HOME: home } });
    }
    const port = 34000 + Math.floor(Math.random() * 2000);
    await mkdir(path.join(home, '.claude-code-router'), { recursive: true });
    const config = {
      LOG: false,
      HOST: '127.0.0.1',
      PORT: port,
      API_TIMEOUT_MS: 60_000,
      Providers: [
        { name: 'local', api_base_url: `${fakes.openai}/v1/chat/completions`, api_key: 'x', models: ['loco'] },
        { name: 'cloud', api_base_url: `${fakes.anthropic}/v1/messages`, api_key: 'x', models: ['claude-sonnet-5-5'], transformer: { use: ['Anthropic'] } },
      ],
      Router: { default: 'cloud,claude-sonnet-5-5', background: 'local,loco' },
    };
    await writeFile(path.join(home, '.claude-code-router', 'config.json'), JSON.stringify(config, null, 2));
    const child = spawn(process.execPath, [cli, 'start'], { env: { PATH: process.env.PATH, HOME: home }, stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    await waitForPort(url);
    return { url, child };
  } catch (error) {
    console.log(`claude-code-router ${CCR_VERSION}: cannot run here (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); its columns are left out`);
    return undefined;
  }
}

const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });

interface Timing {
  ttft: number;
  total: number;
  ok: boolean;
}

/** One streamed request; TTFT is the first content delta, total the end of the body. */
async function timed(url: string, body: object, headers: Record<string, string>, contentMark: string): Promise<Timing> {
  const start = performance.now();
  let ttft = Number.NaN;
  let text = '';
  const response = await request(url, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  for await (const part of response.body as AsyncIterable<Buffer>) {
    if (Number.isNaN(ttft)) {
      text += part.toString();
      if (text.includes(contentMark)) ttft = performance.now() - start;
    }
  }
  return { ttft, total: performance.now() - start, ok: response.statusCode === 200 && !Number.isNaN(ttft) };
}

function p50(values: readonly number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)];
}

type Target = { name: string; run: () => Promise<Timing> };

async function scenario(title: string, direct: Target, via: Target[], rounds: number): Promise<void> {
  const all = [direct, ...via];
  for (let warm = 0; warm < 20; warm += 1) for (const target of all) await target.run();
  const results = new Map<string, Timing[]>(all.map((target) => [target.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const target of all) results.get(target.name)?.push(await target.run());
  }
  const base = results.get(direct.name) ?? [];
  console.log(`\n${title} (${rounds} rounds)`);
  console.log('target                       ok     ttft p50   total p50   added p50   ttft ratio');
  for (const target of all) {
    const timings = results.get(target.name) ?? [];
    const added = timings.map((timing, index) => timing.total - base[index].total);
    const ratio = p50(timings.map((timing) => timing.ttft)) / p50(base.map((timing) => timing.ttft));
    const cell = (value: number, unit = ' ms') => (Number.isFinite(value) ? `${value.toFixed(2)}${unit}` : 'n/a').padStart(10);
    const ok = `${timings.filter((timing) => timing.ok).length}/${timings.length}`.padStart(7);
    console.log(`${target.name.padEnd(26)}${ok} ${cell(p50(timings.map((timing) => timing.ttft)))}  ${cell(p50(timings.map((timing) => timing.total)))}  ${target === direct ? '         -' : cell(p50(added))}  ${cell(ratio, 'x')}`);
  }
}

async function main(): Promise<void> {
  const rounds = argument('rounds', 300);
  const slowRounds = argument('slow-rounds', 30);
  const fakes = await startFakes();
  const loco = await startChild(process.execPath, [CLI, 'proxy', '--port', '0', '--local', `${fakes.openai}/v1`, '--remote', fakes.anthropic, '--log', '/dev/null'], { ...process.env, LOCO_BACKEND: '' }, /listening on (http:\/\/[\d.:]+)/);
  const locoUrl = loco.match[1];
  // The same proxy speaking FastContext's dialect: its prompt, the workspace listing, the tool mapping.
  const fastcontext = await startChild(process.execPath, [CLI, 'proxy', '--port', '0', '--local', `${fakes.openai}/v1`, '--remote', fakes.anthropic, '--log', '/dev/null', '--profile', 'fastcontext'], { ...process.env, LOCO_BACKEND: '' }, /listening on (http:\/\/[\d.:]+)/);
  const fastcontextUrl = fastcontext.match[1];
  const ccr = process.argv.includes('--no-ccr') ? undefined : await startCcr(fakes);
  try {
    const anthropicHeaders = { 'x-api-key': 'sk-bench', 'anthropic-version': '2023-06-01' };
    const ask = (model: string) => ({ model, max_tokens: 512, stream: true, messages: [{ role: 'user', content: 'Where is the server created?' }] });
    const openaiDirect: Target = { name: 'direct (OpenAI API)', run: () => timed(`${fakes.openai}/v1/chat/completions`, { model: 'loco', stream: true, messages: [{ role: 'user', content: 'Where is the server created?' }] }, {}, '"delta":{"content":"') };
    const anthropicDirect: Target = { name: 'direct (Anthropic API)', run: () => timed(`${fakes.anthropic}/v1/messages`, ask('claude-sonnet-5-5'), anthropicHeaders, 'content_block_delta') };
    const through = (name: string, base: string, model: string): Target => ({ name, run: () => timed(`${base}/v1/messages`, ask(model), anthropicHeaders, 'content_block_delta') });
    // A sub-agent's request as Claude Code sends it: its tools and its <env> block.
    const schema = (properties: Record<string, unknown>, required: string[]) => ({ type: 'object', properties, required });
    const subagent = {
      ...ask('claude-haiku-4-5'),
      system: `You are a file search specialist.\n<env>\nWorking directory: ${process.cwd()}\nPlatform: linux\n</env>`,
      tools: [
        { name: 'Bash', description: 'Run a command', input_schema: schema({ command: { type: 'string' } }, ['command']) },
        { name: 'Glob', description: 'Find files', input_schema: schema({ pattern: { type: 'string' }, path: { type: 'string' } }, ['pattern']) },
        { name: 'Grep', description: 'Search contents', input_schema: schema({ pattern: { type: 'string' }, path: { type: 'string' }, output_mode: { type: 'string' } }, ['pattern']) },
        { name: 'Read', description: 'Read a file', input_schema: schema({ file_path: { type: 'string' }, offset: { type: 'number' }, limit: { type: 'number' } }, ['file_path']) },
      ],
    };
    const withTools = (name: string, base: string): Target => ({ name, run: () => timed(`${base}/v1/messages`, subagent, anthropicHeaders, 'content_block_delta') });
    const localVia = [
      through('loco proxy', locoUrl, 'claude-haiku-4-5'),
      withTools('loco proxy, tools', locoUrl),
      withTools('loco, fastcontext, tools', fastcontextUrl),
      ...(ccr ? [through(`claude-code-router ${CCR_VERSION}`, ccr.url, 'claude-haiku-4-5')] : []),
    ];
    const remoteVia = [through('loco proxy', locoUrl, 'claude-sonnet-5-5'), ...(ccr ? [through(`claude-code-router ${CCR_VERSION}`, ccr.url, 'claude-sonnet-5-5')] : [])];
    console.log(`bench:proxy on node ${process.version}; answer of ${DELTAS.length} deltas; loco proxy at ${locoUrl}${ccr ? `, claude-code-router at ${ccr.url}` : ''}`);
    fakes.setTtft(0);
    await scenario('local route, backend answers at once (added latency)', openaiDirect, localVia, rounds);
    await scenario('remote route, backend answers at once (added latency)', anthropicDirect, remoteVia, rounds);
    fakes.setTtft(50);
    await scenario('local route, backend first token after 50 ms (TTFT ratio)', openaiDirect, localVia, slowRounds);
    await scenario('remote route, backend first token after 50 ms (TTFT ratio)', anthropicDirect, remoteVia, slowRounds);
    console.log('\ngoals for loco proxy: added p50 < 2 ms; ttft ratio <= 1.05x');
  } finally {
    loco.child.kill('SIGTERM');
    fastcontext.child.kill('SIGTERM');
    ccr?.child.kill('SIGTERM');
    await agent.close();
    await fakes.close();
  }
}

await main();
