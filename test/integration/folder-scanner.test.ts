import assert from 'node:assert/strict';
import { chmodSync, realpathSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { scanFolder, type ScanEntry } from '../../src-main/library/folder-scanner.js';
import { isPhotoPath } from '../../src-main/library/photo-formats.js';
import { ROOT, runAsNobody, tempDir, writeFile } from '../helpers.js';

async function scan(root: string, syncBudgetMs?: number): Promise<ScanEntry[]> {
  const entries: ScanEntry[] = [];
  for await (const entry of scanFolder(root, { syncBudgetMs })) entries.push(entry);
  return entries;
}

const photoPaths = (entries: ScanEntry[]) =>
  entries.filter((entry) => entry.type === 'photo').map((entry) => entry.path);
const problems = (entries: ScanEntry[]) => entries.filter((entry) => entry.type === 'problem');

describe('scanning a folder', () => {
  it('lists a folder whole and in order through the thread pool, as after a stretch that overran its time', async () => {
    const root = tempDir();
    // More than the pooled stretch (16 batches of 64), with folders among the photos and a photo in each.
    const names = Array.from({ length: 1500 }, (_, i) => `IMG_${String(i).padStart(4, '0')}.jpg`);
    const folders = Array.from({ length: 30 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    for (const name of names) writeFile(root, name);
    for (const folder of folders) writeFile(root, `${folder}/x.jpg`);
    // A budget of 0 ms: every stretch overruns, so the listing and the stats go to the thread pool.
    const entries = await scan(root, 0);
    assert.deepEqual(problems(entries), []);
    assert.deepEqual(
      photoPaths(entries),
      [...names, ...folders.map((f) => `${f}/x.jpg`)].map((p) => join(root, p)),
    );
  });

  it('finds photos in nested folders with absolute paths, sizes and times, in the same order every time', async () => {
    const root = tempDir();
    writeFile(root, 'b.jpg', '12345');
    writeFile(root, '2024/summer/beach.png');
    writeFile(root, '2024/summer/deep/er/still/deeper.heic');
    writeFile(root, '2024/a.webp');
    writeFile(root, '2023/z.gif');
    const entries = await scan(root);
    assert.deepEqual(problems(entries), []);
    // Each folder's photos in name order, then its subfolders in name order.
    assert.deepEqual(
      photoPaths(entries),
      ['b.jpg', '2023/z.gif', '2024/a.webp', '2024/summer/beach.png', '2024/summer/deep/er/still/deeper.heic'].map(
        (p) => join(root, p),
      ),
    );
    const first = entries[0];
    assert.ok(first?.type === 'photo');
    assert.equal(first.size, 5);
    assert.ok(Math.abs(first.mtimeMs - Date.now()) < 60_000);
    assert.deepEqual(await scan(root), entries);
  });

  it('lists a folder of thousands of entries whole: each photo once, in name order, then its subfolders', async () => {
    const root = tempDir();
    const photos: string[] = [];
    // Written out of name order, mixed with files and folders the scan passes over, far more than one read takes.
    for (let i = 2999; i >= 0; i--) {
      photos.push(writeFile(root, `IMG_${String(i).padStart(4, '0')}.jpg`));
      if (i % 10 === 0) writeFile(root, `IMG_${i}.txt`);
      if (i % 100 === 0) writeFile(root, `.hidden-${i}.jpg`);
    }
    const nested = Array.from({ length: 40 }, (_, i) => writeFile(root, `folder-${String(i).padStart(2, '0')}/a.png`));
    const entries = await scan(root);
    assert.deepEqual(problems(entries), []);
    assert.deepEqual(photoPaths(entries), [...photos.sort(), ...nested]);
  });

  it('skips hidden entries and system folders', async () => {
    const root = tempDir();
    const kept = writeFile(root, 'albums/kept.jpg');
    for (const junk of [
      '.hidden/a.jpg',
      '.dotfile.jpg',
      'albums/._AppleDouble.jpg',
      '$RECYCLE.BIN/S-1-5-21/b.jpg',
      '$Recycle.Bin/c.jpg',
      'System Volume Information/d.jpg',
      'albums/@eaDir/kept.jpg/SYNOFILE_THUMB_XL.jpg',
      '.Trashes/501/e.jpg',
      'lost+found/#1234.jpg',
      'node_modules/pkg/f.png',
      '#recycle/g.jpg',
    ]) {
      writeFile(root, junk);
    }
    const entries = await scan(root);
    assert.deepEqual(problems(entries), []);
    assert.deepEqual(photoPaths(entries), [kept]);
  });

  it('takes photo extensions in any case and ignores other files', async () => {
    const root = tempDir();
    const photos = [
      'A.JPG',
      'b.Jpeg',
      'c.jpe',
      'd.jfif',
      'e.PNG',
      'f.tif',
      'g.TIFF',
      'h.avif',
      'i.bmp',
      'j.dib',
      'k.HEIC',
    ];
    const others = ['notes.txt', 'raw.CR2', 'clip.mp4', 'photo.jpg.part', 'jpg', 'no-extension'];
    for (const name of [...photos, ...others]) writeFile(root, name);
    assert.deepEqual(photoPaths(await scan(root)).sort(), photos.map((name) => join(root, name)).sort());
    assert.equal(isPhotoPath('/x/IMG_0001.HEIF'), true);
    assert.equal(isPhotoPath('/x.jpg/readme'), false);
  });

  it('follows links to files anywhere and to folders within the tree, each real folder once, ending loops', async () => {
    const root = tempDir();
    const outside = tempDir();
    writeFile(root, 'album/one.jpg');
    // Reachable only through the link (hidden folders are skipped), and inside the tree: followed.
    writeFile(root, '.store/2019/three.jpg');
    writeFile(outside, 'elsewhere/two.jpg');
    symlinkSync(root, join(root, 'album', 'back-to-root'));
    symlinkSync(join(root, 'album'), join(root, 'album', 'self'));
    symlinkSync(join(root, '.store', '2019'), join(root, '2019'));
    symlinkSync(join(root, '.store', '2019'), join(root, 'album', 'again'));
    symlinkSync(join(outside, 'elsewhere', 'two.jpg'), join(root, 'linked-photo.jpg'));
    const expected = (base: string) =>
      [join('linked-photo.jpg'), join('2019', 'three.jpg'), join('album', 'one.jpg')].map((path) => join(base, path));
    const entries = await scan(root);
    assert.deepEqual(problems(entries), []);
    assert.deepEqual(photoPaths(entries), expected(root));
    // A root reached through a link itself: its inner links still lead within it.
    const via = join(outside, 'via-link');
    symlinkSync(root, via);
    assert.deepEqual(photoPaths(await scan(via)), expected(via));
  });

  it('does not follow a link to a folder outside the tree, and names it', async () => {
    const root = tempDir();
    const outside = tempDir();
    const kept = writeFile(root, 'album/kept.jpg');
    writeFile(outside, 'elsewhere/two.jpg');
    symlinkSync(join(outside, 'elsewhere'), join(root, 'album', 'linked-folder'));
    const entries = await scan(root);
    assert.deepEqual(photoPaths(entries), [kept]);
    assert.deepEqual(problems(entries), [
      {
        type: 'problem',
        path: join(root, 'album', 'linked-folder'),
        message:
          `Skipped ${join(root, 'album', 'linked-folder')}: it links to ${join(outside, 'elsewhere')}, ` +
          `outside ${realpathSync(root)}; add that folder itself to tag its photos.`,
      },
    ]);
  });

  it('skips dangling links silently', async () => {
    const root = tempDir();
    const kept = writeFile(root, 'kept.jpg');
    symlinkSync(join(root, 'gone.jpg'), join(root, 'dangling.jpg'));
    symlinkSync(join(root, 'gone-folder'), join(root, 'dangling-folder'));
    symlinkSync(join(root, 'loop-a.jpg'), join(root, 'loop-b.jpg'));
    symlinkSync(join(root, 'loop-b.jpg'), join(root, 'loop-a.jpg'));
    const entries = await scan(root);
    assert.deepEqual(problems(entries), []);
    assert.deepEqual(photoPaths(entries), [kept]);
  });

  it('skips a file deleted while the scan runs', async () => {
    const root = tempDir();
    const names = Array.from({ length: 300 }, (_, i) => `IMG_${String(i).padStart(4, '0')}.jpg`);
    for (const name of names) writeFile(root, name);
    const last = join(root, names.at(-1)!);
    const seen: ScanEntry[] = [];
    // Photos are stat'ed in small batches as the scan streams, so the last one is looked at after the first is out.
    for await (const entry of scanFolder(root)) {
      if (seen.length === 0) unlinkSync(last);
      seen.push(entry);
    }
    assert.deepEqual(problems(seen), []);
    assert.equal(seen.length, names.length - 1);
    assert.ok(!photoPaths(seen).includes(last));
  });

  it('reports a missing root, or a root that is a file, as one problem', async () => {
    const root = tempDir();
    const missing = join(root, 'not-there');
    assert.deepEqual(await scan(missing), [
      { type: 'problem', path: missing, message: `Cannot read the folder ${missing}: it does not exist.` },
    ]);
    const file = writeFile(root, 'photo.jpg');
    assert.deepEqual(await scan(file), [
      { type: 'problem', path: file, message: `Cannot scan ${file}: it is a file, not a folder.` },
    ]);
  });

  it('reports an unreadable folder as a problem and goes on', async () => {
    const root = tempDir();
    chmodSync(root, 0o755);
    const before = writeFile(root, 'a/one.jpg');
    writeFile(root, 'locked/hidden-from-us.jpg');
    const after = writeFile(root, 'z/two.jpg');
    const locked = join(root, 'locked');
    chmodSync(locked, 0o000);
    let entries: ScanEntry[];
    if (process.getuid?.() === 0) {
      // Root reads any folder whatever its mode, so the scan runs as "nobody", for whom mode 000 means no entry.
      const script = `import { scanFolder } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src-main/library/folder-scanner.ts')).href)};
        const entries = []; for await (const entry of scanFolder(${JSON.stringify(root)})) entries.push(entry);
        console.log(JSON.stringify(entries));`;
      entries = JSON.parse(runAsNobody(script)) as ScanEntry[];
    } else {
      entries = await scan(root);
    }
    chmodSync(locked, 0o755);
    assert.deepEqual(photoPaths(entries), [before, after]);
    assert.deepEqual(problems(entries), [
      { type: 'problem', path: locked, message: `Cannot read the folder ${locked}: permission denied.` },
    ]);
  });

  it('stops when its signal is aborted', async () => {
    const root = tempDir();
    for (let i = 0; i < 10; i++) writeFile(root, `folder-${i}/photo.jpg`);
    const controller = new AbortController();
    let count = 0;
    await assert.rejects(async () => {
      for await (const entry of scanFolder(root, { signal: controller.signal })) {
        assert.equal(entry.type, 'photo');
        count++;
        controller.abort();
      }
    }, /abort/i);
    assert.equal(count, 1);
  });
});
