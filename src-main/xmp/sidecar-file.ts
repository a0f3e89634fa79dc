import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { mergeXmp, type XmpTag } from './xmp-document.js';

/**
 * Where a photo's sidecar may be, in the order Phototag looks: `photo.jpg.xmp` (digiKam's and darktable's name,
 * ExifTool's `%f.%e.xmp`), then `photo.xmp` (Lightroom's and Capture One's, and digiKam's "compatible with
 * commercial programs" setting). Phototag writes the first: it keeps the extension, so photo.jpg and photo.png
 * (or a RAW and its JPEG) never share a sidecar; Lightroom reads keywords of a JPEG, TIFF or HEIC from the file
 * itself, never from a sidecar, so its naming matters only for RAW files, which Phototag does not read.
 */
export function sidecarPaths(photoPath: string): [string, string] {
  const stem = basename(photoPath, extname(photoPath));
  return [`${photoPath}.xmp`, join(dirname(photoPath), `${stem}.xmp`)];
}

/** The photo's existing sidecar (under either name) and its text, or undefined when it has none. */
export async function readSidecar(photoPath: string): Promise<{ path: string; xml: string } | undefined> {
  for (const path of sidecarPaths(photoPath)) {
    try {
      return { path, xml: await readFile(path, 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return undefined;
}

export type WriteOutcome = 'written' | 'unchanged';

/**
 * Merges the tags into the photo's sidecar (the one it has, else a new `photo.jpg.xmp`), keeping everything other
 * programs wrote there. Written atomically (a temporary file renamed over it) and only when the bytes change; a
 * photo with no tags and no sidecar gets none. The photo itself is never opened.
 */
export async function writeSidecar(photoPath: string, tags: XmpTag[]): Promise<WriteOutcome> {
  const existing = await readSidecar(photoPath);
  if (!existing && tags.length === 0) return 'unchanged';
  const path = existing?.path ?? sidecarPaths(photoPath)[0];
  let xml: string;
  try {
    xml = mergeXmp(existing?.xml, tags);
  } catch (error) {
    throw new Error(`Cannot merge into ${path}: ${(error as Error).message}.`, { cause: error });
  }
  if (xml === existing?.xml) return 'unchanged';
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, xml);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`Cannot write ${path}: ${(error as Error).message}.`, { cause: error });
  }
  return 'written';
}
