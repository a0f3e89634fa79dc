import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiService } from '../../src-main/api/api-service.js';
import type { FolderInfo, FolderScan, Progress } from '../../src-main/api/contract.js';
import type { Folder } from '../../src-main/db/photo-repository.js';
import { Library } from '../../src-main/library/library.js';
import { photo, tempDir } from '../helpers.js';

describe('rescanning a library folder through the service, with the real model and no watcher', () => {
  const dir = tempDir('phototag-rescan-');
  const photos = join(dir, 'Photos');
  const away = join(dir, 'Photos (unplugged)');
  let library: Library;
  let service: ApiService;
  let folder: Folder;

  before(() => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    mkdirSync(photos);
    for (const name of ['dog.jpg', 'owl.jpg']) copyFileSync(photo(name), join(photos, name));
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    // Not started: nothing watches the folder, so only a scan finds what is copied into it.
    service = new ApiService(library);
    folder = library.addFolder(photos);
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
    // Copied after the first scan was asked for: the scan that follows it finds the photo.
    copyFileSync(photo('eagle.jpg'), join(photos, 'eagle.jpg'));
    const [second, third, { folder: info }] = await Promise.all([
      library.scan(folder),
      library.scan(folder),
      service.call('rescanFolder', { folderId: folder.id }),
      first,
    ]);
    assert.notEqual(await first, second, 'the second scan is a scan of its own');
    assert.equal(second, third, 'those asked for while the first ran are one');
    assert.equal(second.found, 3);
    assert.equal(info.lastScan!.found, 3);
    assert.equal(library.folderScan(folder.id).scanning, false);
  });
});
