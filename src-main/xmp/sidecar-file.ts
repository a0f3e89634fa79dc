import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { fileErrorReason } from '../file-errors.js';
import { caseInsensitiveNames, comparable } from '../library/folder-rules.js';
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

/**
 * What a sidecar looked like (its size and modification time in whole milliseconds), stored with its photo when its
 * keywords were read, so that a scan finds a sidecar another program wrote, changed or deleted since.
 */
export const sidecarStamp = (stats: { size: number; mtimeMs: number }): string =>
  `${stats.size} ${Math.trunc(stats.mtimeMs)}`;

/**
 * Whether a path may be an XMP sidecar on some file system: `.xmp` in any case (Photo Mechanic writes `.XMP`), for
 * the watcher, which reacts to more than a folder's listing pairs rather than miss a sidecar.
 */
export const isSidecarPath = (path: string): boolean => path.slice(-4).toLowerCase() === '.xmp';

/** XMP is UTF-8 text (sidecars, as every app writes them); another encoding or binary bytes are refused. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A sidecar's text, and its stamp as it was read. */
interface SidecarText {
  xml: string;
  stamp: string;
}

/**
 * A sidecar's text, or undefined when there is none; a reason when it is no regular file (a named pipe is opened
 * without waiting for a writer), is over MAX_XMP_BYTES, or is not UTF-8.
 */
async function readSidecarText(path: string): Promise<SidecarText | undefined> {
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
      return { xml: UTF8.decode(await handle.readFile()), stamp: sidecarStamp(stats) };
    } catch (error) {
      if (error instanceof TypeError) throw new Error('it is not UTF-8 text, as XMP is', { cause: error });
      throw error;
    }
  } finally {
    await handle.close();
  }
}

