/** Larger images are refused before decoding: 200 megapixels covers every camera and panorama people shoot. */
export const MAX_INPUT_PIXELS = 200_000_000;

/** A problem with one photo, worded for the person who owns it; the run goes on with the next photo. */
export class PhotoError extends Error {
  override name = 'PhotoError';
}

/**
 * What a decoder found wrong with a file's content, already worded as the reason a person reads ("its bit depth (7
 * bits per pixel) is not supported"); `describe` names the file around it.
 */
export class ImageFault extends Error {
  override name = 'ImageFault';
}

/** The reasons more than one place gives, worded once. */
export const REASONS = {
  folder: 'it is a folder, not a photo',
  empty: 'the file is empty (0 bytes)',
  tooLarge: `the image is too large (the limit is ${MAX_INPUT_PIXELS / 1e6} megapixels)`,
  truncated: 'the image is truncated (the file ends too early)',
  corrupt: 'the image is corrupt (its data is damaged)',
};

/**
 * Raised whenever failures are worded or told apart differently: a library tries its failed photos again once when
 * it changes (a failure is otherwise final until its file changes), so no reason an older Phototag gave stays.
 */
export const FAILURE_RULES = 2;

/**
 * What sharp says when libvips warned with failOn set; the warnings it appends are those queued in the whole process
 * by then, which may be another photo's (or none, when another decode took them): only this prefix is the photo's.
 */
const WARNING_AS_ERROR = /^Warning treated as error due to failOn setting/;

const MESSAGE_REASONS: [RegExp, string][] = [
  [WARNING_AS_ERROR, REASONS.corrupt],
  [/Input file is missing|ENOENT/i, 'the file no longer exists'],
  [/EACCES|EPERM|permission denied/i, 'the file cannot be read (permission denied)'],
  [/EISDIR/i, REASONS.folder],
  // What open() says of a socket.
  [/ENXIO/i, 'it is a socket, not a photo file'],
  [/empty|zero.?length/i, REASONS.empty],
  [/pixel limit|too large/i, REASONS.tooLarge],
  [
    /unsupported image format|bad seek|not a known file format|not a HEIC image/i,
    'it is not an image, or its format is not supported',
  ],
  [/premature end|truncated|unexpected end|short read|end of file|EOF/i, REASONS.truncated],
];

/**
 * The reason an error's message gives. libvips' own words are not repeated: they come from buffers the whole process
 * shares, which another decode may have cleared or added to, so the same damaged file would read differently from
 * one run to the next.
 */
export function messageReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return MESSAGE_REASONS.find(([pattern]) => pattern.test(message))?.[1] ?? REASONS.corrupt;
}

/** The error a person reads for `what` (a file's path), whatever went wrong reading or decoding it. */
export function describe(error: unknown, what: string): PhotoError {
  if (error instanceof PhotoError) return error;
  const reason = error instanceof ImageFault ? error.message : messageReason(error);
  return new PhotoError(`Cannot read ${what}: ${reason}.`, { cause: error });
}
