import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import exifr from 'exifr';
import { bufferSource } from '../imaging/foreign-formats.js';
import { withPhotoFile, type ByteSource } from '../imaging/photo-file.js';
import { EXPOSURE_TAGS, exposureOf, type SceneExif } from '../scenes/scene-rules.js';
import { errorCode, fileErrorReason } from '../file-errors.js';
import { readSidecar } from '../xmp/sidecar-file.js';
import { foreignKeywords } from '../xmp/xmp-document.js';
import { readHeifXmp } from './heif-xmp.js';

const SAMPLE = 256 * 1024;

/**
 * A content fingerprint that finds a moved or renamed photo again: sha256 over the size and the first and last
 * 256 KiB. Camera files differ in their headers (EXIF time, thumbnail) and tails, so sampling is enough and keeps
 * the main thread free of hashing whole files. Only those samples are read: libraries store this, so it never changes.
 */
export async function fingerprint(file: ByteSource): Promise<string> {
  const hash = createHash('sha256')
    .update(String(file.size))
    .update(await file.read(0, SAMPLE));
  if (file.size > SAMPLE) hash.update(await file.read(Math.max(SAMPLE, file.size - SAMPLE), SAMPLE));
  return hash.digest('hex');
}

/**
 * One options object for every call: exifr caches its parsed settings per options object, in a map it never
 * clears, so a fresh object per photo leaked about 8 KB each (800 MB over 100,000 photos). Given a path, exifr
 * reads 512 bytes first by default, and a segment that crosses their end (a Photoshop IPTC block before the EXIF, as
 * in owl.jpg) makes it give up without a word: the first piece read is the fingerprint's, already in the page cache.
 */
const EXIF_OPTIONS = {
  pick: ['DateTimeOriginal', 'CreateDate', 'Make', 'Model', ...EXPOSURE_TAGS],
  reviveValues: false,
  firstChunkSize: SAMPLE,
};

export interface ExifFacts {
  /** Local time as the camera wrote it, "2021-07-04T18:22:05" (EXIF stores no time zone). */
  takenAt: string | null;
  camera: string | null;
  /** How the photo was exposed, for the scene rules (not stored). */
  exposure: Omit<SceneExif, 'camera'>;
}

/**
 * Date taken and camera from EXIF; a photo without EXIF, or with a broken block, simply has none. Given a path,
 * exifr reads the file itself, only the chunks that hold the EXIF block (256 KB first, then 64 KB each); given the bytes
 * already read, it reads nothing.
 */
export async function readExif(photo: string | Buffer): Promise<ExifFacts> {
  try {
    const tags = (await exifr.parse(photo, EXIF_OPTIONS)) as Record<string, unknown> | undefined;
    const when = String(tags?.DateTimeOriginal ?? tags?.CreateDate ?? '');
    const date = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(when);
    const make = typeof tags?.Make === 'string' ? tags.Make.trim() : '';
    const model = typeof tags?.Model === 'string' ? tags.Model.trim() : '';
    return {
      takenAt: date ? `${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}` : null,
      // Many cameras repeat the make in the model ("Canon" / "Canon EOS R5").
      camera: (model.toLowerCase().startsWith(make.toLowerCase()) ? model : `${make} ${model}`).trim() || null,
      exposure: exposureOf(tags),
    };
  } catch {
    return { takenAt: null, camera: null, exposure: exposureOf(undefined) };
  }
}

/**
 * One options object, as for EXIF: the photo's XMP packet as text (read with the same parser as sidecars, so what
 * Phototag wrote into it is told apart) and its IPTC keywords.
 */
const EMBEDDED_OPTIONS = { tiff: false, xmp: { parse: false }, iptc: true, reviveValues: false };

/** The photo's own XMP packet and IPTC keywords, from its path or its bytes; throws when the file cannot be read. */
async function readEmbedded(photo: string | Buffer): Promise<{ xmp: string | undefined; iptc: string[] }> {
  const tags = (await exifr.parse(photo, EMBEDDED_OPTIONS)) as { xmp?: unknown; Keywords?: unknown } | undefined;
  const iptc = ([] as unknown[]).concat(tags?.Keywords ?? []).filter((value) => typeof value === 'string');
  return { xmp: typeof tags?.xmp === 'string' ? tags.xmp : undefined, iptc: iptc.map((keyword) => keyword.trim()) };
}

/** The extensions of HEIF files (ISO-BMFF boxes), whose XMP heifXmp looks for. */
const HEIF_EXTENSIONS: ReadonlySet<string> = new Set(['.heic', '.heif', '.avif']);

