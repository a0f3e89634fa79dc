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
};

const MESSAGE_REASONS: [RegExp, string][] = [
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
  [
    /premature end|truncated|unexpected end|short read|end of file|EOF/i,
    'the image is truncated (the file ends too early)',
  ],
];

/** The error a person reads for `what` (a file's path), whatever went wrong reading or decoding it. */
export function describe(error: unknown, what: string): PhotoError {
  if (error instanceof PhotoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const reason =
    error instanceof ImageFault
      ? message
      : (MESSAGE_REASONS.find(([pattern]) => pattern.test(message))?.[1] ?? `the image is corrupt (${message.trim()})`);
  return new PhotoError(`Cannot read ${what}: ${reason}.`, { cause: error });
}
