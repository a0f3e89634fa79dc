import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '../../src-main/db/database.js';
import { PhotoRepository } from '../../src-main/db/photo-repository.js';
import { currentSidecarStamp, FolderSidecars, isSidecarPath, readSidecar } from '../../src-main/xmp/sidecar-file.js';
import { tempDir, writeFile } from '../helpers.js';

/** The folder's listing as a scan gives it to FolderSidecars, under the given rule for the case of names. */
function listing(names: string[], caseInsensitive: boolean): FolderSidecars {
  const sidecars = new FolderSidecars(caseInsensitive);
  for (const name of names) sidecars.add(name);
  return sidecars;
}

const XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>';

describe("XMP sidecars' names under the file system's rule for case", () => {
  it('where the file system ignores case (Windows, macOS), pairs sidecars whose names differ in case, by their real names', () => {
    const names = ['IMG_1.JPG', 'IMG_1.JPG.XMP', 'IMG_2.JPG', 'IMG_2.jpg.xmp', 'IMG_3.jpg', 'img_3.XMP'];
    const insensitive = listing(names, true);
    assert.equal(insensitive.of('IMG_1.JPG'), 'IMG_1.JPG.XMP');
    assert.equal(insensitive.of('IMG_2.JPG'), 'IMG_2.jpg.xmp');
    assert.equal(insensitive.of('IMG_3.jpg'), 'img_3.XMP');
  });

  it('pairs only exact names where the file system tells case apart (Linux), as opening the sidecar would', () => {
    const names = ['IMG_1.JPG', 'IMG_1.JPG.XMP', 'IMG_2.JPG', 'IMG_2.jpg.xmp', 'IMG_3.jpg', 'img_3.xmp', 'IMG_4.jpg'];
    const sensitive = listing([...names, 'IMG_4.jpg.xmp'], false);
    assert.equal(sensitive.of('IMG_1.JPG'), undefined);
    assert.equal(sensitive.of('IMG_2.JPG'), undefined);
    assert.equal(sensitive.of('IMG_3.jpg'), undefined);
    assert.equal(sensitive.of('IMG_4.jpg'), 'IMG_4.jpg.xmp');
  });

  it("a photo.xmp is no photo's where two photos' stems differ only in case and the file system ignores case", () => {
    const names = ['photo.jpg', 'PHOTO.png', 'photo.xmp'];
    assert.equal(listing(names, true).of('photo.jpg'), undefined);
    assert.equal(listing(names, false).of('photo.jpg'), 'photo.xmp');
  });

  it("reading a sidecar and its stamp give the listing's answer on whose photo.xmp is, under the same rule", async () => {
    const folder = tempDir();
    const photoPath = writeFile(folder, 'photo.jpg');
    writeFile(folder, 'PHOTO.png');
    const sidecar = writeFile(folder, 'photo.xmp', XMP);
    assert.equal(await readSidecar(photoPath, true), undefined);
    assert.equal(await currentSidecarStamp(photoPath, true), undefined);
    assert.equal((await readSidecar(photoPath, false))?.path, sidecar);
    assert.notEqual(await currentSidecarStamp(photoPath, false), undefined);
  });

  it("the watcher finds the photos a sidecar's name may belong to as the file system compares names", () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'library.sqlite'));
    try {
      const repo = new PhotoRepository(db);
      const folder = join(dir, 'photos');
      const names = [
        'IMG_1.JPG',
        'IMG_1.png',
        'IMG_10.jpg',
        'IMG_1 copy.jpg',
        'IMG_1.JPG.png',
        'Img_1.tif',
        'Other.jpg',
        'gone.jpg',
      ];
      const paths = [...names, 'IMG_1/IMG_1.jpg', 'IMG_1-edit.jpg', 'IMG_1-raw/IMG_1.jpg', 'IMG_1.d/IMG_1.jpg'].map(
        (name) => join(folder, name),
      );
      repo.upsertScanned(
        repo.addFolder(folder).id,
        paths.map((path) => ({ path, size: 1, mtimeMs: 1 })),
      );
      repo.markMissing([join(folder, 'gone.jpg')], []);
      const named = (asked: string[], caseInsensitive: boolean) =>
        repo
          .photosNamed(folder, asked, caseInsensitive)
          .map((path) => path.slice(folder.length + 1))
          .sort();
      // img_1.jpg.xmp: img_1.jpg's own, or the stem sidecar of img_1.jpg.<extension>; img_1.xmp: img_1.<extension>'s.
      assert.deepEqual(named(['img_1.jpg'], true), ['IMG_1.JPG', 'IMG_1.JPG.png']);
      assert.deepEqual(named(['img_1'], true), ['IMG_1.JPG', 'IMG_1.png', 'Img_1.tif']);
      // Found as asked, a name is not looked for in other cases (the folder's photos read through): Img_1.tif shares
      // IMG_1.JPG's stem, so IMG_1.xmp is neither's and its state does not change with it.
      assert.deepEqual(named(['IMG_1'], true), ['IMG_1.JPG', 'IMG_1.png']);
      assert.deepEqual(named(['IMG_1.JPG', 'img_1'], true), ['IMG_1.JPG', 'IMG_1.JPG.png', 'IMG_1.png', 'Img_1.tif']);
      assert.deepEqual(named(['img_1.jpg', 'OTHER', 'GONE'], true), ['IMG_1.JPG', 'IMG_1.JPG.png', 'Other.jpg']);
      assert.deepEqual(named(['img_1.jpg'], false), []);
      assert.deepEqual(named(['img_1'], false), []);
      assert.deepEqual(named(['IMG_1', 'IMG_1.JPG', 'Other', 'gone'], false), [
        'IMG_1.JPG',
        'IMG_1.JPG.png',
        'IMG_1.png',
        'Other.jpg',
      ]);
      // Exact names read only `<name>` and `<name>.<anything>` of the path's index, not what sorts between.
      const read = (repo['statements'].photosFromName.all({ path: join(folder, 'IMG_1') }) as string[])
        .map((path) => path.slice(folder.length + 1))
        .sort();
      assert.deepEqual(read, ['IMG_1.JPG', 'IMG_1.JPG.png', 'IMG_1.d/IMG_1.jpg', 'IMG_1.png']);
    } finally {
      db.close();
    }
  });

  it('the watcher reacts to sidecars whatever the case of .xmp, on every platform', () => {
    for (const path of ['/p/IMG_1.JPG.XMP', '/p/IMG_1.jpg.xmp', '/p/IMG_1.Xmp'])
      assert.equal(isSidecarPath(path), true);
    for (const path of ['/p/IMG_1.JPG', '/p/xmp', '/p/IMG_1.xmp.tmp']) assert.equal(isSidecarPath(path), false);
  });
});
