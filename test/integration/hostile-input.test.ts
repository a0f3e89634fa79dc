import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { SPECIAL_FILES, writeHostileFormats, writeSpecialFile } from '../hostile-files.js';

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
      const scan = await library.scan(library.addFolder(folder));
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
