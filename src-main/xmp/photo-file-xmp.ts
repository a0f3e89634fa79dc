import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { ExifTool } from 'exiftool-vendored';
import type { WriteOutcome } from './sidecar-file.js';
import { mergeXmp, xmpFacts, type XmpTag } from './xmp-document.js';

/** The formats whose files Phototag writes XMP into (ExifTool writes them in place, keeping everything else). */
const WRITABLE = new Set(['.jpg', '.jpeg', '.tif', '.tiff', '.heic', '.heif', '.dng']);

const BASE64 = 'base64:';

export const canWriteInto = (path: string) => WRITABLE.has(extname(path).toLowerCase());

/**
 * Writes tags into photo files' own XMP through ExifTool (exiftool-vendored, which runs its bundled ExifTool with
 * Perl; started on first use, one process). The photo's packet is merged exactly as a sidecar is, so what other
 * programs wrote stays, and ExifTool replaces the file only once the new one is complete: a file whose write fails
 * is left as it was.
 */
export class PhotoFileXmp {
  private exiftool: Promise<ExifTool> | undefined;

  private tool(): Promise<ExifTool> {
    this.exiftool ??= import('exiftool-vendored').then(({ ExifTool }) => new ExifTool({ maxProcs: 1 }));
    return this.exiftool;
  }

  /** Merges the tags into the photo's XMP; `keepOriginal` leaves ExifTool's copy of the file as `<name>_original`. */
  async write(path: string, tags: XmpTag[], keepOriginal: boolean): Promise<WriteOutcome> {
    // A file its owner made read-only is theirs to protect, whoever runs Phototag (root ignores the mode).
    if (((await stat(path)).mode & 0o200) === 0) throw new Error(`Cannot write into ${path}: the file is read-only.`);
    let existing: string | undefined;
    let merged: string;
    try {
      existing = await this.embeddedXmp(path);
      if (existing === undefined && tags.length === 0) return 'unchanged';
      merged = mergeXmp(existing, tags);
    } catch (error) {
      throw new Error(`Cannot read the XMP of ${path}: ${(error as Error).message}.`, { cause: error });
    }
    // ExifTool lays out a packet its own way: compare what the merge decides, not bytes.
    if (xmpFacts(existing) === xmpFacts(merged)) return 'unchanged';
    const folder = await mkdtemp(join(tmpdir(), 'phototag-xmp-'));
    try {
      const packet = join(folder, 'packet.xmp');
      await writeFile(packet, merged);
      const writeArgs = [`-XMP<=${packet}`, ...(keepOriginal ? [] : ['-overwrite_original'])];
      await (await this.tool()).write(path, {}, { writeArgs });
    } catch (error) {
      throw new Error(`Cannot write into ${path}: ${(error as Error).message}.`, { cause: error });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    return 'written';
  }

  /**
   * The photo's own XMP packet as ExifTool, which writes it, finds it: exifr finds none in a HEIC, and merging into
   * nothing would replace what other programs wrote there.
   */
  private async embeddedXmp(path: string): Promise<string | undefined> {
    const read: Record<string, unknown> = await (await this.tool()).readRaw(path, { readArgs: ['-b', '-XMP'] });
    const packet = read.XMP;
    if (typeof packet !== 'string') return undefined;
    // ExifTool's JSON gives a packet that is not plain UTF-8 text (one padded with a NUL byte) in base64.
    return packet.startsWith(BASE64) ? Buffer.from(packet.slice(BASE64.length), 'base64').toString('utf8') : packet;
  }

  async close(): Promise<void> {
    const exiftool = this.exiftool;
    this.exiftool = undefined;
    if (exiftool) await (await exiftool).end();
  }
}
