import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { bufferSource, decodeBmp } from '../../src-main/imaging/foreign-formats.js';
import { ImageFault } from '../../src-main/imaging/photo-error.js';
import type { ByteSource } from '../../src-main/imaging/photo-file.js';
import { photo } from '../helpers.js';
import { BAD_BITMAPS, bitmap } from '../hostile-files.js';

/** Rows of `width` pixels padded to 4 bytes, from per-row byte arrays. */
const rows = (...bytes: number[][]) =>
  Buffer.concat(bytes.map((row) => Buffer.concat([Buffer.from(row), Buffer.alloc((4 - (row.length % 4)) % 4)])));

/** A shorter side no bitmap reaches: decoded at full size. */
const FULL = Number.MAX_SAFE_INTEGER;

describe('the BMP decoder', () => {
  for (const [name, [bytes, reason]] of Object.entries(BAD_BITMAPS)) {
    it(`refuses ${name} with its precise reason`, async () => {
      await assert.rejects(decodeBmp(bufferSource(bytes), 1), (error: Error) => {
        assert.ok(error instanceof ImageFault, error.message);
        assert.match(error.message, reason);
        return true;
      });
    });
  }

  it('reads 1-, 4- and 8-bit palettes, bottom-up and top-down', async () => {
    // Palette entry i is grey (i * 37) & 0xff; row 0 of a bottom-up bitmap is stored last.
    const grey = (i: number) => [(i * 37) & 0xff, (i * 37) & 0xff, (i * 37) & 0xff];
    const oneBit = await decodeBmp(
      bufferSource(bitmap({ width: 3, height: 1, bpp: 1, pixels: rows([0b10100000]) })),
      FULL,
    );
    assert.deepEqual([...oneBit.data], [...grey(1), ...grey(0), ...grey(1)]);
    const fourBit = bitmap({ width: 2, height: 2, bpp: 4, pixels: rows([0x12], [0x34]) });
    assert.deepEqual([...(await decodeBmp(bufferSource(fourBit), FULL)).data], [3, 4, 1, 2].flatMap(grey));
    const topDown = bitmap({ width: 2, height: -2, bpp: 8, pixels: rows([5, 6], [7, 8]) });
    assert.deepEqual([...(await decodeBmp(bufferSource(topDown), FULL)).data], [5, 6, 7, 8].flatMap(grey));
  });

  it('reads 16-bit 5-5-5 pixels and 32-bit bit fields with alpha', async () => {
    const sixteen = bitmap({ width: 1, height: 1, bpp: 16, pixels: rows([0x1f, 0x7c]) });
    assert.deepEqual([...(await decodeBmp(bufferSource(sixteen), FULL)).data], [255, 0, 255]);
    const masks = Buffer.alloc(16);
    [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000].forEach((mask, i) => masks.writeUInt32LE(mask, i * 4));
    const header = bitmap({ width: 1, height: 1, bpp: 32, compression: 6, pixels: Buffer.alloc(0) });
    header.writeUInt32LE(54 + 16, 10);
    const withAlpha = Buffer.concat([header, masks, Buffer.from([0x30, 0x20, 0x10, 0x80])]);
    const decoded = await decodeBmp(bufferSource(withAlpha), FULL);
    assert.equal(decoded.channels, 4);
    assert.deepEqual([...decoded.data], [0x10, 0x20, 0x30, 0x80]);
  });

  it('shrinks on load: each block of pixels becomes their average, and the full size is kept', async () => {
    const pixels = rows([0, 0, 0, 30, 30, 30, 90, 90, 90, 100, 100, 100], [10, 10, 10, 40, 40, 40, 0, 0, 0, 0, 0, 0]);
    const shrunk = await decodeBmp(bufferSource(bitmap({ width: 4, height: -2, pixels })), 1);
    assert.deepEqual([shrunk.width, shrunk.height, shrunk.fullWidth, shrunk.fullHeight], [2, 1, 4, 2]);
    assert.deepEqual([...shrunk.data], [20, 20, 20, 48, 48, 48]);

    const cat = await decodeBmp(bufferSource(readFileSync(photo('cat.bmp'))), 100);
    assert.deepEqual([cat.width, cat.height, cat.fullWidth, cat.fullHeight], [170, 113, 512, 341]);
    const full = await decodeBmp(bufferSource(readFileSync(photo('cat.bmp'))), 256);
    assert.deepEqual([full.width, full.height], [512, 341], 'no smaller than the shorter side asked for');
  });

  it('reads a large bitmap a band at a time, never past the size it was given', async () => {
    const bytes = bitmap({ width: 1500, height: 1000 });
    let largest = 0;
    let total = 0;
    const source: ByteSource = {
      size: bytes.length,
      read: (position, length) => {
        assert.ok(position + length <= bytes.length, `a read of ${length} bytes at ${position}`);
        largest = Math.max(largest, length);
        total += length;
        return Promise.resolve(bytes.subarray(position, position + length));
      },
    };
    const decoded = await decodeBmp(source, 1000);
    assert.equal(decoded.data.length, 1500 * 1000 * 3);
    assert.ok(largest <= (1 << 20) + 1500 * 3, `the largest read was ${largest} bytes`);
    assert.ok(total < bytes.length + 4096, `${total} bytes read for a ${bytes.length}-byte file`);
  });
});
