import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { describe, ImageFault, REASONS } from './photo-error.js';

/** Bytes that can be read at any position: an open photo file, a descriptor in a worker, a buffer. */
export interface ByteSource {
  /** How many bytes it holds (for a file: what its descriptor reported when opened). */
  readonly size: number;
  /** Up to `length` bytes from `position`, never past `size`; fewer where a file ends early. */
  read(position: number, length: number): Promise<Buffer>;
}

/**
 * Reads `length` bytes from `position` with `readAt` (one read call of a descriptor), never past `size` whatever the
 * file holds, and stops where it ends early.
 */
export async function readWithin(
  size: number,
  position: number,
  length: number,
  readAt: (buffer: Buffer, offset: number, length: number, position: number) => Promise<number>,
): Promise<Buffer> {
  const wanted = Math.max(0, Math.min(length, size - position));
  const buffer = Buffer.alloc(wanted);
  let filled = 0;
  while (filled < wanted) {
    const bytesRead = await readAt(buffer, filled, wanted - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Why a file that is not a regular file is refused; undefined for a regular file. */
function notRegular(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return REASONS.folder;
  if (stats.isFIFO()) return 'it is a named pipe (FIFO), not a photo file';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'it is a device, not a photo file';
  if (stats.isSocket()) return 'it is a socket, not a photo file';
  return 'it is not a regular file';
}

/**
 * A photo opened for reading: a regular file with a size above 0. Every read stays within the size the open
 * descriptor reported, so a pseudo file (/proc/self/pagemap reports 0 bytes and holds gigabytes) or a file that
 * grows while it is read never costs more memory than its size said.
 */
export class PhotoFile implements ByteSource {
  /**
   * The whole file, once one read has covered it, that later reads are cut from: a small photo's first piece for
   * its fingerprint is all of it, which its decode, EXIF and keywords take next, and reading it again was a second
   * round trip to the disk for bytes in hand (and could differ from what the fingerprint hashed, were the file
   * written over between). Readers share these bytes: nobody writes into what a read gives.
   */
  private whole: Buffer | undefined;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}

  /** Opens `path` and checks what the descriptor is; a missing, unreadable or non-regular file gets its reason. */
  static async open(path: string): Promise<PhotoFile> {
    let handle: FileHandle | undefined;
    try {
      // Non-blocking: opening a named pipe for reading would otherwise wait for a writer that never comes.
      // (Windows has no O_NONBLOCK, and no named pipes in folders.)
      handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
      const stats = await handle.stat();
      const refused = notRegular(stats);
      if (refused) throw new ImageFault(refused);
      if (stats.size === 0) throw new ImageFault(REASONS.empty);
      return new PhotoFile(path, handle, stats.size, stats.mtimeMs);
    } catch (error) {
      await handle?.close();
      throw describe(error, path);
    }
  }

  /** The descriptor, for a worker thread of this process to read from (they share descriptors). */
  get fd(): number {
    return this.handle.fd;
  }

  async read(position: number, length: number): Promise<Buffer> {
    if (this.whole) return this.whole.subarray(position, position + length);
    const bytes = await readWithin(this.size, position, length, async (buffer, offset, count, at) => {
      const { bytesRead } = await this.handle.read(buffer, offset, count, at);
      return bytesRead;
    });
    if (position === 0 && bytes.length === this.size) this.whole = bytes;
    return bytes;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Opens `path` as a PhotoFile for the length of `use`, closing it whatever happens. */
export async function withPhotoFile<T>(path: string, use: (file: PhotoFile) => Promise<T>): Promise<T> {
  const file = await PhotoFile.open(path);
  try {
    return await use(file);
  } finally {
    await file.close();
  }
}
