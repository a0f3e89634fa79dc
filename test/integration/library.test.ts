import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { openDatabase } from '../../src-main/db/database.js';
import { Library } from '../../src-main/library/library.js';
import { thumbnailPath } from '../../src-main/pipeline/tagging-pipeline.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { writeHostileFiles } from '../hostile-files.js';

function openLibrary(dir: string, modelId?: string): Library {
  return Library.open({
    dbPath: join(dir, 'library.sqlite'),
    modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    modelId,
  });
}

function photoFolder(files: string[]): string {
  const dir = join(tempDir(), 'photos');
  mkdirSync(dir, { recursive: true });
  for (const file of files) copyFileSync(photo(file), join(dir, file));
  return dir;
}

async function tagFolder(library: Library, folderPath: string) {
  const folder = await library.addFolder(folderPath);
  const scan = await library.scan(folder);
  const run = await library.tag();
  return { folder, scan, run };
}

const topCategory = (library: Library, path: string) => {
  const row = library.repo.photoByPath(path);
  assert.ok(row, `${path} is in the library`);
  return library.repo.withTags(row).categories[0]?.name;
};

describe('the library', () => {
  it('scans and tags a folder: labels, categories, metadata and thumbnails, and failures with their reason', async () => {
    const dir = tempDir();
    const folder = photoFolder(['cat_720p.jpg', 'hot_dog.jpg', 'parrot.jpg', 'sunflower.bmp']);
    mkdirSync(join(folder, 'nested', '.hidden'), { recursive: true });
    copyFileSync(photo('dog.jpg'), join(folder, 'nested', 'dog.jpg'));
    copyFileSync(photo('owl.jpg'), join(folder, 'nested', '.hidden', 'owl.jpg'));
    writeFileSync(join(folder, 'notes.txt'), 'not a photo');
    await sharp(photo('eagle.jpg'))
      .withExif({ IFD0: { Make: 'Canon', Model: 'Canon EOS R5' }, IFD2: { DateTimeOriginal: '2021:07:04 18:22:05' } })
      .toFile(join(folder, 'eagle-exif.jpg'));
    const reasons = writeHostileFiles(folder);
    const library = openLibrary(dir);
    try {
      const { scan, run } = await tagFolder(library, folder);
      const photos = 6;
      assert.equal(scan.found, photos + Object.keys(reasons).length, 'hidden folders and non-photos are skipped');
      assert.equal(run.tagged, photos);
      assert.equal(run.failed, Object.keys(reasons).length);
      assert.equal(topCategory(library, join(folder, 'hot_dog.jpg')), 'Food');
      assert.equal(topCategory(library, join(folder, 'nested', 'dog.jpg')), 'Dog');
      assert.equal(library.repo.photoByPath(join(folder, 'nested', '.hidden', 'owl.jpg')), undefined);

      const eagle = library.repo.photoByPath(join(folder, 'eagle-exif.jpg'))!;
      assert.equal(eagle.takenAt, '2021-07-04T18:22:05');
      assert.equal(eagle.camera, 'Canon EOS R5');
      assert.deepEqual([eagle.width, eagle.height, eagle.format], [773, 512, 'jpeg']);
      assert.equal(eagle.modelId, 'mobilenet-v2-imagenet');
      assert.ok(existsSync(thumbnailPath(library.thumbnailsDir, eagle.fingerprint!)));

      for (const [file, reason] of Object.entries(reasons)) {
        const failed = library.repo.photoByPath(file)!;
        assert.equal(failed.status, 'failed', file);
        assert.match(failed.error!, reason, file);
        assert.deepEqual(library.repo.withTags(failed).labels, []);
      }
      assert.deepEqual(library.repo.counts(), {
        pending: 0,
        processing: 0,
        done: photos,
        failed: 6,
        missing: 0,
        total: 12,
      });
    } finally {
      await library.close();
    }
  });

  it('reads every supported format: JPEG, PNG, WebP, GIF, TIFF, AVIF, BMP and HEIC', async () => {
    const dir = tempDir();
    const folder = join(dir, 'formats');
    mkdirSync(folder);
    const source = sharp(photo('cat_720p.jpg'));
    await source.clone().png().toFile(join(folder, 'cat.png'));
    await source.clone().webp().toFile(join(folder, 'cat.webp'));
    await source.clone().gif().toFile(join(folder, 'cat.gif'));
    await source.clone().tiff().toFile(join(folder, 'cat.tiff'));
    await source.clone().resize(640).avif({ effort: 0 }).toFile(join(folder, 'cat.avif'));
    copyFileSync(photo('cat.bmp'), join(folder, 'cat.bmp'));
    copyFileSync(photo('cat_720p.jpg'), join(folder, 'cat.JPG'));
    execFileSync('heif-enc', ['-q', '80', '-o', join(folder, 'cat.heic'), photo('cat_720p.jpg')]);
    const library = openLibrary(dir);
    try {
      const { run } = await tagFolder(library, folder);
      assert.equal(run.failed, 0);
      assert.equal(run.tagged, 8);
      for (const ext of ['png', 'webp', 'gif', 'tiff', 'avif', 'bmp', 'JPG', 'heic']) {
        assert.equal(topCategory(library, join(folder, `cat.${ext}`)), 'Cat', ext);
      }
      assert.equal(library.repo.photoByPath(join(folder, 'cat.heic'))!.format, 'heic');
    } finally {
      await library.close();
    }
  });

  it('rescans incrementally, re-tags changed photos, keeps moved photos and drops deleted ones with their thumbnails', async () => {
    const dir = tempDir();
    const folder = photoFolder(['cat_720p.jpg', 'hot_dog.jpg', 'parrot.jpg']);
    const library = openLibrary(dir);
    try {
      await tagFolder(library, folder);
      const parrot = library.repo.photoByPath(join(folder, 'parrot.jpg'))!;
      const again = await library.scan(library.repo.folders()[0]!);
      assert.deepEqual([again.added, again.changed, again.missing], [0, 0, 0]);
      assert.equal((await library.tag()).tagged, 0, 'an unchanged library needs no work');

      // Changed: another photo written over the cat. Moved: the parrot into a subfolder. Deleted: the hot dog.
      copyFileSync(photo('dog.jpg'), join(folder, 'cat_720p.jpg'));
      mkdirSync(join(folder, 'birds'));
      renameSync(join(folder, 'parrot.jpg'), join(folder, 'birds', 'macaw.jpg'));
      rmSync(join(folder, 'hot_dog.jpg'));
      const scan = await library.scan(library.repo.folders()[0]!);
      assert.deepEqual([scan.added, scan.changed, scan.missing], [1, 1, 2]);
      const run = await library.tag();
      assert.equal(run.tagged, 2);
      const hotDog = library.repo.photoByPath(join(folder, 'hot_dog.jpg'))!;
      assert.equal(hotDog.status, 'missing', 'a vanished photo is hidden first, in case it moved or its disk is back');
      const hotDogThumbnail = thumbnailPath(library.thumbnailsDir, hotDog.fingerprint!);
      assert.ok(existsSync(hotDogThumbnail));
      // The next healthy scan that still misses it takes it out of the library, with its thumbnail.
      await library.scan(library.repo.folders()[0]!);
      assert.equal(existsSync(hotDogThumbnail), false);

      assert.equal(topCategory(library, join(folder, 'cat_720p.jpg')), 'Dog');
      const moved = library.repo.photoByPath(join(folder, 'birds', 'macaw.jpg'))!;
      assert.equal(moved.id, parrot.id, 'the moved photo is the same library photo');
      assert.equal(library.repo.withTags(moved).labels[0]!.name, 'Macaw');
      assert.equal(library.repo.photoByPath(join(folder, 'hot_dog.jpg')), undefined);
      assert.equal(library.repo.photoByPath(join(folder, 'parrot.jpg')), undefined);
      assert.equal(library.repo.counts().total, 2);
    } finally {
      await library.close();
    }
  });

  it('re-tags everything when the model changes and never mixes two models', async () => {
    const dir = tempDir();
    const folder = photoFolder(['cat.bmp', 'bird.bmp', 'dog.jpg']);
    let library = openLibrary(dir);
    try {
      await tagFolder(library, folder);
      library.useModel('resnet56-cifar10', { demoAgreed: true });
    } finally {
      await library.close();
    }
    library = openLibrary(dir);
    try {
      const run = await library.tag();
      assert.equal(run.tagged, 3);
      // The library model's rows; the secondary taggers (a bird specialist on the bird) store under their own ids.
      const secondary = JSON.stringify(['inat-bird', 'inat-insect', 'yunet-face', 'scenes']);
      const models = (table: string) =>
        library.db
          .prepare(
            `SELECT DISTINCT model_id AS id FROM ${table} WHERE model_id NOT IN (SELECT value FROM json_each(?))`,
          )
          .all(secondary);
      assert.deepEqual(models('predictions'), [{ id: 'resnet56-cifar10' }]);
      assert.deepEqual(models('category_scores'), [{ id: 'resnet56-cifar10' }]);
      const dog = library.repo.photoByPath(join(folder, 'dog.jpg'))!;
      assert.equal(library.repo.withTags(dog).labels[0]!.id, 'dog');
      const thumbnail = await sharp(thumbnailPath(library.thumbnailsDir, dog.fingerprint!)).metadata();
      assert.ok(thumbnail.height! >= 300, 'a 32x32 model still gets full-size thumbnails');
    } finally {
      await library.close();
    }
  });

  it('tags every photo, copies of one photo alike, however many decoders run at once', async () => {
    const dir = tempDir();
    const folder = join(dir, 'many');
    mkdirSync(folder);
    // Copies share a fingerprint, hence a thumbnail, and are decoded side by side.
    for (let i = 0; i < 24; i++) copyFileSync(photo(i % 2 ? 'hot_dog.jpg' : 'parrot.jpg'), join(folder, `p${i}.jpg`));
    const library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
      decoders: 4,
      batchSize: 1,
    });
    try {
      await library.scan(await library.addFolder(folder));
      let late = 0;
      const summary = await library.tag();
      library.tagging!.on('photo', () => late++);
      assert.equal(summary.tagged, 24);
      assert.deepEqual(library.repo.counts(), {
        pending: 0,
        processing: 0,
        done: 24,
        failed: 0,
        missing: 0,
        total: 24,
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(late, 0, 'no photo finished after its run had ended');
    } finally {
      await library.close();
    }
  });

  it('reports a steady total while tagging: what is done and what is queued add up to every photo', async () => {
    const dir = tempDir();
    const folder = join(dir, 'batch');
    mkdirSync(folder);
    for (let i = 0; i < 16; i++) copyFileSync(photo(i % 2 ? 'dog.jpg' : 'eagle.jpg'), join(folder, `p${i}.jpg`));
    const library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
      batchSize: 4,
    });
    try {
      await library.scan(await library.addFolder(folder));
      const totals: number[] = [];
      library.on('progress', (progress) => totals.push(progress.done + progress.failed + progress.queued));
      await library.tag();
      assert.ok(totals.length > 2, `${totals.length} progress events`);
      assert.deepEqual(new Set(totals), new Set([16]));
    } finally {
      await library.close();
    }
  });

  it('pauses, resumes and cancels tagging without losing work', async () => {
    const dir = tempDir();
    const folder = join(dir, 'many');
    mkdirSync(folder);
    for (let i = 0; i < 40; i++) copyFileSync(photo(i % 2 ? 'cat_720p.jpg' : 'parrot.jpg'), join(folder, `p${i}.jpg`));
    const library = openLibrary(dir);
    try {
      const added = await library.addFolder(folder);
      await library.scan(added);
      await library.classifierInfo();
      const pipeline = library.tagging!;
      let paused = false;
      pipeline.on('photo', () => {
        if (!paused) {
          paused = true;
          pipeline.pause();
          setTimeout(() => {
            assert.equal(pipeline.progress().state, 'paused');
            const before = library.repo.counts().done;
            setTimeout(() => {
              assert.ok(library.repo.counts().done - before <= 16, 'at most the photos in flight finish while paused');
              pipeline.cancel();
            }, 300);
          }, 100);
        }
      });
      const first = await library.tag();
      assert.equal(first.cancelled, true);
      assert.ok(first.tagged < 40);
      assert.equal(library.repo.counts().processing, 0, 'nothing is left claimed');
      pipeline.removeAllListeners('photo');
      const second = await library.tag();
      assert.equal(first.tagged + second.tagged, 40);
      assert.equal(library.repo.counts().done, 40);
    } finally {
      await library.close();
    }
  });

  it('keeps the photos of a library folder that is unavailable (an unplugged drive)', async () => {
    const dir = tempDir();
    const folder = photoFolder(['parrot.jpg']);
    const library = openLibrary(dir);
    try {
      await tagFolder(library, folder);
      const unplugged = `${folder}-unplugged`;
      renameSync(folder, unplugged);
      const warnings: string[] = [];
      library.on('warning', (message) => warnings.push(message));
      const scan = await library.scan(library.repo.folders()[0]!);
      assert.equal(scan.missing, 0);
      assert.match(
        warnings[0]!,
        /is not available \(it cannot be read or is gone: an unplugged drive .*\); its 1 photo is kept/,
      );
      assert.equal(library.repo.counts().done, 1);
      renameSync(unplugged, folder);
      assert.deepEqual((await library.scan(library.repo.folders()[0]!)).missing, 0);
    } finally {
      await library.close();
    }
  });

  it('refuses a library written by a newer Phototag', () => {
    const file = join(tempDir(), 'future.sqlite');
    openDatabase(file).pragma('user_version = 999');
    assert.throws(() => openDatabase(file), /written by a newer version of Phototag \(schema 999/);
  });
});
