import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { bufferSource } from '../../src-main/imaging/foreign-formats.js';
import { readHeifXmp } from '../../src-main/pipeline/heif-xmp.js';
import { photo, tempDir } from '../helpers.js';

const read = (bytes: Buffer) => readHeifXmp(bufferSource(bytes));

/** Where box `type` starts (its size field), the first one at or after `from`. */
function boxStart(bytes: Buffer, type: string, from = 0): number {
  const at = bytes.indexOf(type, from, 'latin1');
  assert.ok(at >= 4, `the HEIC has a '${type}' box`);
  return at - 4;
}

describe('the XMP packet inside a HEIC', () => {
  let heic: Buffer;
  before(() => {
    // A real HEIC (Debian's heif-enc) given keywords by Debian's ExifTool, as an iPhone or Lightroom would.
    const file = join(tempDir(), 'cat.heic');
    execFileSync('heif-enc', ['-q', '50', '-o', file, photo('cat_720p.jpg')]);
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Subject+=Grandma', file]);
    heic = readFileSync(file);
  });

  it('is read from its meta box', async () => {
    assert.match((await read(heic))!, /<rdf:li>Grandma<\/rdf:li>/);
  });

  it('is none in a file that is no HEIF, or a HEIF without one', async () => {
    assert.equal(await read(readFileSync(photo('cat_720p.jpg'))), undefined);
    assert.equal(await read(Buffer.alloc(0)), undefined);
    const plain = join(tempDir(), 'plain.heic');
    execFileSync('heif-enc', ['-q', '50', '-o', plain, photo('cat_720p.jpg')]);
    assert.equal(await read(readFileSync(plain)), undefined);
  });

  it('a file cut short in its meta box is refused with a reason', async () => {
    const meta = boxStart(heic, 'meta');
    for (const end of [meta + 6, meta + 40, boxStart(heic, 'iloc') + 20]) {
      await assert.rejects(read(heic.subarray(0, end)), /runs past the end of its file|is truncated/);
    }
  });

  it('a box larger than its container, or smaller than its header, is refused', async () => {
    for (const [type, size] of [
      ['iinf', 0x7fffffff],
      ['iloc', 3],
    ] as const) {
      const damaged = Buffer.from(heic);
      damaged.writeUInt32BE(size, boxStart(heic, type));
      await assert.rejects(read(damaged), new RegExp(`its '${type}' box runs past the end of its meta box`));
    }
  });

  it('a 64-bit size past any file, and a meta box over the cap, are refused without reading them', async () => {
    const meta = boxStart(heic, 'meta');
    const huge = Buffer.concat([heic.subarray(0, meta), Buffer.alloc(16), heic.subarray(meta)]);
    huge.writeUInt32BE(1, meta);
    huge.write('meta', meta + 4, 'latin1');
    huge.writeBigUInt64BE(2n ** 60n, meta + 8);
    await assert.rejects(read(huge), /gives an offset past any file/);

    // A meta box of size 0 runs to the end of the file; 5 MiB of it is over the cap.
    const toTheEnd = Buffer.concat([heic.subarray(0, meta), heic.subarray(meta), Buffer.alloc(5 * 1024 * 1024)]);
    toTheEnd.writeUInt32BE(0, meta);
    await assert.rejects(read(toTheEnd), /its meta box is over 4 MiB/);
  });

  it("an item count that lies, or an XMP item past the file's end or over 1 MiB, is refused", async () => {
    const iloc = boxStart(heic, 'iloc');
    const ilocEnd = iloc + heic.readUInt32BE(iloc);
    const version = heic.readUInt8(iloc + 8);
    // An XMP item iloc does not list, so that its count is read to the end.
    const counted = Buffer.from(heic);
    counted.writeUInt16BE(0x7777, heic.indexOf('mime', 0, 'latin1') - 4);
    if (version < 2) counted.writeUInt16BE(0xffff, iloc + 14);
    else counted.writeUInt32BE(0xffffffff, iloc + 14);
    await assert.rejects(read(counted), /its iloc box is truncated/);

    const xmpAt = heic.indexOf('<?xpacket', 0, 'latin1');
    await assert.rejects(read(heic.subarray(0, xmpAt + 10)), /its XMP item lies past the end of the file/);

    // ExifTool writes 32-bit offsets and lengths: the XMP extent's length, 2 MiB of a file that holds them.
    const offset = Buffer.alloc(4);
    offset.writeUInt32BE(xmpAt);
    const extent = heic.subarray(0, ilocEnd).indexOf(offset, iloc);
    assert.ok(extent > iloc, "the XMP item's extent is found in iloc");
    const large = Buffer.concat([heic, Buffer.alloc(2 * 1024 * 1024)]);
    large.writeUInt32BE(2 * 1024 * 1024, extent + 4);
    await assert.rejects(read(large), /its XMP is over 1 MiB/);
  });
});
