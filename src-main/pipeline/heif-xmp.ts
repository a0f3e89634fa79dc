import type { ByteSource } from '../imaging/photo-file.js';
import { MAX_XMP_BYTES } from '../xmp/xmp-document.js';

/**
 * The XMP packet inside a HEIC, HEIF or AVIF (ISO-BMFF): exifr finds none there, as the packet is an item of the
 * file's `meta` box (an `infe` of type `mime`, content type application/rdf+xml, located by `iloc`), not a
 * segment. The file is untrusted: every size and offset is checked against its container and the file, only the
 * `meta` box is read whole (up to MAX_META_BYTES), and the packet up to MAX_XMP_BYTES.
 */

/** An iPhone's `meta` box is a few KiB (its item tables); a grid of thousands of tiles stays well under this. */
const MAX_META_BYTES = 4 * 1024 * 1024;
/** `ftyp` and `meta` come first in every HEIF writer's files; a file that has none by then is not read further. */
const MAX_TOP_LEVEL_BOXES = 64;
const XMP_CONTENT_TYPE = 'application/rdf+xml';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

interface Box {
  type: string;
  /** Where its content starts and ends, after its header. */
  start: number;
  end: number;
}

/** Bounds-checked big-endian reads of one box's content; `what` names the box in the error. */
class Cursor {
  constructor(
    private readonly bytes: Buffer,
    public at: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  private take(count: number): number {
    if (this.at + count > this.end) throw new Error(`its ${this.what} is truncated`);
    const at = this.at;
    this.at += count;
    return at;
  }

  skip(count: number): void {
    this.take(count);
  }

  uint(size: number): number {
    if (size === 0) return 0;
    if (size === 1) return this.bytes.readUInt8(this.take(1));
    if (size === 2) return this.bytes.readUInt16BE(this.take(2));
    if (size === 4) return this.bytes.readUInt32BE(this.take(4));
    if (size !== 8) throw new Error(`its ${this.what} gives a field size of ${size} bytes`);
    const value = this.bytes.readBigUInt64BE(this.take(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`its ${this.what} gives an offset past any file`);
    return Number(value);
  }

  fourcc(): string {
    const at = this.take(4);
    return this.bytes.toString('latin1', at, at + 4);
  }

  /** A NUL-terminated string; one that runs to the end of the box is taken as ending there. */
  cstring(): string {
    const nul = this.bytes.indexOf(0, this.at);
    const stop = nul < 0 || nul >= this.end ? this.end : nul;
    const text = this.bytes.toString('utf8', this.at, stop);
    this.at = Math.min(stop + 1, this.end);
    return text;
  }
}

/**
 * The header of the box at `at`, whose container ends at `end`: a 32-bit size, or 1 and a 64-bit size, or 0 for
 * "to the end of the container". A box smaller than its header or past its container is refused.
 */
function boxAt(header: Buffer, at: number, end: number, container: string): Box {
  const cursor = new Cursor(header, 0, header.length, `${container}'s last box header`);
  let size = cursor.uint(4);
  const type = cursor.fourcc();
  if (size === 1) size = cursor.uint(8);
  else if (size === 0) size = end - at;
  if (size < cursor.at || at + size > end) throw new Error(`its '${type}' box runs past the end of its ${container}`);
  return { type, start: at + cursor.at, end: at + size };
}

/** The child boxes of a box already read into `bytes`, from `start` to `end`. */
function childBoxes(bytes: Buffer, start: number, end: number, container: string): Box[] {
  const boxes: Box[] = [];
  for (let at = start; at < end; at = boxes[boxes.length - 1]!.end) {
    boxes.push(boxAt(bytes.subarray(at, Math.min(at + 16, end)), at, end, `${container} box`));
  }
  return boxes;
}

/** The file's top-level `meta` box, read whole, with its content's bounds in that buffer; undefined when none. */
async function readMeta(source: ByteSource): Promise<{ bytes: Buffer; box: Box } | undefined> {
  let at = 0;
  for (let count = 0; count < MAX_TOP_LEVEL_BOXES && at < source.size; count++) {
    const box = boxAt(await source.read(at, 16), at, source.size, 'file');
    if (box.type === 'meta') {
      if (box.end - at > MAX_META_BYTES) throw new Error(`its meta box is over ${MAX_META_BYTES / 1024 / 1024} MiB`);
      const bytes = await source.read(at, box.end - at);
      return { bytes, box: { type: box.type, start: box.start - at, end: box.end - at } };
    }
    at = box.end;
  }
  return undefined;
}

/** The id of the first unprotected `mime` item whose content type is XMP's, from the `iinf` box. */
function xmpItemId(bytes: Buffer, iinf: Box): number | undefined {
  const cursor = new Cursor(bytes, iinf.start, iinf.end, 'iinf box');
  const version = cursor.uint(1);
  cursor.skip(3);
  cursor.skip(version === 0 ? 2 : 4);
  for (const infe of childBoxes(bytes, cursor.at, iinf.end, 'iinf')) {
    if (infe.type !== 'infe') continue;
    const entry = new Cursor(bytes, infe.start, infe.end, 'infe box');
    const infeVersion = entry.uint(1);
    entry.skip(3);
    // Versions 0 and 1 have no item type, so no mime items.
    if (infeVersion < 2) continue;
    const id = entry.uint(infeVersion === 2 ? 2 : 4);
    const protectedBy = entry.uint(2);
    if (entry.fourcc() !== 'mime' || protectedBy !== 0) continue;
    entry.cstring();
    if (entry.cstring() === XMP_CONTENT_TYPE) return id;
  }
  return undefined;
}

interface Extent {
  offset: number;
  length: number;
}

/** Where item `id`'s bytes lie in the file, from the `iloc` box; undefined when it lists no such item. */
function itemExtents(bytes: Buffer, iloc: Box, id: number, fileSize: number): Extent[] | undefined {
  const cursor = new Cursor(bytes, iloc.start, iloc.end, 'iloc box');
  const version = cursor.uint(1);
  cursor.skip(3);
  if (version > 2) throw new Error(`its iloc box is of version ${version}, which Phototag does not know`);
  const sizes = cursor.uint(1);
  const moreSizes = cursor.uint(1);
  const [offsetSize, lengthSize, baseOffsetSize] = [sizes >> 4, sizes & 15, moreSizes >> 4];
  const indexSize = version === 0 ? 0 : moreSizes & 15;
  if ([offsetSize, lengthSize, baseOffsetSize, indexSize].some((size) => size !== 0 && size !== 4 && size !== 8)) {
    throw new Error('its iloc box gives a field size other than 0, 4 or 8 bytes');
  }
  // Each item takes bytes of the box, so a count that lies runs into its end instead of into memory.
  const count = cursor.uint(version < 2 ? 2 : 4);
  for (let item = 0; item < count; item++) {
    const itemId = cursor.uint(version < 2 ? 2 : 4);
    const construction = version === 0 ? 0 : cursor.uint(2) & 15;
    const dataReference = cursor.uint(2);
    const baseOffset = cursor.uint(baseOffsetSize);
    const extentCount = cursor.uint(2);
    const extents: Extent[] = [];
    for (let extent = 0; extent < extentCount; extent++) {
      cursor.uint(indexSize);
      const offset = baseOffset + cursor.uint(offsetSize);
      const length = cursor.uint(lengthSize);
      if (itemId === id) extents.push({ offset, length: length === 0 ? fileSize - offset : length });
    }
    if (itemId !== id) continue;
    if (construction !== 0 || dataReference !== 0) {
      throw new Error(
        'its XMP item is stored in another way than at an offset of the file, which Phototag does not read',
      );
    }
    return extents;
  }
  return undefined;
}

/** The XMP packet of a HEIF file as text; undefined when it is no HEIF file or has none. Throws a reason. */
export async function readHeifXmp(source: ByteSource): Promise<string | undefined> {
  const start = await source.read(0, 8);
  if (start.length < 8 || start.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  const meta = await readMeta(source);
  if (!meta) return undefined;
  const { bytes, box } = meta;
  // `meta` is a full box: a version and flags before its children.
  const children = childBoxes(bytes, box.start + 4, box.end, 'meta');
  const iinf = children.find((child) => child.type === 'iinf');
  const iloc = children.find((child) => child.type === 'iloc');
  const id = iinf && xmpItemId(bytes, iinf);
  if (id === undefined || !iloc) return undefined;
  const extents = itemExtents(bytes, iloc, id, source.size);
  if (!extents) return undefined;
  let total = 0;
  for (const { offset, length } of extents) {
    if (length < 0 || offset + length > source.size) throw new Error('its XMP item lies past the end of the file');
    total += length;
    if (total > MAX_XMP_BYTES) throw new Error(`its XMP is over ${MAX_XMP_BYTES / 1024 / 1024} MiB`);
  }
  const packet = Buffer.concat(await Promise.all(extents.map(({ offset, length }) => source.read(offset, length))));
  try {
    return UTF8.decode(packet);
  } catch (error) {
    throw new Error('its XMP is not UTF-8 text, as XMP is', { cause: error });
  }
}
