import { createRequire } from 'node:module';
import { ImageFault, MAX_INPUT_PIXELS, REASONS } from './photo-error.js';
import type { ByteSource } from './photo-file.js';

export type ForeignFormat = 'bmp' | 'heic';

/** Pixels decoded outside libvips, handed to sharp as raw input. */
export interface RawImage {
  format: ForeignFormat;
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  /** The image's own size; `width` x `height` is smaller where it was shrunk on load. */
  fullWidth: number;
  fullHeight: number;
}

/** How much of a file's start `foreignFormat` needs. */
export const SNIFF_BYTES = 32;

const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);

/**
 * Which foreign decoder reads a file, from its first bytes; undefined for everything sharp reads itself. HEIC/HEIF
 * stills coded with HEVC (iPhone photos) are foreign because sharp's prebuilt libvips has no HEVC decoder.
 */
export function foreignFormat(head: Buffer): ForeignFormat | undefined {
  if (head.length > 26 && head.toString('latin1', 0, 2) === 'BM') return 'bmp';
  if (head.length > 12 && head.toString('latin1', 4, 8) === 'ftyp' && HEVC_BRANDS.has(head.toString('latin1', 8, 12))) {
    return 'heic';
  }
  return undefined;
}

/** A buffer read like a file. */
export function bufferSource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    read: (position, length) => Promise.resolve(bytes.subarray(position, position + length)),
  };
}

const BMP_DEPTHS = new Set([1, 4, 8, 16, 24, 32]);
const BMP_COMPRESSIONS: Record<number, string> = {
  1: 'RLE8',
  2: 'RLE4',
  4: 'JPEG',
  5: 'PNG',
  11: 'CMYK',
  12: 'CMYK RLE8',
  13: 'CMYK RLE4',
};
/** The file header (14 bytes), the largest info header (V5, 124 bytes), and bit-field masks after a short header. */
const BMP_HEADER_BYTES = 14 + 124 + 16;
/** Pixel rows are read about this much at a time, so a bitmap is never held whole in memory. */
const BMP_BAND_BYTES = 1 << 20;
const BMP_TRUNCATED = 'its pixel data runs past the end of the file (the bitmap is truncated)';

interface BmpLayout {
  width: number;
  height: number;
  /** Rows are stored bottom row first (a positive height in the header). */
  bottomUp: boolean;
  bpp: number;
  dataOffset: number;
  /** Bytes per stored row, padded to 4. */
  stride: number;
  channels: 3 | 4;
  /** RGB triplets for 1, 4 and 8 bits per pixel; indexes past the colours the file holds stay black. */
  palette?: Uint8Array;
  /** Shift and maximum of each channel's bit field, for 16 and 32 bits per pixel. */
  fields: [number, number][];
}

function maskShift(mask: number): [number, number] {
  if (!mask) return [0, 0];
  let shift = 0;
  while (!((mask >>> shift) & 1)) shift++;
  return [shift, (mask >>> shift) + 0];
}

function compressionName(compression: number, bpp: number): string {
  if (compression === 3 || compression === 6) return `bit fields with ${bpp} bits per pixel`;
  return BMP_COMPRESSIONS[compression] ?? `method ${compression}`;
}

