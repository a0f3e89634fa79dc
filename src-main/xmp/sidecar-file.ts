import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { isPhotoPath } from '../library/photo-formats.js';
import { MAX_XMP_BYTES, mergeXmp, type XmpTag } from './xmp-document.js';

/**
 * Where a photo's sidecar may be, in the order Phototag looks: `photo.jpg.xmp` (digiKam's and darktable's name,
 * ExifTool's `%f.%e.xmp`), then `photo.xmp` (Lightroom's and Capture One's, and digiKam's "compatible with
 * commercial programs" setting), which belongs to the photo only while no other photo in its folder has its stem.
 * Phototag writes the first: it keeps the extension, so photo.jpg and photo.png (or a RAW and its JPEG) never
 * share a sidecar; Lightroom reads keywords of a JPEG, TIFF or HEIC from the file itself, never from a sidecar, so
 * its naming matters only for RAW files, which Phototag does not read.
 */
export function sidecarPaths(photoPath: string): [string, string] {
  const stem = basename(photoPath, extname(photoPath));
  return [`${photoPath}.xmp`, join(dirname(photoPath), `${stem}.xmp`)];
}

/** XMP is UTF-8 text (sidecars, as every app writes them); another encoding or binary bytes are refused. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A sidecar's text, or undefined when there is none; a reason when it is no regular file (a named pipe is opened
 * without waiting for a writer), is over MAX_XMP_BYTES, or is not UTF-8.
 */
async function readSidecarText(path: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error('it is not a regular file');
    if (stats.size > MAX_XMP_BYTES) throw new Error(`it is over ${MAX_XMP_BYTES / 1024 / 1024} MiB`);
    try {
      return UTF8.decode(await handle.readFile());
    } catch (error) {
      if (error instanceof TypeError) throw new Error('it is not UTF-8 text, as XMP is', { cause: error });
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/** A sidecar's text as readSidecarText gives it, its reason naming the sidecar. */
async function sidecarText(path: string): Promise<string | undefined> {
  try {
    return await readSidecarText(path);
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}.`, { cause: error });
  }
}

/** Camera RAW formats, whose `photo.xmp` is Lightroom's sidecar of the RAW (Phototag reads none of them). */
const RAW_EXTENSIONS: ReadonlySet<string> = new Set(
  ['3fr', 'arw', 'cr2', 'cr3', 'crw', 'dcr', 'dng', 'erf', 'iiq', 'kdc', 'mef', 'mos', 'nef', 'nrw', 'orf', 'pef']
    .concat(['raf', 'raw', 'rw2', 'rwl', 'sr2', 'srf', 'srw', 'x3f'])
    .map((extension) => `.${extension}`),
);

/**
 * Whether `photo.xmp` is this photo's: it exists and no other photo or RAW file of the folder has the stem
 * (photo.jpg beside photo.png would otherwise merge into it in turn, each overwriting the other's values, as digiKam
 * avoids by naming both `photo.<ext>.xmp`; beside photo.CR2 it is Lightroom's sidecar of the RAW, never to be
 * written with the JPEG's tags). A Live Photo's movie, an edit's .AAE or ExifTool's photo.jpg_original leave it to
 * the photo. The folder is listed only when there is such a sidecar.
 */
async function ownsStemSidecar(photoPath: string, stemSidecar: string): Promise<boolean> {
  try {
    await access(stemSidecar);
  } catch {
    return false;
  }
  const name = basename(photoPath);
  const stem = basename(name, extname(name));
  let names: string[];
  try {
    names = await readdir(dirname(photoPath));
  } catch (error) {
    throw new Error(`Cannot list ${dirname(photoPath)}: ${(error as Error).message}.`, { cause: error });
  }
  return !names.some(
    (other) =>
      other !== name &&
      (isPhotoPath(other) || RAW_EXTENSIONS.has(extname(other).toLowerCase())) &&
      basename(other, extname(other)) === stem,
  );
}

/** The photo's existing sidecar (under either name, by the rules of sidecarPaths) and its text, or undefined. */
export async function readSidecar(photoPath: string): Promise<{ path: string; xml: string } | undefined> {
  const [own, stemSidecar] = sidecarPaths(photoPath);
  const ownXml = await sidecarText(own);
  if (ownXml !== undefined) return { path: own, xml: ownXml };
  if (!(await ownsStemSidecar(photoPath, stemSidecar))) return undefined;
  const xml = await sidecarText(stemSidecar);
  return xml === undefined ? undefined : { path: stemSidecar, xml };
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
    throw new Error(`Cannot read ${path}: ${(error as Error).message}.`, { cause: error });
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
