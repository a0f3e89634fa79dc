import type { FeatureRow } from '../db/feature-repository.js';

/** A photo and how close it is to what was asked (cosine similarity of features, or a suggestion's confidence). */
export interface Scored {
  photoId: number;
  score: number;
}

/**
 * Where "the same picture" ends. Two photos are near-duplicates when their features agree (cosine similarity at
 * least DUPLICATE_MIN_COSINE) and so does the layout of light and dark (difference hashes at most
 * DUPLICATE_MAX_HASH_BITS of 64 apart). On the fixture photos a copy resized to half and recompressed at quality 60
 * kept its hash within 4 bits and its features at 0.84-0.99 (a halved small photo loses detail the model sees), a
 * brightened one within 3 bits (15 for a beach whose bright sky clipped), a crop of 6% a side within 4-15 bits;
 * no two different photos came closer than 28 bits, nor above 0.73 in features (an eagle and an owl). Photos of one
 * scene taken seconds apart share much of their features (they are "similar", see nearest), but a subject that
 * moved, or a camera that turned, moves the edges the hash reads: they stay apart unless the scene stood still.
 */
export const DUPLICATE_MIN_COSINE = 0.8;
export const DUPLICATE_MAX_HASH_BITS = 12;

/** A hash band holding more photos than this (a library of night skies) is left to the other bands. */
const MAX_BUCKET = 4000;

/**
 * Writes the square root of each stored value (keeping its sign) into `out` as int8 codes, and returns their length.
 * Pooled features are sums of ReLU activations, a few of them large: the root keeps those from drowning the rest,
 * as few-shot learners on such features do. Told three bird photos of the fixtures, a label model ranked the fourth
 * bird above a beach with kites only on roots (0.44 against 0.41; on the values themselves they tied at 0.39).
 */
function powerTransform(stored: Int8Array, out: Int8Array): number {
  let largest = 0;
  for (const code of stored) largest = Math.max(largest, Math.abs(code));
  const roots = rootTable(largest);
  let sum = 0;
  for (let k = 0; k < out.length; k++) {
    const root = roots[stored[k]! + 128]!;
    out[k] = root;
    sum += root * root;
  }
  return Math.sqrt(sum) || 1;
}

/** For each int8 code (offset by 128), its signed root scaled so that `largest` maps to 127; made once per value. */
const rootTables = new Map<number, Int8Array>();
function rootTable(largest: number): Int8Array {
  let table = rootTables.get(largest);
  if (!table) {
    const factor = 127 / Math.sqrt(largest || 1);
    table = Int8Array.from({ length: 256 }, (_, i) => {
      const code = i - 128;
      return Math.max(-127, Math.min(127, Math.round(Math.sign(code) * Math.sqrt(Math.abs(code)) * factor)));
    });
    rootTables.set(largest, table);
  }
  return table;
}

function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Every photo's features in one block of memory (as roots, see powerTransform), searched by a plain scan: one
 * multiply-add per byte. Cosine similarity needs no scale (the per-vector scale cancels), only each vector's length.
 */
export class FeatureIndex {
  readonly size: number;
  readonly dimensions: number;
  readonly ids: Int32Array;
  private readonly codes: Int8Array;
  private readonly norms: Float32Array;
  private readonly hashHigh: Uint32Array;
  private readonly hashLow: Uint32Array;
  private readonly positions = new Map<number, number>();
  private mean: Float32Array | undefined;

  constructor(rows: FeatureRow[]) {
    this.size = rows.length;
    this.dimensions = rows[0]?.codes.byteLength ?? 0;
    this.ids = new Int32Array(this.size);
    this.codes = new Int8Array(this.size * this.dimensions);
    this.norms = new Float32Array(this.size);
    this.hashHigh = new Uint32Array(this.size);
    this.hashLow = new Uint32Array(this.size);
    rows.forEach((row, i) => {
      this.ids[i] = row.photoId;
      this.positions.set(row.photoId, i);
      const stored = new Int8Array(row.codes.buffer, row.codes.byteOffset, row.codes.byteLength);
      this.norms[i] = powerTransform(stored, this.codes.subarray(i * this.dimensions, (i + 1) * this.dimensions));
      this.hashHigh[i] = Number.parseInt(row.imageHash.slice(0, 8), 16);
      this.hashLow[i] = Number.parseInt(row.imageHash.slice(8, 16), 16);
    });
  }

  has(photoId: number): boolean {
    return this.positions.has(photoId);
  }

  /** Where the photo is in index order (it must be in the index). */
  position(photoId: number): number {
    return this.positions.get(photoId)!;
  }

  /** The photo's vector scaled to length 1 (what the own-label models train on). */
  unit(photoId: number): Float32Array {
    const i = this.positions.get(photoId)!;
    const norm = this.norms[i]!;
    return Float32Array.from(this.codes.subarray(i * this.dimensions, (i + 1) * this.dimensions), (c) => c / norm);
  }

  /** The mean of every photo's unit vector (computed once). */
  meanUnit(): Float32Array {
    if (!this.mean) {
      const d = this.dimensions;
      this.mean = new Float32Array(d);
      for (let i = 0, offset = 0; i < this.size; i++, offset += d) {
        const factor = 1 / (this.norms[i]! * this.size);
        for (let k = 0; k < d; k++) this.mean[k]! += this.codes[offset + k]! * factor;
      }
    }
    return this.mean;
  }

  /** `weights` · each photo's unit vector, for every photo, in index order. */
  dotAll(weights: Float32Array): Float32Array {
    const out = new Float32Array(this.size);
    const d = this.dimensions;
    for (let i = 0, offset = 0; i < this.size; i++, offset += d) {
      let a = 0;
      let b = 0;
      for (let k = 0; k < d; k += 2) {
        a += weights[k]! * this.codes[offset + k]!;
        b += weights[k + 1]! * this.codes[offset + k + 1]!;
      }
      out[i] = (a + b) / this.norms[i]!;
    }
    return out;
  }

