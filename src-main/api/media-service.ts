import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { PhotoRow } from '../db/photo-repository.js';
import { concurrencyLimit } from '../imaging/concurrency-limit.js';
import { decodePhoto } from '../imaging/decode.js';
import { PhotoFile } from '../imaging/photo-file.js';
import { folderPrefix } from '../library/folder-rules.js';
import type { Library } from '../library/library.js';
import { thumbnailPath } from '../pipeline/tagging-pipeline.js';
import { parseMediaPath, thumbVersionOf } from './contract.js';

/** Photos the browser cannot show (BMP, HEIC, TIFF) are converted to a JPEG this large on their shorter side. */
const CONVERTED_SHORTER_SIDE = 2048;

interface MediaHeaders {
  contentType: string;
  etag: string;
  cacheControl: string;
}

/** What to send: a file to stream as it is, or bytes made for the occasion (a thumbnail, a converted photo). */
export type Media = MediaHeaders & ({ file: string; size: number } | { body: Buffer });

/** Why nothing is sent: 400 a malformed media path, 404 nothing the library knows, 415 a photo that cannot be shown. */
export class MediaError extends Error {
  constructor(
    readonly status: 400 | 404 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** Sniffs the formats every browser shows, so the Content-Type always names what the bytes are. */
function browserImageType(head: Buffer): string | undefined {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
  if (head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  if (head.toString('latin1', 4, 8) === 'ftyp' && ['avif', 'avis'].includes(head.toString('latin1', 8, 12))) {
    return 'image/avif';
  }
  return undefined;
}

/**
 * Thumbnails and photos by id, for the web server's /media route and the desktop app's protocol alike. Only a
 * photo the library knows, inside one of its folders and readable as an image, is ever served; no path from a
 * request reaches the file system.
 */
export class MediaService {
  /**
   * Conversions at once: each may decode a photo of up to 200 megapixels, so a burst of requests for them waits its
   * turn instead of filling memory, and leaves cores to tagging and the API.
   */
  private readonly conversions = concurrencyLimit(2);

  constructor(private readonly library: Library) {}

  /** `path` is what follows the media root ("thumb/42"); `version` the ?v= a tile's URL carries. */
  async resolve(path: string, version?: string | null): Promise<Media> {
    const media = parseMediaPath(path);
    if (!media) throw new MediaError(400, 'Media is served by kind and numeric photo id only (thumb/42, photo/42).');
    const photo = this.knownPhoto(media.photoId);
    return media.kind === 'thumb' ? this.thumbnail(photo, version) : this.photo(photo);
  }

  private knownPhoto(id: number): PhotoRow {
    const photo = this.library.repo.photoById(id);
    if (!photo || photo.status === 'missing' || photo.status === 'failed') throw new MediaError(404, 'No such photo.');
    const folder = this.library.repo.folders().find((candidate) => candidate.id === photo.folderId);
    const root = folder && folderPrefix(folder.path);
    if (!root || !photo.path.startsWith(root)) throw new MediaError(404, 'No such photo.');
    return photo;
  }

  private async thumbnail(photo: PhotoRow, version: string | null | undefined): Promise<Media> {
    if (!photo.fingerprint || !/^[0-9a-f]{64}$/.test(photo.fingerprint)) {
      throw new MediaError(404, 'This photo has no thumbnail yet.');
    }
    let body: Buffer;
    try {
      body = await readFile(thumbnailPath(this.library.thumbnailsDir, photo.fingerprint));
    } catch {
      throw new MediaError(404, 'This photo has no thumbnail yet.');
    }
    // A URL naming the current version never changes meaning: the browser may keep it (smooth scrolling back).
    const current = version === thumbVersionOf(photo.fingerprint);
    return {
      body,
      contentType: 'image/jpeg',
      etag: `"${photo.fingerprint}"`,
      cacheControl: current ? 'private, max-age=31536000, immutable' : 'private, no-cache',
    };
  }

  private async photo(photo: PhotoRow): Promise<Media> {
    let file: PhotoFile;
    let head: Buffer;
    try {
      file = await PhotoFile.open(photo.path);
      try {
        head = await file.read(0, 16);
      } finally {
        await file.close();
      }
    } catch {
      throw new MediaError(404, 'The photo file is gone.');
    }
    const headers = { etag: `"${file.size}-${Math.trunc(file.mtimeMs)}"`, cacheControl: 'private, no-cache' };
    const type = browserImageType(head);
    if (type) return { ...headers, file: photo.path, size: file.size, contentType: type };
    try {
      const body = await this.conversions(() => convertForBrowser(photo.path));
      return { ...headers, body, contentType: 'image/jpeg' };
    } catch (error) {
      throw new MediaError(415, (error as Error).message);
    }
  }
}

/** A JPEG of a photo the browser cannot show, from the same bounded decode as tagging (shrunk on load, capped). */
async function convertForBrowser(path: string): Promise<Buffer> {
  const decoded = await decodePhoto(path, CONVERTED_SHORTER_SIDE);
  return sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 3 } })
    .jpeg({ quality: 88, mozjpeg: true })
    .toBuffer();
}
