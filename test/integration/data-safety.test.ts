import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { ApiService } from '../../src-main/api/api-service.js';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { Library, type ScanSummary } from '../../src-main/library/library.js';
import { thumbnailPath } from '../../src-main/pipeline/tagging-pipeline.js';
import { phototag } from '../cli.js';
import { MODELS_DIR, photo, ROOT, runAsNobody, tempDir, writeFile } from '../helpers.js';

const open = (dir: string) =>
  Library.open({
    dbPath: join(dir, 'library.sqlite'),
    modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    batchSize: 4,
  });

/** A folder of `count` copies of the sources, taken in turn, named `<prefix>-NN-<source>`. */
function copies(dir: string, prefix: string, sources: string[], count: number): string {
  const folder = join(dir, prefix);
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length]!;
    copyFileSync(photo(source), join(folder, `${prefix}-${String(i).padStart(2, '0')}-${source}`));
  }
  return folder;
}

/**
 * Scans the first folder of the library in `dir` with these modes set on these paths, put back to 755 after. Root
 * reads any folder whatever its mode, so as root the scan runs in a child as "nobody", who owns the library then.
 */
async function scanWithModes(dir: string, modes: Record<string, number>): Promise<ScanSummary> {
  const root = process.getuid?.() === 0;
  if (root) execFileSync('chown', ['-R', '65534:65534', dir]);
  for (const [path, mode] of Object.entries(modes)) chmodSync(path, mode);
  try {
    if (!root) {
      const library = open(dir);
      return await library.scan(library.repo.folders()[0]!).finally(() => library.close());
    }
    const script = `import { Library } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src-main/library/library.ts')).href)};
      const library = Library.open(${JSON.stringify({ dbPath: join(dir, 'library.sqlite'), modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') } })});
      console.log(JSON.stringify(await library.scan(library.repo.folders()[0])));
      await library.close();`;
    return JSON.parse(runAsNobody(script)) as ScanSummary;
  } finally {
    for (const path of Object.keys(modes)) chmodSync(path, 0o755);
  }
}

const topCategory = (library: Library, path: string) =>
  library.repo.withTags(library.repo.photoByPath(path)!).categories[0]?.name;

const own = (name: string) => ({ kind: 'label' as const, id: userLabelId(name), name });

const userLabels = (library: Library, path: string) =>
  library.repo
    .withTags(library.repo.photoByPath(path)!)
    .labels.filter((label) => label.source === 'user')
    .map((label) => label.name);

