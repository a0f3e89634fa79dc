import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

/** Resolves once `check` holds, re-checking whenever the library reports a change. */
function until(library: Library, check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      library.off('changed', test);
      reject(new Error(`timed out waiting until ${what}`));
    }, timeoutMs);
    function test() {
      if (!check()) return;
      clearTimeout(timer);
      library.off('changed', test);
      resolve();
    }
    library.on('changed', test);
    test();
  });
}

/**
 * A library in `dir` with `folder` scanned and tagged; `status` and `top` (the top category of a tagged photo) read
 * a photo by its path under the folder.
 */
async function taggedLibrary(dir: string, folder: string) {
  const library = Library.open({
    dbPath: join(dir, 'library.sqlite'),
    modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
  });
  await library.scan(await library.addFolder(folder));
  await library.tag();
  const status = (name: string) => library.repo.photoByPath(join(folder, name))?.status;
  const top = (name: string) => {
    const row = library.repo.photoByPath(join(folder, name));
    return row && row.status === 'done' ? library.repo.withTags(row).categories[0]?.name : undefined;
  };
  return { library, status, top };
}

/** A sidecar written by ExifTool (as other photo apps write them) with this keyword, in `dir`. */
function fixtureSidecar(dir: string, keyword: string): string {
  const path = join(dir, 'keyword.xmp');
  execFileSync('exiftool', ['-q', `-XMP-dc:Subject=${keyword}`, path]);
  return path;
}

