import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PolledFolder, type KnownPhoto } from '../../src-main/library/folder-watcher.js';
import { tempDir } from '../helpers.js';

/**
 * Walks `names` (in the walk's order) through a PolledFolder over the library's `known` rows (in SQLite's order),
 * logging each photo handed in, each photo found with its version, and the finish with what it took for gone.
 */
function poll(folder: string, known: [name: string, version: string][], names: string[]): string[] {
  const log: string[] = [];
  const rows = known.map(([name, version]): KnownPhoto => [join(folder, name), version]);
  const polled = new PolledFolder(folder, rows, (photo, version) =>
    log.push(`found ${photo.path.slice(folder.length + 1)} ${version ?? 'not held'}`),
  );
  for (const name of names) {
    log.push(`walk ${name}`);
    polled.photo({ path: join(folder, name), size: 1, mtimeMs: 1 });
  }
  const gone = polled.finish().map((path) => path.slice(folder.length + 1));
  log.push(`finish, gone [${gone.join(', ')}]`);
  return log;
}

describe('a polled folder compared with the library in step', () => {
  it('reports the new ASCII-named photos of a folder named beyond U+D800 as the walk meets them, not at its end', () => {
    // Fullwidth digits and an emoji (a surrogate pair) in the folder's name: every path in it has them.
    const log = poll(join(tempDir(), '２０２４ 📷'), [['IMG_2.jpg', 'v2']], ['IMG_1.jpg', 'IMG_2.jpg', 'IMG_3.jpg']);
    assert.deepEqual(log, [
      'walk IMG_1.jpg',
      'found IMG_1.jpg not held',
      'walk IMG_2.jpg',
      'found IMG_2.jpg v2',
      'walk IMG_3.jpg',
      'found IMG_3.jpg not held',
      'finish, gone []',
    ]);
  });

  it('holds no photo missing already that the walk passes, and finds one come back as not held', () => {
    // By UTF-16 units, as the walk lists, U+1F600 sorts below U+FF01; by UTF-8 bytes, as SQLite reads, above it. So
    // the walk meets the emoji first, which the library's order puts after '！.jpg', and holds it to the end, when
    // the library's row for it (missing) has been passed.
    const log = poll(
      tempDir(),
      [
        ['a.jpg', ''],
        ['\uFF01.jpg', 'v1'],
        ['\u{1F600}.jpg', ''],
      ],
      ['\u{1F600}.jpg', '\uFF01.jpg'],
    );
    assert.deepEqual(log, [
      'walk \u{1F600}.jpg',
      'walk \uFF01.jpg',
      'found \uFF01.jpg v1',
      'found \u{1F600}.jpg not held',
      'finish, gone []',
    ]);
  });
});
