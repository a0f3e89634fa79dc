import exifr from 'exifr';
import sharp, { type Sharp } from 'sharp';
import { decodeForeignInWorker } from './foreign-decoder.js';
import { bufferSource, foreignFormat, SNIFF_BYTES } from './foreign-formats.js';
import { fileEnding, jpegFrameSize } from './image-end.js';
import { describe, ImageFault, MAX_INPUT_PIXELS, messageReason, PhotoError, REASONS } from './photo-error.js';
import { PhotoFile, withPhotoFile } from './photo-file.js';
import type { ModelManifest } from '../models/manifest.js';

export { MAX_INPUT_PIXELS, PhotoError } from './photo-error.js';

/** sRGB pixels, 3 channels, row after row. */
export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface DecodedPhoto extends RawPixels {
  /** sRGB pixels, 3 channels, EXIF orientation applied, alpha flattened onto white, shrunk on load. */
  data: Buffer;
  /** Size of the full-resolution image once oriented upright. */
  originalWidth: number;
  originalHeight: number;
  /** The file's image format ("jpeg", "png", "heic", ...). */
  format: string;
  /** The EXIF orientation (1 to 8) the decode applied, as libvips reads it; undefined when the file has none. */
  orientation: number | undefined;
}

/** What a photo's header says: its size as stored, its EXIF orientation, its format. */
interface Header {
  width: number;
  height: number;
  orientation: number | undefined;
  format: string;
}

async function libvipsHeader(image: Sharp): Promise<Header> {
  const { width, height, orientation, format } = await image.metadata();
  if (!width || !height) throw new Error('unsupported image format: no dimensions');
  return { width, height, orientation, format: format ?? 'unknown' };
}

/**
 * A JPEG's header from its bytes, undefined when they are no JPEG or their frame header or EXIF cannot be read:
 * the size from the frame header, and EXIF's orientation as libvips takes it (a value outside 1-8 reads as 1).
 */
async function jpegHeader(bytes: Buffer): Promise<Header | undefined> {
  const size = jpegFrameSize(bytes);
  if (!size) return undefined;
  let orientation: unknown;
  try {
    orientation = await exifr.orientation(bytes);
  } catch {
    return undefined;
  }
  if (orientation !== undefined && typeof orientation !== 'number') return undefined;
  const valid = orientation === undefined || (Number.isInteger(orientation) && orientation >= 1 && orientation <= 8);
  return { ...size, orientation: valid ? orientation : 1, format: 'jpeg' };
}

/**
 * Whether decoded pixels bear out a header: turned a quarter against the stored size exactly when its orientation
 * is sideways. A square photo's turn changes no size; square pixels from a photo that is not (a shrink's rounding)
 * tell nothing.
 */
function bornOut(header: Header, decoded: { width: number; height: number }): boolean {
  if (header.width === header.height) return true;
  if (decoded.width === decoded.height) return false;
  const turned = header.width > header.height !== decoded.width > decoded.height;
  return turned === (header.orientation ?? 1) >= 5;
}

/**
 * Decodes a photo once, shrunk so its shorter side is at least `minShorterSide` (JPEG, WebP and BMP shrink on load,
 * so a 12-megapixel photo never exists at full size in memory). The result feeds both the model input and the
 * thumbnail. A file is held whole in memory only when it is small (the pipeline reads one of up to 1 MiB once and
 * passes its bytes); otherwise libvips reads it from its path, and BMP and HEIC, which libvips cannot read, are
 * decoded in a worker thread.
 */
