import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MediaError, MediaService } from '../../src-main/api/media-service.js';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { bitmap, SPECIAL_FILES, writeHostileFormats, writeSpecialFile } from '../hostile-files.js';

function openLibrary(dir: string): Library {
  return Library.open({
    dbPath: join(dir, 'library.sqlite'),
    modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
  });
}

/** A folder of good photos in the formats the foreign decoders read, beside a JPEG. */
function goodPhotos(): string {
  const folder = join(tempDir(), 'photos');
  mkdirSync(folder);
  copyFileSync(photo('parrot.jpg'), join(folder, 'parrot.jpg'));
  copyFileSync(photo('cat.bmp'), join(folder, 'cat.bmp'));
  execFileSync('heif-enc', ['-q', '80', '-o', join(folder, 'cat.heic'), photo('cat_720p.jpg')]);
  return folder;
}

const topCategory = (library: Library, path: string) =>
  library.repo.withTags(library.repo.photoByPath(path)!).categories[0]?.name;

const isWindows = process.platform === 'win32';

describe('tagging a folder that holds hostile files', () => {
  it('fails each bad file with its reason, and tags the good photos beside them', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const folder = goodPhotos();
    const reasons = writeHostileFormats(folder);
    const special = isWindows ? {} : SPECIAL_FILES;
    // The scanner lists regular files only: these are swapped in once it has listed them, as a race would.
    for (const name of Object.keys(special)) writeFileSync(join(folder, name), 'soon not a regular file');
    const library = openLibrary(dir);
    try {
      const scan = await library.scan(await library.addFolder(folder));
      assert.equal(scan.found, 3 + Object.keys(reasons).length + Object.keys(special).length);
      for (const [name, reason] of Object.entries(special)) {
        rmSync(join(folder, name));
        writeSpecialFile(name, join(folder, name));
        reasons[join(folder, name)] = reason;
      }
      const run = await library.tag();
      assert.deepEqual([run.tagged, run.failed], [3, Object.keys(reasons).length]);
      for (const [file, reason] of Object.entries(reasons)) {
        const failed = library.repo.photoByPath(file)!;
        assert.equal(failed.status, 'failed', file);
        assert.match(failed.error!, reason, file);
        assert.ok(failed.error!.startsWith(`Cannot read ${file}: `), failed.error!);
      }
      assert.equal(topCategory(library, join(folder, 'parrot.jpg')), 'Bird');
      assert.equal(topCategory(library, join(folder, 'cat.bmp')), 'Cat');
      assert.equal(topCategory(library, join(folder, 'cat.heic')), 'Cat');
      assert.equal(library.repo.counts().processing, 0, 'nothing is left in flight');
    } finally {
      await library.close();
    }
  });
});

describe('photos converted for the browser', () => {
  it('are converted in a worker, and a photo now declaring too many pixels is refused with the reason', async () => {
    const dir = tempDir();
    const folder = goodPhotos();
    const library = openLibrary(dir);
    try {
      await library.scan(await library.addFolder(folder));
      assert.equal((await library.tag()).tagged, 3);
      const media = new MediaService(library);
      const id = (name: string) => library.repo.photoByPath(join(folder, name))!.id;
      // Several at once, more than convert side by side: each waits its turn and none is lost.
      const converted = await Promise.all(
        ['cat.bmp', 'cat.heic', 'cat.bmp', 'cat.heic', 'cat.bmp'].map((name) => media.resolve(`photo/${id(name)}`)),
      );
      for (const item of converted) {
        assert.equal(item.contentType, 'image/jpeg');
        assert.ok('body' in item && item.body.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])));
      }
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      assert.ok(!loaded.some((path) => path.includes('heic-decode')), 'HEIC is decoded off the thread serving the UI');

      // Written over after tagging: the library still knows it as a good photo.
      writeFileSync(join(folder, 'cat.bmp'), bitmap({ width: 20000, height: 20000, pixelBytes: 64 }));
      await assert.rejects(media.resolve(`photo/${id('cat.bmp')}`), (error: Error) => {
        assert.ok(error instanceof MediaError);
        assert.equal(error.status, 415);
        assert.match(error.message, /too large \(the limit is 200 megapixels\)/);
        return true;
      });
    } finally {
      await library.close();
    }
  });
});
