import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

/**
 * A library of `count` small photos (the keywords are read from each photo too), scanned before they had sidecars;
 * `sidecarsOf` names each photo's sidecar, for another app to write, and `scan` scans the folder again.
 */
async function scannedLibrary(count: number) {
  const dir = tempDir();
  const folder = join(dir, 'photos');
  mkdirSync(folder);
  const small = join(dir, 'small.jpg');
  await sharp(photo('parrot.jpg')).resize(16, 16).jpeg().toFile(small);
  const names = Array.from({ length: count }, (_, index) => `photo-${index}.jpg`);
  for (const name of names) copyFileSync(small, join(folder, name));
  const library = Library.open({
    dbPath: join(dir, 'library.sqlite'),
    modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
  });
  const added = await library.addFolder(folder);
  await library.scan(added);
  return {
    library,
    count,
    sidecarsOf: () => names.map((name) => join(folder, `${name}.xmp`)),
    scan: (onReread?: (count: number) => void) => library.scan(added, onReread),
    fileTags: () =>
      library.db
        .prepare(
          "SELECT label_id AS id, label_name AS name, COUNT(*) AS photos FROM corrections WHERE source = 'file' GROUP BY 1, 2",
        )
        .all() as { id: string; name: string; photos: number }[],
  };
}

describe('a scan that reads keywords again', () => {
  it('says how many photos had their keywords read again so far while it scans, not only at its end', async () => {
    // More photos than the scan records at once (1,000), so that it reads their keywords in more than one go.
    const { library, count, sidecarsOf, scan, fileTags } = await scannedLibrary(1100);
    try {
      // Another app gives every photo a sidecar, as an upgraded library's first scan finds them.
      const [first, ...others] = sidecarsOf();
      execFileSync('exiftool', ['-q', '-XMP-dc:Subject=Saved keyword', first!]);
      for (const sidecar of others) copyFileSync(first!, sidecar);
      const heard: number[] = [];
      const summary = await scan((reread) => heard.push(reread));
      assert.equal(summary.rereadKeywords, count);
      assert.ok(heard.length > 1, `heard ${heard.join(', ')}`);
      assert.deepEqual(
        heard,
        [...heard].sort((a, b) => a - b),
        'the count only grows',
      );
      assert.equal(heard.at(-1), count);
      // Stored in batches: every photo's keywords and stamp, none read again at the next scan.
      assert.deepEqual(fileTags(), [{ id: 'user:saved-keyword', name: 'Saved keyword', photos: count }]);
      assert.equal((await scan()).rereadKeywords, 0);
    } finally {
      await library.close();
    }
  });

  it('keywords read at once that name one new own label in other cases make one label, as read one by one', async () => {
    const { library, count, sidecarsOf, scan, fileTags } = await scannedLibrary(20);
    try {
      sidecarsOf().forEach((sidecar, index) => {
        execFileSync('exiftool', ['-q', `-XMP-dc:Subject=${index % 2 === 0 ? 'Beach day' : 'beach DAY'}`, sidecar]);
      });
      assert.equal((await scan()).rereadKeywords, count);
      const stored = fileTags();
      assert.equal(stored.length, 1, JSON.stringify(stored));
      assert.deepEqual(
        library.repo.corrections.userLabels().map((label) => label.id),
        ['user:beach-day'],
      );
    } finally {
      await library.close();
    }
  });
});