export async function decodePhoto(
  input: string | PhotoFile | Buffer,
  minShorterSide: number,
  /** How errors name the photo when `input` is its bytes. */
  name = typeof input === 'string' ? input : input instanceof PhotoFile ? input.path : 'the image',
): Promise<DecodedPhoto> {
  if (typeof input === 'string') return withPhotoFile(input, (file) => decodePhoto(file, minShorterSide, name));
  try {
    const head = input instanceof PhotoFile ? await input.read(0, SNIFF_BYTES) : input;
    if (head.length === 0) throw new ImageFault(REASONS.empty);
    const format = foreignFormat(head);
    const foreign = format && (await decodeForeignInWorker(format, input, minShorterSide));
    const image = foreign
      ? sharp(foreign.data, { raw: { width: foreign.width, height: foreign.height, channels: foreign.channels } })
      : sharp(input instanceof PhotoFile ? input.path : input, {
          failOn: 'warning',
          limitInputPixels: MAX_INPUT_PIXELS,
          sequentialRead: true,
        });
    // JPEG bytes in hand tell their size and orientation without libvips' own pass over the header (a tenth of a
    // small photo's decode CPU, test/bench/decode-steps-bench.ts); other input, or a JPEG whose decode belies its
    // bytes, asks libvips.
    const fromBytes = input instanceof Buffer && !foreign ? await jpegHeader(input) : undefined;
    const stored = fromBytes ?? (await libvipsHeader(image));
    const pixels = (foreign?.fullWidth ?? stored.width) * (foreign?.fullHeight ?? stored.height);
    if (pixels > MAX_INPUT_PIXELS) throw new ImageFault(REASONS.tooLarge);
    const { data, info } = await image
      .rotate()
      .resize({ width: minShorterSide, height: minShorterSide, fit: 'outside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unsupported image format: ${info.channels} channels after conversion`);
    const header = stored === fromBytes && !bornOut(stored, info) ? await libvipsHeader(image) : stored;
    const [fullWidth, fullHeight] = [foreign?.fullWidth ?? header.width, foreign?.fullHeight ?? header.height];
    const sideways = (header.orientation ?? 1) >= 5;
    return {
      data,
      width: info.width,
      height: info.height,
      originalWidth: sideways ? fullHeight : fullWidth,
      originalHeight: sideways ? fullWidth : fullHeight,
      format: foreign?.format ?? header.format,
      orientation: header.orientation,
    };
  } catch (error) {
    throw describe(await decoderFault(error, input), name);
  }
}

/**
 * The decoder's error, or the fault the file's bytes show: a file that ends before its end is truncated, and one
 * whose end is there is not, whatever words libvips' shared buffers handed this decode.
 */
async function decoderFault(error: unknown, input: PhotoFile | Buffer): Promise<unknown> {
  if (error instanceof ImageFault || error instanceof PhotoError) return error;
  let ending;
  try {
    ending = await fileEnding(input instanceof PhotoFile ? input : bufferSource(input));
  } catch {
    // A file that can no longer be read is judged by the error that stopped its decode.
    return error;
  }
  if (ending === 'truncated') return new ImageFault(REASONS.truncated);
  if (ending === 'whole' && messageReason(error) === REASONS.truncated) return new ImageFault(REASONS.corrupt);
  return error;
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

/** The model's input pixels: `input.width` x `input.height` of them at (left, top), in rows `stride` pixels long. */
interface InputWindow {
  data: Uint8Array;
  stride: number;
  left: number;
  top: number;
}

async function resizeForModel(photo: RawPixels, input: ModelInput): Promise<InputWindow> {
  const raw = () => sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } });
  switch (input.resize.policy) {
    case 'shorter-side-center-crop': {
      const factor = input.resize.shorterSide / Math.min(photo.width, photo.height);
      const width = Math.max(input.width, Math.round(photo.width * factor));
      const height = Math.max(input.height, Math.round(photo.height * factor));
      const left = Math.floor((width - input.width) / 2);
      const top = Math.floor((height - input.height) / 2);
      // A photo the pipeline decoded at the model's shorter side (the usual case) is only cropped, and the crop is
      // where the normalisation reads: a sharp pass for it cost a small photo as much as its thumbnail.
      if (width === photo.width && height === photo.height) return { data: photo.data, stride: width, left, top };
      // One pass: sharp crops after resizing when extract follows resize in the chain.
      const data = await raw()
        .resize({ width, height, fit: 'fill' })
        .extract({ left, top, width: input.width, height: input.height })
        .raw()
        .toBuffer();
      return { data, stride: input.width, left: 0, top: 0 };
    }
    case 'stretch': {
      const data =
        photo.width === input.width && photo.height === input.height
          ? photo.data
          : await raw().resize({ width: input.width, height: input.height, fit: 'fill' }).raw().toBuffer();
      return { data, stride: input.width, left: 0, top: 0 };
    }
  }
}

/** The model's input tensor for one photo, laid out and normalised as its manifest says. */
export async function toModelInput(photo: RawPixels, input: ModelInput): Promise<Float32Array> {
  const { data, stride, left, top } = await resizeForModel(photo, input);
  const { width, height } = input;
  const tensor = new Float32Array(width * height * 3);
  const order = input.colorOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const scale = input.scale / input.std[c]!;
    const offset = input.mean[c]! / input.std[c]!;
    // One loop per layout, so the inner loop is a plain strided walk.
    const [start, step] = input.layout === 'NCHW' ? [c * width * height, 1] : [c, 3];
    for (let y = 0, at = start; y < height; y++) {
      for (let x = 0, from = ((top + y) * stride + left) * 3 + order[c]!; x < width; x++, at += step, from += 3) {
        tensor[at] = data[from]! * scale - offset;
      }
    }
  }
  return tensor;
}

/** A JPEG that fits in `size` x `size` (a thumbnail, an exported image), made from the already decoded pixels. */
export async function makeThumbnail(photo: DecodedPhoto, size: number, quality = 82): Promise<Buffer> {
  const image = sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } });
  // Pixels that already fit are encoded as they are: the resize would copy them once more for nothing.
  const fitting =
    photo.width <= size && photo.height <= size ? image : image.resize({ width: size, height: size, fit: 'inside' });
  // Plain libjpeg: mozjpeg made thumbnails 15% smaller but took 3.5 times as long (a fifth of the decode time).
  // Default Huffman tables: optimising them took a second pass over the image, which cost a small photo's thumbnail
  // 1.4 of its 3.1 CPU ms for files 2.5% smaller.
  return fitting.jpeg({ quality, optimiseCoding: false }).toBuffer();
}
