// Runs code expected to refuse bad input, and returns its LocoError('usage') for assertions.
import assert from 'node:assert/strict';
import { LocoError } from '../../src/errors.js';

export function usageError(run: () => unknown): LocoError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof LocoError);
    assert.equal(error.code, 'usage');
    return error;
  }
  assert.fail('expected a LocoError');
}