/** Reads and checks a bitmap's headers, palette and masks: everything but its pixels. */
async function readBmpLayout(source: ByteSource): Promise<BmpLayout> {
  const head = await source.read(0, BMP_HEADER_BYTES);
  if (head.length < 54) throw new ImageFault('the bitmap is truncated (the file ends inside its header)');
  const dataOffset = head.readUInt32LE(10);
  const headerSize = head.readUInt32LE(14);
  if (headerSize < 40) throw new ImageFault('it is an OS/2 bitmap, which is not supported');
  const width = head.readInt32LE(18);
  const rawHeight = head.readInt32LE(22);
  const bpp = head.readUInt16LE(28);
  const compression = head.readUInt32LE(30);
  if (width <= 0) throw new ImageFault(`the bitmap's width (${width}) is invalid`);
  // -2^31 has no positive counterpart in 32 bits.
  if (rawHeight === 0 || rawHeight === -0x80000000)
    throw new ImageFault(`the bitmap's height (${rawHeight}) is invalid`);
  if (!BMP_DEPTHS.has(bpp)) throw new ImageFault(`its bit depth (${bpp} bits per pixel) is not supported`);
  const bitFields = compression === 3 || compression === 6;
  if (compression !== 0 && !(bitFields && (bpp === 16 || bpp === 32))) {
    throw new ImageFault(`its compression (${compressionName(compression, bpp)}) is not supported`);
  }
  const height = Math.abs(rawHeight);
  if (width * height > MAX_INPUT_PIXELS) throw new ImageFault(REASONS.tooLarge);
  // A 40-byte header is followed by the masks; the longer ones hold them (alpha from 56 bytes on).
  const alphaMask = compression === 6 || headerSize >= 56;
  const headerEnd = 14 + headerSize + (headerSize === 40 && bitFields ? (alphaMask ? 16 : 12) : 0);
  if (head.length < Math.min(headerEnd, BMP_HEADER_BYTES)) {
    throw new ImageFault('the bitmap is truncated (the file ends inside its header)');
  }
  if (dataOffset < headerEnd) throw new ImageFault(`its pixel data offset (${dataOffset}) points inside its header`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > source.size) throw new ImageFault(BMP_TRUNCATED);

  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0xff00, 0xff, 0];
  if (bitFields) masks = [0, 1, 2, 3].map((i) => (i < 3 || alphaMask ? head.readUInt32LE(54 + i * 4) : 0));
  const layout: BmpLayout = {
    width,
    height,
    bottomUp: rawHeight > 0,
    bpp,
    dataOffset,
    stride,
    channels: bpp === 32 && masks[3] !== 0 ? 4 : 3,
    fields: masks.map(maskShift),
  };
  if (bpp <= 8) layout.palette = await readPalette(source, head, headerSize, bpp, dataOffset);
  return layout;
}

async function readPalette(
  source: ByteSource,
  head: Buffer,
  headerSize: number,
  bpp: number,
  dataOffset: number,
): Promise<Uint8Array> {
  const colorsUsed = head.readUInt32LE(46);
  const colors = colorsUsed > 0 && colorsUsed < 1 << bpp ? colorsUsed : 1 << bpp;
  const start = 14 + headerSize;
  if (start + colors * 4 > dataOffset) {
    throw new ImageFault(`its colour palette (${colors} colours) is missing before the pixel data`);
  }
  const entries = await source.read(start, colors * 4);
  const palette = new Uint8Array(3 << bpp);
  for (let i = 0; i < colors; i++) {
    palette[i * 3] = entries[i * 4 + 2]!;
    palette[i * 3 + 1] = entries[i * 4 + 1]!;
    palette[i * 3 + 2] = entries[i * 4]!;
  }
  return palette;
}

