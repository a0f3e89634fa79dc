import type { ByteSource } from './photo-file.js';

/** A JPEG's marker segments (EXIF, ICC profiles) come first; past this many bytes the scan data has begun. */
const JPEG_HEADER_BYTES = 1 << 18;
/** The file is read from its end in pieces this large, so no photo is ever held whole. */
const CHUNK_BYTES = 1 << 16;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A PNG's last chunk: its type and its CRC, which never change. */
const PNG_END = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const JPEG_END = Buffer.from([0xff, 0xd9]);
const GIF_TRAILER = 0x3b;

/**
 * A JPEG's marker segments up to its first start-of-scan, each with where it starts and where the next one would;
 * the walk stops where the bytes end or stop being markers.
 */
function* jpegSegments(header: Buffer): Generator<{ marker: number; at: number; next: number }> {
  let at = 2;
  while (at + 4 <= header.length && header[at] === 0xff) {
    const marker = header[at + 1]!;
    // Fill bytes, and the markers that carry no length.
    const next =
      marker === 0xff
        ? at + 1
        : marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)
          ? at + 2
          : at + 2 + header.readUInt16BE(at + 2);
    yield { marker, at, next };
    if (marker === 0xda) return;
    at = next;
  }
}

/** Where a JPEG's scan data begins (its first start-of-scan marker), or where its header ends when not found. */
async function jpegScanStart(source: ByteSource): Promise<number> {
  const header = await source.read(0, JPEG_HEADER_BYTES);
  let end = 2;
  for (const { marker, at, next } of jpegSegments(header)) {
    if (marker === 0xda) return at;
    end = next;
  }
  return Math.min(end, header.length);
}

/**
 * The pixel size a JPEG's frame header (its start-of-frame segment, any coding) gives, as stored before any EXIF
 * orientation; undefined for bytes that are no JPEG or hold no whole frame header before the scan.
 */
export function jpegFrameSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  for (const { marker, at } of jpegSegments(bytes)) {
    // SOF0 to SOF15, less DHT, JPG and DAC, which share the range.
    const frame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (!frame) continue;
    if (at + 9 > bytes.length) return undefined;
    const [height, width] = [bytes.readUInt16BE(at + 5), bytes.readUInt16BE(at + 7)];
    return width > 0 && height > 0 ? { width, height } : undefined;
  }
  return undefined;
}

/**
 * Whether `end` occurs in the source after `from`, read backwards from the end a piece at a time (pieces overlap by
 * the marker's length, so one split between two pieces is found too).
 */
async function endsWithMarker(source: ByteSource, from: number, end: Buffer): Promise<boolean> {
  for (let stop = source.size; stop > from; stop -= CHUNK_BYTES) {
    const start = Math.max(from, stop - CHUNK_BYTES);
    const piece = await source.read(start, stop - start + end.length - 1);
    if (piece.includes(end)) return true;
  }
  return false;
}

/**
 * How a JPEG, PNG, GIF or WebP file ends: `truncated` before its end (a JPEG without an end-of-image marker after its
 * scan data begins, since an EXIF thumbnail has its own before; a PNG without its IEND chunk; a GIF without its
 * trailer byte; a WebP shorter than its RIFF header says), else `whole`; undefined for other formats. This is decided
 * from the file's bytes because the decoder's words cannot be trusted for it: sharp keeps libvips' warnings in one
 * queue for the whole process and hands them to whichever decode finishes next, and libvips' error buffer is shared
 * too, so with two photos decoding at once a truncated one may get another photo's words, or none, and a corrupt
 * one the words of a truncated one.
 */
export async function fileEnding(source: ByteSource): Promise<'truncated' | 'whole' | undefined> {
  const head = await source.read(0, 12);
  const verdict = (ends: boolean) => (ends ? 'whole' : 'truncated');
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    return verdict(await endsWithMarker(source, await jpegScanStart(source), JPEG_END));
  }
  if (head.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
    return verdict(await endsWithMarker(source, PNG_SIGNATURE.length, PNG_END));
  }
  if (head.toString('latin1', 0, 4) === 'GIF8')
    return verdict((await source.read(source.size - 1, 1))[0] === GIF_TRAILER);
  if (head.length === 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') {
    return verdict(source.size >= head.readUInt32LE(4) + 8);
  }
  return undefined;
}
