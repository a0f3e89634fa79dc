import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DUPLICATE_MAX_HASH_BITS, FeatureIndex } from '../../src-main/features/feature-index.js';

const DIMENSIONS = 1280;

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The 64-bit hash with these bits (0 the highest) flipped, as its high and low halves. */
function flipped(high: number, low: number, bits: number[]): [number, number] {
  for (const bit of bits) {
    if (bit < 32) high = (high ^ (1 << (31 - bit))) >>> 0;
    else low = (low ^ (1 << (63 - bit))) >>> 0;
  }
  return [high, low];
}

/**
 * `count` photos (ids 1, 2, ...) of random features and hashes, then for each of `copies` a copy of photo 1
 * (the same features) with those bits of its hash flipped.
 */
function library(count: number, copies: number[][]): FeatureIndex {
  const next = random(count);
  const size = count + copies.length;
  const codes = new Int8Array(size * DIMENSIONS);
  const hashHigh = new Uint32Array(size);
  const hashLow = new Uint32Array(size);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < DIMENSIONS; k++) codes[i * DIMENSIONS + k] = Math.floor(next() * 255) - 127;
    hashHigh[i] = Math.floor(next() * 2 ** 32);
    hashLow[i] = Math.floor(next() * 2 ** 32);
  }
  copies.forEach((bits, c) => {
    const i = count + c;
    codes.copyWithin(i * DIMENSIONS, 0, DIMENSIONS);
    [hashHigh[i], hashLow[i]] = flipped(hashHigh[0]!, hashLow[0]!, bits);
  });
  return new FeatureIndex({
    ids: Int32Array.from({ length: size }, (_, i) => i + 1),
    dimensions: DIMENSIONS,
    codes,
    hashHigh,
    hashLow,
  });
}

describe('near-duplicates by their perceptual hashes', () => {
  it('finds a copy 14 bits apart however its bits are spread, and none 15 apart', () => {
    // One flipped bit in every byte and in every 8th bit, so that no byte of the two hashes, nor any set of every
    // 8th bit, is the same; the 13th to 15th land where they must.
    const spread = [0, 9, 18, 27, 36, 45, 54, 63, 1, 10, 19, 28, 37, 55];
    assert.equal(spread.length, DUPLICATE_MAX_HASH_BITS);
    assert.deepEqual(library(2000, [spread]).duplicateGroups(), [[1, 2001]]);
    assert.deepEqual(library(2000, [[...spread, 46]]).duplicateGroups(), []);
  });

  it('groups every copy with its photo, each group once, and leaves different photos apart', () => {
    const index = library(3000, [[], [5], [7, 20, 33, 50]]);
    assert.deepEqual(index.duplicateGroups(), [[1, 3001, 3002, 3003]]);
  });
});

describe('the nearest photos by their features', () => {
  it('finds a photo by its id, best first, itself left out', () => {
    const index = library(500, [[]]);
    const [best, ...rest] = index.nearest(1, 5);
    assert.deepEqual(best, { photoId: 501, score: best!.score });
    assert.ok(Math.abs(best!.score - 1) < 1e-6);
    assert.ok(rest.every((hit, i) => hit.photoId !== 1 && hit.score <= (i === 0 ? best! : rest[i - 1]!).score));
    assert.deepEqual(index.nearest(9999, 5), [], 'a photo without features has no neighbours');
  });
});
