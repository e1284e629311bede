// A tiny random-weight qwen3 GGUF for tests of the embedded engine: real tokenizer shape
// (byte-level GPT-2 vocabulary, a few merges, the Qwen special tokens at their roles and
// token types), a Qwen-style chat template, F32 weights from a fixed seed. It is written
// in milliseconds and byte-identical for a seed, so no model is ever committed or fetched
// (docs: tiny-model-facts.md). Layout follows GGUF v3: header, key/values, tensor infos
// (dimensions innermost first), padding to the alignment, tensor data, each tensor aligned.
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seededRandom as createRandom } from '../../src/random.js';

export interface TinyGgufOptions {
  /** Seeds the weights (default 1). */
  seed?: number;
  /** `qwen3.context_length` (default 4096). */
  contextLength?: number;
  /** `general.name` (default `loco-tiny-test-seed-<seed>`). */
  name?: string;
}

/** The special tokens in Qwen's order, with GGUF token types: 3 control, 4 user-defined. */
export const TINY_SPECIAL_TOKENS: readonly { text: string; type: 3 | 4 }[] = [
  { text: '<|endoftext|>', type: 3 },
  { text: '<|im_start|>', type: 3 },
  { text: '<|im_end|>', type: 3 },
  { text: '<tool_call>', type: 4 },
  { text: '</tool_call>', type: 4 },
  { text: '<tool_response>', type: 4 },
  { text: '</tool_response>', type: 4 },
  { text: '<think>', type: 4 },
  { text: '</think>', type: 4 },
];

// Merges over GPT-2's byte alphabet (Ġ is the space byte), enough to exercise BPE.
const MERGES = ['Ġ t', 'h e', 'i n', 'r e', 'o n', 'Ġt he', 'e r', 'Ġ a', 'a t', 'o r', 'e n', 'Ġ s', 'Ġ c', 'Ġ f', 'i s', 'a n', 'Ġ w', 'Ġ o', 'e d', 'Ġ i'];

const QWEN_CHAT_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const EMBEDDING = 64;
const BLOCKS = 2;
const HEADS = 4;
const KV_HEADS = 2;
const HEAD_SIZE = 16;
const FEED_FORWARD = 128;
const ALIGNMENT = 32;

enum ValueType {
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
}

type MetadataValue =
  | { type: ValueType.Uint32 | ValueType.Int32 | ValueType.Float32; value: number }
  | { type: ValueType.Bool; value: boolean }
  | { type: ValueType.String; value: string }
  | { type: ValueType.Array; items: ValueType.String; value: readonly string[] }
  | { type: ValueType.Array; items: ValueType.Int32; value: readonly number[] };

interface Tensor {
  name: string;
  /** Innermost first, as GGUF lists them. */
  dims: number[];
  data: Float32Array;
}

/** GPT-2's byte-to-unicode table: printable bytes stand for themselves, the rest move to 256+. */
function byteLevelAlphabet(): string[] {
  const printable = (byte: number): boolean => (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || byte >= 174;
  const table: string[] = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) table.push(String.fromCodePoint(printable(byte) ? byte : 256 + shifted++));
  return table;
}

export function tinyVocabulary(): { tokens: string[]; types: number[]; merges: string[] } {
  const tokens = byteLevelAlphabet();
  const types = tokens.map(() => 1);
  for (const merge of MERGES) {
    tokens.push(merge.replace(' ', ''));
    types.push(1);
  }
  for (const special of TINY_SPECIAL_TOKENS) {
    tokens.push(special.text);
    types.push(special.type);
  }
  return { tokens, types, merges: [...MERGES] };
}


