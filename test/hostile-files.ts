import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
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

/** A small real HEIC (heif-enc, from Debian's libheif-examples) whose 'ispe' boxes declare `width` x `height`. */
export function hugeHeic(dir: string, width: number, height: number): Buffer {
  const file = join(dir, `.source-${width}x${height}.heic`);
  execFileSync('heif-enc', ['-q', '50', '-o', file, photo('dog.jpg')]);
  const heic = readFileSync(file);
  rmSync(file);
  let patched = 0;
  for (let at = heic.indexOf('ispe'); at >= 0; at = heic.indexOf('ispe', at + 4)) {
    // size, 'ispe', version and flags, then width and height.
    heic.writeUInt32BE(width, at + 8);
    heic.writeUInt32BE(height, at + 12);
    patched++;
  }
  if (patched === 0) throw new Error('heif-enc wrote no ispe box');
  return heic;
}

export interface BitmapFields {
  width?: number;
  height?: number;
  bpp?: number;
  compression?: number;
  /** Palette entries actually written (for up to 8 bits per pixel); the header declares none, meaning 2^bpp. */
  colors?: number;
  /** Pixel data bytes actually written; all rows by default. */
  pixelBytes?: number;
  pixels?: Buffer;
}

/** A bitmap with a 40-byte header, whose fields and contents may contradict each other. */
export function bitmap(fields: BitmapFields = {}): Buffer {
  const { width = 4, height = 3, bpp = 24, compression = 0 } = fields;
  const colors = fields.colors ?? (bpp <= 8 ? 2 ** bpp : 0);
  const stride = Math.ceil((Math.abs(width) * bpp) / 32) * 4;
  const pixels = fields.pixels ?? Buffer.alloc(fields.pixelBytes ?? stride * Math.abs(height), 0x80);
  const header = Buffer.alloc(54);
  const dataOffset = 54 + colors * 4;
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(dataOffset + pixels.length, 2);
  header.writeUInt32LE(dataOffset, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(bpp, 28);
  header.writeUInt32LE(compression, 30);
  const palette = Buffer.alloc(colors * 4);
  for (let i = 0; i < colors; i++) palette.writeUInt32LE(((i * 37) & 0xff) * 0x010101, i * 4);
  return Buffer.concat([header, palette, pixels]);
}

/** Malformed bitmaps, each with the precise reason it must be refused for. */
export const BAD_BITMAPS: Record<string, [Buffer, RegExp]> = {
  'depth-0.bmp': [bitmap({ bpp: 0, pixelBytes: 64 }), /its bit depth \(0 bits per pixel\) is not supported/],
  'depth-7.bmp': [bitmap({ bpp: 7 }), /its bit depth \(7 bits per pixel\) is not supported/],
  'width-negative.bmp': [bitmap({ width: -4 }), /the bitmap's width \(-4\) is invalid/],
  'height-zero.bmp': [bitmap({ height: 0, pixelBytes: 48 }), /the bitmap's height \(0\) is invalid/],
  'past-end.bmp': [bitmap({ width: 64, height: 64, pixelBytes: 1000 }), /pixel data runs past the end of the file/],
  'rle8.bmp': [bitmap({ bpp: 8, compression: 1 }), /its compression \(RLE8\) is not supported/],
  'no-palette.bmp': [bitmap({ bpp: 8, colors: 0 }), /its colour palette \(256 colours\) is missing/],
  'huge.bmp': [bitmap({ width: 20000, height: 20000, pixelBytes: 64 }), /too large \(the limit is 200 megapixels\)/],
};

/** Bitmaps and HEIC files whose headers lie, written into `dir`; the value is the expected reason. */
export function writeHostileFormats(dir: string): Record<string, RegExp> {
  const files: Record<string, [Buffer, RegExp]> = {
    ...BAD_BITMAPS,
    'huge.heic': [hugeHeic(dir, 15000, 15000), /too large \(the limit is 200 megapixels\)/],
  };
  const reasons: Record<string, RegExp> = {};
  for (const [name, [bytes, reason]] of Object.entries(files)) {
    writeFileSync(join(dir, name), bytes);
    reasons[join(dir, name)] = reason;
  }
  // 300 MB that take no room on disk: a HEIC header, then a hole.
  const oversized = join(dir, 'oversized.heic');
  writeFileSync(oversized, files['huge.heic']![0]);
  truncateSync(oversized, 300 * 1024 * 1024);
  reasons[oversized] = /the file is too large to decode \(the limit for HEIC is 256 MB\)/;
  return reasons;
}

/** Where the operating system offers them (not on Windows), files that are not regular files, named like photos. */
export const SPECIAL_FILES: Record<string, RegExp> = {
  'pipe.jpg': /it is a named pipe \(FIFO\), not a photo file/,
  'zero.jpg': /it is a device, not a photo file/,
  // Reports 0 bytes, holds eight bytes for every page of the address space.
  ...(existsSync('/proc/self/pagemap') ? { 'pagemap.jpg': /the file is empty/ } : {}),
};

/** Writes SPECIAL_FILES' `name` at `path`: a named pipe, or a link to /dev/zero or /proc/self/pagemap. */
export function writeSpecialFile(name: string, path: string): void {
  if (name === 'pipe.jpg') execFileSync('mkfifo', [path]);
  else symlinkSync(name === 'zero.jpg' ? '/dev/zero' : '/proc/self/pagemap', path);
}
