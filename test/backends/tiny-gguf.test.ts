// The tiny test model: generated fast and byte-identical per seed, loadable by node-llama-cpp,
// with the Qwen chat tokens as single tokens at their roles.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getLlama, type Llama, type LlamaModel } from 'node-llama-cpp';
import { makeTempTree, type TempTree } from '../support/temp-tree.js';
import { buildTinyGguf, tinyGgufPath, writeTinyGguf } from '../support/tiny-gguf.js';

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('tiny GGUF generator', () => {
  let tree: TempTree;
  before(async () => {
    tree = await makeTempTree();
  });
  after(async () => {
    await tree.cleanup();
  });

  it('writes the same bytes for the same seed, other bytes for another, quickly and small', async () => {
    const started = performance.now();
    await writeTinyGguf(path.join(tree.root, 'a.gguf'), { seed: 7 });
    const elapsed = performance.now() - started;
    await writeTinyGguf(path.join(tree.root, 'b.gguf'), { seed: 7 });
    await writeTinyGguf(path.join(tree.root, 'c.gguf'), { seed: 8 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => readFile(path.join(tree.root, `${name}.gguf`))));
    assert.equal(sha(a), sha(b));
    assert.notEqual(sha(a), sha(c));
    assert.equal(a.length, c.length);
    assert.equal(a.subarray(0, 4).toString('latin1'), 'GGUF');
    assert.equal(a.readUInt32LE(4), 3);
    assert.ok(a.length > 100_000 && a.length < 1_000_000, `size ${a.length}`);
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(sha(buildTinyGguf({ seed: 7 })), sha(a));
  });

  it('writes the requested context length', async () => {
    const bytes = buildTinyGguf({ contextLength: 1234 });
    const key = Buffer.from('qwen3.context_length');
    const at = bytes.indexOf(key);
    assert.ok(at > 0);
    // key, then u32 type 4 (UINT32), then the value.
    assert.equal(bytes.readUInt32LE(at + key.length), 4);
    assert.equal(bytes.readUInt32LE(at + key.length + 4), 1234);
  });

  it('caches one file per process', async () => {
    assert.equal(await tinyGgufPath(), await tinyGgufPath());
  });
});

describe('tiny GGUF in node-llama-cpp', () => {
  let llama: Llama;
  let model: LlamaModel;
  before(async () => {
    llama = await getLlama({ build: 'never', skipDownload: true, gpu: false, progressLogs: false });
    model = await llama.loadModel({ modelPath: await tinyGgufPath(), gpuLayers: 0 });
  });
  after(async () => {
    await model?.dispose();
    await llama?.dispose();
  });

  it('loads as qwen3 with the trained context length', () => {
    assert.equal(model.fileInfo.metadata.general.architecture, 'qwen3');
    assert.equal(model.trainContextSize, 4096);
  });

  it('has the chat and tool tags as single tokens, with <|im_end|> ending generation', () => {
    const tags = ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<tool_call>', '</tool_call>', '<tool_response>', '</tool_response>'];
    const ids = tags.map((tag) => {
      const tokens = model.tokenize(tag, true);
      assert.equal(tokens.length, 1, `${tag} -> ${tokens.join(',')}`);
      assert.equal(model.detokenize(tokens, true), tag);
      return tokens[0];
    });
    assert.equal(new Set(ids).size, tags.length);
    assert.equal(model.tokens.eos, ids[1]);
    assert.ok(model.isEogToken(ids[1]) && model.isEogToken(ids[2]));
    // Control tokens stay text when special tokens are off; the tool tags are user-defined tokens, visible as text.
    assert.ok(model.tokenize('<|im_start|>', false).length > 1);
    assert.equal(model.detokenize([ids[3]], false), '<tool_call>');
  });

  it('round-trips byte-level text, including multi-byte characters', () => {
    const text = 'hello the world: café → 日本';
    assert.equal(model.detokenize(model.tokenize(text, false), false), text);
  });
});
