// The one whole-number flag parser every command and server uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocoError } from '../src/errors.js';
import { wholeNumberFlag } from '../src/flags.js';

test('whole numbers in range pass, absent flags stay absent, the rest is a usage error naming the range', () => {
  assert.equal(wholeNumberFlag('--port', '8080', 0, 65_535), 8080);
  assert.equal(wholeNumberFlag('--port', undefined, 0, 65_535), undefined);
  for (const bad of ['http', '1.5', '-1', '70000']) {
    assert.throws(
      () => wholeNumberFlag('--port', bad, 0, 65_535),
      (error: unknown) => error instanceof LocoError && error.code === 'usage' && error.message === `--port must be a whole number from 0 to 65535, got ${JSON.stringify(bad)}`,
    );
  }
});
