// runPool: never more than `concurrency` items in flight, items taken in order, none after an abort.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPool } from '../src/pool.js';

test('takes items in order with at most `concurrency` in flight, and all of them', async () => {
  const items = [1, 2, 3, 4, 5, 6, 7];
  let next = 0;
  let inFlight = 0;
  let most = 0;
  const started: number[] = [];
  await runPool(
    () => items[next++],
    3,
    async (item) => {
      started.push(item);
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Yield a few times so other workers get to start before this one ends.
      for (let turn = 0; turn < 3; turn++) await Promise.resolve();
      inFlight -= 1;
    },
  );
  assert.deepEqual(started, items);
  assert.equal(most, 3);
});

test('takes nothing once the signal aborted', async () => {
  const controller = new AbortController();
  const done: number[] = [];
  let next = 0;
  await runPool(
    () => next++,
    2,
    async (item) => {
      done.push(item);
      if (item === 3) controller.abort();
    },
    controller.signal,
  );
  assert.ok(done.length <= 5 && done.includes(3), JSON.stringify(done));
});
