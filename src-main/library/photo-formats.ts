import { extname } from 'node:path';

/**
 * File extensions of the photos the library picks up (lowercase, with the dot): everything the decoder reads,
 * sharp's formats plus BMP/DIB and HEIC/HEIF through the foreign decoders. The scanner and the watcher both ask here.
 */
export const PHOTO_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.bmp',
  '.dib',
  '.heic',
  '.heif',
]);

/** Whether a file name or path names a photo, by its extension in any case ("IMG_0001.JPG" counts). */
export function isPhotoPath(path: string): boolean {
  return PHOTO_EXTENSIONS.has(extname(path).toLowerCase());
}