/** One stored row (from `start` in `bytes`) as RGB or RGBA pixels into `into`. */
function decodeRow(layout: BmpLayout, bytes: Buffer, start: number, into: Uint8Array): void {
  const { width, bpp, channels, palette, fields } = layout;
  if (palette) {
    const mask = (1 << bpp) - 1;
    for (let x = 0; x < width; x++) {
      const bit = x * bpp;
      const index = ((bytes[start + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & mask) * 3;
      into[x * 3] = palette[index]!;
      into[x * 3 + 1] = palette[index + 1]!;
      into[x * 3 + 2] = palette[index + 2]!;
    }
  } else if (bpp === 24) {
    for (let x = 0; x < width; x++) {
      const p = start + x * 3;
      into[x * 3] = bytes[p + 2]!;
      into[x * 3 + 1] = bytes[p + 1]!;
      into[x * 3 + 2] = bytes[p]!;
    }
  } else {
    for (let x = 0; x < width; x++) {
      const value = bpp === 16 ? bytes.readUInt16LE(start + x * 2) : bytes.readUInt32LE(start + x * 4);
      for (let c = 0; c < channels; c++) {
        const [shift, max] = fields[c]!;
        into[x * channels + c] = max ? Math.round((((value >>> shift) & max) * 255) / max) : 255;
      }
    }
  }
}

/**
 * Windows bitmaps (BMP/DIB): 1, 4, 8, 16, 24 and 32 bits per pixel, uncompressed or with bit-field masks. Shrinks on
 * load like libjpeg does: each `factor` x `factor` block becomes one pixel, the largest factor that keeps the shorter
 * side at least `minShorterSide`, so a 200-megapixel bitmap costs only the shrunk image, read a band at a time.
 */
export async function decodeBmp(source: ByteSource, minShorterSide: number): Promise<RawImage> {
  const layout = await readBmpLayout(source);
  const { width, height, stride, channels } = layout;
  const factor = Math.max(1, Math.floor(Math.min(width, height) / Math.max(1, minShorterSide)));
  const outWidth = Math.floor(width / factor);
  const outHeight = Math.floor(height / factor);
  const out = Buffer.alloc(outWidth * outHeight * channels);
  const outStride = outWidth * channels;
  // Where each stored row's channel values add up: rows decode into a scratch row, then into per-block sums.
  const row = factor === 1 ? undefined : new Uint8Array(width * channels);
  const sums = new Float64Array(outStride);
  const sumIndex = Int32Array.from({ length: outWidth * factor * channels }, (_, i) => {
    const c = i % channels;
    return Math.floor((i - c) / channels / factor) * channels + c;
  });
  const usedRows = outHeight * factor;
  const bandRows = factor * Math.max(1, Math.floor(BMP_BAND_BYTES / (stride * factor)));
  for (let top = 0; top < usedRows; top += bandRows) {
    const rows = Math.min(bandRows, usedRows - top);
    const first = layout.bottomUp ? height - top - rows : top;
    const band = await source.read(layout.dataOffset + first * stride, rows * stride);
    if (band.length < rows * stride) throw new ImageFault(BMP_TRUNCATED);
    for (let r = 0; r < rows; r++) {
      const start = (layout.bottomUp ? rows - 1 - r : r) * stride;
      const y = top + r;
      if (!row) {
        decodeRow(layout, band, start, out.subarray(y * outStride, (y + 1) * outStride));
        continue;
      }
      decodeRow(layout, band, start, row);
      for (let i = 0; i < sumIndex.length; i++) sums[sumIndex[i]!]! += row[i]!;
      if ((y + 1) % factor !== 0) continue;
      const at = ((y + 1) / factor - 1) * outStride;
      const area = factor * factor;
      for (let i = 0; i < outStride; i++) out[at + i] = Math.round(sums[i]! / area);
      sums.fill(0);
    }
  }
  return {
    format: 'bmp',
    data: out,
    width: outWidth,
    height: outHeight,
    channels,
    fullWidth: width,
    fullHeight: height,
  };
}

interface HeicImage {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
type HeicDecodeAll = (input: { buffer: Buffer }) => Promise<HeicImage[] & { dispose(): void }>;
let heicDecodeAll: HeicDecodeAll | undefined;

/**
 * libheif reads a HEIC from memory, so the file is read whole: refused past this size before reading. A 200-megapixel
 * HEIC at the highest quality stays well below it.
 */
export const MAX_HEIC_FILE_BYTES = 256 * 1024 * 1024;

/**
 * HEVC-coded HEIC through libheif compiled to WebAssembly (heic-decode), loaded on first use. Its size is checked from
 * the header before anything is decoded: a 52 KB file may declare 15000 x 15000 pixels.
 */
export async function decodeHeic(source: ByteSource): Promise<RawImage> {
  if (source.size > MAX_HEIC_FILE_BYTES) {
    throw new ImageFault(`the file is too large to decode (the limit for HEIC is ${MAX_HEIC_FILE_BYTES >> 20} MB)`);
  }
  const bytes = await source.read(0, source.size);
  heicDecodeAll ??= (createRequire(import.meta.url)('heic-decode') as { all: HeicDecodeAll }).all;
  const images = await heicDecodeAll({ buffer: bytes });
  try {
    const primary = images[0]!;
    if (primary.width * primary.height > MAX_INPUT_PIXELS) throw new ImageFault(REASONS.tooLarge);
    const { width, height, data } = await primary.decode();
    return {
      format: 'heic',
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      width,
      height,
      channels: 4,
      fullWidth: width,
      fullHeight: height,
    };
  } finally {
    images.dispose();
  }
}

/** Decodes a file sharp cannot read itself. */
export function decodeForeign(format: ForeignFormat, source: ByteSource, minShorterSide: number): Promise<RawImage> {
  switch (format) {
    case 'bmp':
      return decodeBmp(source, minShorterSide);
    case 'heic':
      return decodeHeic(source);
  }
}