describe('nothing lost', () => {
  it('saves results only on the very photo that was read, when a folder is removed mid-run and another added', async () => {
    const dir = tempDir();
    const before = copies(dir, 'before', ['parrot.jpg', 'hot_dog.jpg'], 40);
    const after = copies(dir, 'after', ['cat_720p.jpg', 'dog.jpg'], 40);
    const library = open(dir);
    try {
      // What each source gets from a clean run, to compare with.
      const clean = copies(dir, 'clean', ['cat_720p.jpg', 'dog.jpg'], 2);
      await library.scan(await library.addFolder(clean));
      await library.tag();
      const expected = new Map(
        ['cat_720p.jpg', 'dog.jpg'].map((source, i) => [
          source,
          topCategory(library, join(clean, `clean-0${i}-${source}`)),
        ]),
      );
      await library.removeFolder(clean);

      await library.scan(await library.addFolder(before));
      const run = library.tag();
      // Remove the folder while its photos are being decoded and classified, then add another one at once: the new
      // photos take the ids the removed ones had.
      await new Promise<void>((resolve) => {
        const onPhoto = () => {
          if (library.repo.counts().done < 4) return;
          library.tagging!.off('photo', onPhoto);
          resolve();
        };
        library.tagging!.on('photo', onPhoto);
      });
      await library.removeFolder(before);
      await library.scan(await library.addFolder(after));
      await run;
      await library.tag();

      const photos = library.repo.photosUnder(after);
      assert.equal(photos.length, 40);
      for (const row of photos) {
        const source = row.path.endsWith('cat_720p.jpg') ? 'cat_720p.jpg' : 'dog.jpg';
        const { width, height } = await sharp(photo(source)).metadata();
        assert.equal(row.status, 'done', row.path);
        assert.deepEqual([row.width, row.height], [width, height], `${row.path} holds another photo's size`);
        assert.equal(topCategory(library, row.path), expected.get(source), `${row.path} holds another photo's tags`);
      }
      assert.equal(library.repo.counts().total, 40);
    } finally {
      await library.close();
    }
  });

  it('keeps the corrections of a removed folder and brings them back when it is added again', async () => {
    const dir = tempDir();
    const folder = copies(dir, 'holiday', ['parrot.jpg', 'dog.jpg', 'eagle.jpg'], 3);
    const [parrot, dog, eagle] = ['holiday-00-parrot.jpg', 'holiday-01-dog.jpg', 'holiday-02-eagle.jpg'].map((name) =>
      join(folder, name),
    ) as [string, string, string];
    const library = open(dir);
    const service = new ApiService(library);
    try {
      await library.scan(await library.addFolder(folder));
      await library.tag();
      const id = (path: string) => library.repo.photoByPath(path)!.id;
      library.repo.corrections.apply([id(parrot), id(dog)], { type: 'add', tag: own('Holiday') });
      library.repo.corrections.apply([id(eagle)], {
        type: 'reject',
        tag: { kind: 'category', id: 'bird', name: 'Bird' },
      });
      const thumbnails = [parrot, dog, eagle].map((path) =>
        thumbnailPath(library.thumbnailsDir, library.repo.photoByPath(path)!.fingerprint!),
      );
      assert.ok(thumbnails.every((file) => existsSync(file)));

      const [info] = (await service.call('summary', {})).folders;
      assert.equal(info!.corrected, 3, 'the folder list says how many photos carry corrections');
      const removed = await service.call('removeFolder', { folderId: info!.id });
      assert.deepEqual(removed, { removed: true, photos: 3, corrected: 3 });
      assert.equal(library.repo.counts().total, 0);
      assert.deepEqual(library.repo.corrections.list(), []);
      assert.ok(
        thumbnails.every((file) => !existsSync(file)),
        'the thumbnails of removed photos are deleted',
      );

      await library.scan(await library.addFolder(folder));
      await library.tag();
      assert.deepEqual(userLabels(library, parrot), ['Holiday']);
      assert.deepEqual(userLabels(library, dog), ['Holiday']);
      assert.ok(!library.repo.withTags(library.repo.photoByPath(eagle)!).categories.some((c) => c.id === 'bird'));
      assert.equal(library.repo.corrections.list().length, 3);
    } finally {
      service.close();
      await library.close();
    }
  });

  it('keeps the photos of a folder that is suddenly empty, and drops them only once it is healthy again', async () => {
    const dir = tempDir();
    const folder = copies(dir, 'album', ['parrot.jpg', 'dog.jpg'], 2);
    const library = open(dir);
    const warnings: string[] = [];
    library.on('warning', (message) => warnings.push(message));
    try {
      await library.scan(await library.addFolder(folder));
      await library.tag();
      const away = join(dir, 'away');
      renameSync(folder, away);
      mkdirSync(folder);
      const scan = await library.scan(library.repo.folders()[0]!);
      assert.equal(scan.missing, 0);
      assert.match(
        warnings.at(-1)!,
        /is not available \(it is empty now: .*\); its 2 photos are kept until it is back/,
      );
      assert.equal(library.repo.counts().done, 2);

      // Back, less one photo: the healthy scan hides it, the next one drops it.
      rmSync(folder, { recursive: true });
      renameSync(away, folder);
      rmSync(join(folder, 'album-01-dog.jpg'));
      assert.equal((await library.scan(library.repo.folders()[0]!)).missing, 1);
      assert.equal(library.repo.photoByPath(join(folder, 'album-01-dog.jpg'))!.status, 'missing');
      await library.scan(library.repo.folders()[0]!);
      assert.equal(library.repo.photoByPath(join(folder, 'album-01-dog.jpg')), undefined);
      assert.equal(library.repo.counts().done, 1);
    } finally {
      await library.close();
    }
  });

  it('keeps the photos of a folder or file the scan could not read, and takes those it did not find for missing', async () => {
    const dir = tempDir();
    const album = join(dir, 'album');
    const [kept, gone, locked, sealed, goneDeep, hidden] = [
      'kept.jpg',
      'gone.jpg',
      'locked/a.jpg',
      'sealed/b.jpg',
      'old/2019/c.jpg',
      '2024/d.jpg',
    ].map((name) => writeFile(album, name));
    let library = open(dir);
    const folder = await library.addFolder(album);
    assert.equal((await library.scan(folder)).found, 6);
    await library.close();
    rmSync(gone!);
    rmSync(join(album, 'old'), { recursive: true });
    renameSync(join(album, '2024'), join(album, '.2024'));
    // Mode 000: not listed. Mode 444: listed, but none of its files can be looked at.
    const summary = await scanWithModes(dir, { [join(album, 'locked')]: 0o000, [join(album, 'sealed')]: 0o444 });
    assert.deepEqual(
      summary.problems.map((problem) => problem.message),
      [
        `Cannot read the folder ${join(album, 'locked')}: permission denied.`,
        `Cannot read the file ${sealed}: permission denied.`,
      ],
    );
    assert.equal(summary.missing, 3);
    library = open(dir);
    try {
      const status = (path: string) => library.repo.photoByPath(path)!.status;
      assert.deepEqual([kept!, locked!, sealed!].map(status), ['pending', 'pending', 'pending']);
      assert.deepEqual([gone!, goneDeep!, hidden!].map(status), ['missing', 'missing', 'missing']);
    } finally {
      await library.close();
    }
  });

  it('keeps a correction when its photo moves to another library folder and only one folder is tagged', () => {
    const home = tempDir();
    const first = copies(home, 'first', ['parrot.jpg', 'dog.jpg'], 2);
    const second = copies(home, 'second', ['eagle.jpg'], 1);
    const db = ['--db', join(home, 'library.sqlite')];
    assert.equal(phototag(home, ['tag', first, second, ...db]).status, 0);
    const parrot = join(first, 'first-00-parrot.jpg');
    assert.equal(phototag(home, ['label', parrot, '--add', 'Rio', ...db]).status, 0);
    const moved = join(second, 'rio.jpg');
    renameSync(parrot, moved);
    // Tagging only the first folder, twice (the second healthy scan takes the missing photo out).
    assert.equal(phototag(home, ['tag', first, ...db]).status, 0);
    assert.equal(phototag(home, ['tag', first, ...db]).status, 0);
    assert.equal(phototag(home, ['tag', second, ...db]).status, 0);
    const shown = JSON.parse(phototag(home, ['show', moved, '--json', ...db]).stdout) as {
      labels: { name: string; source: string }[];
    }[];
    assert.deepEqual(
      shown[0]!.labels.filter((label) => label.source === 'user').map((label) => label.name),
      ['Rio'],
    );
    const corrections = JSON.parse(phototag(home, ['corrections', '--json', ...db]).stdout) as { path: string }[];
    assert.deepEqual(
      corrections.map((correction) => correction.path),
      [moved],
    );
  });

  it('keeps every photo and correction of an unmounted share', async (t) => {
    const home = tempDir();
    const mountPoint = join(home, 'share');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      t.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN)');
      return;
    }
    const db = ['--db', join(home, 'library.sqlite')];
    const files = copies(
      mountPoint,
      'photos',
      ['parrot.jpg', 'dog.jpg', 'eagle.jpg', 'hot_dog.jpg', 'cat_720p.jpg'],
      5,
    );
    const paths = readdirSync(files).map((name) => join(files, name));
    try {
      assert.equal(phototag(home, ['tag', mountPoint, ...db]).status, 0);
      assert.equal(phototag(home, ['label', ...paths, '--add', 'Holiday', ...db]).status, 0);
    } finally {
      execFileSync('umount', [mountPoint]);
    }
    const counts = () => {
      const corrections = JSON.parse(phototag(home, ['corrections', '--json', ...db]).stdout) as unknown[];
      const shown = JSON.parse(phototag(home, ['show', mountPoint, '--json', ...db]).stdout) as unknown[];
      return { photos: shown.length, corrections: corrections.length };
    };
    const empty = phototag(home, ['tag', mountPoint, ...db]);
    assert.match(
      empty.stderr,
      /share is not available \(it is empty now: an unplugged drive or an unmounted share\?\)/,
    );
    assert.deepEqual(counts(), { photos: 5, corrections: 5 });
    // Something else lies in the bare mount point: another device, none of the library's photos.
    copyFileSync(photo('sunflower.bmp'), join(mountPoint, 'left-behind.bmp'));
    const other = phototag(home, ['tag', mountPoint, ...db]);
    assert.match(other.stderr, /is on another device than before and holds none of its photos/);
    assert.equal(JSON.parse(phototag(home, ['corrections', '--json', ...db]).stdout).length, 5);
  });
});

