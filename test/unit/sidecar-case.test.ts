import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it('the watcher reacts to sidecars whatever the case of .xmp, on every platform', () => {
    for (const path of ['/p/IMG_1.JPG.XMP', '/p/IMG_1.jpg.xmp', '/p/IMG_1.Xmp'])
      assert.equal(isSidecarPath(path), true);
    for (const path of ['/p/IMG_1.JPG', '/p/xmp', '/p/IMG_1.xmp.tmp']) assert.equal(isSidecarPath(path), false);
  });
});
