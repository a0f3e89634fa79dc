import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { describe, it } from 'node:test';
import {
  FolderWatcher,
  watchFolderNatively,
  type FolderWatcherOptions,
  type KnownPhoto,
  type PhotoFile,
  type WatchEvents,
  type WatchFolder,
} from '../../src-main/library/folder-watcher.js';
import { openDatabase } from '../../src-main/db/database.js';
import { PhotoRepository, photoVersion } from '../../src-main/db/photo-repository.js';
import { scanFolder } from '../../src-main/library/folder-scanner.js';
import { tempDir } from '../helpers.js';

/** SQLite's order of paths, UTF-8 bytes, in which the library gives a folder's photos. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Records what the watcher reports and lets a test wait, with a deadline, until a condition holds. It knows the
 * photos as a library would: those of its scan before watching, then as reported.
 */
class Recorder implements WatchEvents {
  readonly photos: PhotoFile[] = [];
  readonly removed: string[] = [];
  readonly warnings: string[] = [];
  readonly #known = new Map<string, PhotoFile>();
  #waiters = new Set<() => void>();

  /** Knows the photos under `root` as they are now, as the library's scan before watching does. */
  async scan(root: string): Promise<void> {
    for await (const entry of scanFolder(root)) if (entry.type === 'photo') this.#known.set(entry.path, entry);
  }

