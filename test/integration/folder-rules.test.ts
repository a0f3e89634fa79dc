import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ApiService, ApiServiceError } from '../../src-main/api/api-service.js';
import type { ApiEvent } from '../../src-main/api/contract.js';
import { expandHome, suggestedFolders, systemFolderReason } from '../../src-main/library/folder-rules.js';
import { folderJoinNote, Library } from '../../src-main/library/library.js';
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

  it('allows the home folder and temporary folders (tmpfs holds photos too)', async () => {
    assert.equal(await systemFolderReason(homedir()), undefined);
    assert.equal(await systemFolderReason(tempDir()), undefined);
  });

  it(
    'judges a link by where it leads, and a folder that is gone by its path, as scans ask at start-up',
    { skip: linuxOnly },
    async () => {
      const disguised = join(tempDir('phototag-rules-'), 'innocent-looking');
      symlinkSync('/proc/self', disguised);
      const gone = join(tempDir(), 'gone');
      assert.equal(await systemFolderReason(disguised), 'it is a system folder (proc), not a photo folder');
      assert.equal(await systemFolderReason('/proc/gone-pid'), 'it is a system folder (proc), not a photo folder');
      assert.equal(await systemFolderReason(gone), undefined);
    },
  );

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

describe('folders that overlap', () => {
  const tagged = async (library: Library) => {
    for (const folder of library.repo.folders()) await library.scan(folder);
    return library.tag();
  };

  it('a subfolder of a library folder is already in it; a parent takes its library subfolders in, as they are', async () => {
    const dir = tempDir();
    const pictures = join(dir, 'Pictures');
    const trip = join(pictures, 'trip');
    mkdirSync(trip, { recursive: true });
    copyFileSync(photo('dog.jpg'), join(trip, 'dog.jpg'));
    copyFileSync(photo('parrot.jpg'), join(pictures, 'parrot.jpg'));
    const library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    try {
      assert.equal((await library.joinFolder(trip)).outcome, 'added');
      assert.equal((await tagged(library)).tagged, 1);
      const dog = library.repo.photoByPath(join(trip, 'dog.jpg'))!;
      library.repo.corrections.apply([dog.id], { type: 'add', tag: { kind: 'label', id: 'user:rex', name: 'Rex' } });

      const again = await library.joinFolder(`${trip}/`);
      assert.equal(again.outcome, 'already');
      assert.equal(folderJoinNote(again), `${trip} is already in the library.`);

      const merged = await library.joinFolder(pictures);
      assert.deepEqual([merged.outcome, merged.absorbed], ['merged', [trip]]);
      assert.equal(
        folderJoinNote(merged),
        `${pictures} now holds the library folder ${trip}, with their photos, tags and corrections.`,
      );
      assert.deepEqual(
        library.repo.folders().map((folder) => folder.path),
        [pictures],
      );
      const kept = library.repo.photoByPath(join(trip, 'dog.jpg'))!;
      assert.deepEqual([kept.id, kept.status, kept.folderId], [dog.id, 'done', merged.folder.id]);
      assert.equal(library.repo.corrections.labelsOf(kept.id)[0]!.name, 'Rex');
      assert.equal((await tagged(library)).tagged, 1, 'only the parrot is new: the dog is not tagged again');

      const inside = await library.joinFolder(trip);
      assert.deepEqual([inside.outcome, inside.folder.path], ['inside', pictures]);
      assert.equal(folderJoinNote(inside), `${trip} is already in the library, inside ${pictures}.`);
      assert.equal(library.repo.folders().length, 1);
    } finally {
      await library.close();
    }
  });

  it('the command line says so', () => {
    const home = tempDir();
    const pictures = join(home, 'Pictures');
    const trip = join(pictures, 'trip');
    mkdirSync(trip, { recursive: true });
    copyFileSync(photo('dog.jpg'), join(trip, 'dog.jpg'));
    const db = join(home, 'library.sqlite');
    assert.equal(phototag(home, ['tag', pictures, '--db', db]).status, 0);
    const inside = phototag(home, ['tag', trip, '--db', db]);
    assert.equal(inside.status, 0, inside.stderr);
    assert.match(inside.stdout, new RegExp(`^${trip} is already in the library, inside ${pictures}\\.\n`));
    assert.match(phototag(home, ['tag', pictures, '--db', db]).stdout, /^\S+Pictures is already in the library\.\n/);
    assert.equal(folderCount(db), 1);
  });
});

