// `loco mcp --http` in process: the SDK's Client over StreamableHTTPClientTransport against
// the real HTTP server, with backends that let the test hold, cancel and inspect generation.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createFakeBackend } from '../../src/backends/fake.js';
import type { Backend, BackendEvent } from '../../src/backends/types.js';
import { createMcpCore, type McpCore } from '../../src/mcp/core.js';
import { startMcpHttp, type McpHttpServer } from '../../src/mcp/http.js';
import { RESULT_CHAR_BUDGET } from '../../src/mcp/result.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { CONFIG_PY, findConfigScript, textOf } from './support.js';

let tree: TempTree;
before(async () => {
  tree = await makeTempTree({ 'src/config.py': CONFIG_PY });
});
after(() => tree.cleanup());

interface Harness {
  core: McpCore;
  server: McpHttpServer;
  connect(token?: string): Promise<Client>;
  close(): Promise<void>;
}

async function start(backend: Backend, options: { parallel?: number; token?: string; traceLimit?: number; allowedHosts?: string[] } = {}): Promise<Harness> {
  const core = createMcpCore({ roots: [tree.root], sandbox: 'allow-list', parallel: options.parallel ?? 4, traceLimit: options.traceLimit, openBackend: async () => backend, log: () => undefined });
  const server = await startMcpHttp(core, { host: '127.0.0.1', port: 0, token: options.token, allowedHosts: options.allowedHosts });
  const clients: Client[] = [];
  return {
    core,
    server,
    async connect(token) {
      const transport = new StreamableHTTPClientTransport(new URL(server.url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined);
      const client = new Client({ name: 'loco-test', version: '1.0.0' });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
      await core.close();
    },
  };
}

/** A backend whose turns wait for `open()` (or an abort); records when each abort arrived. */
function gatedBackend(answer: string, options: { stopMs?: number } = {}) {
  const entered: Array<() => void> = [];
  const waitingForEntry: Array<(value: void) => void> = [];
  let gate!: () => void;
  const opened = new Promise<void>((resolve) => (gate = resolve));
  let sawAbort!: (at: number) => void;
  const abortSeen = new Promise<number>((resolve) => (sawAbort = resolve));
  let calls = 0;
  let active = 0;
  const closedWith: number[] = [];
  const backend: Backend = {
    info: { description: 'gated test backend' },
    async *stream(_request, signal): AsyncGenerator<BackendEvent> {
      active++;
      try {
        yield* turn(signal);
      } finally {
        active--;
      }
    },
    close: async () => {
      closedWith.push(active);
    },
  };
  async function* turn(signal: AbortSignal | undefined): AsyncGenerator<BackendEvent> {
      calls++;
      (waitingForEntry.shift() ?? (() => entered.push(() => undefined)))();
      const aborted = new Promise<void>((resolve) => {
        if (signal?.aborted) resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([opened, aborted]);
      const usage = { promptTokens: 10, cachedTokens: 0, completionTokens: 1 };
      if (signal?.aborted) {
        sawAbort(Date.now());
        // Like an engine finishing its current token before it stops.
        if (options.stopMs) await new Promise((resolve) => setTimeout(resolve, options.stopMs));
        yield { type: 'finish', reason: 'aborted', usage, text: '' };
        return;
      }
      yield { type: 'text-delta', text: answer };
      yield { type: 'finish', reason: 'stop', usage, text: answer };
  }
  return {
    backend,
    /** For each close(): how many turns were still streaming. */
    closedWith,
    /** Resolves with the time the first turn saw its abort signal. */
    abortSeen,
    calls: () => calls,
    open: () => gate(),
    /** Resolves when the next (not yet seen) turn has started. */
    nextEntry(): Promise<void> {
      if (entered.length > 0) {
        entered.shift();
        return Promise.resolve();
      }
      return new Promise((resolve) => waitingForEntry.push(resolve));
    },
  };
}

function rawRequest(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

test('http: a bearer token is required when configured (401 without it), and foreign Host headers get 403', async () => {
  const harness = await start(createFakeBackend(findConfigScript()), { token: 's3cret-token' });
  try {
    const missing = await rawRequest(harness.server.url, {}, INITIALIZE);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="loco"');
    assert.doesNotMatch(missing.body, /s3cret/);
    assert.equal((await rawRequest(harness.server.url, { authorization: 'Bearer wrong' }, INITIALIZE)).status, 401);
    const port = new URL(harness.server.url).port;
    const rebound = await rawRequest(harness.server.url, { authorization: 'Bearer s3cret-token', host: `evil.example:${port}` }, INITIALIZE);
    assert.equal(rebound.status, 403);

    const client = await harness.connect('s3cret-token');
    const result = await client.callTool({ name: 'explore', arguments: { question: 'Where is find_config?' } });
    assert.equal(result.isError, undefined, textOf(result));
    assert.deepEqual((result.structuredContent as { citations: Array<{ path: string }> }).citations.map((c) => c.path), ['src/config.py', 'src/config.py']);
    assert.equal(harness.server.sessions(), 1);
  } finally {
    await harness.close();
  }
});

test('http: cancelling a call aborts the backend at once and frees its slot', { timeout: 20_000 }, async () => {
  const gated = gatedBackend('done');
  const harness = await start(gated.backend, { parallel: 1 });
  try {
    const client = await harness.connect();
    const controller = new AbortController();
    const entered = gated.nextEntry();
    const call = client.callTool({ name: 'explore', arguments: { question: 'slow one' } }, undefined, { signal: controller.signal });
    await entered;
    const cancelledAt = Date.now();
    controller.abort();
    await assert.rejects(call, /abort/i);
    // The backend sees the abort through notifications/cancelled -> the handler's signal.
    const abortedAt = await gated.abortSeen;
    assert.ok(abortedAt - cancelledAt < 1000, `abort reached the backend after ${abortedAt - cancelledAt} ms`);
    // With one slot, a second call can only finish if the cancelled one released it.
    gated.open();
    const next = await client.callTool({ name: 'explore', arguments: { question: 'next one' } });
    assert.equal(next.isError, undefined, textOf(next));
    assert.equal(gated.calls(), 2);
  } finally {
    await harness.close();
  }
});

test('http: calls beyond the slots wait in line; status reports slots, busy and queue; progress reaches the client', { timeout: 20_000 }, async () => {
  const gated = gatedBackend('All in src/config.py:3.');
  const harness = await start(gated.backend, { parallel: 1 });
  try {
    const first = await harness.connect();
    const second = await harness.connect();
    const entered = gated.nextEntry();
    const progressA: string[] = [];
    const callA = first.callTool({ name: 'explore', arguments: { question: 'first' } }, undefined, { onprogress: (update) => progressA.push(update.message ?? '') });
    await entered;
    let sawWaiting!: () => void;
    const waiting = new Promise<void>((resolve) => (sawWaiting = resolve));
    const progressB: string[] = [];
    const callB = second.callTool({ name: 'explore', arguments: { question: 'second' } }, undefined, {
      onprogress: (update) => {
        progressB.push(update.message ?? '');
        if (update.message?.startsWith('waiting')) sawWaiting();
      },
    });
    await waiting;
    const status = await first.readResource({ uri: 'loco://status' });
    const report = JSON.parse(String((status.contents[0] as { text: string }).text)) as Record<string, unknown>;
    assert.deepEqual({ model: report.model, slots: report.slots, busy: report.busy, queued: report.queued }, { model: 'gated test backend', slots: 1, busy: 1, queued: 1 });
    gated.open();
    const [resultA, resultB] = await Promise.all([callA, callB]);
    assert.equal(resultA.isError, undefined, textOf(resultA));
    assert.equal(resultB.isError, undefined, textOf(resultB));
    assert.deepEqual(progressA, ['turn 1']);
    assert.deepEqual(progressB, ['waiting for a free slot (1 in line)', 'turn 1']);
    const after = await first.callTool({ name: 'status', arguments: {} });
    assert.deepEqual({ ...(after.structuredContent as Record<string, unknown>), roots: undefined }, { model: 'gated test backend', loaded: true, slots: 1, busy: 0, queued: 0, completed: 2, roots: undefined, traces: 2 });
  } finally {
    await harness.close();
  }
});

test('http: an oversized answer is cut to the result budget with a note; citations survive', async () => {
  const huge = `The config lives in src/config.py:3-5.\n${'x'.repeat(150_000)}\n${'y\\'.repeat(20_000)}`;
  const harness = await start(createFakeBackend([{ type: 'assistant', text: huge }]));
  try {
    const client = await harness.connect();
    const result = await client.callTool({ name: 'explore', arguments: { question: 'big' } });
    const text = textOf(result);
    const size = text.length + JSON.stringify(result.structuredContent).length;
    assert.ok(size <= RESULT_CHAR_BUDGET, `result of ${size} characters`);
    assert.ok(size > RESULT_CHAR_BUDGET * 0.8, `the budget is used, not wasted (${size})`);
    const structured = result.structuredContent as { truncated: boolean; answer: string; citations: unknown[]; trace: string };
    assert.equal(structured.truncated, true);
    assert.match(structured.answer, /\[answer cut to fit the result limit: \d+ of 190040 characters shown; the full text is in loco:\/\/traces\//);
    assert.match(text, /^src\/config\.py:3-5 /m);
    assert.equal(structured.citations.length, 1);
    // The full answer is in the trace resource.
    const trace = await client.readResource({ uri: structured.trace });
    assert.ok(String((trace.contents[0] as { text: string }).text).includes('y\\\\'.repeat(100)));
  } finally {
    await harness.close();
  }
});

test('http: only the latest traces are kept as resources', async () => {
  const answer = (n: number) => ({ type: 'assistant' as const, text: `answer ${n}` });
  const harness = await start(createFakeBackend([answer(1), answer(2), answer(3)]), { traceLimit: 2 });
  try {
    const client = await harness.connect();
    const uris: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const result = await client.callTool({ name: 'explore', arguments: { question: `q${n}` } });
      uris.push((result.structuredContent as { trace: string }).trace);
    }
    const listed = (await client.listResources()).resources.map((resource) => resource.uri).filter((uri) => uri.startsWith('loco://traces/'));
    assert.deepEqual(listed, [uris[2], uris[1]]);
    await assert.rejects(client.readResource({ uri: uris[0] }), /no trace/);
  } finally {
    await harness.close();
  }
});

test('http: shutting down aborts calls in flight and closes the backend only after they ended', { timeout: 20_000 }, async () => {
  const gated = gatedBackend('never sent', { stopMs: 100 });
  const harness = await start(gated.backend);
  const client = await harness.connect();
  const entered = gated.nextEntry();
  const call = client.callTool({ name: 'explore', arguments: { question: 'long one' } });
  call.catch(() => undefined);
  await entered;
  await harness.server.close();
  await harness.core.close();
  await gated.abortSeen;
  assert.deepEqual(gated.closedWith, [0]);
  await client.close();
});

test('http: thoroughness sets the turn limit and max_turns overrides it', async () => {
  const glob = { type: 'assistant' as const, text: '<tool_call>\n{"name": "Glob", "arguments": {"pattern": "**/*.py"}}\n</tool_call>' };
  const backend = createFakeBackend(Array.from({ length: 60 }, () => glob));
  const harness = await start(backend);
  try {
    const client = await harness.connect();
    const turnsFor = async (args: Record<string, unknown>) => {
      const before = backend.requests.length;
      const result = await client.callTool({ name: 'explore', arguments: { question: 'keep looking', ...args } });
      assert.equal((result.structuredContent as { stopReason: string }).stopReason, 'max-turns');
      assert.match(textOf(result), /reached its turn limit/);
      return backend.requests.length - before;
    };
    // The limit's turns, then one tool-free turn that asks for the answer.
    assert.equal(await turnsFor({ thoroughness: 'quick' }), 5);
    assert.equal(await turnsFor({}), 11);
    assert.equal(await turnsFor({ thoroughness: 'thorough', max_turns: 2 }), 3);
  } finally {
    await harness.close();
  }
});

test('http: a host name given with --allowed-host is accepted; others still get 403', async () => {
  const harness = await start(createFakeBackend([]), { allowedHosts: ['devbox.lan'] });
  try {
    const port = new URL(harness.server.url).port;
    const allowed = await rawRequest(harness.server.url, { host: `devbox.lan:${port}` }, INITIALIZE);
    assert.equal(allowed.status, 200, allowed.body);
    assert.equal((await rawRequest(harness.server.url, { host: `other.lan:${port}` }, INITIALIZE)).status, 403);
    assert.equal((await rawRequest(harness.server.url, { host: `localhost:${port}` }, INITIALIZE)).status, 200);
  } finally {
    await harness.close();
  }
});
