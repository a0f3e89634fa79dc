import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiService } from '../../src-main/api/api-service.js';
import type {
  ApiArgs,
  PhotoCursor,
  PhotoFilter,
  PhotoPage,
  PhotoSort,
  PhotoTile,
} from '../../src-main/api/contract.js';
import type { Classification } from '../../src-main/classifier/scoring.js';
import { Library } from '../../src-main/library/library.js';
import { tempDir } from '../helpers.js';

const MODEL = { id: 'test-model', version: '1' };
const DAY = 86_400_000;
const DOG = { kind: 'category', id: 'dog' } as const;
const GOLDEN = { kind: 'label', id: 'n02099601' } as const;
const LABRADOR = { kind: 'label', id: 'n02099712' } as const;

/** What the classifier says of photo n: every other one is a dog, every fifth a golden retriever, every seventh a labrador. */
function resultOf(n: number): Classification {
  const labels = [];
  if (n % 5 === 0) labels.push({ id: GOLDEN.id, name: 'Golden retriever', score: 0.6 });
  if (n % 7 === 0) labels.push({ id: LABRADOR.id, name: 'Labrador retriever', score: 0.5 });
  return {
    labels: labels.length > 0 ? labels : [{ id: 'n09428293', name: 'Seashore', score: 0.4 }],
    categories:
      n % 2 === 0 ? [{ id: 'dog', name: 'Dog', score: 0.9 }] : [{ id: 'beach-sea', name: 'Beach & sea', score: 0.5 }],
  };
}

/** The integer YYYYMMDDHHMMSS of a local wall-clock time: how the library keys a photo's time. */
const wallClock = (year: number, month: number, day: number, hour: number, minute: number, second: number) =>
  ((((year * 100 + month) * 100 + day) * 100 + hour) * 100 + minute) * 100 + second;
const localKey = (ms: number) => {
  const d = new Date(ms);
  return wallClock(d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds());
};

interface Known {
  name: string;
  key: number;
  id: number;
  n: number;
}