describe('folders typed as a person types them', () => {
  it('expands ~ to the home folder, as a shell does', () => {
    assert.equal(expandHome('~/Pictures', '/home/ada'), '/home/ada/Pictures');
    assert.equal(expandHome('~', '/home/ada'), '/home/ada');
    assert.equal(expandHome('~ada/Pictures', '/home/ada'), '~ada/Pictures', "another user's home is not guessed");
    assert.equal(expandHome('/srv/~/x', '/home/ada'), '/srv/~/x');
  });

  it("suggests the desktop's pictures folder, ~/Pictures and ~/Photos, where they are folders", async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    mkdirSync(home);
    const library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    try {
      assert.deepEqual(await library.folderSuggestions({}, home), { recent: [], suggested: [] });
      mkdirSync(join(home, 'Photos'));
      mkdirSync(join(home, 'Bilder'));
      writeFileSync(join(home, 'Pictures'), 'a file, not a folder');
      mkdirSync(join(home, '.config'));
      writeFileSync(
        join(home, '.config', 'user-dirs.dirs'),
        'XDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_PICTURES_DIR="$HOME/Bilder"\n',
      );
      assert.deepEqual(suggestedFolders({}, home), [
        join(home, 'Bilder'),
        join(home, 'Pictures'),
        join(home, 'Photos'),
      ]);
      assert.deepEqual((await library.folderSuggestions({}, home)).suggested, [
        join(home, 'Bilder'),
        join(home, 'Photos'),
      ]);
      rmSync(join(home, 'Pictures'));
      mkdirSync(join(home, 'Pictures'));
      const pictures = { XDG_PICTURES_DIR: join(home, 'Pictures') };
      assert.deepEqual((await library.folderSuggestions(pictures, home)).suggested, [
        join(home, 'Pictures'),
        join(home, 'Photos'),
      ]);
      // Nor one the library would refuse: a desktop whose pictures folder is the root.
      assert.deepEqual((await library.folderSuggestions({ XDG_PICTURES_DIR: '/' }, home)).suggested, [
        join(home, 'Pictures'),
        join(home, 'Photos'),
      ]);
    } finally {
      await library.close();
    }
  });

  it('the API adds "~/Pictures", and offers recent folders (removed ones too) and suggested ones', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    mkdirSync(join(home, 'Pictures'), { recursive: true });
    mkdirSync(join(home, 'Photos'));
    const old = join(dir, 'old');
    mkdirSync(old);
    const savedHome = process.env.HOME;
    process.env.HOME = home;
    const library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    const service = new ApiService(library);
    try {
      assert.equal(homedir(), home);
      const added = await service.call('addFolder', { path: old });
      assert.equal(added.note, null);
      await service.call('removeFolder', { folderId: added.folder.id });
      const pictures = await service.call('addFolder', { path: '~/Pictures' });
      assert.equal(pictures.folder.path, join(home, 'Pictures'));
      const again = await service.call('addFolder', { path: '~/Pictures' });
      assert.equal(again.note, `${join(home, 'Pictures')} is already in the library.`);
      assert.deepEqual(await service.call('folderSuggestions', {}), {
        recent: [old],
        suggested: [join(home, 'Photos')],
      });
      await assert.rejects(service.call('addFolder', { path: 'Pictures' }), /"Pictures" is not a full path/);
    } finally {
      service.close();
      await library.close();
      process.env.HOME = savedHome;
    }
  });
});
