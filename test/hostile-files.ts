import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { photo } from './helpers.js';

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid PNG header declaring `width` x `height` pixels, with almost no pixel data behind it. */
export function hugePng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real JPEG whose frame header is rewritten to declare `width` x `height` pixels. */
export function hugeJpeg(width: number, height: number): Buffer {
  const jpeg = Buffer.from(readFileSync(photo('hot_dog.jpg')));
  for (let i = 2; i < jpeg.length - 9;) {
    const marker = jpeg[i + 1]!;
    const length = jpeg.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
    i += 2 + length;
  }
  throw new Error('no frame header in hot_dog.jpg');
}

/** Each kind of bad input a photo folder can hold, written into `dir`; the value is the expected reason. */
export function writeHostileFiles(dir: string): Record<string, RegExp> {
  const jpeg = readFileSync(photo('cat_720p.jpg'));
  const files: Record<string, [Buffer, RegExp]> = {
    'empty.jpg': [Buffer.alloc(0), /empty/],
    'notes.jpg': [Buffer.from('These are my holiday notes, not a photo.\n'.repeat(20)), /not an image/],
    'truncated.jpg': [jpeg.subarray(0, jpeg.length >> 1), /truncated|corrupt/],
    'corrupt.jpg': [
      Buffer.concat([jpeg.subarray(0, 620), Buffer.alloc(4000, 0x5a), jpeg.subarray(4620)]),
      /corrupt|truncated/,
    ],
    'huge.png': [hugePng(30000, 30000), /too large/],
    'huge.jpg': [hugeJpeg(30000, 30000), /too large/],
  };
  const reasons: Record<string, RegExp> = {};
  for (const [name, [bytes, reason]] of Object.entries(files)) {
    writeFileSync(join(dir, name), bytes);
    reasons[join(dir, name)] = reason;
  }
  return reasons;
}
