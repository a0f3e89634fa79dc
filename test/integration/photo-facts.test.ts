import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PhotoFile, withPhotoFile } from '../../src-main/imaging/photo-file.js';
import { fingerprint } from '../../src-main/pipeline/photo-facts.js';
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