/** A sidecar's text as readSidecarText gives it, its reason naming the sidecar. */
async function sidecarText(path: string): Promise<SidecarText | undefined> {
  try {
    return await readSidecarText(path);
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${fileErrorReason(error)}.`, { cause: error });
  }
}

/** Camera RAW formats, whose `photo.xmp` is Lightroom's sidecar of the RAW (Phototag reads none of them). */
const RAW_EXTENSIONS: ReadonlySet<string> = new Set(
  ['3fr', 'arw', 'cr2', 'cr3', 'crw', 'dcr', 'dng', 'erf', 'iiq', 'kdc', 'mef', 'mos', 'nef', 'nrw', 'orf', 'pef']
    .concat(['raf', 'raw', 'rw2', 'rwl', 'sr2', 'srf', 'srw', 'x3f'])
    .map((extension) => `.${extension}`),
);

/**
 * Which photo of a folder owns which sidecar, by the rules of sidecarPaths, from the names in the folder: a scan
 * learns it from the listing it makes anyway. `photo.xmp` is a photo's only while no other photo or RAW file of the
 * folder has the stem (photo.jpg beside photo.png would otherwise merge into it in turn, each overwriting the other's
 * values, as digiKam avoids by naming both `photo.<ext>.xmp`; beside photo.CR2 it is Lightroom's sidecar of the RAW,
 * never to be written with the JPEG's tags). A Live Photo's movie, an edit's .AAE or ExifTool's photo.jpg_original
 * leave it to the photo. Names compare as the file system does (caseInsensitive, the platform's default): where it
 * ignores case, IMG_1.JPG opens IMG_1.jpg.xmp and IMG_1.JPG.XMP as its own, so the listing pairs them too.
 */
export class FolderSidecars {
  /** The sidecars by their names as the file system compares them, each to its real name. */
  readonly #sidecars = new Map<string, string>();
  /**
   * The folder's other names, kept as they come: their stems matter only once the folder has a sidecar, and most
   * folders have none (a stem a photo cost a million-photo rescan time and memory for nothing).
   */
  readonly #others: string[] = [];
  /** The stems that two or more of the folder's photos and RAW files share, worked out at the first question. */
  #shared: Set<string> | undefined;
  readonly #key: (name: string) => string;

  constructor(caseInsensitive = caseInsensitiveNames) {
    this.#key = (name) => comparable(name, caseInsensitive);
  }

  add(name: string): void {
    const key = this.#key(name);
    if (key.endsWith('.xmp')) this.#sidecars.set(key, name);
    else this.#others.push(name);
    this.#shared = undefined;
  }

  /** The name of the sidecar the photo named `name` owns in the folder, or undefined when it has none. */
  of(name: string): string | undefined {
    if (this.#sidecars.size === 0) return undefined;
    const own = this.#sidecars.get(this.#key(`${name}.xmp`));
    if (own !== undefined) return own;
    const stem = this.#key(basename(name, extname(name)));
    const stemSidecar = this.#sidecars.get(`${stem}.xmp`);
    return stemSidecar !== undefined && !this.#sharedStems().has(stem) ? stemSidecar : undefined;
  }

  #sharedStems(): Set<string> {
    if (this.#shared) return this.#shared;
    const stems = new Set<string>();
    this.#shared = new Set<string>();
    for (const name of this.#others) {
      if (!isPhotoPath(name) && !RAW_EXTENSIONS.has(extname(name).toLowerCase())) continue;
      const stem = this.#key(basename(name, extname(name)));
      if (stems.has(stem)) this.#shared.add(stem);
      else stems.add(stem);
    }
    return this.#shared;
  }
}

/**
 * The path of the sidecar the folder's listing gives the photo (see FolderSidecars), listed once `photo.xmp` is
 * there (in some case), under its real name, so that reading it and the scan agree.
 */
async function listedSidecar(photoPath: string, caseInsensitive: boolean): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dirname(photoPath));
  } catch (error) {
    throw new Error(`Cannot list ${dirname(photoPath)}: ${fileErrorReason(error)}.`, { cause: error });
  }
  const sidecars = new FolderSidecars(caseInsensitive);
  for (const name of names) sidecars.add(name);
  const name = sidecars.of(basename(photoPath));
  return name === undefined ? undefined : join(dirname(photoPath), name);
}

/** Whether there is something at `path` (only the folder listed when `photo.xmp` exists). */
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The photo's existing sidecar (under either name, by the rules of sidecarPaths, names compared as FolderSidecars
 * does), its text and stamp, or undefined.
 */
export async function readSidecar(
  photoPath: string,
  caseInsensitive = caseInsensitiveNames,
): Promise<(SidecarText & { path: string }) | undefined> {
  const [own, stemSidecar] = sidecarPaths(photoPath);
  const ownText = await sidecarText(own);
  if (ownText !== undefined) return { path: own, ...ownText };
  const listed = (await exists(stemSidecar)) ? await listedSidecar(photoPath, caseInsensitive) : undefined;
  if (listed === undefined) return undefined;
  const text = await sidecarText(listed);
  return text === undefined ? undefined : { path: listed, ...text };
}

/**
 * The stamp of the photo's sidecar as it is now, or undefined when it has none (or it cannot be looked at: reading
 * it then says why): what the watcher records of a photo it reports, as a scan does from its listing.
 */
export async function currentSidecarStamp(
  photoPath: string,
  caseInsensitive = caseInsensitiveNames,
): Promise<string | undefined> {
  const [own, stemSidecar] = sidecarPaths(photoPath);
  const stampOf = (path: string) => stat(path).then(sidecarStamp, () => undefined);
  const ownStamp = await stampOf(own);
  if (ownStamp !== undefined) return ownStamp;
  if (!(await exists(stemSidecar))) return undefined;
  const listed = await listedSidecar(photoPath, caseInsensitive).catch(() => undefined);
  return listed === undefined ? undefined : stampOf(listed);
}

export type WriteOutcome = 'written' | 'unchanged';

/** What writeSidecar did, and the sidecar's stamp before (undefined: there was none) and after. */
export interface SidecarWrite {
  outcome: WriteOutcome;
  before: string | undefined;
  after: string | undefined;
}

/**
 * Merges the tags into the photo's sidecar (the one it has, else a new `photo.jpg.xmp`), keeping everything other
 * programs wrote there. Written atomically (a temporary file renamed over it) and only when the bytes change; a
 * photo with no tags and no sidecar gets none. The photo itself is never opened.
 */
export async function writeSidecar(photoPath: string, tags: XmpTag[]): Promise<SidecarWrite> {
  const existing = await readSidecar(photoPath);
  const unchanged: SidecarWrite = { outcome: 'unchanged', before: existing?.stamp, after: existing?.stamp };
  if (!existing && tags.length === 0) return unchanged;
  const path = existing?.path ?? sidecarPaths(photoPath)[0];
  let xml: string;
  try {
    xml = mergeXmp(existing?.xml, tags);
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}.`, { cause: error });
  }
  if (xml === existing?.xml) return unchanged;
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  let after: string;
  try {
    await writeFile(temporary, xml);
    // The renamed file keeps the temporary one's size and time; no other program has seen it yet.
    after = sidecarStamp(await stat(temporary));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`Cannot write ${path}: ${fileErrorReason(error)}.`, { cause: error });
  }
  return { outcome: 'written', before: existing?.stamp, after };
}