describe('a watched library', () => {
  it('tags new photos, re-tags changed ones, follows renames and drops deleted ones while running', async () => {
    const dir = tempDir();
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    copyFileSync(photo('parrot.jpg'), join(folder, 'parrot.jpg'));
    const { library, status, top } = await taggedLibrary(dir, folder);
    try {
      await library.watch({ settleMs: 200 });
      assert.equal(library.watchMode, 'native');

      copyFileSync(photo('hot_dog.jpg'), join(folder, 'lunch.jpg'));
      await until(library, () => top('lunch.jpg') === 'Food', 'a new photo is tagged');

      const parrotId = library.repo.photoByPath(join(folder, 'parrot.jpg'))!.id;
      mkdirSync(join(folder, 'birds'));
      renameSync(join(folder, 'parrot.jpg'), join(folder, 'birds', 'macaw.jpg'));
      await until(library, () => top(join('birds', 'macaw.jpg')) === 'Bird', 'the renamed photo is found again');
      assert.equal(library.repo.photoByPath(join(folder, 'birds', 'macaw.jpg'))!.id, parrotId);

      copyFileSync(photo('dog.jpg'), join(folder, 'lunch.jpg'));
      await until(library, () => top('lunch.jpg') === 'Dog', 'a changed photo is re-tagged');

      rmSync(join(folder, 'lunch.jpg'));
      await until(library, () => status('lunch.jpg') === 'missing', 'a deleted photo is hidden');
      assert.equal(library.repo.counts().total, 1);
      await library.scan(library.repo.folders()[0]!);
      assert.equal(library.repo.photoByPath(join(folder, 'lunch.jpg')), undefined, 'a rescan takes it out');
    } finally {
      await library.close();
    }
  });

  for (const polling of [false, true]) {
    it(`reads again the keywords of a sidecar another app writes, changes or deletes, and tags no photo again${polling ? ', when it polls' : ''}`, async () => {
      const dir = tempDir();
      const folder = join(dir, 'photos');
      mkdirSync(folder);
      copyFileSync(photo('parrot.jpg'), join(folder, 'parrot.jpg'));
      const { library } = await taggedLibrary(dir, folder);
      const sidecar = join(folder, 'parrot.jpg.xmp');
      // Debian's ExifTool, as another photo app writes sidecars.
      const exiftool = (...args: string[]) => execFileSync('exiftool', ['-q', ...args, sidecar]);
      const fromFile = () => {
        const { labels } = library.repo.withTags(library.repo.photoByPath(join(folder, 'parrot.jpg'))!);
        return labels
          .filter((tag) => tag.source === 'file')
          .map((tag) => tag.name)
          .sort()
          .join(', ');
      };
      let tagged = 0;
      library.tagging!.on('photo', () => tagged++);
      try {
        await library.watch({ settleMs: 200, forcePolling: polling, pollIntervalMs: 100 });
        assert.equal(library.watchMode, polling ? 'polling' : 'native');
        exiftool('-XMP-dc:Subject=Beach', '-XMP-dc:Subject=Holiday');
        await until(library, () => fromFile() === 'Beach, Holiday', 'a new sidecar is read');
        exiftool('-overwrite_original', '-XMP-dc:Subject-=Holiday');
        await until(library, () => fromFile() === 'Beach', 'a changed sidecar is read again');
        rmSync(sidecar);
        await until(library, () => fromFile() === '', "a deleted sidecar's keywords leave");
        assert.equal(tagged, 0, 'the photo is not tagged again');
      } finally {
        await library.close();
      }
    });
  }

  it("reads again a photo's keywords from a sidecar named in another case, where the file system ignores case", async () => {
    const dir = tempDir();
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    copyFileSync(photo('parrot.jpg'), join(folder, 'IMG_1.JPG'));
    const sidecar = join(folder, 'img_1.jpg.xmp');
    execFileSync('exiftool', ['-q', '-XMP-dc:Subject=Beach', sidecar]);
    // Stands in for a file system that ignores case (Linux's tell it apart): opening IMG_1.JPG.xmp opens
    // img_1.jpg.xmp, while the events name img_1.jpg.xmp only.
    symlinkSync('img_1.jpg.xmp', join(folder, 'IMG_1.JPG.xmp'));
    const { library } = await taggedLibrary(dir, folder);
    const fromFile = () =>
      library.repo
        .withTags(library.repo.photoByPath(join(folder, 'IMG_1.JPG'))!)
        .labels.filter((tag) => tag.source === 'file')
        .map((tag) => tag.name)
        .join(', ');
    try {
      assert.equal(fromFile(), 'Beach');
      await library.watch({ settleMs: 200, caseInsensitive: true });
      execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-dc:Subject=Holiday', sidecar]);
      await until(library, () => fromFile() === 'Holiday', "an edit of img_1.jpg.xmp is read as IMG_1.JPG's");
    } finally {
      await library.close();
    }
  });

  for (const polling of [false, true]) {
    it(`photo.jpg loses photo.xmp's keywords when photo.png comes beside it, and takes them back when it goes${polling ? ', when it polls' : ''}`, async () => {
      const dir = tempDir();
      const folder = join(dir, 'photos');
      mkdirSync(folder);
      copyFileSync(photo('parrot.jpg'), join(folder, 'photo.jpg'));
      execFileSync('exiftool', ['-q', '-XMP-dc:Subject=Lightroom keyword', join(folder, 'photo.xmp')]);
      const { library } = await taggedLibrary(dir, folder);
      const fromFile = () => {
        const { labels } = library.repo.withTags(library.repo.photoByPath(join(folder, 'photo.jpg'))!);
        return labels.filter((tag) => tag.source === 'file').map((tag) => tag.name);
      };
      try {
        assert.deepEqual(fromFile(), ['Lightroom keyword'], 'photo.jpg alone owns photo.xmp');
        await library.watch({ settleMs: 200, forcePolling: polling, pollIntervalMs: 100 });
        copyFileSync(photo('parrot.jpg'), join(folder, 'photo.png'));
        await until(library, () => fromFile().length === 0, 'photo.jpg no longer owns photo.xmp');
        rmSync(join(folder, 'photo.png'));
        await until(library, () => fromFile().length === 1, 'photo.jpg owns photo.xmp again');
      } finally {
        await library.close();
      }
    });

    it(`reads every sidecar of a burst written at once, one batch of keywords at a time${polling ? ', when it polls' : ''}`, async () => {
      const dir = tempDir();
      const folder = join(dir, 'photos');
      mkdirSync(folder);
      const count = 300;
      const names = Array.from({ length: count }, (_, index) => `photo-${index}.jpg`);
      for (const name of names) copyFileSync(photo('parrot.jpg'), join(folder, name));
      const library = Library.open({
        dbPath: join(dir, 'library.sqlite'),
        modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
      });
      await library.scan(await library.addFolder(folder));
      // As Lightroom's "Save metadata" writes them: one sidecar per photo, all at once.
      const sidecar = readFileSync(fixtureSidecar(dir, 'Saved keyword'));
      const read = () =>
        names.filter((name) =>
          library.repo
            .withTags(library.repo.photoByPath(join(folder, name))!)
            .labels.some((tag) => tag.source === 'file' && tag.name === 'Saved keyword'),
        ).length;
      let changes = 0;
      // The file-system requests in flight, as Node counts them, at every turn of the event loop during the burst.
      let inFlight = 0;
      let sampling = true;
      const sample = () => {
        const requests = process.getActiveResourcesInfo().filter((kind) => kind.startsWith('FSReq')).length;
        inFlight = Math.max(inFlight, requests);
        if (sampling) setImmediate(sample);
      };
      try {
        await library.watch({ settleMs: 200, forcePolling: polling, pollIntervalMs: 100 });
        library.on('changed', () => changes++);
        for (const name of names) writeFileSync(join(folder, `${name}.xmp`), sidecar);
        sample();
        await until(library, () => read() === count, 'every sidecar is read');
        // One batch of keywords reports one change; a photo at a time reported one per sidecar.
        assert.ok(changes <= count / 10, `${changes} changes for ${count} sidecars`);
        // The watcher's own stats (64 at a time) and the photos looked at (8 at a time), not one chain per sidecar.
        assert.ok(inFlight < count / 2, `${inFlight} file-system requests at once for ${count} sidecars`);
      } finally {
        sampling = false;
        await library.close();
      }
    });
  }

  it('sees every change when it polls, those made before its first pass included', async () => {
    const dir = tempDir();
    const folder = join(dir, 'photos');
    mkdirSync(join(folder, 'trip'), { recursive: true });
    for (const name of ['parrot.jpg', 'dog.jpg', 'owl.jpg']) copyFileSync(photo(name), join(folder, name));
    copyFileSync(photo('eagle.jpg'), join(folder, 'trip', 'eagle.jpg'));
    const { library, status, top } = await taggedLibrary(dir, folder);
    try {
      // Between the scan and the watch: a deletion, and a copy that kept its old modification time (cp -p).
      rmSync(join(folder, 'owl.jpg'));
      copyFileSync(photo('hot_dog.jpg'), join(folder, 'old-lunch.jpg'));
      utimesSync(join(folder, 'old-lunch.jpg'), new Date('2001-05-01'), new Date('2001-05-01'));
      await library.watch({ forcePolling: true, pollIntervalMs: 100, settleMs: 100 });
      assert.equal(library.watchMode, 'polling');
      await until(library, () => status('owl.jpg') === 'missing', 'a photo deleted before the watch is hidden');
      await until(library, () => top('old-lunch.jpg') === 'Food', 'a photo copied before the watch is tagged');

      const parrotId = library.repo.photoByPath(join(folder, 'parrot.jpg'))!.id;
      mkdirSync(join(folder, 'new'));
      copyFileSync(photo('hot_dog.jpg'), join(folder, 'new', 'lunch.jpg'));
      copyFileSync(photo('eagle.jpg'), join(folder, 'dog.jpg'));
      renameSync(join(folder, 'parrot.jpg'), join(folder, 'macaw.jpg'));
      rmSync(join(folder, 'trip'), { recursive: true });
      await until(library, () => top(join('new', 'lunch.jpg')) === 'Food', 'a photo in a new folder is tagged');
      await until(library, () => top('dog.jpg') === 'Bird', 'a changed photo is re-tagged');
      await until(library, () => top('macaw.jpg') === 'Bird', 'a renamed photo is found again');
      await until(library, () => status(join('trip', 'eagle.jpg')) === 'missing', "a deleted folder's photo is hidden");
      assert.equal(library.repo.photoByPath(join(folder, 'macaw.jpg'))!.id, parrotId);
    } finally {
      await library.close();
    }
  });
});
