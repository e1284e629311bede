// The leak check: a question naming a truth file (path, basename, or dotted module) leaks.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkLeak } from '../../src/explore-bench/leak-check.js';

it('names a leak by path, basename or dotted module, and not by a longer word that contains them', () => {
  const files = ['tqdm/contrib/discord.py', 'tqdm/std.py'];
  assert.deepEqual(checkLeak('Fix TQDM/contrib/discord.py crash', files).named, ['tqdm/contrib/discord.py']);
  assert.deepEqual(checkLeak('std.py: handle a None total.', files).named, ['std.py']);
  assert.deepEqual(checkLeak('tqdm.contrib.discord: correct user agent', files).named, ['tqdm.contrib.discord']);
  assert.deepEqual(checkLeak('test_std.py and mystd.pyc and tqdm.contrib.discordant and the std module', files).named, []);
  assert.deepEqual(checkLeak('Package __init__ exports', ['pkg/sub/__init__.py']).named, []);
  assert.deepEqual(checkLeak('import pkg.sub first', ['pkg/sub/__init__.py']).named, ['pkg.sub']);
  assert.deepEqual(checkLeak('anything', files).checked, files);
});
