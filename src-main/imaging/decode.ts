import { readFile } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { decodeForeign } from './foreign-formats.js';
import type { ModelManifest } from '../models/manifest.js';

/** A problem with one photo, worded for the person who owns it; the run goes on with the next photo. */
export class PhotoError extends Error {
  override name = 'PhotoError';
}

/** Larger images are refused before decoding: 200 megapixels covers every camera and panorama people shoot. */
export const MAX_INPUT_PIXELS = 200_000_000;

export interface DecodedPhoto {
  /** sRGB pixels, 3 channels, EXIF orientation applied, alpha flattened onto white, shrunk on load. */
  data: Buffer;
  width: number;
  height: number;
  /** Size of the full-resolution image once oriented upright. */
  originalWidth: number;
  originalHeight: number;
  /** The file's image format ("jpeg", "png", "heic", ...). */
  format: string;
  /** What the file's header says: raw EXIF orientation and EXIF block, for the library to read. */
  metadata: Metadata;
}

function describe(error: unknown, what: string): PhotoError {
  const message = error instanceof Error ? error.message : String(error);
  const reasons: [RegExp, string][] = [
    [/Input file is missing|ENOENT/i, 'the file no longer exists'],
    [/EACCES|EPERM|permission denied/i, 'the file cannot be read (permission denied)'],
    [/EISDIR/i, 'it is a folder, not a photo'],
    [/empty|zero.?length/i, 'the file is empty (0 bytes)'],
    [/pixel limit|too large|dimensions/i, `the image is too large (the limit is ${MAX_INPUT_PIXELS / 1e6} megapixels)`],
    [
      /unsupported image format|bad seek|not a known file format/i,
      'it is not an image, or its format is not supported',
    ],
    [
      /premature end|truncated|unexpected end|short read|end of file|EOF/i,
      'the image is truncated (the file ends too early)',
    ],
  ];
  const reason = reasons.find(([pattern]) => pattern.test(message))?.[1] ?? `the image is corrupt (${message.trim()})`;
  return new PhotoError(`Cannot read ${what}: ${reason}.`, { cause: error });
}

/** A photo file's bytes; a missing, unreadable or vanished file gets its own reason. */
export async function readPhotoFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw describe(error, path);
  }
}

/**
 * Decodes a photo once, shrunk so its shorter side is at least `minShorterSide` (JPEG and WebP shrink on load, so
 * a 12-megapixel photo never exists at full size in memory). The result feeds both the model input and the thumbnail.
 */
export async function decodePhoto(
  input: string | Buffer,
  minShorterSide: number,
  /** How errors name the photo when `input` is its bytes. */
  name = typeof input === 'string' ? input : 'the image',
): Promise<DecodedPhoto> {
  try {
    const bytes = typeof input === 'string' ? await readPhotoFile(input) : input;
    if (bytes.length === 0) throw new Error('empty');
    const foreign = await decodeForeign(bytes);
    const image = foreign
      ? sharp(foreign.data, { raw: { width: foreign.width, height: foreign.height, channels: foreign.channels } })
      : sharp(bytes, { failOn: 'warning', limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true });
    const metadata = await image.metadata();
    const { width, height } = metadata;
    if (!width || !height) throw new Error('unsupported image format: no dimensions');
    if (width * height > MAX_INPUT_PIXELS) throw new Error(`pixel limit: ${width}x${height}`);
    const sideways = (metadata.orientation ?? 1) >= 5;
    const { data, info } = await image
      .rotate()
      .resize({ width: minShorterSide, height: minShorterSide, fit: 'outside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unsupported image format: ${info.channels} channels after conversion`);
    return {
      data,
      width: info.width,
      height: info.height,
      originalWidth: sideways ? height : width,
      originalHeight: sideways ? width : height,
      format: foreign?.format ?? metadata.format ?? 'unknown',
      metadata,
    };
  } catch (error) {
    throw error instanceof PhotoError ? error : describe(error, name);
  }
}

type ModelInput = ModelManifest['input'];

/** The shorter side the decoded photo needs for this model's resize policy. */
export function shorterSideFor(input: ModelInput): number {
  switch (input.resize.policy) {
    case 'shorter-side-center-crop':
      return Math.max(input.resize.shorterSide, input.width, input.height);
    case 'stretch':
      return Math.max(input.width, input.height);
  }
}

async function resizeForModel(photo: DecodedPhoto, input: ModelInput): Promise<Buffer> {
  const raw = sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } });
  switch (input.resize.policy) {
    case 'shorter-side-center-crop': {
      const factor = input.resize.shorterSide / Math.min(photo.width, photo.height);
      const width = Math.max(input.width, Math.round(photo.width * factor));
      const height = Math.max(input.height, Math.round(photo.height * factor));
      const resized = await raw.resize({ width, height, fit: 'fill' }).raw().toBuffer();
      return sharp(resized, { raw: { width, height, channels: 3 } })
        .extract({
          left: Math.floor((width - input.width) / 2),
          top: Math.floor((height - input.height) / 2),
          width: input.width,
          height: input.height,
        })
        .raw()
        .toBuffer();
    }
    case 'stretch':
      return raw.resize({ width: input.width, height: input.height, fit: 'fill' }).raw().toBuffer();
  }
}

/** The model's input tensor for one photo, laid out and normalised as its manifest says. */
export async function toModelInput(photo: DecodedPhoto, input: ModelInput): Promise<Float32Array> {
  const pixels = await resizeForModel(photo, input);
  const area = input.width * input.height;
  const tensor = new Float32Array(area * 3);
  const order = input.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const source = order[c]!;
    const scale = input.scale / input.std[c]!;
    const offset = input.mean[c]! / input.std[c]!;
    for (let i = 0; i < area; i++) {
      const value = pixels[i * 3 + source]! * scale - offset;
      tensor[input.layout === 'NCHW' ? c * area + i : i * 3 + c] = value;
    }
  }
  return tensor;
}

/** A JPEG that fits in `size` x `size` (a thumbnail, an exported image), made from the already decoded pixels. */
export async function makeThumbnail(photo: DecodedPhoto, size: number, quality = 82): Promise<Buffer> {
  return (
    sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
      .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
      // Plain libjpeg: mozjpeg made thumbnails 15% smaller but took 3.5 times as long (a fifth of the decode time).
      .jpeg({ quality })
      .toBuffer()
  );
}