describe('browsing a library by time, a page at a time', () => {
  const dir = tempDir('phototag-time-');
  let library: Library;
  let service: ApiService;
  const known: Known[] = [];
  let folderId: number;
  let added = 0;

  /** A photo found in the folder with this modification time, tagged as photo n, with an EXIF date or none. */
  function addPhoto(n: number, mtimeMs: number, takenAt: string | null): Known {
    const { repo } = library;
    const name = `photo-${String(n).padStart(4, '0')}.jpg`;
    const path = join(dir, 'photos', name);
    repo.upsertScanned(folderId, [{ path, size: 1000 + n, mtimeMs }]);
    const row = repo.photoByPath(path)!;
    const metadata = {
      fingerprint: n.toString(16).padStart(64, '0'),
      format: 'jpeg',
      width: 4000,
      height: 3000,
      takenAt,
      camera: null,
      orientation: 1,
    };
    repo.saveTagged(row, metadata, MODEL, resultOf(n));
    const key = takenAt ? Number(takenAt.replace(/\D/g, '')) : localKey(mtimeMs);
    const photo = { name, key, id: row.id, n };
    known.push(photo);
    return photo;
  }

  before(() => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    folderId = library.repo.addFolder(join(dir, 'photos')).id;
    // 240 photos over about four years; every third has an EXIF date a year before its file's time, and some
    // share a second, so the id breaks ties.
    for (let n = 0; n < 240; n++) {
      const mtime = Date.UTC(2020, 0, 1) + Math.floor(n / 2) * 12 * DAY + 3_600_000;
      const taken = n % 3 === 0 ? new Date(mtime - 365 * DAY) : null;
      // As photo-facts.ts writes an EXIF date: the camera's wall-clock time, no zone.
      addPhoto(n, mtime, taken && taken.toISOString().slice(0, 19));
    }
    service = new ApiService(library);
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  const newestFirst = (a: Known, b: Known) => b.key - a.key || b.id - a.id;
  const matching = (test: (n: number) => boolean) => known.filter((photo) => test(photo.n));

  /** Every page from the start, following each page's cursor; `between` runs after each page. */
  async function walk(
    args: Omit<ApiArgs<'queryPhotos'>, 'after'>,
    between: () => void = () => {},
  ): Promise<PhotoTile[]> {
    const seen: PhotoTile[] = [];
    let cursor: PhotoCursor | null = null;
    do {
      const page: PhotoPage = await service.call('queryPhotos', { ...args, after: cursor });
      seen.push(...page.photos);
      cursor = page.next;
      between();
    } while (cursor);
    return seen;
  }

  it('lists photos newest first by when they were taken: the EXIF date, else the file time', async () => {
    const { photos } = await service.call('queryPhotos', { limit: 60 });
    assert.deepEqual(
      photos.map((photo) => photo.name),
      [...known]
        .sort(newestFirst)
        .slice(0, 60)
        .map((photo) => photo.name),
    );
    const all = await walk({ limit: 50 });
    assert.deepEqual(
      all.map((photo) => photo.name),
      [...known].sort(newestFirst).map((photo) => photo.name),
    );
  });

  it('reaches every photo exactly once across pages, in date order, with a filter, while photos arrive', async () => {
    const before = matching((n) => n % 2 === 0);
    const older: Known[] = [];
    const filter: Partial<PhotoFilter> = { tags: [DOG], folderId };
    const seen = await walk({ filter, limit: 17 }, () => {
      // One dog photo older than all (still ahead of the cursor) and one newer than all (behind it) per page.
      const n = 10_000 + 2 * added++;
      older.push(addPhoto(n, Date.UTC(2010, 0, 1) + n * 1000, null));
      addPhoto(n + 2_000, Date.UTC(2030, 0, 1) + n * 1000, null);
    });
    const names = seen.map((photo) => photo.name);
    assert.equal(new Set(names).size, names.length, 'no photo twice');
    const byName = new Map(known.map((photo) => [photo.name, photo]));
    assert.deepEqual(
      names,
      names
        .map((name) => byName.get(name)!)
        .sort(newestFirst)
        .map((photo) => photo.name),
      'in date order',
    );
    for (const photo of before) assert.ok(names.includes(photo.name), `${photo.name} was reached`);
    // Each page adds an older photo ahead of the cursor, so the walk ends on the last one added: all but it are seen.
    for (const photo of older.slice(0, -1))
      assert.ok(names.includes(photo.name), `${photo.name}, added ahead, was reached`);
    assert.ok(
      seen.every((tile) => byName.get(tile.name)!.n % 2 === 0),
      'only dogs',
    );
  });

  it('counts the timeline by month, and each month starts its first page at that month', async () => {
    for (const sort of ['newest', 'oldest'] as const) {
      const timeline = await service.call('timeline', { sort });
      assert.equal(timeline.total, known.length);
      const months = new Map<string, number>();
      for (const photo of known) {
        const month = `${String(photo.key).slice(0, 4)}-${String(photo.key).slice(4, 6)}`;
        months.set(month, (months.get(month) ?? 0) + 1);
      }
      const expected = [...months].sort(([a], [b]) => (sort === 'newest' ? b.localeCompare(a) : a.localeCompare(b)));
      assert.deepEqual(
        timeline.sections.map((section) => [section.month, section.count]),
        expected,
      );
      assert.equal(timeline.sections[0]!.after, null);
      for (const section of timeline.sections) {
        const { photos } = await service.call('queryPhotos', { sort, after: section.after, limit: section.count });
        const keys = photos.map((tile) => known.find((photo) => photo.name === tile.name)!.key);
        assert.ok(
          keys.every((key) => String(key).startsWith(section.month!.replace('-', ''))),
          `${sort}: the page of ${section.month} holds its photos only`,
        );
        const two = await service.call('queryPhotos', { sort, after: section.after, limit: 2 });
        const skipped = await service.call('queryPhotos', { sort, after: section.after, offset: 1, limit: 1 });
        assert.equal(skipped.photos[0]?.name, two.photos[1]?.name, 'offset counts from the cursor');
      }
    }
  });

  it('walks oldest first, and in the order the library found its photos, the same photos each way', async () => {
    const oldest = await walk({ sort: 'oldest', limit: 64 });
    assert.deepEqual(
      oldest.map((photo) => photo.name),
      [...known]
        .sort(newestFirst)
        .reverse()
        .map((photo) => photo.name),
    );
    const found = await walk({ sort: 'found', limit: 64 });
    assert.deepEqual(
      found.map((photo) => photo.id),
      [...known].map((photo) => photo.id).sort((a, b) => a - b),
    );
    const timeline = await service.call('timeline', { sort: 'found' });
    assert.equal(timeline.total, known.length);
    assert.ok(timeline.sections.every((section) => section.month === null));
  });

  it('combines tags with AND by default, and with OR when any may match', async () => {
    const names = async (match: PhotoFilter['match'], sort: PhotoSort = 'newest') =>
      (await walk({ filter: { tags: [GOLDEN, LABRADOR], match }, sort, limit: 100 })).map((tile) => tile.name).sort();
    const expectAny = matching((n) => n % 5 === 0 || n % 7 === 0)
      .map((photo) => photo.name)
      .sort();
    assert.ok(expectAny.length > 50);
    assert.deepEqual(await names('any'), expectAny);
    assert.deepEqual(await names('any', 'found'), expectAny);
    assert.deepEqual(
      await names('all'),
      matching((n) => n % 35 === 0)
        .map((photo) => photo.name)
        .sort(),
    );
    const timeline = await service.call('timeline', { filter: { tags: [GOLDEN, LABRADOR], match: 'any' } });
    assert.equal(timeline.total, expectAny.length);
  });

  /** The months of these photos with how many each holds, newest first, as the timeline names them. */
  const monthsOf = (photos: Known[]) => {
    const months = new Map<string, number>();
    for (const { key } of [...photos].sort(newestFirst)) {
      const month = `${String(key).slice(0, 4)}-${String(key).slice(4, 6)}`;
      months.set(month, (months.get(month) ?? 0) + 1);
    }
    return [...months];
  };
  const sectionsOf = async (filter: Partial<PhotoFilter>) =>
    (await service.call('timeline', { filter })).sections.map((section) => [section.month, section.count]);

  it('answers a page of a tag filter while its timeline is still being counted', async () => {
    const filter = { tags: [DOG] };
    let counted = false;
    const timeline = service.call('timeline', { filter }).then((answer) => ((counted = true), answer));
    const page = await service.call('queryPhotos', { filter, limit: 10 });
    assert.equal(counted, false, 'the page was answered before the timeline');
    assert.equal(page.photos.length, 10);
    assert.equal((await timeline).total, matching((n) => n % 2 === 0).length);
  });

  it('counts the timeline of every filter by month: tags all or any, a folder, a threshold, untagged photos, corrections applied', async () => {
    assert.deepEqual(await sectionsOf({ folderId }), monthsOf(known));
    assert.deepEqual(await sectionsOf({ tags: [DOG] }), monthsOf(matching((n) => n % 2 === 0)));
    assert.deepEqual(await sectionsOf({ tags: [DOG, GOLDEN] }), monthsOf(matching((n) => n % 10 === 0)));
    assert.deepEqual(
      await sectionsOf({ tags: [DOG, GOLDEN], match: 'any' }),
      monthsOf(matching((n) => n % 2 === 0 || n % 5 === 0)),
    );
    assert.deepEqual(await sectionsOf({ tags: [GOLDEN], minScore: 0.65 }), []);
    assert.deepEqual(await sectionsOf({ status: 'failed' }), []);
    // The best score of a photo: 0.9 for a dog, else 0.6 for a golden retriever, else 0.5.
    const untaggedAt = (minScore: number) => sectionsOf({ status: 'untagged', minScore });
    assert.deepEqual(await untaggedAt(0.55), monthsOf(matching((n) => n % 2 === 1 && n % 5 !== 0)));
    assert.deepEqual(await untaggedAt(0.95), monthsOf(known));
    // A threshold off the slider's steps is counted photo by photo: the same months.
    assert.deepEqual(await untaggedAt(0.57), await untaggedAt(0.55));
    // Photo 2 without its dog keeps its seashore (0.4) alone: untagged at 0.55, whatever its best score says.
    const two = known.find((photo) => photo.n === 2)!;
    await service.call('correct', {
      photos: { ids: [two.id] },
      action: { type: 'reject', tag: { ...DOG, name: 'Dog' } },
    });
    assert.deepEqual(await untaggedAt(0.55), monthsOf(matching((n) => (n % 2 === 1 && n % 5 !== 0) || n === 2)));
    assert.deepEqual(await untaggedAt(0.55), await untaggedAt(0.57));
    assert.deepEqual(await sectionsOf({ tags: [DOG] }), monthsOf(matching((n) => n % 2 === 0 && n !== 2)));
  });

  it('refuses an order it does not know, and a cursor that is no cursor', async () => {
    for (const args of [{ sort: 'sideways' }, { after: { key: 'soon', id: 1 } }]) {
      const response = await service.dispatch('queryPhotos', args);
      assert.ok('error' in response && response.error.code === 'bad-request', JSON.stringify(response));
    }
  });
});

describe('pages of a tag thousands of photos carry', () => {
  const dir = tempDir('phototag-common-tag-');
  let library: Library;
  let service: ApiService;
  const ids: number[] = [];

  before(() => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    const { repo } = library;
    const folder = repo.addFolder(join(dir, 'photos'));
    // More than a rare tag's 2,000: pages ask each photo for the tag instead of listing the tag's photos.
    const files = Array.from({ length: 2_400 }, (_, n) => ({
      path: join(dir, 'photos', `dog-${n}.jpg`),
      size: 1000,
      mtimeMs: Date.UTC(2022, 0, 1) + n * DAY,
    }));
    repo.upsertScanned(folder.id, files);
    files.forEach((file, n) => {
      const row = repo.photoByPath(file.path)!;
      ids.push(row.id);
      const metadata = { fingerprint: n.toString(16).padStart(64, '0'), format: 'jpeg', width: 1, height: 1 };
      repo.saveTagged(
        row,
        { ...metadata, takenAt: null, camera: null, orientation: 1 },
        MODEL,
        resultOf(n % 10 === 9 ? 1 : 0),
      );
    });
    service = new ApiService(library);
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  it('holds every photo of the tag once, corrections applied, as the timeline counts them', async () => {
    const dog = { kind: 'category', id: 'dog', name: 'Dog' } as const;
    await service.call('correct', { photos: { ids: [ids[0]!] }, action: { type: 'reject', tag: dog } });
    await service.call('correct', { photos: { ids: [ids[9]!] }, action: { type: 'add', tag: dog } });
    const expected = ids.filter((id, n) => n !== 0 && (n % 10 !== 9 || n === 9));
    const seen: number[] = [];
    let after: PhotoCursor | null = null;
    do {
      const page: PhotoPage = await service.call('queryPhotos', { filter: { tags: [DOG] }, after, limit: 150 });
      seen.push(...page.photos.map((tile) => tile.id));
      after = page.next;
    } while (after);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      expected,
    );
    assert.deepEqual(seen, [...expected].reverse(), 'newest first');
    assert.equal((await service.call('timeline', { filter: { tags: [DOG] } })).total, expected.length);
  });
});
