import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

describe('a scan that reads keywords again', () => {
  it('says how many photos had their keywords read again so far while it scans, not only at its end', async () => {
    const dir = tempDir();
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    // More photos than the scan records at once (1,000), so that it reads their keywords in more than one go; small
    // ones, as the keywords are read from each photo too.
    const small = join(dir, 'small.jpg');
    await sharp(photo('parrot.jpg')).resize(16, 16).jpeg().toFile(small);
    const names = Array.from({ length: 1100 }, (_, index) => `photo-${index}.jpg`);
    for (const name of names) copyFileSync(small, join(folder, name));
    const library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    });
    try {
      const added = library.addFolder(folder);
      await library.scan(added);
      // Another app gives every photo a sidecar, as an upgraded library's first scan finds them.
      const sidecar = join(dir, 'keyword.xmp');
      execFileSync('exiftool', ['-q', '-XMP-dc:Subject=Saved keyword', sidecar]);
      for (const name of names) copyFileSync(sidecar, join(folder, `${name}.xmp`));
      const heard: number[] = [];
      const summary = await library.scan(added, undefined, (count) => heard.push(count));
      assert.equal(summary.rereadKeywords, names.length);
      assert.ok(heard.length > 1, `heard ${heard.join(', ')}`);
      assert.deepEqual(
        heard,
        [...heard].sort((a, b) => a - b),
        'the count only grows',
      );
      assert.equal(heard.at(-1), names.length);
    } finally {
      await library.close();
    }
  });
});
