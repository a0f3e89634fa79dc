import assert from 'node:assert/strict';
import { renameSync, rmSync, utimesSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, it } from 'node:test';
import { photoVersion, type Folder } from '../../src-main/db/photo-repository.js';
import { scanFolderBatches } from '../../src-main/library/folder-scanner.js';
import { Library } from '../../src-main/library/library.js';
import { ScanComparison } from '../../src-main/library/scan-comparison.js';
import { MODELS_DIR, tempDir, writeFile } from '../helpers.js';

const open = (dir: string) =>
  Library.open({ dbPath: join(dir, 'library.sqlite'), modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') } });

/**
 * A full walk of `album` through `comparison`, up to markMissing, with `photo` renamed to `saving` as the folder is
 * listed (an editor saving over it through a temporary file): the listing misses it.
 */
async function walkMissing(comparison: ScanComparison, album: string, photo: string, saving: string): Promise<void> {
  const onFolder = (path: string) => {
    renameSync(photo, saving);
    return comparison.enter(path);
  };
  for await (const entries of scanFolderBatches(album, { onFolder })) {
    for (const entry of entries) if (entry.type === 'photo') comparison.photo(entry);
  }
  comparison.finish();
}

/** `names` written into a fresh album, added to a fresh library and scanned once, for `body`; closed after it. */
async function withScannedAlbum(
  names: string[],
  body: (album: string, library: Library, folder: Folder) => Promise<void>,
): Promise<void> {
  const dir = tempDir();
  const album = join(dir, 'album');
  for (const name of names) writeFile(album, name);
  const library = open(dir);
  try {
    const folder = await library.addFolder(album);
    await library.scan(folder);
    await body(album, library, folder);
  } finally {
    await library.close();
  }
}

/**
 * Names that sort right beside a subfolder's photos in the path index (a space, "-" and "." sort before the
 * separator, "0" just after it), names outside the basic plane, and enough photos, in the folder and in each
 * subfolder, that the folder is read in several stretches and each subfolder is stepped over mid-stretch.
 */
const TREE = [
  ...Array.from({ length: 1500 }, (_, i) => `IMG_${String(i).padStart(4, '0')}.jpg`),
  'b c.jpg',
  'b-c/in dash.jpg',
  'b.jpg',
  ...Array.from({ length: 40 }, (_, i) => `b/${i}.jpg`),
  'b0.jpg',
  'b0/zero.jpg',
  'é.jpg',
  '😀.jpg',
  '\uFFFD.jpg',
  'zz/deep/er/still.jpg',
];

describe('comparing a scan with the library folder by folder', () => {
  it("stops with the library's own error when the library cannot be read, and takes no photo for gone", async () => {
    const dir = tempDir();
    const library = open(dir);
    try {
      const album = join(dir, 'album');
      writeFile(album, 'a.jpg');
      const folder = await library.addFolder(album);
      await library.scan(folder);
      // The comparison reads along this index by name: without it, each read fails as a damaged library would.
      library.db.exec('DROP INDEX photos_scan');
      await assert.rejects(library.scan(folder), {
        message: `Cannot compare ${album} with the library ${join(dir, 'library.sqlite')}: no such index: photos_scan.`,
      });
      assert.equal(library.repo.counts().missing, 0);
    } finally {
      await library.close();
    }
  });

  it('reads the photos directly in a folder and its subfolders, whatever sorts beside them', async () => {
    const dir = tempDir();
    const library = open(dir);
    try {
      const album = join(dir, 'album');
      const folder = library.repo.addFolder(album);
      // A neighbour whose name extends the folder's, on both sides of the separator: not the folder's.
      const paths = [...TREE.map((name) => join(album, name)), join(`${album} 2`, 'x.jpg'), join(`${album}0`, 'y.jpg')];
      library.repo.upsertScanned(
        folder.id,
        paths.map((path) => ({ path, size: 1, mtimeMs: 1 })),
      );
      library.repo.markMissingUnder(join(album, 'b.jpg'));
      const read = (folder: string) => {
        const subfolders: string[] = [];
        const photos = [...library.repo.photosInFolder(folder, (subfolder) => subfolders.push(subfolder))];
        return { photos, subfolders };
      };
      const { photos, subfolders } = read(album);
      const direct = TREE.filter((name) => !name.includes('/')).map((name) => join(album, name));
      // Each once, in the index's order, with its version as photoVersion makes it; none while missing.
      assert.deepEqual(photos.map(([path]) => path).sort(), direct.sort());
      const version = (path: string) =>
        path === join(album, 'b.jpg') ? '' : photoVersion({ path, size: 1, mtimeMs: 1 });
      assert.deepEqual(
        photos.map(([, v]) => v),
        photos.map(([path]) => version(path)),
      );
      assert.deepEqual(subfolders.sort(), ['b', 'b-c', 'b0', 'zz'].map((name) => join(album, name)).sort());
      assert.deepEqual(read(join(album, 'zz')).subfolders, [join(album, 'zz', 'deep')]);
    } finally {
      await library.close();
    }
  });

  it('reads a folder whose path ends in the separator, as a drive or share root does', async () => {
    const dir = tempDir();
    const library = open(dir);
    try {
      // E:\ on Windows, \\nas\photos\ for a share: the root's path keeps its separator. On Linux, "/".
      const root = sep;
      const folder = library.repo.addFolder(join(dir, 'album'));
      const paths = ['a.jpg', 'DCIM/b.jpg', 'z/c.jpg'].map((name) => join(root, name));
      library.repo.upsertScanned(
        folder.id,
        paths.map((path) => ({ path, size: 1, mtimeMs: 1 })),
      );
      const subfolders: string[] = [];
      const photos = [...library.repo.photosInFolder(root, (subfolder) => subfolders.push(subfolder))];
      assert.deepEqual(
        photos.map(([path]) => path),
        [join(root, 'a.jpg')],
      );
      assert.deepEqual(subfolders, [join(root, 'DCIM'), join(root, 'z')]);
    } finally {
      await library.close();
    }
  });

  it('finds nothing to do in an unchanged tree, and every photo added, changed or gone in it', async () => {
    const dir = tempDir();
    const album = join(dir, 'album');
    for (const name of TREE) writeFile(album, name);
    const library = open(dir);
    try {
      const folder = await library.addFolder(album);
      const first = await library.scan(folder);
      assert.deepEqual([first.found, first.added], [TREE.length, TREE.length]);
      const again = await library.scan(folder);
      assert.deepEqual([again.found, again.added, again.changed, again.missing], [TREE.length, 0, 0, 0]);

      writeFile(album, 'b/new.jpg');
      writeFile(album, 'b c.jpg', 'longer now');
      utimesSync(join(album, '😀.jpg'), new Date(2001, 0, 1), new Date(2001, 0, 1));
      rmSync(join(album, 'b0.jpg'));
      rmSync(join(album, 'zz'), { recursive: true });
      // The last photo in its folder: none found after it.
      rmSync(join(album, 'b-c', 'in dash.jpg'));
      const scan = await library.scan(folder);
      assert.deepEqual([scan.added, scan.changed, scan.missing], [1, 2, 3]);
      const status = (name: string) => library.repo.photoByPath(join(album, name))?.status;
      assert.deepEqual(
        ['b0.jpg', 'zz/deep/er/still.jpg', 'b-c/in dash.jpg', 'b0/zero.jpg', 'b/new.jpg', 'b c.jpg'].map(status),
        ['missing', 'missing', 'missing', 'pending', 'pending', 'pending'],
      );
      // Back again: found, and no longer missing.
      writeFile(album, 'b0.jpg');
      const back = await library.scan(folder);
      assert.deepEqual([back.added, back.changed, back.missing], [0, 1, 0]);
      assert.equal(status('b0.jpg'), 'pending');
    } finally {
      await library.close();
    }
  });

  it('never takes a photo it added for one gone, where the walk and the library order names differently', async () => {
    // U+FF5E sorts before an emoji in JavaScript (UTF-16) and after it in SQLite (UTF-8): the new 🎉.jpg is written
    // while the library's photos are read past where it sorts there, and then read back as if the walk missed it.
    const dir = tempDir();
    const album = join(dir, 'album');
    const wide = Array.from({ length: 40 }, (_, i) => `\uFF5Eb${String(i).padStart(2, '0')}.jpg`);
    const names = [...Array.from({ length: 15 }, (_, i) => `a${String(i).padStart(2, '0')}.jpg`), '\uFF5E1.jpg'];
    for (const name of [...names, ...wide]) writeFile(album, name);
    const library = open(dir);
    try {
      const folder = await library.addFolder(album);
      await library.scan(folder);
      for (const name of wide) rmSync(join(album, name));
      writeFile(album, '🎉.jpg');
      const scan = await library.scan(folder);
      assert.deepEqual([scan.added, scan.missing], [1, wide.length]);
      assert.equal(library.repo.photoByPath(join(album, '🎉.jpg'))?.status, 'pending');
    } finally {
      await library.close();
    }
  });

  it('takes no photo for gone that the listing left out but is there when the walk ends', () =>
    withScannedAlbum(['a.jpg', 'b.jpg', 'c.jpg'], async (album, library, folder) => {
      const comparison = new ScanComparison(library.repo, folder.id);
      const saving = join(album, '.b.jpg.tmp');
      await walkMissing(comparison, album, join(album, 'b.jpg'), saving);
      renameSync(saving, join(album, 'b.jpg'));
      rmSync(join(album, 'c.jpg'));
      assert.equal(await comparison.markMissing(), 0);
      assert.equal(library.repo.photoByPath(join(album, 'b.jpg'))?.status, 'pending');
      // Found by the second look, the same as stored: nothing to record.
      assert.deepEqual([comparison.found, comparison.changed], [3, 0]);
      // Gone for real: marked.
      const scan = await library.scan(folder);
      assert.equal(scan.missing, 1);
    }));

  it('marks nothing missing when its scan is stopped during the second look', () =>
    withScannedAlbum(['a.jpg', 'b.jpg', 'c.jpg'], async (album, library, folder) => {
      rmSync(join(album, 'c.jpg'));
      const stop = new AbortController();
      const comparison = new ScanComparison(library.repo, folder.id, stop.signal);
      await walkMissing(comparison, album, join(album, 'b.jpg'), join(album, '.b.jpg.tmp'));
      const marking = comparison.markMissing();
      // As the folder leaves the library, or the library closes, while the second look's stats are out.
      stop.abort();
      await assert.rejects(marking, { name: 'AbortError' });
      const status = (name: string) => library.repo.photoByPath(join(album, name))?.status;
      assert.deepEqual([status('b.jpg'), status('c.jpg')], ['pending', 'pending']);
    }));

  it('records nothing once its scan is stopped, though the walk goes on (a share that answers again)', () =>
    withScannedAlbum(['a.jpg'], async (album, library, folder) => {
      writeFile(album, 'new.jpg', 'found before the stop');
      const stop = new AbortController();
      const comparison = new ScanComparison(library.repo, folder.id, stop.signal);
      comparison.enter(album);
      comparison.photo({ path: join(album, 'new.jpg'), size: 21, mtimeMs: 1, sidecar: null });
      stop.abort();
      // Its folder's id may be another folder's by now: the photo found before the stop is not written.
      assert.throws(() => comparison.finish(), { name: 'AbortError' });
      assert.throws(() => comparison.enter(join(album, 'sub')), { name: 'AbortError' });
      assert.equal(library.repo.photoByPath(join(album, 'new.jpg')), undefined);
    }));

  it('records as changed a photo saved over while the listing left it out, keeping its sidecar', () =>
    withScannedAlbum(['a.jpg', 'b.jpg', 'b.xmp'], async (album, library, folder) => {
      const before = library.repo.photoByPath(join(album, 'b.jpg'))!;
      const stamp = library.repo.sidecarStampAt(before.path);
      assert.ok(stamp);
      library.db.prepare("UPDATE photos SET status = 'done' WHERE id = ?").run(before.id);
      const comparison = new ScanComparison(library.repo, folder.id);
      const saving = join(album, '.b.jpg.tmp');
      await walkMissing(comparison, album, before.path, saving);
      // The editor's save lands: new bytes, then the rename over the old name.
      writeFile(album, '.b.jpg.tmp', 'saved over, longer');
      renameSync(saving, before.path);
      assert.equal(await comparison.markMissing(), 0);
      assert.deepEqual([comparison.found, comparison.changed], [2, 1]);
      const after = library.repo.photoByPath(before.path)!;
      assert.deepEqual([after.size, after.status], ['saved over, longer'.length, 'pending']);
      assert.equal(library.repo.sidecarStampAt(before.path), stamp);
    }));
});