/**
 * A HEIF file's XMP packet (an item of its meta box, where exifr does not look); undefined for other formats,
 * which are not opened again for it (a camera JPEG without XMP would cost a second open, on a share a round trip).
 */
function heifXmp(photo: string | Buffer, path: string): Promise<string | undefined> {
  if (!HEIF_EXTENSIONS.has(extname(path).toLowerCase())) return Promise.resolve(undefined);
  return typeof photo === 'string' ? withPhotoFile(photo, readHeifXmp) : readHeifXmp(bufferSource(photo));
}

/**
 * Keywords of the photo's own XMP packet and IPTC record. A photo that exifr cannot parse has none (its decode says
 * what is wrong with the file); one that cannot be read (a file-system error: permission, a lock, the disk) is a
 * problem, and so is an XMP packet that cannot be parsed, whose IPTC keywords still count.
 */
async function embeddedKeywords(photo: string | Buffer, path: string, problems: Problems): Promise<string[]> {
  let embedded: Awaited<ReturnType<typeof readEmbedded>>;
  try {
    embedded = await readEmbedded(photo);
  } catch (error) {
    if (isFileError(error)) problems.add(`Cannot read the keywords in ${path}: ${fileErrorReason(error)}.`, error);
    return [];
  }
  try {
    const xmp = embedded.xmp ?? (await heifXmp(photo, path));
    return [...(xmp === undefined ? [] : foreignKeywords(xmp)), ...embedded.iptc];
  } catch (error) {
    problems.add(`Cannot read the XMP in ${path}: ${fileErrorReason(error)}.`, error);
    return embedded.iptc;
  }
}

/** Whether an error (or the one it wraps) is a file system's: the file may read another time, unlike a bad format. */
const isFileError = (error: unknown): boolean =>
  errorCode(error) !== undefined || (error instanceof Error && errorCode(error.cause) !== undefined);

/** The problems met reading a photo's keywords, and whether one was a file that could not be read. */
class Problems {
  readonly messages: string[] = [];
  readable = true;

  add(message: string, error: unknown): void {
    this.messages.push(message);
    if (isFileError(error)) this.readable = false;
  }
}

/**
 * Keywords of the photo's XMP sidecar and the stamp of the sidecar read (null: it has none); one that cannot be read
 * or parsed gives none, and is a problem.
 */
async function sidecarKeywords(
  path: string,
  problems: Problems,
): Promise<{ keywords: string[]; stamp: string | null }> {
  let sidecar: Awaited<ReturnType<typeof readSidecar>>;
  try {
    sidecar = await readSidecar(path);
  } catch (error) {
    problems.add((error as Error).message, error);
    return { keywords: [], stamp: null };
  }
  if (!sidecar) return { keywords: [], stamp: null };
  try {
    return { keywords: foreignKeywords(sidecar.xml), stamp: sidecar.stamp };
  } catch (error) {
    problems.add(`Cannot read ${sidecar.path}: ${(error as Error).message}.`, error);
    return { keywords: [], stamp: sidecar.stamp };
  }
}

export interface FileKeywords {
  keywords: string[];
  /** Why some were not read: a sentence naming the sidecar or photo, for a warning; the photo is tagged anyway. */
  problems: string[];
  /**
   * The stamp of the sidecar the keywords were read from (see sidecarStamp), null when it has none: stored with
   * them, so that a scan reads them again when the sidecar on disk is another.
   */
  sidecar: string | null;
  /**
   * False when the photo or its sidecar could not be read (permission, a lock, the disk): the keywords are not all
   * there, so the ones stored stay, to be read again at the next scan.
   */
  readable: boolean;
}

/**
 * The keywords already in a photo (its XMP and IPTC) and in its XMP sidecar, as another program or the user wrote
 * them: those Phototag wrote itself (recorded in its namespace) are left out, so its own guesses never come back
 * as the user's truth. Each keyword once, ignoring case, in the order found. `bytes`, the photo's own when already
 * read, spare reading it again.
 */
export async function readKeywords(path: string, bytes?: Buffer): Promise<FileKeywords> {
  const problems = new Problems();
  const [embedded, sidecar] = await Promise.all([
    embeddedKeywords(bytes ?? path, path, problems),
    sidecarKeywords(path, problems),
  ]);
  const seen = new Set<string>();
  const keywords = [...embedded, ...sidecar.keywords].filter((keyword) => {
    const key = keyword.toLowerCase();
    if (!keyword || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { keywords, problems: problems.messages, sidecar: sidecar.stamp, readable: problems.readable };
}
