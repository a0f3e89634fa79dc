import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Library } from '../../src-main/library/library.js';
import { cliLibrary, phototag } from '../cli.js';
import { MODELS_DIR, photo, ROOT, tempDir, until } from '../helpers.js';

const PYTHON = '/usr/bin/python3';

/** Why this machine cannot mount the test's FUSE share, or false when it can. */
function noFuse(): string | false {
  if (process.platform !== 'linux') return 'FUSE mounts are Linux-only here';
  if (!existsSync('/dev/fuse')) return 'no /dev/fuse';
  if (spawnSync(PYTHON, ['-c', 'import fusepy']).status !== 0) return "no Debian python3-fusepy (.ci/install-deps's)";
  // Without root, a FUSE mount needs fusermount's setuid helper; CI runs as root.
  if (process.getuid?.() !== 0) return 'the test mounts its FUSE share as root';
  return false;
}

/**
 * A real mount (FUSE, test/hung-share.py) of a folder of photos whose every call waits, as a hard-mounted share's
 * do once its server is gone, while `hang()` holds it, until `answer()` (or for at most the harness's 60 s).
 */
async function mountShare(dir: string) {
  const backing = join(dir, 'share-server');
  const mountPoint = join(dir, 'share');
  const hangFile = join(dir, 'share-hangs');
  mkdirSync(backing);
  mkdirSync(mountPoint);
  const child: ChildProcess = spawn(PYTHON, [join(ROOT, 'test', 'hung-share.py'), mountPoint, backing, hangFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  child.stdout!.on('data', (data: Buffer) => (said += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (said += data.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const unmount = async () => {
    rmSync(hangFile, { force: true });
    if (spawnSync('umount', [mountPoint]).status !== 0) spawnSync('umount', ['-l', mountPoint]);
    child.kill();
    const killing = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killing);
  };
  try {
    await until(() => said.includes('mounted') || child.exitCode !== null, 'the share is mounted', {
      timeoutMs: 10_000,
    });
    if (!said.includes('mounted')) throw new Error(`Cannot mount the test share: ${said}`);
  } catch (error) {
    await unmount();
    throw error;
  }
  return {
    backing,
    mountPoint,
    hang: () => writeFileSync(hangFile, ''),
    answer: () => rmSync(hangFile, { force: true }),
    unmount,
  };
}

describe('a share gone at start-up (a real FUSE mount whose calls never return)', { skip: noFuse() }, () => {
  it('watches, scans and tags the other folders, keeps the share’s photos, and takes the share in as it answers', async () => {
    const dir = tempDir();
    // After the share in path order, the order the library takes its folders in: the silent share must not hold it.
    const local = join(dir, 'z-local');
    mkdirSync(local);
    copyFileSync(photo('owl.jpg'), join(local, 'owl.jpg'));
    const share = await mountShare(dir);
    const options = {
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    };
    try {
      copyFileSync(photo('dog.jpg'), join(share.backing, 'dog.jpg'));
      // Scanned, not tagged yet (the app quit before, or a model switch queued every photo again).
      const first = Library.open(options);
      try {
        for (const path of [share.mountPoint, local]) await first.scan(await first.addFolder(path));
      } finally {
        await first.close();
      }

      // The share's server goes away while the app is closed; a photo is added to the local folder meanwhile.
      mkdirSync(join(share.backing, 'Pictures'));
      share.hang();
      copyFileSync(photo('parrot.jpg'), join(local, 'parrot.jpg'));
      const library = Library.open(options);
      const warnings: string[] = [];
      library.on('warning', (message: string) => warnings.push(message));
      try {
        const start = performance.now();
        // What the app's start-up does (ApiService.start).
        await library.watch({ settleMs: 100 });
        const scanned = await library.scanAll();
        await library.tag();
        const ms = performance.now() - start;
        // One wait of 10 s for the share, not one for the watches and another for the scans.
        assert.ok(ms < 17_000, `start-up took ${Math.round(ms)} ms`);
        assert.equal(scanned.added, 1, 'the local folder’s new photo was found');
        assert.equal(library.repo.photoByPath(join(local, 'parrot.jpg'))?.status, 'done');
        const silent = warnings.filter((message) => message.includes(`${share.mountPoint} does not answer`));
        assert.equal(silent.length, 1, warnings.join('\n'));
        // The local folder is watched: a photo copied in is tagged while the share still does not answer.
        copyFileSync(photo('hot_dog.jpg'), join(local, 'hot_dog.jpg'));
        await until(
          () => library.repo.photoByPath(join(local, 'hot_dog.jpg'))?.status === 'done',
          'the watched local folder’s new photo is tagged',
        );
        assert.equal(library.repo.photoByPath(join(local, 'owl.jpg'))?.status, 'done');
        // Nothing of the share was taken for gone, and its photo waits for it, not holding a decoder for ever.
        assert.equal(library.repo.photoByPath(join(share.mountPoint, 'dog.jpg'))?.status, 'pending');
        // Nor is it asked again, each ask holding one more of the pool's threads: refused at once.
        const asked = performance.now();
        await assert.rejects(
          library.addFolder(join(share.mountPoint, 'trip')),
          new Error(
            `Cannot add ${join(share.mountPoint, 'trip')}: ${share.mountPoint} does not answer (a network share whose server is gone?).`,
          ),
        );
        const shareFolder = library.repo.folders().find((folder) => folder.path === share.mountPoint)!;
        assert.equal(
          await library.rescanRefusal(shareFolder),
          'it does not answer (a network share whose server is gone?)',
        );
        assert.ok(performance.now() - asked < 1_000, 'the silent share was waited for again');
        // The add-folder form's suggestions leave out a folder on the share (the desktop's pictures folder here), and
        // do not wait for it (a synchronous look would hold the window until the share answers).
        mkdirSync(join(dir, 'Photos'));
        const suggesting = performance.now();
        const { suggested } = await library.folderSuggestions(
          { XDG_PICTURES_DIR: join(share.mountPoint, 'Pictures') },
          dir,
        );
        assert.deepEqual(suggested, [join(dir, 'Photos')]);
        assert.ok(performance.now() - suggesting < 3_000, 'the suggestions waited for the share');

        // The server comes back with a new photo: the share is scanned, and the photo tagged.
        copyFileSync(photo('cat_720p.jpg'), join(share.backing, 'cat.jpg'));
        share.answer();
        await until(
          () => library.repo.photoByPath(join(share.mountPoint, 'cat.jpg'))?.status === 'done',
          'the share’s new photo is tagged once it answers',
        );
        assert.equal(library.folderScan(shareFolder.id).lastScan?.found, 2);
        await until(
          () => library.repo.photoByPath(join(share.mountPoint, 'dog.jpg'))?.status === 'done',
          'the share’s waiting photo is tagged once it answers',
        );
        assert.equal(await library.rescanRefusal(shareFolder), undefined);
        assert.equal(library.repo.counts().total, 5);
      } finally {
        share.answer();
        await library.close();
      }
    } finally {
      await share.unmount();
    }
  });

  it('lets the phototag command end, its library kept, while a call to the share has not returned', async () => {
    const { home: dir, folder: local, db, run: tagged } = cliLibrary(['owl.jpg']);
    tagged(['tag', local]);
    const share = await mountShare(dir);
    try {
      share.hang();
      const start = performance.now();
      const run = phototag(dir, ['tag', share.mountPoint, '--db', db]);
      const ms = performance.now() - start;
      // Refused after its 10 s look, and gone a few seconds later: not held at exit by the pool thread still waiting
      // (until the harness's 60 s).
      assert.match(run.stderr, /it did not answer in 10 s \(a network share whose server is gone\?\)/);
      assert.match(run.stderr, /phototag: leaving without waiting any longer for work that has not ended/);
      assert.equal(run.signal, 'SIGKILL', 'killed by itself');
      assert.ok(ms < 25_000, `the command took ${Math.round(ms)} ms to end`);
      // The killed command's hold on the library's tagging is let go: the next command tags.
      copyFileSync(photo('parrot.jpg'), join(local, 'parrot.jpg'));
      tagged(['tag', local]);
    } finally {
      await share.unmount();
    }
    const library = Library.open({ dbPath: db, readonly: true });
    try {
      assert.deepEqual(
        library.repo.folders().map((folder) => folder.path),
        [local],
      );
      for (const name of ['owl.jpg', 'parrot.jpg']) {
        assert.equal(library.repo.photoByPath(join(local, name))?.status, 'done');
      }
    } finally {
      await library.close();
    }
  });
});
