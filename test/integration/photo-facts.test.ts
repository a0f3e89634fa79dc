import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PhotoFile, withPhotoFile } from '../../src-main/imaging/photo-file.js';
import { fingerprint, readExif, readKeywords } from '../../src-main/pipeline/photo-facts.js';
import { PHOTOS_DIR, tempDir } from '../helpers.js';

const SAMPLE = 256 * 1024;

/** The fingerprint as libraries have stored it so far, computed over the whole file in memory. */
function wholeFileFingerprint(bytes: Buffer): string {
  const hash = createHash('sha256').update(String(bytes.length)).update(bytes.subarray(0, SAMPLE));
  if (bytes.length > SAMPLE) hash.update(bytes.subarray(Math.max(SAMPLE, bytes.length - SAMPLE)));
  return hash.digest('hex');
}

describe('the content fingerprint', () => {
  it('read from the file is the one libraries already store, for photos of every size', async () => {
    const dir = tempDir();
    const photos = readdirSync(PHOTOS_DIR)
      .filter((name) => /\.(jpg|bmp)$/.test(name))
      .map((name) => join(PHOTOS_DIR, name));
    // Around the samples' edges: a head only, a tail overlapping it, a tail of its own.
    const big = readFileSync(join(PHOTOS_DIR, 'kite_and_cold.jpg'));
    for (const size of [1, SAMPLE - 1, SAMPLE, SAMPLE + 1, 2 * SAMPLE - 1, 2 * SAMPLE, 2 * SAMPLE + 1, 400_000]) {
      const file = join(dir, `first-${size}.jpg`);
      writeFileSync(file, big.subarray(0, size));
      photos.push(file);
    }
    for (const file of photos) {
      assert.equal(await withPhotoFile(file, fingerprint), wholeFileFingerprint(readFileSync(file)), file);
    }
  });

  it('never reads past the size the file had when it was opened', async () => {
    const file = join(tempDir(), 'growing.jpg');
    const bytes = readFileSync(join(PHOTOS_DIR, 'parrot.jpg'));
    writeFileSync(file, bytes);
    const opened = await PhotoFile.open(file);
    try {
      writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(SAMPLE, 1)]));
      assert.equal(await fingerprint(opened), wholeFileFingerprint(bytes));
    } finally {
      await opened.close();
    }
  });
});

/**
 * `photo` with comment segments put in before its first scan, until the file is over `size` bytes: the same image,
 * and the same metadata segments first, in a file big enough to be read by path, not whole.
 */
function paddedJpeg(photo: Buffer, size: number): Buffer {
  let scan = 2;
  while (photo[scan + 1] !== 0xda) scan += 2 + photo.readUInt16BE(scan + 2);
  const comment = Buffer.alloc(0xfffd + 2, 0x20);
  comment.writeUInt16BE(0xfffe, 0);
  comment.writeUInt16BE(0xfffd, 2);
  const comments = Array.from({ length: Math.ceil(size / comment.length) }, () => comment);
  return Buffer.concat([photo.subarray(0, scan), ...comments, photo.subarray(scan)]);
}

describe('the date taken, camera and keywords read from a photo by its path', () => {
  // owl.jpg's IPTC block (from Photoshop) comes before its EXIF, across the end of the first piece exifr reads.
  const owl = readFileSync(join(PHOTOS_DIR, 'owl.jpg'));
  const file = join(tempDir(), 'owl-big.jpg');
  writeFileSync(file, paddedJpeg(owl, 2 * 1024 * 1024));

  it('are those read from its bytes, when an IPTC block comes before the EXIF', async () => {
    assert.deepEqual(await readExif(file), await readExif(owl));
    assert.equal((await readExif(file)).takenAt, '2014-01-15T16:31:41');
    assert.deepEqual(await readKeywords(file), {
      keywords: ['Brasil', 'Brazil Trip', 'beach', 'praia'],
      problems: [],
      sidecar: null,
      readable: true,
    });
  });
});
