import { createRequire } from 'node:module';

/** Pixels decoded outside libvips, handed to sharp as raw input. */
export interface RawImage {
  format: 'bmp' | 'heic';
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

const isBmp = (bytes: Buffer) => bytes.length > 26 && bytes.toString('latin1', 0, 2) === 'BM';

const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
/** HEIC/HEIF stills coded with HEVC (iPhone photos): sharp's prebuilt libvips has no HEVC decoder. */
const isHevcHeif = (bytes: Buffer) =>
  bytes.length > 12 && bytes.toString('latin1', 4, 8) === 'ftyp' && HEVC_BRANDS.has(bytes.toString('latin1', 8, 12));

function maskShift(mask: number): [number, number] {
  if (!mask) return [0, 0];
  let shift = 0;
  while (!((mask >>> shift) & 1)) shift++;
  return [shift, (mask >>> shift) + 0];
}

/** Windows bitmaps (BMP/DIB): 1, 4, 8, 16, 24 and 32 bits per pixel, uncompressed or with bit-field masks. */
export function decodeBmp(bytes: Buffer): RawImage {
  const dataOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(14);
  if (headerSize < 40) throw new Error('unsupported image format: OS/2 bitmap');
  const width = bytes.readInt32LE(18);
  const rawHeight = bytes.readInt32LE(22);
  const bpp = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new Error('unsupported image format: bitmap without dimensions');
  if (width * height > 200_000_000) throw new Error(`pixel limit: ${width}x${height}`);
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    throw new Error(`unsupported image format: compressed bitmap (method ${compression})`);
  }
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) throw new Error('truncated: bitmap ends too early');
  const paletteStart = 14 + headerSize;
  const palette = (index: number) => paletteStart + index * 4;
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0xff00, 0xff, 0];
  if (compression !== 0) {
    const at = headerSize === 40 ? paletteStart : 54;
    masks = [0, 1, 2, 3].map((i) =>
      i < 3 || compression === 6 || headerSize > 40 ? bytes.readUInt32LE(at + i * 4) : 0,
    );
  }
  const fields = masks.map(maskShift);
  const hasAlpha = bpp === 32 && masks[3] !== 0;
  const channels = hasAlpha ? 4 : 3;
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (rawHeight > 0 ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (bpp <= 8) {
        const bit = x * bpp;
        const index = (bytes[row + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const p = palette(index);
        out[o] = bytes[p + 2]!;
        out[o + 1] = bytes[p + 1]!;
        out[o + 2] = bytes[p]!;
      } else if (bpp === 24) {
        const p = row + x * 3;
        out[o] = bytes[p + 2]!;
        out[o + 1] = bytes[p + 1]!;
        out[o + 2] = bytes[p]!;
      } else if (bpp === 16 || bpp === 32) {
        const value = bpp === 16 ? bytes.readUInt16LE(row + x * 2) : bytes.readUInt32LE(row + x * 4);
        for (let c = 0; c < channels; c++) {
          const [shift, max] = fields[c]!;
          out[o + c] = max ? Math.round((((value >>> shift) & max) * 255) / max) : 255;
        }
      } else {
        throw new Error(`unsupported image format: ${bpp}-bit bitmap`);
      }
    }
  }
  return { format: 'bmp', data: out, width, height, channels };
}

type HeicDecode = (input: { buffer: Buffer }) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
let heicDecode: HeicDecode | undefined;

/** HEVC-coded HEIC through libheif compiled to WebAssembly (heic-decode), loaded on first use. */
export async function decodeHeic(bytes: Buffer): Promise<RawImage> {
  heicDecode ??= createRequire(import.meta.url)('heic-decode') as HeicDecode;
  const { width, height, data } = await heicDecode({ buffer: bytes });
  return {
    format: 'heic',
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    width,
    height,
    channels: 4,
  };
}

/** Decodes the formats libvips cannot read itself; undefined for everything sharp handles directly. */
export async function decodeForeign(bytes: Buffer): Promise<RawImage | undefined> {
  if (isBmp(bytes)) return decodeBmp(bytes);
  if (isHevcHeif(bytes)) return decodeHeic(bytes);
  return undefined;
}
