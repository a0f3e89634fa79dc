import type { FeatureBlock } from '../db/feature-repository.js';

/** A photo and how close it is to what was asked (cosine similarity of features, or a suggestion's confidence). */
export interface Scored {
  photoId: number;
  score: number;
}

/**
 * Where "the same picture" ends. Two photos are near-duplicates when their features agree (cosine similarity at
 * least DUPLICATE_MIN_COSINE) and so does the layout of light and dark (perceptual hashes at most
 * DUPLICATE_MAX_HASH_BITS of 64 apart). On 8 of the fixture photos and 15 edited copies of each, a copy halved and
 * recompressed at quality 60 kept its hash within 2 bits and its features at 0.86-0.97 (a halved small photo loses
 * detail the model sees); brightened by 15-30% or lifted by 30 levels, within 10 bits (a difference hash had put a
 * brightened beach 20 apart); cropped by 2-3% a side within 10, by 5% a side or 6% off one side within 14. Two crops
 * of one picture shifted 10-30% against each other, as a camera that turned between two shots makes them, were
 * 22-36 bits apart (features 0.86-0.98), and no two different photos came closer than 22 bits, nor above 0.73 in
 * features (an eagle and an owl). Photos of one scene taken seconds apart share much of their features (they are
 * "similar", see nearest), but a subject that moved, or a camera that turned, moves the light and dark the hash
 * reads: they stay apart unless the scene stood still.
 */
export const DUPLICATE_MIN_COSINE = 0.8;
export const DUPLICATE_MAX_HASH_BITS = 14;

/** A hash band's value shared by more photos than this (a library of night skies) is left to the other bands. */
const MAX_BUCKET = 4000;
/** Learned weights become integers of at most this size: 1280 of them times 127 stays far inside 32 bits. */
const WEIGHT_STEPS = 8191;

/**
 * Writes the square root of each stored value (keeping its sign) into `out` as int8 codes, and returns their length.
 * Pooled features are sums of ReLU activations, a few of them large: the root keeps those from drowning the rest,
 * as few-shot learners on such features do. Told three bird photos of the fixtures, a label model ranked the fourth
 * bird above a beach with kites only on roots (0.44 against 0.41; on the values themselves they tied at 0.39).
 */
