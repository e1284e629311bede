// Exact and near-duplicate detection over a stream of conversations, holding only hashes:
// exact by SHA-1 of the rendered text, near by MinHash signatures of word 5-shingles with
// locality-sensitive banding (16 bands of 4), a candidate counted a duplicate when its
// estimated Jaccard similarity reaches the threshold. Memory grows by under a kilobyte per kept
// conversation, not by its text.
import { createHash } from 'node:crypto';

const HASHES = 64;
const BANDS = 16;
const ROWS = HASHES / BANDS;
const SHINGLE = 5;

// Fixed odd multipliers and offsets: signatures stay comparable across runs.
const SEEDS = Array.from({ length: HASHES }, (_, index) => [Math.imul(index + 1, 0x9e3779b1) | 1, Math.imul(index + 7, 0x85ebca6b)] as const);

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function mix(value: number): number {
  let hash = value;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x7feb352d);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x846ca68b);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

export function minHashSignature(text: string): Uint32Array {
  const words = text.split(/\s+/).filter((word) => word !== '');
  const signature = new Uint32Array(HASHES).fill(0xffffffff);
  const count = Math.max(1, words.length - SHINGLE + 1);
  for (let start = 0; start < count; start++) {
    const shingle = fnv1a(words.slice(start, start + SHINGLE).join(' '));
    for (let index = 0; index < HASHES; index++) {
      const [multiplier, offset] = SEEDS[index];
      const value = mix((Math.imul(shingle, multiplier) + offset) >>> 0);
      if (value < signature[index]) signature[index] = value;
    }
  }
  return signature;
}

export function estimatedSimilarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let index = 0; index < HASHES; index++) if (a[index] === b[index]) same += 1;
  return same / HASHES;
}

export type DuplicateVerdict = 'unique' | 'exact' | 'near';

/** One 32-bit key for a band of the signature. */
function bandKey(signature: Uint32Array, band: number): number {
  let hash = 0x811c9dc5 ^ band;
  for (let row = band * ROWS; row < (band + 1) * ROWS; row++) hash = mix((hash ^ signature[row]) >>> 0);
  return hash;
}

export class DuplicateFilter {
  private readonly exact = new Set<string>();
  private readonly signatures: Uint32Array[] = [];
  // One map per band; a bucket holding one conversation keeps its id, not an array.
  private readonly buckets = Array.from({ length: BANDS }, () => new Map<number, number | number[]>());

  constructor(private readonly threshold: number) {}

  /** Judges `text` against everything kept so far; a unique text is kept. */
  check(text: string): DuplicateVerdict {
    const digest = createHash('sha1').update(text).digest('base64');
    if (this.exact.has(digest)) return 'exact';
    const signature = minHashSignature(text);
    const keys = Array.from({ length: BANDS }, (_, band) => bandKey(signature, band));
    for (let band = 0; band < BANDS; band++) {
      const bucket = this.buckets[band].get(keys[band]);
      for (const candidate of bucket === undefined ? [] : typeof bucket === 'number' ? [bucket] : bucket) {
        if (estimatedSimilarity(signature, this.signatures[candidate]) >= this.threshold) return 'near';
      }
    }
    this.exact.add(digest);
    const id = this.signatures.push(signature) - 1;
    for (let band = 0; band < BANDS; band++) {
      const bucket = this.buckets[band].get(keys[band]);
      if (bucket === undefined) this.buckets[band].set(keys[band], id);
      else if (typeof bucket === 'number') this.buckets[band].set(keys[band], [bucket, id]);
      else bucket.push(id);
    }
    return 'unique';
  }
}