describe(
  'a share whose file-system calls never return (a hard-mounted share gone)',
  { skip: process.platform === 'win32' && 'needs mkfifo' },
  () => {
    /**
     * Runs `body` (module code with `library`, open on a library in `dir`, and `holdPool`) in a child whose
     * file-system thread pool is one thread: `holdPool()` holds it by opening a FIFO nobody writes to, so that every
     * asynchronous stat and listing waits behind it as it would on a dead share, until the body calls the function
     * it returned (the share answers at last). Returns the JSON the body printed.
     */
    function withOneThreadPool<T>(dir: string, body: string): T {
      const fifo = join(dir, 'never-written');
      execFileSync('mkfifo', [fifo]);
      const options = {
        dbPath: join(dir, 'library.sqlite'),
        modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
      };
      const script = `import { closeSync, openSync } from 'node:fs';
      import { open } from 'node:fs/promises';
      import { Library } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src-main/library/library.ts')).href)};
      process.on('unhandledRejection', (error) => { console.error('unhandled:', error); process.exit(3); });
      const options = ${JSON.stringify(options)};
      const fifo = ${JSON.stringify(fifo)};
      // Holds the pool's thread until the function it returns is called: the share answers at last.
      const holdPool = () => {
        const held = open(fifo, 'r');
        return async () => {
          closeSync(openSync(fifo, 'w'));
          await (await held).close();
        };
      };
      const library = Library.open(options);
      const sleep = (ms) => new Promise((wake) => setTimeout(wake, ms));
      ${body}`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(child.status, 0, `the child ${child.error ? 'hung' : 'failed'}: ${child.stderr}`);
      return JSON.parse(child.stdout) as T;
    }

    /**
     * Scans a folder of two photos once healthily, then holds the pool, starts a second scan, which waits, and starts
     * `step` (a promise of `library` and `folder`). Returns how long it took until `done` (an expression, asked every
     * 50 ms; `settled` says the step's promise has), at most 20 s; then lets the share answer, and the step and the
     * stopped scan end. Also returns what they gave, and the count of the folder's photos once the library is opened
     * again.
     */
    function withStuckShare(step: string, done = 'settled') {
      const dir = tempDir();
      const folder = copies(dir, 'share', ['dog.jpg', 'owl.jpg'], 2);
      return withOneThreadPool<{ ms: number; result: unknown; scan: ScanSummary; photos: number }>(
        dir,
        `const folder = await library.addFolder(${JSON.stringify(folder)});
      await library.scan(folder);
      const answer = holdPool();
      const stuck = library.scan(folder);
      const start = performance.now();
      const pending = ${step};
      let settled = false;
      pending.finally(() => (settled = true));
      while (!(${done}) && performance.now() - start < 20_000) await sleep(50);
      const ms = performance.now() - start;
      await answer();
      const result = await pending;
      const scan = await stuck;
      await library.close();
      const again = Library.open(options);
      const photos = again.repo.photosUnder(${JSON.stringify(folder)}).length;
      await again.close();
      console.log(JSON.stringify({ ms, result, scan, photos }));`,
      );
    }

    it('closes the library within seconds while a scan waits on the share, keeping every photo', () => {
      const { ms, scan, photos } = withStuckShare('library.close()');
      assert.ok(ms < 10_000, `close took ${Math.round(ms)} ms`);
      // The stopped scan, once the share answered, found nothing and took nothing for missing.
      assert.deepEqual([scan.found, scan.missing], [0, 0]);
      assert.equal(photos, 2);
    });

    it('removes the folder within seconds while a scan waits on the share; the scan writes nothing after', () => {
      const { ms, result, scan, photos } = withStuckShare(
        'library.removeFolder(folder.path)',
        'library.repo.folders().length === 0',
      );
      assert.ok(ms < 10_000, `the folder left after ${Math.round(ms)} ms`);
      assert.deepEqual(result, { photos: 2, corrected: 0 });
      assert.deepEqual([scan.found, scan.added], [0, 0]);
      assert.equal(photos, 0);
    });

    it('watches nothing once closed while the folder rules waited on the share', () => {
      const dir = tempDir();
      const share = copies(dir, 'share', ['dog.jpg'], 1);
      const { watching } = withOneThreadPool<{ watching: string }>(
        dir,
        `await library.addFolder(${JSON.stringify(share)});
      const answer = holdPool();
      const watching = library.watch().then(() => 'watched', (error) => error.message);
      await library.close();
      await answer();
      console.log(JSON.stringify({ watching: await watching }));`,
      );
      assert.equal(watching, 'watched');
    });

    it('refuses a folder on the share within seconds, the window served meanwhile, and adds it once it answers', () => {
      const dir = tempDir();
      const share = copies(dir, 'share', ['dog.jpg'], 1);
      const outcome = withOneThreadPool<{ ms: number; refused: string; ticks: number; folders: number; later: string }>(
        dir,
        `const answer = holdPool();
      let ticks = 0;
      const ticking = setInterval(() => ticks++, 100);
      const start = performance.now();
      const refused = await library.joinFolder(${JSON.stringify(share)}).then(() => 'added', (error) => error.message);
      const ms = performance.now() - start;
      clearInterval(ticking);
      const folders = library.repo.folders().length;
      await answer();
      const { outcome: later } = await library.joinFolder(${JSON.stringify(share)});
      await library.close();
      console.log(JSON.stringify({ ms, refused, ticks, folders, later }));`,
      );
      assert.ok(outcome.ms < 15_000, `the add took ${Math.round(outcome.ms)} ms`);
      assert.equal(
        outcome.refused,
        `Cannot add ${share}: it did not answer in 10 s (a network share whose server is gone?).`,
      );
      assert.ok(outcome.ticks >= 50, `the event loop turned ${outcome.ticks} times in 10 s`);
      assert.equal(outcome.folders, 0);
      assert.equal(outcome.later, 'added');
    });

    it('closes within seconds while a sidecar write waits on the share, keeping every unwritten sidecar queued', () => {
      const dir = tempDir();
      const share = copies(dir, 'share', ['dog.jpg', 'owl.jpg', 'parrot.jpg'], 3);
      const { ms, queued, pending } = withOneThreadPool<{ ms: number; queued: number; pending: number }>(
        dir,
        `await library.scan(await library.addFolder(${JSON.stringify(share)}));
        const { pending: queued } = library.xmp.configure({ enabled: true });
        const answer = holdPool();
        const start = performance.now();
        await library.close();
        const ms = performance.now() - start;
        await answer();
        // The write given up on ends against the closed library.
        await sleep(500);
        const again = Library.open({ ...options, readonly: true });
        const { pending } = again.xmp.status();
        await again.close();
        console.log(JSON.stringify({ ms, queued, pending }));`,
      );
      assert.ok(ms < 10_000, `close took ${Math.round(ms)} ms`);
      assert.equal(queued, 3);
      assert.equal(pending, 3, 'sidecars taken off the queue were never written');
    });

    it('lets a walk stuck midway go with its folder: it writes nothing into a folder added since under its id', () => {
      const dir = tempDir();
      const share = copies(dir, 'share', ['dog.jpg', 'owl.jpg'], 2);
      for (let i = 1; i <= 3; i++) copies(share, `sub${i}`, ['parrot.jpg'], 1);
      const other = copies(dir, 'other', ['owl.jpg'], 1);
      // A link out of the folder: the walk warns of it as it takes in sub1's photo, and the share stops answering then.
      symlinkSync(other, join(share, 'sub1', 'zz-elsewhere'));
      const outcome = withOneThreadPool<{ ms: number; sameId: boolean; scanningOther: boolean; strays: string[] }>(
        dir,
        `const share = await library.addFolder(${JSON.stringify(share)});
      let answer;
      const warned = new Promise((heard) =>
        library.on('warning', () => {
          answer ??= holdPool();
          heard();
        }),
      );
      const scanning = library.scan(share);
      const queued = library.scan(share);
      // The walk holds sub1's photo, found and not yet written, and waits on the share for sub2.
      await warned;
      const removing = library.removeFolder(share.path);
      const start = performance.now();
      while (library.repo.folders().length > 0 && performance.now() - start < 20_000) await sleep(50);
      const ms = performance.now() - start;
      // SQLite gives the next folder the id of the highest one removed. Written as joinFolder writes it once it has
      // looked at the folder, a look that would wait here behind the held pool's one thread: a local folder's look
      // takes another of the pool's threads.
      const other = library.repo.addFolder(${JSON.stringify(other)});
      const scanningOther = library.folderScan(other.id).scanning;
      await answer();
      await Promise.all([scanning, queued, removing]);
      const strays = library.repo.photosUnder(share.path).map((photo) => photo.path);
      await library.close();
      console.log(JSON.stringify({ ms, sameId: other.id === share.id, scanningOther, strays }));`,
      );
      assert.ok(outcome.ms < 10_000, `the folder left after ${Math.round(outcome.ms)} ms`);
      assert.ok(outcome.sameId, 'the folder added since has another id: this test shows nothing');
      assert.equal(outcome.scanningOther, false, 'the folder added since waits for the stuck scan');
      assert.deepEqual(outcome.strays, [], "the woken walk wrote the removed folder's photos into the library");
    });
  },
);