function powerTransform(stored: Int8Array, out: Int8Array): number {
  let largest = 0;
  for (let k = 0; k < stored.length; k++) largest = Math.max(largest, Math.abs(stored[k]!));
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

/** Near-duplicates are looked up by four 16-bit bands of their hashes (see duplicateGroups). */
const BANDS = 4;
const BAND_VALUES = 1 << 16;
/** Every 16-bit mask of at most DUPLICATE_MAX_HASH_BITS / BANDS bits: the band values near a given one. */
const NEAR_MASKS = Uint16Array.from({ length: BAND_VALUES }, (_, mask) => mask).filter(
  (mask) => popcount(mask) <= Math.floor(DUPLICATE_MAX_HASH_BITS / BANDS),
);

/**
 * Every photo's features in one block of memory (as roots, see powerTransform), searched by a plain scan: one
 * multiply-add per byte. Cosine similarity needs no scale (the per-vector scale cancels), only each vector's length.
 */
export class FeatureIndex {
  readonly size: number;
  readonly dimensions: number;
  /** Photo ids in ascending order (as FeatureRepository.vectors reads them): a photo is found by bisection. */
  readonly ids: Int32Array;
  private readonly codes: Int8Array;
  private readonly norms: Float32Array;
  private readonly hashHigh: Uint32Array;
  private readonly hashLow: Uint32Array;
  private mean: Float32Array | undefined;

  /** Takes the block over: its codes become their roots in place (a million photos' vectors are 1.3 GB). */
  constructor(block: FeatureBlock) {
    this.size = block.ids.length;
    this.dimensions = block.dimensions;
    this.ids = block.ids;
    this.codes = block.codes;
    this.hashHigh = block.hashHigh;
    this.hashLow = block.hashLow;
    this.norms = new Float32Array(this.size);
    for (let i = 0, d = this.dimensions; i < this.size; i++) {
      const codes = this.codes.subarray(i * d, (i + 1) * d);
      this.norms[i] = powerTransform(codes, codes);
    }
  }

  /** Where the photo is in index order; -1 when it is not in the index. */
  private find(photoId: number): number {
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const id = this.ids[middle]!;
      if (id === photoId) return middle;
      if (id < photoId) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  has(photoId: number): boolean {
    return this.find(photoId) >= 0;
  }

  /** Where the photo is in index order (it must be in the index). */
  position(photoId: number): number {
    return this.find(photoId);
  }

  /** The photo's vector scaled to length 1 (what the own-label models train on). */
  unit(photoId: number): Float32Array {
    const i = this.find(photoId);
    const norm = this.norms[i]!;
    return Float32Array.from(this.codes.subarray(i * this.dimensions, (i + 1) * this.dimensions), (c) => c / norm);
  }

  /** The mean of every photo's unit vector (computed once). */
  meanUnit(): Float32Array {
    if (!this.mean) {
      const d = this.dimensions;
      const { codes, norms } = this;
      const sum = new Float64Array(d);
      for (let i = 0, offset = 0; i < this.size; i++, offset += d) {
        const factor = 1 / norms[i]!;
        for (let k = 0; k < d; k++) sum[k]! += codes[offset + k]! * factor;
      }
      this.mean = Float32Array.from(sum, (value) => value / this.size);
    }
    return this.mean;
  }

  /**
   * `weights` · each photo's unit vector, for every photo, in index order: the weights as integers (WEIGHT_STEPS
   * for the largest, a rounding far below what a score shows) through the integer kernel of `similarities`.
   */
  dotAll(weights: Float32Array): Float32Array {
    let largest = 0;
    for (const weight of weights) largest = Math.max(largest, Math.abs(weight));
    const steps = largest > 0 ? WEIGHT_STEPS / largest : 1;
    const out = this.integerDots(Int32Array.from(weights, (weight) => Math.round(weight * steps)));
    for (let m = 0; m < this.size; m++) out[m]! /= steps * this.norms[m]!;
    return out;
  }

  /** Every photo's cosine similarity to photo `i`, in index order. */
  private similarities(i: number): Float32Array {
    const d = this.dimensions;
    const out = this.integerDots(Int32Array.from(this.codes.subarray(i * d, (i + 1) * d)));
    const norm = this.norms[i]!;
    for (let m = 0; m < this.size; m++) out[m]! /= norm * this.norms[m]!;
    return out;
  }

  /**
   * `query` · each photo's codes, in index order: integer dot products, four photos at a time (each query value read
   * once for four of them), which ran twice as fast as a float product per photo. The sums stay exact while
   * |query| * 127 * dimensions fits in 32 bits.
   */
  private integerDots(query: Int32Array): Float32Array {
    const d = this.dimensions;
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
    return out;
  }

  /** The photos most alike `photoId` by their features, best first, the photo itself left out. */
  nearest(photoId: number, limit: number): Scored[] {
    const i = this.find(photoId);
    if (i < 0) return [];
    return topScores(this.similarities(i), this.ids, limit, (j) => j !== i);
  }

  private cosine(i: number, j: number): number {
    const d = this.dimensions;
    let sum = 0;
    for (let k = 0, a = i * d, b = j * d; k < d; k++) sum += this.codes[a + k]! * this.codes[b + k]!;
    return sum / (this.norms[i]! * this.norms[j]!);
  }

  /**
   * Groups of photos that are the same picture (see DUPLICATE_MIN_COSINE), each group in photo id order, by
   * multi-index hashing: the 64-bit hash is cut into four 16-bit bands, and two photos at most 14 bits apart
   * differ in at most 3 bits of one of them (pigeonhole, up to 15). So in each band, the photos of each value are compared only with
   * those of the 697 values within 3 bits of it: exact (but for a value more than MAX_BUCKET photos share), and at
   * 100,000 photos of random hashes about 200 million hash comparisons instead of 5 billion.
   */
  duplicateGroups(): number[][] {
    const parent = Int32Array.from({ length: this.size }, (_, i) => i);
    const root = (i: number): number => {
      while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
      return i;
    };
    const join = (i: number, j: number) => {
      if (root(i) !== root(j) && this.cosine(i, j) >= DUPLICATE_MIN_COSINE) parent[root(j)] = root(i);
    };
    for (let band = 0; band < BANDS; band++) {
      const { starts, members, high, low } = this.bandTable(band);
      for (let v = 0; v < BAND_VALUES; v++) {
        const vStart = starts[v]!;
        const vEnd = starts[v + 1]!;
        if (vEnd === vStart || vEnd - vStart > MAX_BUCKET) continue;
        for (let m = 0; m < NEAR_MASKS.length; m++) {
          // Each pair of values once: the photos of v among themselves (mask 0), then with those of a larger value.
          const w = v ^ NEAR_MASKS[m]!;
          if (w < v || starts[w + 1]! - starts[w]! > MAX_BUCKET) continue;
          const wEnd = starts[w + 1]!;
          for (let x = vStart; x < vEnd; x++) {
            const h = high[x]!;
            const l = low[x]!;
            for (let y = w === v ? x + 1 : starts[w]!; y < wEnd; y++) {
              if (popcount(h ^ high[y]!) + popcount(l ^ low[y]!) <= DUPLICATE_MAX_HASH_BITS) {
                join(members[x]!, members[y]!);
              }
            }
          }
        }
      }
    }
    const groups = new Map<number, number[]>();
    for (let i = 0; i < this.size; i++) {
      const r = root(i);
      const group = groups.get(r);
      if (group) group.push(this.ids[i]!);
      else groups.set(r, [this.ids[i]!]);
    }
    return [...groups.values()].filter((group) => group.length > 1).sort((a, b) => a[0]! - b[0]!);
  }

  /** Bits 16 * band to 16 * band + 15 of photo i's hash, from the highest. */
  private bandValue(i: number, band: number): number {
    const half = band < 2 ? this.hashHigh[i]! : this.hashLow[i]!;
    return band % 2 === 0 ? half >>> 16 : half & 0xffff;
  }

  /**
   * The photos by their value in one band: those of value v are members[starts[v]] to members[starts[v + 1] - 1],
   * their hashes beside them in that order (compared where they lie, not looked up photo by photo).
   */
  private bandTable(band: number) {
    const starts = new Int32Array(BAND_VALUES + 1);
    for (let i = 0; i < this.size; i++) starts[this.bandValue(i, band) + 1]!++;
    for (let v = 0; v < BAND_VALUES; v++) starts[v + 1]! += starts[v]!;
    const next = starts.slice(0, BAND_VALUES);
    const members = new Int32Array(this.size);
    const high = new Uint32Array(this.size);
    const low = new Uint32Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const k = next[this.bandValue(i, band)]!++;
      members[k] = i;
      high[k] = this.hashHigh[i]!;
      low[k] = this.hashLow[i]!;
    }
    return { starts, members, high, low };
  }
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
