// The fleet backend over real HTTP servers with fixed slots and latency: requests go to
// servers with free slots, a key stays on its server, a dead server is taken out and the
// rest answer, a fleet with every server down reports an error event, and a per-server
// rate limit spaces requests out.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createFleetBackend, type FleetBackend } from '../../src/backends/fleet.js';
import { createBackendFromSpecs, isFleet } from '../../src/backends/fleet-spec.js';
import { createFakeBackend } from '../../src/backends/fake.js';
import type { Backend, BackendEvent } from '../../src/backends/types.js';
import { DEFAULT_SAMPLING } from '../../src/protocol/messages.js';
import { collect } from '../support/collect.js';
import { startSlotServer, type SlotServer } from '../support/slot-server.js';

const servers: SlotServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function server(slots: number, latencyMs: number): Promise<SlotServer> {
  const started = await startSlotServer({ slots, latencyMs, answer: (question) => `echo: ${question}` });
  servers.push(started);
  return started;
}

async function fleetOf(urls: string[]): Promise<FleetBackend> {
  const backend = await createBackendFromSpecs(urls, {}, { pollIntervalMs: 50 });
  assert.ok(isFleet(backend));
  return backend;
}

function ask(backend: Backend, question: string, conversationId?: string): Promise<BackendEvent[]> {
  return collect(backend.stream({ messages: [{ role: 'user', content: question }], sampling: DEFAULT_SAMPLING, ...(conversationId === undefined ? {} : { conversationId }) }));
}

const finalOf = (events: BackendEvent[]) => events[events.length - 1];

test('requests go to servers with free slots, never over a server’s slots', async () => {
  const a = await server(2, 150);
  const b = await server(2, 150);
  const fleet = await fleetOf([a.url, b.url]);
  const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => ask(fleet, `q${index}`, `c${index}`)));
  for (const [index, events] of answers.entries()) assert.deepEqual(finalOf(events), { type: 'finish', reason: 'stop', usage: (finalOf(events) as { usage: unknown }).usage, text: `echo: q${index}` });
  assert.equal(a.stats().answered + b.stats().answered, 8);
  assert.equal(a.stats().answered, 4, 'the load is spread by free slots');
  assert.ok(a.stats().maxOpen <= 2 && b.stats().maxOpen <= 2, 'no server got more requests than its slots');
  await fleet.close();
});

test('a key stays on the server that served it while that server has room', async () => {
  const a = await server(2, 10);
  const b = await server(2, 10);
  const fleet = await fleetOf([a.url, b.url]);
  const repoX = fleet.bind('/repos/x');
  const repoY = fleet.bind('/repos/y');
  // One at a time: without affinity, least-served balancing would alternate the servers.
  for (let round = 0; round < 5; round++) await ask(repoX, `x${round}`);
  for (let round = 0; round < 5; round++) await ask(repoY, `y${round}`);
  const counts = [a.stats().answered, b.stats().answered].sort();
  assert.deepEqual(counts, [5, 5], 'each repository kept one server (its prompt cache) for all five questions');
  await fleet.close();
});

test('a dead server is taken out and the others answer everything', async () => {
  const a = await server(2, 30);
  const b = await server(2, 30);
  const fleet = await fleetOf([a.url, b.url]);
  await Promise.all(Array.from({ length: 4 }, (_, index) => ask(fleet, `warm${index}`, `w${index}`)));
  assert.ok(a.stats().answered > 0, 'both servers served before one died');
  const beforeDeath = a.stats().answered;
  await a.close();
  const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => ask(fleet, `after${index}`, `w${index}`)));
  for (const events of answers) assert.equal(finalOf(events).type, 'finish');
  assert.equal(a.stats().answered, beforeDeath);
  assert.equal(b.stats().answered, 4 - beforeDeath + 10, 'the live server answered every request after the death');
  const states = fleet.members();
  assert.equal(states[0].alive, false);
  assert.ok(states[0].failures >= 1);
  assert.equal(states[1].alive, true);
  await fleet.close();
});

test('with every server down the fleet reports an error event instead of throwing', async () => {
  const a = await server(1, 10);
  const url = a.url;
  await a.close();
  const fleet = await fleetOf([url, `${url.replace('/v1', '')}/other/v1`]);
  const events = await ask(fleet, 'anyone?');
  const last = finalOf(events);
  assert.equal(last.type, 'error');
  assert.equal(last.type === 'error' && last.error.code, 'backend-unreachable');
  assert.match(last.type === 'error' ? last.error.message : '', /every server of the fleet is down/);
  await fleet.close();
});

test('a per-server rate limit spaces requests out', async () => {
  const fake = createFakeBackend(Array.from({ length: 3 }, () => ({ type: 'assistant' as const, text: 'ok' })));
  const fleet = createFleetBackend({ members: [{ backend: fake, slots: 10, requestsPerSecond: 2 }] });
  const started = Date.now();
  const answers = await Promise.all([ask(fleet, 'a'), ask(fleet, 'b'), ask(fleet, 'c')]);
  for (const events of answers) assert.equal(finalOf(events).type, 'finish');
  // Two tokens at the start, the third after half a second at 2 per second.
  assert.ok(Date.now() - started >= 400, `the third request waited for a token (${Date.now() - started} ms)`);
  await fleet.close();
});