  onPhoto(entry: PhotoFile): void {
    this.photos.push(entry);
    this.#known.set(entry.path, entry);
    this.#wake();
  }
  onRemoved(path: string): void {
    this.removed.push(path);
    for (const known of this.#known.keys())
      if (known === path || known.startsWith(path + sep)) this.#known.delete(known);
    this.#wake();
  }
  knownPhotos(folder: string): Iterable<KnownPhoto> {
    const photos = [...this.#known.values()].filter((photo) => dirname(photo.path) === folder);
    return photos.map((photo): KnownPhoto => [photo.path, photoVersion(photo)]).sort(([a], [b]) => byteOrder(a, b));
  }
  onWarning(message: string): void {
    this.warnings.push(message);
    this.#wake();
  }

  photoCount(path: string): number {
    return this.photos.filter((photo) => photo.path === path).length;
  }

  until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const seen = `photos ${this.photos.length}, removed [${this.removed.join(', ')}], warnings [${this.warnings.join(' | ')}]`;
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; saw ${seen}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  /** Writes a new photo and waits for it: every change made before it has had its settle time by then. */
  async barrier(folder: string): Promise<void> {
    const path = join(folder, `barrier-${this.photos.length}-${Date.now()}.jpg`);
    writeFileSync(path, 'barrier');
    await this.until(`the barrier photo ${path}`, () => this.photoCount(path) > 0);
  }

  #wake(): void {
    for (const check of [...this.#waiters]) check();
  }
}

/**
 * Knows the photos as the library does, in its database: what is reported is stored at once, from inside the
 * callbacks, so writes land between the stretches in which photosInFolder reads a folder's rows lazily.
 */
class LibraryRecorder extends Recorder {
  passes = 0;
  readonly #folderId: number;

  constructor(
    private readonly repository: PhotoRepository,
    private readonly root: string,
  ) {
    super();
    this.#folderId = repository.addFolder(root).id;
  }

  override async scan(root: string): Promise<void> {
    const photos: PhotoFile[] = [];
    for await (const entry of scanFolder(root)) if (entry.type === 'photo') photos.push(entry);
    this.repository.upsertScanned(this.#folderId, photos);
  }
  override onPhoto(entry: PhotoFile): void {
    this.repository.upsertScanned(this.#folderId, [entry]);
    super.onPhoto(entry);
  }
  override onRemoved(path: string): void {
    this.repository.markMissing([path], []);
    super.onRemoved(path);
  }
  override knownPhotos(folder: string): Iterable<KnownPhoto> {
    if (folder === this.root) this.passes++;
    return this.repository.photosInFolder(folder, () => undefined);
  }

  /** Waits until `count` more polling passes have begun, so that the one before the last has run whole. */
  async morePasses(count: number): Promise<void> {
    const until = this.passes + count;
    const deadline = Date.now() + 15_000;
    while (this.passes < until) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} polling passes`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function write(root: string, relative: string, content = 'x'): string {
  const path = join(root, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function watching(
  root: string,
  options: FolderWatcherOptions = {},
): Promise<{ events: Recorder; watcher: FolderWatcher }> {
  const events = new Recorder();
  await events.scan(root);
  const watcher = new FolderWatcher(events, { settleMs: 100, pollIntervalMs: 100, ...options });
  await watcher.add(root);
  return { events, watcher };
}

/** The real native watch, failing as inotify does once `allowed` watches are in use. */
function limitedWatches(allowed: number): WatchFolder {
  let used = 0;
  return (folder, onChange, onError) => {
    if (++used > allowed) {
      const error = new Error(`ENOSPC: System limit for number of file watchers reached, watch '${folder}'`);
      throw Object.assign(error, { code: 'ENOSPC', errno: -28, syscall: 'watch', path: folder });
    }
    return watchFolderNatively(folder, onChange, onError);
  };
}

describe('watching library folders', () => {
  it('reports new photos in old and new folders, and nothing else', async () => {
    const root = tempDir();
    const existing = write(root, 'album/existing.jpg');
    const { events, watcher } = await watching(root);
    try {
      assert.equal(watcher.mode, 'native');
      const added = write(root, 'album/IMG_0001.JPG');
      const nested = write(root, 'new/deeper/still/IMG_0002.heic');
      write(root, 'album/notes.txt');
      write(root, 'album/.hidden.jpg');
      write(root, '.cache/thumb.jpg');
      write(root, 'album/@eaDir/IMG_0001.JPG/SYNOFILE_THUMB_M.jpg');
      await events.until('both new photos', () => events.photoCount(added) > 0 && events.photoCount(nested) > 0);
      await events.barrier(root);
      const reported = events.photos.map((photo) => photo.path).filter((path) => !path.includes('barrier-'));
      assert.deepEqual(reported.sort(), [added, nested].sort());
      assert.ok(!reported.includes(existing));
      assert.equal(events.photos[0]?.size, 1);
      assert.deepEqual(events.removed, []);
    } finally {
      await watcher.close();
    }
  });

  it('reports a changed photo with its new size', async () => {
    const root = tempDir();
    const photo = write(root, 'photo.png', '1234');
    const { events, watcher } = await watching(root);
    try {
      appendFileSync(photo, '5678');
      await events.until('the changed photo', () => events.photoCount(photo) > 0);
      assert.equal(events.photos.find((entry) => entry.path === photo)?.size, 8);
    } finally {
      await watcher.close();
    }
  });

  it('reports a rename as the old path removed and the new one added, and a deletion as removed', async () => {
    const root = tempDir();
    const before = write(root, 'album/before.jpg');
    const doomed = write(root, 'album/doomed.jpg');
    const { events, watcher } = await watching(root);
    try {
      const after = join(root, 'album', 'after.jpg');
      renameSync(before, after);
      unlinkSync(doomed);
      await events.until(
        'the rename and the deletion',
        () => events.removed.includes(before) && events.removed.includes(doomed) && events.photoCount(after) > 0,
      );
      await events.barrier(root);
      assert.equal(events.photoCount(after), 1);
      assert.deepEqual(events.removed.sort(), [before, doomed].sort());
    } finally {
      await watcher.close();
    }
  });

  it('reports a deleted folder by its path, and a renamed folder as removed and its photos as new', async () => {
    const root = tempDir();
    write(root, 'trip/day-1/a.jpg');
    write(root, 'trip/day-2/b.jpg');
    const keep = write(root, 'keep/c.jpg');
    const { events, watcher } = await watching(root);
    try {
      rmSync(join(root, 'trip'), { recursive: true });
      await events.until('the deleted folder', () => events.removed.includes(join(root, 'trip')));
      renameSync(join(root, 'keep'), join(root, 'kept'));
      const moved = join(root, 'kept', 'c.jpg');
      await events.until('the renamed folder', () => events.removed.includes(join(root, 'keep')));
      await events.until('the photo in the renamed folder', () => events.photoCount(moved) > 0);
      assert.ok(!events.removed.includes(keep), 'the folder removal covers the photos in it');
      // Still watching the folder under its new name.
      const later = write(root, 'kept/d.jpg');
      await events.until('a photo added to the renamed folder', () => events.photoCount(later) > 0);
      await events.barrier(root);
      assert.equal(events.photoCount(moved), 1);
    } finally {
      await watcher.close();
    }
  });

  it('waits for a file written in chunks to settle and reports it once', async () => {
    const root = tempDir();
    const settleMs = 1000;
    const { events, watcher } = await watching(root, { settleMs });
    try {
      const path = join(root, 'copying.jpg');
      const file = await open(path, 'w');
      let lastWrite = 0;
      for (let chunk = 0; chunk < 6; chunk++) {
        await file.write(Buffer.alloc(1000, chunk));
        lastWrite = performance.now();
        // Pauses well under settleMs, as a slow copy makes.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(events.photoCount(path), 0, `reported while still growing (after chunk ${chunk})`);
      }
      await file.close();
      await events.until('the settled photo', () => events.photoCount(path) > 0);
      assert.ok(performance.now() - lastWrite >= settleMs, 'reported before it had held still for settleMs');
      assert.equal(events.photos.find((entry) => entry.path === path)?.size, 6000);
      await events.barrier(root);
      assert.equal(events.photoCount(path), 1);
    } finally {
      await watcher.close();
    }
  });

  it('reports each of a burst of 10,000 new files exactly once', async (t) => {
    const root = tempDir();
    mkdirSync(join(root, 'existing'));
    const { events, watcher } = await watching(root, { settleMs: 200 });
    try {
      const started = performance.now();
      const paths: string[] = [];
      // Half into a folder that existed, half into one created as the burst starts (its first files land before
      // its watch exists).
      mkdirSync(join(root, 'fresh'));
      for (let i = 0; i < 10_000; i++) paths.push(join(root, i % 2 ? 'fresh' : 'existing', `IMG_${i}.jpg`));
      for (let i = 0; i < paths.length; i += 200) {
        await Promise.all(paths.slice(i, i + 200).map((path) => writeFile(path, 'photo')));
      }
      const written = performance.now();
      await events.until('10,000 photos', () => events.photos.length >= paths.length, 30_000);
      t.diagnostic(
        `10,000 files: written in ${Math.round(written - started)} ms, all reported ${Math.round(performance.now() - written)} ms later`,
      );
      await events.barrier(root);
      const counts = new Map<string, number>();
      for (const { path } of events.photos) counts.set(path, (counts.get(path) ?? 0) + 1);
      assert.deepEqual(
        paths.filter((path) => counts.get(path) !== 1),
        [],
      );
      assert.equal(events.photos.length, paths.length + 1);
    } finally {
      await watcher.close();
    }
  });

  it('falls back to polling when the watch limit is hit, says so, and still sees changes', async () => {
    const root = tempDir();
    write(root, 'a/one.jpg');
    const doomed = write(root, 'b/two.jpg');
    const { events, watcher } = await watching(root, { watchFolder: limitedWatches(2) });
    try {
      assert.equal(watcher.mode, 'polling');
      assert.equal(events.warnings.length, 1);
      assert.match(events.warnings[0]!, /max_user_watches/);
      assert.match(events.warnings[0]!, /looks for changes every 100 ms/);
      const added = write(root, 'b/new.jpg');
      const nested = write(root, 'c/d/deep.png');
      unlinkSync(doomed);
      await events.until(
        'changes seen by polling',
        () => events.photoCount(added) > 0 && events.photoCount(nested) > 0 && events.removed.includes(doomed),
      );
      await events.barrier(root);
      assert.equal(events.photoCount(added), 1);
      assert.equal(events.photoCount(nested), 1);
      assert.equal(events.warnings.length, 1);
    } finally {
      await watcher.close();
    }
  });

  it('falls back to polling when a new folder cannot be watched, and still reports the photos in it', async () => {
    const root = tempDir();
    const { events, watcher } = await watching(root, { watchFolder: limitedWatches(1) });
    try {
      assert.equal(watcher.mode, 'native');
      const photo = write(root, 'new-folder/photo.jpg');
      await events.until('the photo in the unwatchable folder', () => events.photoCount(photo) > 0);
      assert.equal(watcher.mode, 'polling');
      assert.equal(events.warnings.length, 1);
      assert.match(events.warnings[0]!, /cannot watch the photo folders/);
      await events.barrier(root);
      assert.equal(events.photoCount(photo), 1);
    } finally {
      await watcher.close();
    }
  });

  it('polls a folder whose names the walk and the library order apart, and reports only what changed', async () => {
    const root = tempDir();
    const album = join(root, 'album');
    // U+1F600 (a surrogate pair) sorts below U+FF01 by UTF-16 code units, as the walk lists, and above it by UTF-8
    // bytes, as the library reads: each of the two is met out of step with the other order.
    const emoji = write(album, '\u{1F600}.jpg');
    const fullwidth = write(album, '\uFF01.jpg');
    write(album, 'a.jpg');
    const { events, watcher } = await watching(root, { forcePolling: true });
    try {
      await events.barrier(album);
      assert.deepEqual(events.removed, []);
      assert.deepEqual([events.photoCount(emoji), events.photoCount(fullwidth)], [0, 0]);
      appendFileSync(emoji, 'changed');
      unlinkSync(fullwidth);
      await events.until(
        'the change and the deletion',
        () => events.photoCount(emoji) > 0 && events.removed.length > 0,
      );
      await events.barrier(album);
      assert.equal(events.photoCount(emoji), 1);
      assert.deepEqual(events.removed, [fullwidth]);
    } finally {
      await watcher.close();
    }
  });

  it('polls folders read lazily from the library while its callbacks write to it, and reports each change once', async () => {
    const root = tempDir();
    const album = join(root, '２０２４ 📷');
    // More rows than photosInFolder's stretches of 16 doubling to 1,024 take (2,032), and names the two orders place
    // apart (U+FF01 against an emoji's surrogates) spread through them.
    const names = Array.from(
      { length: 2100 },
      (_, i) => `IMG_${i}${i % 7 === 0 ? '\uFF01' : ''}${i % 11 === 0 ? '\u{1F600}' : ''}.jpg`,
    );
    for (const name of names) write(album, name);
    for (let i = 0; i < 1100; i++) write(root, `r${i}.jpg`);
    const db = openDatabase(join(tempDir(), 'library.sqlite'));
    const events = new LibraryRecorder(new PhotoRepository(db), root);
    await events.scan(root);
    const watcher = new FolderWatcher(events, { forcePolling: true, settleMs: 50, pollIntervalMs: 50 });
    try {
      await watcher.add(root);
      await events.morePasses(2);
      assert.deepEqual([events.photos.length, events.removed.length], [0, 0]);
      const deleted = [7, 11, 15, 16, 500, 1100, 2099].map((i) => join(album, names[i]!)).concat(join(root, 'r5.jpg'));
      const changed = [14, 22, 1000, 2040].map((i) => join(album, names[i]!)).concat(join(root, 'r1099.jpg'));
      const added = ['new\u{1F600}.jpg', 'new\uFF01.jpg', 'IMG_0a.jpg'].map((name) => join(album, name));
      for (const path of deleted) unlinkSync(path);
      for (const path of changed) appendFileSync(path, 'changed');
      for (const path of added) writeFileSync(path, 'new');
      added.push(write(root, 'r0a.jpg'));
      const reported = [...changed, ...added];
      await events.until(
        'every change, addition and deletion',
        () => reported.every((path) => events.photoCount(path) > 0) && events.removed.length >= deleted.length,
      );
      await events.morePasses(3);
      assert.deepEqual(events.removed.sort(), deleted.sort());
      assert.deepEqual(events.photos.map((photo) => photo.path).sort(), reported.sort());
    } finally {
      await watcher.close();
      db.close();
    }
  });

  it('warns about a root that is not there and watches the others', async () => {
    const parent = tempDir();
    const missing = join(parent, 'unplugged-drive');
    const present = join(parent, 'pictures');
    mkdirSync(present);
    const events = new Recorder();
    const watcher = new FolderWatcher(events, { settleMs: 100 });
    try {
      await watcher.add(missing);
      await watcher.add(present);
      assert.deepEqual(events.warnings, [`Cannot watch ${missing} for changes: it does not exist.`]);
      const photo = write(present, 'new.jpg');
      await events.until('the photo in the other root', () => events.photoCount(photo) > 0);
    } finally {
      await watcher.close();
    }
  });

  it('warns, and removes nothing, when a whole root disappears', async () => {
    const parent = tempDir();
    const root = join(parent, 'external-drive');
    write(root, 'photos/a.jpg');
    const { events, watcher } = await watching(root);
    try {
      rmSync(root, { recursive: true });
      await events.until('the warning', () => events.warnings.length > 0);
      assert.match(events.warnings[0]!, /can no longer reach .*external-drive/);
      assert.ok(!events.removed.includes(root));
    } finally {
      await watcher.close();
    }
  });

  it('polls on a root that was gone on its first polling pass, and finds its photos once it is back', async () => {
    const parent = tempDir();
    const root = join(parent, 'external-drive');
    const away = join(parent, 'unplugged');
    write(root, 'photos/a.jpg');
    // The drive is unplugged as its watch is placed, and that watch hits the limit: the first polling pass finds
    // no root, between the watcher's look at it and its walk.
    const unplugging: WatchFolder = (folder) => {
      renameSync(root, away);
      const error = new Error(`ENOSPC: System limit for number of file watchers reached, watch '${folder}'`);
      throw Object.assign(error, { code: 'ENOSPC', errno: -28, syscall: 'watch', path: folder });
    };
    const { events, watcher } = await watching(root, { watchFolder: unplugging });
    try {
      await events.until('the root reported gone', () => events.warnings.some((w) => /can no longer reach/.test(w)));
      assert.equal(watcher.mode, 'polling');
      renameSync(away, root);
      const added = write(root, 'photos/new.jpg');
      await events.until('the photo added once the root came back', () => events.photoCount(added) > 0);
      assert.deepEqual(events.removed, [], 'nothing was taken for deleted while the drive was away');
    } finally {
      await watcher.close();
    }
  });
});
