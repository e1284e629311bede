// The model cache on a real temporary directory: where it is, what `list` sees, offline lookup
// by reference, and removal of a model with everything that belongs to it.
import assert from 'node:assert/strict';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { DEFAULT_MODEL_FILE } from '../../src/models/refs.js';
import {
  defaultModelPath,
  findInstalledModel,
  listInstalledModels,
  listPartialDownloads,
  removeModel,
  resolveModelsDir,
  writeSourceRecord,
} from '../../src/models/store.js';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';

let tree: TempTree;
beforeEach(async () => {
  tree = await makeTempTree();
});
afterEach(() => tree.cleanup());

async function install(name: string, bytes: number, ref?: string): Promise<string> {
  const file = path.join(tree.root, name);
  await writeFile(file, Buffer.alloc(bytes, 1));
  if (ref !== undefined) await writeSourceRecord(`${file}.source.json`, { ref, url: `https://example.com/${name}`, size: bytes, sha256: 'f'.repeat(64) });
  return file;
}

test('models directory: --models-dir, then LOCO_MODELS_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(resolveModelsDir({ modelsDir: '/flag/dir', env: { LOCO_MODELS_DIR: '/env/dir' } }), '/flag/dir');
  assert.equal(resolveModelsDir({ env: { LOCO_MODELS_DIR: '/env/dir', XDG_CACHE_HOME: '/xdg' } }), '/env/dir');
  assert.equal(resolveModelsDir({ env: { XDG_CACHE_HOME: '/xdg' } }), '/xdg/loco/models');
  assert.equal(resolveModelsDir({ env: {} }), path.join(os.homedir(), '.cache', 'loco', 'models'));
  assert.equal(resolveModelsDir({ env: { LOCO_MODELS_DIR: '~/models' } }), path.join(os.homedir(), 'models'));
  assert.equal(defaultModelPath({ env: { LOCO_MODELS_DIR: '/m' } }), path.join('/m', DEFAULT_MODEL_FILE));
});

test('a missing directory lists nothing', async () => {
  assert.deepEqual(await listInstalledModels(path.join(tree.root, 'nope')), []);
  assert.deepEqual(await listPartialDownloads(path.join(tree.root, 'nope')), []);
});

test('list shows complete models with size, date and recorded source; partial downloads apart', async () => {
  await install('b.Q8_0.gguf', 30, 'hf:o/b-GGUF:Q8_0');
  const plain = await install('a.gguf', 10);
  await utimes(plain, new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'));
  await writeFile(path.join(tree.root, 'c.Q4_K_M.gguf.partial'), Buffer.alloc(5));
  await writeSourceRecord(path.join(tree.root, 'c.Q4_K_M.gguf.partial.json'), { ref: 'hf:o/c-GGUF:Q4_K_M', url: 'u', size: 50 });
  await writeFile(path.join(tree.root, 'notes.txt'), 'not a model');

  const models = await listInstalledModels(tree.root);
  assert.deepEqual(models.map((model) => [model.name, model.size, model.source?.ref]), [['a.gguf', 10, undefined], ['b.Q8_0.gguf', 30, 'hf:o/b-GGUF:Q8_0']]);
  assert.equal(models[0].modified.toISOString(), '2024-01-02T03:04:05.000Z');
  const partials = await listPartialDownloads(tree.root);
  assert.deepEqual(partials.map((partial) => [partial.name, partial.size, partial.source?.ref, partial.source?.size]), [['c.Q4_K_M.gguf', 5, 'hf:o/c-GGUF:Q4_K_M', 50]]);
});

test('findInstalledModel: by recorded reference (any case of the repo), else by the expected name', async () => {
  await install('odd-name.gguf', 10, 'hf:LocoreMind/LocoOperator-4B-GGUF:Q4_K_M');
  const byRecord = await findInstalledModel('hf:locoremind/locooperator-4b-gguf:q4_k_m', tree.root);
  assert.equal(byRecord?.name, 'odd-name.gguf');

  await install('Other.Q8_0.gguf', 10);
  assert.equal((await findInstalledModel('hf:x/Other-GGUF:Q8_0', tree.root))?.name, 'Other.Q8_0.gguf');
  assert.equal((await findInstalledModel('https://example.com/dl/Other.Q8_0.gguf', tree.root))?.name, 'Other.Q8_0.gguf');
  assert.equal(await findInstalledModel('hf:x/Other-GGUF:Q4_K_M', tree.root), undefined);

  // Same file name, but the record says it came from another repository: not a match.
  await install('Third.Q8_0.gguf', 10, 'hf:someone-else/Third-GGUF:Q8_0');
  assert.equal(await findInstalledModel('hf:x/Third-GGUF:Q8_0', tree.root), undefined);
});

test('removeModel by name, by name without .gguf, and by reference, with sidecars and partials', async () => {
  await install('a.gguf', 10, 'hf:o/a-GGUF:Q8_0');
  await writeFile(path.join(tree.root, 'a.gguf.partial'), 'x');
  await install('b.gguf', 10);
  await install('c.gguf', 10, 'hf:o/c-GGUF:Q4_K_M');
  await writeFile(path.join(tree.root, 'd.gguf.partial'), 'x');
  await writeSourceRecord(path.join(tree.root, 'd.gguf.partial.json'), { ref: 'hf:o/d-GGUF:Q4_K_M', url: 'u' });

  assert.deepEqual((await removeModel('a.gguf', tree.root)).map((file) => path.basename(file)), ['a.gguf', 'a.gguf.source.json', 'a.gguf.partial']);
  assert.deepEqual((await removeModel('b', tree.root)).map((file) => path.basename(file)), ['b.gguf']);
  assert.deepEqual((await removeModel('hf:o/c-GGUF:Q4_K_M', tree.root)).map((file) => path.basename(file)), ['c.gguf', 'c.gguf.source.json']);
  assert.deepEqual((await removeModel('hf:o/d-GGUF:Q4_K_M', tree.root)).map((file) => path.basename(file)), ['d.gguf.partial', 'd.gguf.partial.json']);
  assert.deepEqual(await removeModel('nothing', tree.root), []);
  assert.deepEqual(await removeModel('../escape.gguf', tree.root), []);
  assert.deepEqual(await readdir(tree.root), []);
});
