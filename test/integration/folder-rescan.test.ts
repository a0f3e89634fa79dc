import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { ApiService } from '../../src-main/api/api-service.js';
import type { FolderInfo, FolderScan, Progress } from '../../src-main/api/contract.js';
import type { Folder } from '../../src-main/db/photo-repository.js';
import { Library, type ScanSummary } from '../../src-main/library/library.js';
import { photo, tempDir } from '../helpers.js';

describe('rescanning a library folder through the service, with the real model and no watcher', () => {
  const dir = tempDir('phototag-rescan-');
  const photos = join(dir, 'Photos');
  const away = join(dir, 'Photos (unplugged)');
  let library: Library;
  let service: ApiService;
  let folder: Folder;

  before(async () => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    mkdirSync(photos);
    for (const name of ['dog.jpg', 'owl.jpg']) copyFileSync(photo(name), join(photos, name));
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    // Not started: nothing watches the folder, so only a scan finds what is copied into it.
    service = new ApiService(library);
    folder = await library.addFolder(photos);
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  const shown = async (): Promise<FolderInfo> => {
    const { folders } = await service.call('summary', {});
    assert.equal(folders.length, 1);
    return folders[0]!;
  };

  /** The last scan's counts, its time aside. */
  const counts = ({ at: _, ...scan }: FolderScan) => scan;
  /** What a scan of a folder that was there says. */
  const healthy = (found: number, added: number, changed = 0, missing = 0) => ({
    ...{ found, added, changed, missing },
    problems: 0,
    unavailable: null,
  });

  /** Resolves once the engine has tagged everything pending and is idle. */
  const tagged = () =>
    new Promise<Progress>((resolve) => {
      const stop = service.onEvent((event) => {
        if (event.type === 'progress' && event.progress.state === 'idle' && event.progress.queued === 0) {
          stop();
          resolve(event.progress);
        }
      });
    });

  it('knows of no scan before the first', async () => {
    const info = await shown();
    assert.equal(info.lastScan, null);
    assert.equal(info.scanning, false);
  });

  it('scans the folder, answers what the scan found, and the summary says it too', async () => {
    const before = Date.now();
    const { folder: info } = await service.call('rescanFolder', { folderId: folder.id });
    assert.deepEqual(counts(info.lastScan!), healthy(2, 2));
    assert.ok(info.lastScan!.at >= before && info.lastScan!.at <= Date.now(), 'when it ended');
    assert.equal(info.scanning, false);
    assert.equal(info.total, 2);
    assert.deepEqual((await shown()).lastScan, info.lastScan);
  });

  it('finds a photo copied in without any watcher event, and tags it', async () => {
    copyFileSync(photo('cat.bmp'), join(photos, 'cat.bmp'));
    const done = tagged();
    const { folder: info } = await service.call('rescanFolder', { folderId: folder.id });
    assert.deepEqual(counts(info.lastScan!), healthy(3, 1));
    await done;
    assert.equal((await shown()).done, 3, 'every photo is tagged after the rescan');
    const cats = await service.call('queryPhotos', { filter: { tags: [{ kind: 'category', id: 'cat' }] } });
    assert.deepEqual(
      cats.photos.map((tile) => tile.name),
      ['cat.bmp'],
    );
  });

  it('counts a photo saved over as changed, and one deleted as gone', async () => {
    copyFileSync(photo('parrot.jpg'), join(photos, 'owl.jpg'));
    rmSync(join(photos, 'dog.jpg'));
    const done = tagged();
    const { folder: info } = await service.call('rescanFolder', { folderId: folder.id });
    assert.deepEqual(counts(info.lastScan!), healthy(2, 0, 1, 1));
    assert.equal(info.total, 2);
    // Tagged again before the folder goes away below.
    await done;
  });

  it('says the folder is not available while it is gone, keeps its photos, and forgets it once it is back', async () => {
    renameSync(photos, away);
    try {
      const { folder: gone } = await service.call('rescanFolder', { folderId: folder.id });
      assert.deepEqual(gone.lastScan!.unavailable, { reason: 'it cannot be read or is gone', kept: 2 });
      assert.equal(gone.total, 2, 'its photos are kept');
      assert.deepEqual((await shown()).lastScan, gone.lastScan);
    } finally {
      renameSync(away, photos);
    }
    const { folder: back } = await service.call('rescanFolder', { folderId: folder.id });
    assert.deepEqual(counts(back.lastScan!), healthy(2, 0));
  });

  it('says a folder suddenly empty is not available, as an unmounted share leaves its mount point', async () => {
    renameSync(photos, away);
    mkdirSync(photos);
    try {
      const { folder: empty } = await service.call('rescanFolder', { folderId: folder.id });
      assert.deepEqual(empty.lastScan!.unavailable, { reason: 'it is empty now', kept: 2 });
      assert.equal(empty.total, 2);
    } finally {
      rmSync(photos, { recursive: true });
      renameSync(away, photos);
    }
  });

  it('refuses an unknown folder id as not found, and a malformed one as a bad request', async () => {
    await assert.rejects(service.call('rescanFolder', { folderId: folder.id + 100 }), {
      code: 'not-found',
      message: `There is no library folder with id ${folder.id + 100}.`,
    });
    for (const args of [{}, { folderId: 0 }, { folderId: '1' }, { folderId: 1, path: '/' }]) {
      const answer = await service.dispatch('rescanFolder', args);
      assert.ok('error' in answer && answer.error.code === 'bad-request', JSON.stringify(args));
    }
  });

  it('never scans a folder twice at once: scans asked for while one runs are one scan, after it', async () => {
    const first = library.scan(folder);
    assert.equal(library.folderScan(folder.id).scanning, true, 'scanning as soon as asked');
    assert.equal((await shown()).scanning, true);
    // Copied once the first scan is over, before the one asked for meanwhile walks: only that one can find it.
    const copied = first.then(() => copyFileSync(photo('eagle.jpg'), join(photos, 'eagle.jpg')));
    const [second, third, { folder: info }] = await Promise.all([
      library.scan(folder),
      library.scan(folder),
      service.call('rescanFolder', { folderId: folder.id }),
      copied,
    ]);
    assert.equal((await first).found, 2, 'the first scan missed the photo');
    assert.notEqual(await first, second, 'the second scan is a scan of its own');
    assert.equal(second, third, 'those asked for while the first ran are one');
    assert.deepEqual([second.found, second.added], [3, 1], 'the scan that followed found it');
    assert.equal(info.lastScan!.found, 3);
    assert.equal(library.folderScan(folder.id).scanning, false);
  });
});

describe("a folder's scans, however they end", () => {
  /** A library in a fresh folder, with `photos` (fixture names, or a count of copies of one) in the folder Photos. */
  const setUp = (photos: string[] | number = ['dog.jpg', 'owl.jpg']) => {
    const dir = tempDir('phototag-scan-end-');
    const folder = join(dir, 'Photos');
    mkdirSync(folder);
    if (typeof photos === 'number') {
      for (let i = 0; i < photos; i++) copyFileSync(photo('dog.jpg'), join(folder, `dog-${i}.jpg`));
    } else {
      for (const name of photos) copyFileSync(photo(name), join(folder, name));
    }
    const dbPath = join(dir, 'library.sqlite');
    const library = Library.open({ dbPath });
    return { dir, folder, dbPath, library };
  };

  /** Whether the folder was said to be scanned at each 'changed' the library emitted, in order. */
  const scanningAtChanges = (library: Library, folderId: number) => {
    const seen: boolean[] = [];
    library.on('changed', () => seen.push(library.folderScan(folderId).scanning));
    return seen;
  };

  const noDatabaseError = (results: PromiseSettledResult<unknown>[]) => {
    for (const result of results) {
      if (result.status === 'rejected') {
        assert.doesNotMatch(String((result.reason as Error).message), /FOREIGN KEY|Cannot compare|not open/);
      }
    }
  };

  it('stops a running and a queued scan of a folder removed, with no database error and no outcome left', async () => {
    const { folder, library } = setUp(['dog.jpg', 'owl.jpg', 'cat.bmp', 'eagle.jpg']);
    const service = new ApiService(library);
    try {
      const added = await library.addFolder(folder);
      const running = library.scan(added);
      const queued = service.call('rescanFolder', { folderId: added.id });
      const settled = Promise.allSettled([running, queued]);
      await library.removeFolder(folder);
      const results = await settled;
      noDatabaseError(results);
      assert.equal(results[0].status, 'fulfilled', 'the running scan stops with what it found');
      assert.equal(results[1].status, 'rejected');
      assert.deepEqual(
        {
          code: (results[1] as PromiseRejectedResult).reason.code,
          message: (results[1] as PromiseRejectedResult).reason.message,
        },
        { code: 'not-found', message: `${folder} was removed from the library while it was scanned.` },
      );
      assert.deepEqual(library.folderScan(added.id), { lastScan: null, scanning: false });
      assert.equal(library.repo.counts().total, 0);
    } finally {
      service.close();
      await library.close();
    }
  });

  it('stops the scans of a folder taken in by a folder added above it, which then finds its photos', async () => {
    const { dir, folder, library } = setUp(['dog.jpg', 'owl.jpg', 'cat.bmp', 'eagle.jpg']);
    try {
      const inner = await library.addFolder(folder);
      const running = library.scan(inner);
      const queued = library.scan(inner);
      const { folder: outer, outcome } = await library.joinFolder(dir);
      assert.equal(outcome, 'merged');
      noDatabaseError(await Promise.allSettled([running, queued]));
      assert.deepEqual(library.folderScan(inner.id), { lastScan: null, scanning: false });
      assert.equal((await library.scan(outer)).found, 4);
      assert.equal(library.folderScan(outer.id).lastScan?.found, 4);
    } finally {
      await library.close();
    }
  });

  it('walks nothing for a folder held from before its removal, though a folder added since has its id', async () => {
    const { dir, folder, library } = setUp();
    try {
      // As start-up's list of folders, or a rescan asked for as the folder left, holds it.
      const stale = await library.addFolder(folder);
      await library.removeFolder(folder);
      const since = join(dir, 'Since');
      mkdirSync(since);
      const added = await library.addFolder(since);
      assert.equal(added.id, stale.id, 'SQLite gave the folder added since another id: this test shows nothing');
      assert.deepEqual([(await library.scan(stale)).found, library.repo.photosUnder(folder).length], [0, 0]);
      assert.equal(library.folderScan(added.id).lastScan, null);
    } finally {
      await library.close();
    }
  });

  it('keeps scanning a folder when adding one above it fails, as on a database another process holds', async () => {
    const { dir, folder, dbPath, library } = setUp();
    const other = new Database(dbPath);
    try {
      const inner = await library.addFolder(folder);
      library.db.pragma('busy_timeout = 50');
      other.exec('BEGIN IMMEDIATE');
      await assert.rejects(library.joinFolder(dir), /locked|busy/i);
      other.exec('ROLLBACK');
      assert.ok(library.holds(inner), 'the folder is still the library’s own');
      assert.equal((await library.scan(inner)).found, 2);
      assert.equal(library.folderScan(inner.id).lastScan?.found, 2);
    } finally {
      other.close();
      await library.close();
    }
  });

  /**
   * A folder scanned once, then `spoil`ed, then scanned again (`ends` checks how that scan ends): the folder list
   * stops saying it is scanned, and a change heard after the end says so.
   */
  const endsSaidOver =
    (spoil: (folder: string, library: Library) => void, ends: (scan: Promise<ScanSummary>) => Promise<unknown>) =>
    async () => {
      const { folder, library } = setUp();
      try {
        const added = await library.addFolder(folder);
        await library.scan(added);
        spoil(folder, library);
        const seen = scanningAtChanges(library, added.id);
        await ends(library.scan(added));
        assert.equal(library.folderScan(added.id).scanning, false);
        assert.equal(seen.at(-1), false, `the last change says it is no longer scanned (${JSON.stringify(seen)})`);
      } finally {
        await library.close();
      }
    };

  it(
    'stops saying the folder is scanned, in a change heard after the end, when the folder is not available',
    endsSaidOver(
      (folder) => rmSync(folder, { recursive: true }),
      async (scan) => assert.equal((await scan).problems.length, 1, 'not available'),
    ),
  );

  it(
    'stops saying the folder is scanned, in a change heard after the end, when the scan fails',
    endsSaidOver(
      // Every read of the comparison fails, as a damaged library's would (see scan-comparison.test.ts).
      (_, library) => library.db.exec('DROP INDEX photos_scan'),
      (scan) => assert.rejects(scan, /^Error: Cannot compare .*no such index: photos_scan\.$/),
    ),
  );

  it('runs the scan queued behind one that failed, and everyone who asked for it gets its result', async () => {
    const { folder, library } = setUp();
    try {
      const added = await library.addFolder(folder);
      library.db.exec('DROP INDEX photos_scan');
      const failing = library.scan(added);
      // Mended as soon as the first scan fails, before the one queued behind it reads the library.
      const mended = failing.then(
        () => assert.fail('the first scan fails'),
        (error: Error) => {
          library.db.exec('CREATE INDEX photos_scan ON photos(path, size, mtime_ms, status, sidecar_stamp)');
          return error;
        },
      );
      const [queued, again] = [library.scan(added), library.scan(added)];
      assert.match((await mended).message, /no such index: photos_scan/);
      assert.equal(await queued, await again);
      assert.equal((await queued).added, 2);
      assert.equal(library.folderScan(added.id).lastScan?.added, 2);
    } finally {
      await library.close();
    }
  });

  it('stops a scan as the library closes: no error escapes, and the library is whole', async () => {
    const { folder, dbPath, library } = setUp(300);
    const added = await library.addFolder(folder);
    const scan = library.scan(added);
    await library.close();
    const summary = await scan;
    assert.ok(summary.found < 300, `stopped before the end (${summary.found} found)`);
    const reopened = Library.open({ dbPath });
    try {
      assert.deepEqual(reopened.db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      assert.deepEqual(
        reopened.repo.folders().map(({ path }) => path),
        [folder],
      );
      assert.equal((await reopened.scan(reopened.repo.folders()[0]!)).found, 300);
    } finally {
      await reopened.close();
    }
  });

  it("counts as unreadable only the files and folders the walk could not read, not a sidecar's keywords", async () => {
    const { folder, library } = setUp();
    try {
      const added = await library.addFolder(folder);
      await library.scan(added);
      writeFileSync(join(folder, 'dog.jpg.xmp'), 'this is not XML at all');
      const summary = await library.scan(added);
      assert.equal(summary.rereadKeywords, 1);
      assert.equal(summary.problems.length, 1, "the sidecar's problem is in the summary");
      assert.equal(library.folderScan(added.id).lastScan?.problems, 0);
    } finally {
      await library.close();
    }
  });
});