function buildTensors(vocabularySize: number, seed: number): Tensor[] {
  const random = createRandom(seed);
  const uniform = (dims: number[], scale: number): Float32Array => {
    const data = new Float32Array(dims[0] * (dims[1] ?? 1));
    for (let index = 0; index < data.length; index++) data[index] = (random() * 2 - 1) * scale;
    return data;
  };
  const ones = (size: number): Float32Array => new Float32Array(size).fill(1);
  const matrix = (name: string, inputs: number, outputs: number, scale = 0.2): Tensor => ({ name, dims: [inputs, outputs], data: uniform([inputs, outputs], scale) });
  const tensors: Tensor[] = [{ name: 'token_embd.weight', dims: [EMBEDDING, vocabularySize], data: uniform([EMBEDDING, vocabularySize], 1) }];
  for (let block = 0; block < BLOCKS; block++) {
    const prefix = `blk.${block}`;
    tensors.push(
      { name: `${prefix}.attn_norm.weight`, dims: [EMBEDDING], data: ones(EMBEDDING) },
      matrix(`${prefix}.attn_q.weight`, EMBEDDING, HEADS * HEAD_SIZE),
      matrix(`${prefix}.attn_k.weight`, EMBEDDING, KV_HEADS * HEAD_SIZE),
      matrix(`${prefix}.attn_v.weight`, EMBEDDING, KV_HEADS * HEAD_SIZE),
      matrix(`${prefix}.attn_output.weight`, HEADS * HEAD_SIZE, EMBEDDING),
      { name: `${prefix}.attn_q_norm.weight`, dims: [HEAD_SIZE], data: ones(HEAD_SIZE) },
      { name: `${prefix}.attn_k_norm.weight`, dims: [HEAD_SIZE], data: ones(HEAD_SIZE) },
      { name: `${prefix}.ffn_norm.weight`, dims: [EMBEDDING], data: ones(EMBEDDING) },
      matrix(`${prefix}.ffn_gate.weight`, EMBEDDING, FEED_FORWARD),
      matrix(`${prefix}.ffn_up.weight`, EMBEDDING, FEED_FORWARD),
      matrix(`${prefix}.ffn_down.weight`, FEED_FORWARD, EMBEDDING),
    );
  }
  // An untied, scaled-up head keeps logits from being flat, so greedy decoding is stable.
  tensors.push({ name: 'output_norm.weight', dims: [EMBEDDING], data: ones(EMBEDDING) }, matrix('output.weight', EMBEDDING, vocabularySize, 2));
  return tensors;
}

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;

  private push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }

  u32(value: number): void {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    this.push(buffer);
  }

  i32(value: number): void {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32LE(value);
    this.push(buffer);
  }

  u64(value: number): void {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64LE(BigInt(value));
    this.push(buffer);
  }

  f32(value: number): void {
    const buffer = Buffer.alloc(4);
    buffer.writeFloatLE(value);
    this.push(buffer);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }

  bytes(buffer: Buffer): void {
    this.push(buffer);
  }

  padTo(alignment: number): void {
    const extra = (alignment - (this.length % alignment)) % alignment;
    if (extra > 0) this.push(Buffer.alloc(extra));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(writer: ByteWriter, entry: MetadataValue): void {
  writer.u32(entry.type);
  switch (entry.type) {
    case ValueType.Uint32:
      return writer.u32(entry.value);
    case ValueType.Int32:
      return writer.i32(entry.value);
    case ValueType.Float32:
      return writer.f32(entry.value);
    case ValueType.Bool:
      return writer.bytes(Buffer.from([entry.value ? 1 : 0]));
    case ValueType.String:
      return writer.string(entry.value);
    case ValueType.Array:
      writer.u32(entry.items);
      writer.u64(entry.value.length);
      if (entry.items === ValueType.String) for (const item of entry.value) writer.string(item);
      else for (const item of entry.value) writer.i32(item);
      return;
  }
}

/** The whole file as bytes. */
export function buildTinyGguf(options: TinyGgufOptions = {}): Buffer {
  const seed = options.seed ?? 1;
  const contextLength = options.contextLength ?? 4096;
  const vocabulary = tinyVocabulary();
  const idOf = (text: string): number => vocabulary.tokens.indexOf(text);
  const u32 = (value: number): MetadataValue => ({ type: ValueType.Uint32, value });
  const metadata: [string, MetadataValue][] = [
    ['general.architecture', { type: ValueType.String, value: 'qwen3' }],
    ['general.name', { type: ValueType.String, value: options.name ?? `loco-tiny-test-seed-${seed}` }],
    ['general.alignment', u32(ALIGNMENT)],
    ['general.file_type', u32(0)],
    ['qwen3.context_length', u32(contextLength)],
    ['qwen3.embedding_length', u32(EMBEDDING)],
    ['qwen3.block_count', u32(BLOCKS)],
    ['qwen3.feed_forward_length', u32(FEED_FORWARD)],
    ['qwen3.attention.head_count', u32(HEADS)],
    ['qwen3.attention.head_count_kv', u32(KV_HEADS)],
    ['qwen3.attention.key_length', u32(HEAD_SIZE)],
    ['qwen3.attention.value_length', u32(HEAD_SIZE)],
    ['qwen3.rope.dimension_count', u32(HEAD_SIZE)],
    ['qwen3.attention.layer_norm_rms_epsilon', { type: ValueType.Float32, value: 1e-6 }],
    ['qwen3.rope.freq_base', { type: ValueType.Float32, value: 1_000_000 }],
    ['tokenizer.ggml.model', { type: ValueType.String, value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: ValueType.String, value: 'qwen2' }],
    ['tokenizer.ggml.tokens', { type: ValueType.Array, items: ValueType.String, value: vocabulary.tokens }],
    ['tokenizer.ggml.token_type', { type: ValueType.Array, items: ValueType.Int32, value: vocabulary.types }],
    ['tokenizer.ggml.merges', { type: ValueType.Array, items: ValueType.String, value: vocabulary.merges }],
    ['tokenizer.ggml.eos_token_id', u32(idOf('<|im_end|>'))],
    ['tokenizer.ggml.bos_token_id', u32(idOf('<|endoftext|>'))],
    ['tokenizer.ggml.padding_token_id', u32(idOf('<|endoftext|>'))],
    ['tokenizer.ggml.add_bos_token', { type: ValueType.Bool, value: false }],
    ['tokenizer.chat_template', { type: ValueType.String, value: QWEN_CHAT_TEMPLATE }],
  ];
  const tensors = buildTensors(vocabulary.tokens.length, seed);

  const writer = new ByteWriter();
  writer.bytes(Buffer.from('GGUF', 'ascii'));
  writer.u32(3);
  writer.u64(tensors.length);
  writer.u64(metadata.length);
  for (const [key, value] of metadata) {
    writer.string(key);
    writeValue(writer, value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    writer.string(tensor.name);
    writer.u32(tensor.dims.length);
    for (const dim of tensor.dims) writer.u64(dim);
    writer.u32(0); // F32
    writer.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(tensor.data.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  writer.padTo(ALIGNMENT);
  for (const tensor of tensors) {
    writer.bytes(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    writer.padTo(ALIGNMENT);
  }
  return writer.toBuffer();
}

export async function writeTinyGguf(file: string, options: TinyGgufOptions = {}): Promise<void> {
  await writeFile(file, buildTinyGguf(options));
}

let cached: Promise<string> | undefined;

/** One tiny model per test process, in a temp folder removed when the process exits. */
export function tinyGgufPath(): Promise<string> {
  cached ??= (async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'loco-tiny-gguf-'));
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
    const file = path.join(folder, 'tiny.gguf');
    await writeTinyGguf(file);
    return file;
  })();
  return cached;
}
