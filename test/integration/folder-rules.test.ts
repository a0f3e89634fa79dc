import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ApiService, ApiServiceError } from '../../src-main/api/api-service.js';
import type { ApiEvent } from '../../src-main/api/contract.js';
import { systemFolderReason } from '../../src-main/library/folder-rules.js';
import { Library } from '../../src-main/library/library.js';
import { phototag } from '../cli.js';
import { photo, tempDir } from '../helpers.js';

const linuxOnly = process.platform !== 'linux' && 'needs Linux /proc, /sys and /dev';

const folderCount = (dbPath: string) => {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM folders').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('folders that are not photo folders', () => {
  it(
    'phototag tag refuses the file-system root and system folders, saying why, and adds nothing',
    { skip: linuxOnly },
    () => {
      const dir = tempDir('phototag-rules-');
      const db = join(dir, 'library.sqlite');
      const disguised = join(dir, 'innocent-looking');
      symlinkSync('/proc/self', disguised);
      const refusals: [string, string][] = [
        ['/proc/self', 'it is a system folder (proc), not a photo folder'],
        ['/sys', 'it is a system folder (sysfs), not a photo folder'],
        ['/dev', 'it is a system folder (devices), not a photo folder'],
        ['/', 'it is the root of the file system, not a photo folder'],
        [disguised, 'it is a system folder (proc), not a photo folder'],
      ];
      for (const [folder, why] of refusals) {
        const result = phototag(join(dir, 'home'), ['tag', folder, '--db', db]);
        assert.equal(result.status, 1, `${folder}: ${result.stderr}`);
        assert.equal(result.stderr, `phototag: Cannot add ${folder}: ${why}.\n`);
      }
      assert.equal(folderCount(db), 0);
    },
  );

  it('allows the home folder and temporary folders (tmpfs holds photos too)', () => {
    assert.equal(systemFolderReason(homedir()), undefined);
    assert.equal(systemFolderReason(tempDir()), undefined);
  });

  describe('through the API', () => {
    const dir = tempDir('phototag-rules-api-');
    const photos = join(dir, 'photos');
    let library: Library;
    let service: ApiService;

    before(() => {
      process.env.PHOTOTAG_HOME ??= join(dir, 'home');
      mkdirSync(photos);
      copyFileSync(photo('dog.jpg'), join(photos, 'dog.jpg'));
      library = Library.open({ dbPath: join(dir, 'library.sqlite') });
      service = new ApiService(library);
    });

    after(async () => {
      service?.close();
      await library?.close();
    });

    it('answers "refused" with the reason', { skip: linuxOnly }, async () => {
      for (const [path, why] of [
        ['/proc/self', 'it is a system folder (proc), not a photo folder'],
        ['/', 'it is the root of the file system, not a photo folder'],
      ] as const) {
        await assert.rejects(
          service.call('addFolder', { path }),
          (error: unknown) =>
            error instanceof ApiServiceError &&
            error.code === 'refused' &&
            error.message === `Cannot add ${path}: ${why}.`,
        );
      }
      assert.deepEqual(library.repo.folders(), []);
    });

    it(
      'skips at start a system folder an older Phototag added: not scanned, not watched, with a warning',
      { skip: linuxOnly },
      async () => {
        library.repo.addFolder('/proc/self');
        library.repo.addFolder(photos);
        const warnings: string[] = [];
        let idle!: () => void;
        const tagged = new Promise<void>((resolve) => (idle = resolve));
        service.onEvent((event: ApiEvent) => {
          if (event.type === 'warning') warnings.push(event.warning.message);
          if (event.type === 'progress' && event.progress.state === 'idle' && event.progress.done === 1) idle();
        });
        await service.start();
        await tagged;
        assert.deepEqual(warnings, [
          'Skipped the library folder /proc/self: it is a system folder (proc), not a photo folder; remove it from the library.',
        ]);
        assert.deepEqual(library.repo.photosUnder('/proc/self'), []);
        assert.equal(library.repo.counts().total, 1);
      },
    );
  });
});