  /**
   * Every photo's cosine similarity to photo `i`, in index order: integer dot products of the codes, four photos at
   * a time (each query byte read once for four of them), which ran twice as fast as a float product per photo.
   */
  private similarities(i: number): Float32Array {
    const d = this.dimensions;
    const query = Int32Array.from(this.codes.subarray(i * d, (i + 1) * d));
    const codes = this.codes;
    const out = new Float32Array(this.size);
    let j = 0;
    for (; j + 4 <= this.size; j += 4) {
      const o0 = j * d;
      const o1 = o0 + d;
      const o2 = o1 + d;
      const o3 = o2 + d;
      let a = 0;
      let b = 0;
      let c = 0;
      let e = 0;
      for (let k = 0; k < d; k++) {
        const q = query[k]!;
        a = (a + q * codes[o0 + k]!) | 0;
        b = (b + q * codes[o1 + k]!) | 0;
        c = (c + q * codes[o2 + k]!) | 0;
        e = (e + q * codes[o3 + k]!) | 0;
      }
      out[j] = a;
      out[j + 1] = b;
      out[j + 2] = c;
      out[j + 3] = e;
    }
    for (; j < this.size; j++) {
      let sum = 0;
      for (let k = 0, o = j * d; k < d; k++) sum = (sum + query[k]! * codes[o + k]!) | 0;
      out[j] = sum;
    }
    const norm = this.norms[i]!;
    for (let m = 0; m < this.size; m++) out[m]! /= norm * this.norms[m]!;
    return out;
  }

  /** The photos most alike `photoId` by their features, best first, the photo itself left out. */
  nearest(photoId: number, limit: number): Scored[] {
    const i = this.positions.get(photoId);
    if (i === undefined) return [];
    return topScores(this.similarities(i), this.ids, limit, (j) => j !== i);
  }

  private hashBits(i: number, j: number): number {
    return popcount(this.hashHigh[i]! ^ this.hashHigh[j]!) + popcount(this.hashLow[i]! ^ this.hashLow[j]!);
  }

  private cosine(i: number, j: number): number {
    const d = this.dimensions;
    let sum = 0;
    for (let k = 0, a = i * d, b = j * d; k < d; k++) sum += this.codes[a + k]! * this.codes[b + k]!;
    return sum / (this.norms[i]! * this.norms[j]!);
  }

  /**
   * Groups of photos that are the same picture (see DUPLICATE_MIN_COSINE), each group in photo id order. Only
   * photos sharing a byte of their hash are compared, in two layouts (the hash's 8 bytes, and every 8th bit): a
   * pair up to 7 bits apart always shares one, and 8 to 12 bits apart nearly always (a 12-bit pair misses both
   * layouts about 3 times in 100), which keeps 100,000 photos from 5 billion comparisons.
   */
  duplicateGroups(): number[][] {
    const parent = Int32Array.from({ length: this.size }, (_, i) => i);
    const root = (i: number): number => {
      while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
      return i;
    };
    for (const band of bandKeys()) {
      const buckets = new Map<number, number[]>();
      for (let i = 0; i < this.size; i++) {
        const key = band(this.hashHigh[i]!, this.hashLow[i]!);
        const bucket = buckets.get(key);
        if (bucket) bucket.push(i);
        else buckets.set(key, [i]);
      }
      for (const bucket of buckets.values()) {
        if (bucket.length < 2 || bucket.length > MAX_BUCKET) continue;
        for (let x = 0; x < bucket.length; x++) {
          for (let y = x + 1; y < bucket.length; y++) {
            const i = bucket[x]!;
            const j = bucket[y]!;
            if (root(i) === root(j)) continue;
            if (this.hashBits(i, j) <= DUPLICATE_MAX_HASH_BITS && this.cosine(i, j) >= DUPLICATE_MIN_COSINE) {
              parent[root(j)] = root(i);
            }
          }
        }
      }
    }
    const groups = new Map<number, number[]>();
    for (let i = 0; i < this.size; i++) {
      const r = root(i);
      groups.set(r, [...(groups.get(r) ?? []), this.ids[i]!]);
    }
    return [...groups.values()].filter((group) => group.length > 1).sort((a, b) => a[0]! - b[0]!);
  }
}

/** The 16 keys a hash is bucketed by: its 8 bytes, then 8 sets of every 8th bit. */
function bandKeys(): ((high: number, low: number) => number)[] {
  const bytes = Array.from(
    { length: 8 },
    (_, b) => (high: number, low: number) => b * 256 + (((b < 4 ? high : low) >>> ((b % 4) * 8)) & 0xff),
  );
  const strided = Array.from({ length: 8 }, (_, s) => (high: number, low: number) => {
    let key = 0;
    for (let bit = s; bit < 64; bit += 8)
      key = (key << 1) | (((bit < 32 ? high >>> bit : low >>> (bit - 32)) & 1) >>> 0);
    return 4096 + s * 256 + key;
  });
  return [...bytes, ...strided];
}

/** The `limit` best of `scores` (by index into `ids`) that `keep` lets through, best first. */
export function topScores(
  scores: Float32Array,
  ids: Int32Array,
  limit: number,
  keep: (index: number) => boolean,
): Scored[] {
  const best: Scored[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    if ((best.length >= limit && score <= best[best.length - 1]!.score) || !keep(i)) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < score) at--;
    best.splice(at, 0, { photoId: ids[i]!, score });
    if (best.length > limit) best.pop();
  }
  return best;
}
