import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ApiService } from '../../src-main/api/api-service.js';
import {
  MIN_SHOWN_SCORE,
  type ApiEvent,
  type PhotoFilter,
  type Progress,
  type TagScore,
} from '../../src-main/api/contract.js';
import { openDatabase } from '../../src-main/db/database.js';
import { MIGRATIONS } from '../../src-main/db/migrations.js';
import type { Classification } from '../../src-main/classifier/scoring.js';
import { Library } from '../../src-main/library/library.js';
import { cliLibrary } from '../cli.js';
import { photo, tempDir, until } from '../helpers.js';

const MODEL = { id: 'test-model', version: '1' };
const metadata = (n: number) => ({
  fingerprint: n.toString(16).padStart(64, '0'),
  format: 'jpeg',
  width: 4000,
  height: 3000,
  takenAt: '2023-07-14T18:02:11',
  camera: 'Pixel 7',
  orientation: 1,
});
const label = (id: string, name: string, score: number) => ({ id, name, score });

/** Tags: every photo gets labels and categories as a classifier would give them. */
const RESULTS: Record<string, Classification> = {
  'beagle.jpg': {
    labels: [label('n02088364', 'Beagle', 0.7), label('n02089867', 'Walker hound', 0.2)],
    categories: [label('dog', 'Dog', 0.92), label('mammal', 'Mammal', 0.05)],
  },
  'dog-on-beach.jpg': {
    labels: [label('n02088364', 'Beagle', 0.4), label('n09428293', 'Seashore', 0.35)],
    categories: [label('dog', 'Dog', 0.45), label('beach-sea', 'Beach & sea', 0.4)],
  },
  'beach.jpg': {
    labels: [label('n09428293', 'Seashore', 0.8)],
    categories: [label('beach-sea', 'Beach & sea', 0.85)],
  },
  'blurry.jpg': {
    labels: [label('n04264628', 'Space bar', 0.12)],
    categories: [label('electronics', 'Electronics', 0.15)],
  },
};

describe('API service over a library', () => {
  const dir = tempDir('phototag-api-');
  let library: Library;
  let service: ApiService;
  const ids: Record<string, number> = {};
  let folders: { a: number; b: number };
  const events: ApiEvent[] = [];

  before(() => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    const { repo } = library;
    const a = repo.addFolder(join(dir, 'a'));
    const b = repo.addFolder(join(dir, 'b'));
    folders = { a: a.id, b: b.id };
    const contents: [typeof a, string, string[]][] = [
      [a, 'a', ['beagle.jpg', 'dog-on-beach.jpg', 'beach.jpg', 'blurry.jpg']],
      [b, 'b', ['broken.jpg', 'waiting.jpg']],
    ];
    for (const [folder, sub, files] of contents) {
      repo.upsertScanned(
        folder.id,
        files.map((name) => ({ path: join(dir, sub, name), size: 1000, mtimeMs: 1 })),
      );
      for (const name of files) ids[name] = repo.photoByPath(join(dir, sub, name))!.id;
    }
    Object.entries(RESULTS).forEach(([name, result], i) =>
      repo.saveTagged(repo.photoById(ids[name]!)!, metadata(i + 1), MODEL, result),
    );
    repo.saveFailed(
      repo.photoById(ids['broken.jpg']!)!,
      `Cannot read ${join(dir, 'b', 'broken.jpg')}: the image is truncated.`,
    );
    service = new ApiService(library);
    service.onEvent((event) => events.push(event));
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  const names = async (filter: Partial<PhotoFilter>) =>
    (await service.call('queryPhotos', { filter, limit: 100 })).photos.map((photo) => photo.name).sort();

  it('filters by several tags at once, all of which must match at the threshold', async () => {
    const dog = { kind: 'category', id: 'dog' } as const;
    const beach = { kind: 'category', id: 'beach-sea' } as const;
    assert.deepEqual(await names({ tags: [dog] }), ['beagle.jpg', 'dog-on-beach.jpg']);
    assert.deepEqual(await names({ tags: [beach] }), ['beach.jpg', 'dog-on-beach.jpg']);
    assert.deepEqual(await names({ tags: [dog, beach] }), ['dog-on-beach.jpg']);
    assert.deepEqual(await names({ tags: [dog, beach], minScore: 0.5 }), []);
    assert.deepEqual(await names({ tags: [{ kind: 'label', id: 'n02088364' }], minScore: 0.5 }), ['beagle.jpg']);
  });

  it('filters by folder, and combines it with tags', async () => {
    assert.deepEqual(await names({ folderId: folders.b }), ['broken.jpg', 'waiting.jpg']);
    assert.deepEqual(await names({ folderId: folders.b, tags: [{ kind: 'category', id: 'dog' }] }), []);
  });

  it('shows as untagged what is not tagged yet or has nothing at the threshold, and follows re-tagging', async () => {
    assert.deepEqual(await names({ status: 'untagged', minScore: 0.3 }), ['blurry.jpg', 'waiting.jpg']);
    assert.deepEqual(await names({ status: 'untagged', minScore: 0.1 }), ['waiting.jpg']);
    assert.deepEqual(await names({ status: 'untagged', minScore: 0.9 }), [
      'beach.jpg',
      'blurry.jpg',
      'dog-on-beach.jpg',
      'waiting.jpg',
    ]);
    assert.equal((await service.call('tags', { minScore: 0.3 })).untagged, 2);
    // Re-tagged with a sure answer, then with a doubtful one: the threshold filter sees each new result.
    library.repo.saveTagged(library.repo.photoById(ids['blurry.jpg']!)!, metadata(9), MODEL, RESULTS['beach.jpg']!);
    assert.deepEqual(await names({ status: 'untagged', minScore: 0.3 }), ['waiting.jpg']);
    library.repo.saveTagged(library.repo.photoById(ids['blurry.jpg']!)!, metadata(4), MODEL, RESULTS['blurry.jpg']!);
    assert.deepEqual(await names({ status: 'untagged', minScore: 0.3 }), ['blurry.jpg', 'waiting.jpg']);
  });

  it('lists failed photos with their reasons', async () => {
    const page = await service.call('queryPhotos', { filter: { status: 'failed' } });
    assert.equal((await service.call('timeline', { filter: { status: 'failed' } })).total, 1);
    assert.equal(page.photos[0]!.name, 'broken.jpg');
    assert.match(page.photos[0]!.error!, /truncated/);
    assert.equal(page.photos[0]!.top, null);
    assert.equal(page.photos[0]!.thumbVersion, null);
  });

  it('pages through the library in a stable order, the total apart', async () => {
    const all = await service.call('queryPhotos', { limit: 100 });
    assert.equal((await service.call('timeline', {})).total, 6);
    const pages = [];
    for (let offset = 0; offset < 6; offset += 4) {
      const page = await service.call('queryPhotos', { offset, limit: 4 });
      pages.push(...page.photos.map((photo) => photo.id));
    }
    assert.deepEqual(
      pages,
      all.photos.map((photo) => photo.id),
    );
  });

  it('captions each tile with its best tag, the category over its own label', async () => {
    const { photos } = await service.call('queryPhotos', { limit: 100 });
    const beagle = photos.find((photo) => photo.name === 'beagle.jpg')!;
    assert.deepEqual(beagle.top, {
      kind: 'category',
      id: 'dog',
      name: 'Dog',
      score: 0.92,
      source: 'model',
      detail: null,
    });
    assert.deepEqual(
      beagle.labels.map((l) => l.name),
      ['Beagle', 'Walker hound'],
    );
    const waiting = photos.find((photo) => photo.name === 'waiting.jpg')!;
    assert.equal(waiting.top, null);
    assert.equal(waiting.status, 'pending');
  });

  it('counts tags at the threshold, most frequent first', async () => {
    const tags = await service.call('tags', { minScore: 0.3 });
    assert.deepEqual(
      tags.categories.map((tag) => [tag.name, tag.count]),
      [
        ['Beach & sea', 2],
        ['Dog', 2],
      ],
    );
    assert.deepEqual(tags.labels[0], { kind: 'label', id: 'n02088364', name: 'Beagle', count: 2 });
    assert.equal(tags.failed, 1);
    const strict = await service.call('tags', { minScore: 0.9 });
    assert.deepEqual(
      strict.categories.map((tag) => tag.name),
      ['Dog'],
    );
  });

  it('describes one photo completely', async () => {
    const detail = await service.call('photo', { id: ids['dog-on-beach.jpg']! });
    const fromModel = (scores: { id: string; name: string; score: number }[]) =>
      scores.map((score) => ({ ...score, source: 'model' }));
    assert.deepEqual(detail.categories, fromModel(RESULTS['dog-on-beach.jpg']!.categories));
    assert.deepEqual(detail.labels, fromModel(RESULTS['dog-on-beach.jpg']!.labels));
    assert.equal(detail.camera, 'Pixel 7');
    assert.equal(detail.takenAt, '2023-07-14T18:02:11');
    assert.equal(detail.width, 4000);
    assert.equal(detail.fileSize, 1000);
    assert.equal(detail.path, join(dir, 'a', 'dog-on-beach.jpg'));
    assert.deepEqual(detail.model, MODEL);
    await assert.rejects(service.call('photo', { id: 999 }), { code: 'not-found' });
  });

  it('summarises folders with their progress, and the model', async () => {
    const summary = await service.call('summary', {});
    assert.deepEqual(
      summary.folders.map(({ path, total, done, failed, pending }) => [path, total, done, failed, pending]),
      [
        [join(dir, 'a'), 4, 4, 0, 0],
        [join(dir, 'b'), 2, 0, 1, 1],
      ],
    );
    assert.equal(summary.counts.total, 6);
    assert.ok(summary.model?.id, 'the active model is named');
    assert.equal(summary.progress.queued, 1);
  });

  it('answers malformed requests with a bad-request error, never an exception', async () => {
    for (const [method, args] of [
      ['nope', {}],
      ['queryPhotos', { limit: 0 }],
      ['queryPhotos', { limit: 100_000 }],
      ['queryPhotos', { filter: { tags: 'dog' } }],
      ['photo', { id: -1 }],
      ['photo', null],
      ['tags', { minScore: '0.3' }],
      ['removeFolder', {}],
    ] as const) {
      const answer = await service.dispatch(method, args);
      assert.ok('error' in answer, `${method} ${JSON.stringify(args)}`);
      assert.equal(answer.error.code, 'bad-request');
    }
  });

  it('passes on changes coalesced, and warnings with the summary', async () => {
    events.length = 0;
    for (let i = 0; i < 50; i++) library.emit('changed');
    library.emit('warning', 'Cannot watch /somewhere: too many folders; polling instead.');
    await new Promise<void>((resolve) => {
      const stop = service.onEvent((event) => {
        if (event.type === 'changed') {
          stop();
          resolve();
        }
      });
    });
    assert.equal(events.filter((event) => event.type === 'changed').length, 1);
    assert.equal(events.filter((event) => event.type === 'warning').length, 1);
    const summary = await service.call('summary', {});
    assert.match(summary.warnings[0]!.message, /polling instead/);
  });

  it('applies corrections: rejected tags leave filters and counts, confirmed and added ones join them', async () => {
    const { corrections } = library.repo;
    const dog = { kind: 'category', id: 'dog' } as const;
    const beach = { kind: 'category', id: 'beach-sea' } as const;
    corrections.apply([ids['dog-on-beach.jpg']!], { type: 'reject', tag: { ...dog, name: 'Dog' } });
    corrections.apply([ids['blurry.jpg']!], { type: 'add', tag: { ...beach, name: 'Beach & sea' } });
    corrections.apply([ids['beach.jpg']!], {
      type: 'add',
      tag: { kind: 'label', id: 'user:lake-geneva', name: 'Lake Geneva' },
    });
    library.emit('changed');
    try {
      assert.deepEqual(await names({ tags: [dog] }), ['beagle.jpg']);
      assert.deepEqual(await names({ tags: [beach], minScore: 0.9 }), ['blurry.jpg']);
      assert.deepEqual(await names({ tags: [{ kind: 'label', id: 'user:lake-geneva' }] }), ['beach.jpg']);
      assert.deepEqual(await names({ status: 'untagged', minScore: 0.3 }), ['waiting.jpg']);
      const tags = await service.call('tags', { minScore: 0.3 });
      assert.deepEqual(
        tags.categories.map((tag) => [tag.name, tag.count]),
        [
          ['Beach & sea', 3],
          ['Dog', 1],
        ],
      );
      assert.ok(tags.labels.some((tag) => tag.name === 'Lake Geneva' && tag.count === 1));
      const { photos } = await service.call('queryPhotos', { limit: 100 });
      const blurry = photos.find((tile) => tile.name === 'blurry.jpg')!;
      assert.deepEqual(blurry.top, {
        kind: 'category',
        id: 'beach-sea',
        name: 'Beach & sea',
        score: 1,
        source: 'user',
        detail: null,
      });
      const detail = await service.call('photo', { id: ids['dog-on-beach.jpg']! });
      assert.ok(!detail.categories.some((category) => category.id === 'dog'), 'a rejected tag is gone');
    } finally {
      while (corrections.undo().length > 0);
      library.emit('changed');
    }
    assert.deepEqual(await names({ tags: [dog] }), ['beagle.jpg', 'dog-on-beach.jpg']);
  });

  it('removes a folder by id, and refuses an unknown one', async () => {
    await service.call('removeFolder', { folderId: folders.b });
    assert.deepEqual(await names({}), ['beach.jpg', 'beagle.jpg', 'blurry.jpg', 'dog-on-beach.jpg']);
    await assert.rejects(service.call('removeFolder', { folderId: folders.b }), { code: 'not-found' });
  });
});

describe('tagging through the service, with the real model', () => {
  const dir = tempDir('phototag-api-tagging-');
  let library: Library;
  let service: ApiService;

  before(() => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    mkdirSync(join(dir, 'photos'));
    for (const name of ['dog.jpg', 'cat.bmp', 'owl.jpg']) copyFileSync(photo(name), join(dir, 'photos', name));
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    service = new ApiService(library);
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  /** Resolves with the first progress event that satisfies `test`. */
  const progressWhere = (test: (progress: Progress) => boolean) =>
    new Promise<Progress>((resolve) => {
      const stop = service.onEvent((event) => {
        if (event.type === 'progress' && test(event.progress)) {
          stop();
          resolve(event.progress);
        }
      });
    });

  it('holds a new folder while paused, and tags all of it on resume', async () => {
    const paused = await service.call('pause', {});
    assert.equal(paused.progress.state, 'paused');
    const waiting = progressWhere((progress) => progress.state === 'paused' && progress.queued === 3);
    await service.call('addFolder', { path: join(dir, 'photos') });
    await waiting;
    assert.equal(library.repo.counts().done, 0, 'nothing is tagged while paused');

    const finished = progressWhere((progress) => progress.state === 'idle' && progress.queued === 0);
    const resumed = await service.call('resume', {});
    assert.notEqual(resumed.progress.state, 'paused');
    await finished;
    const summary = await service.call('summary', {});
    assert.equal(summary.counts.done, 3);
    assert.deepEqual(
      summary.folders.map(({ total, done }) => [total, done]),
      [[3, 3]],
    );
    assert.equal(summary.executionProvider, 'cpu');
    const dog = await service.call('queryPhotos', { filter: { tags: [{ kind: 'category', id: 'dog' }] } });
    assert.deepEqual(
      dog.photos.map((tile) => tile.name),
      ['dog.jpg'],
    );
  });
});

describe('the minimum shown score, with the real model', () => {
  const dir = tempDir('phototag-api-shown-');
  let library: Library;
  let service: ApiService;

  before(async () => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    mkdirSync(join(dir, 'photos'));
    for (const name of ['face.jpg', 'parrot.jpg']) copyFileSync(photo(name), join(dir, 'photos', name));
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    await library.scan(await library.addFolder(join(dir, 'photos')));
    await library.tag();
    service = new ApiService(library);
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  const unshown = (tags: TagScore[]) => tags.filter((tag) => tag.score < MIN_SHOWN_SCORE).map((tag) => tag.name);
  const parrotTile = async () =>
    (await service.call('queryPhotos', {})).photos.find((tile) => tile.name === 'parrot.jpg')!;

  it('leaves the model tags under it out of the grid and the photo view, and shows the user tags', async () => {
    const tiles = (await service.call('queryPhotos', {})).photos;
    assert.deepEqual(
      tiles.map((tile) => unshown(tile.labels)),
      [[], []],
    );
    for (const tile of tiles) {
      const detail = await service.call('photo', { id: tile.id });
      assert.deepEqual(unshown([...detail.labels, ...detail.categories]), [], tile.name);
    }
    const parrot = await parrotTile();
    assert.deepEqual(
      parrot.labels.filter((label) => !label.id.includes(':')).map((label) => label.name),
      ['Macaw'],
      "the model's other four labels score under 1% (the bird specialist's species show beside it)",
    );

    // "Lorikeet" is one of them: confirmed, it is the user's, and shows.
    const lorikeet = { kind: 'label' as const, id: 'n01820546', name: 'Lorikeet' };
    await service.call('correct', { photos: { ids: [parrot.id] }, action: { type: 'confirm', tag: lorikeet } });
    const confirmed = { id: lorikeet.id, name: lorikeet.name, score: 1, source: 'user' };
    assert.deepEqual((await service.call('photo', { id: parrot.id })).labels[0], confirmed);
    assert.deepEqual((await parrotTile()).labels[0], confirmed);
  });

  it('captions a tile with nothing when none of its tags is shown', async () => {
    const { id, labels } = await parrotTile();
    const species = labels.filter((label) => label.id.startsWith('bird:'));
    // What is left of the parrot's tags without these scores under the minimum (Lorikeet is confirmed above).
    for (const tag of [
      { kind: 'label' as const, id: 'n01818515', name: 'Macaw' },
      { kind: 'label' as const, id: 'n01820546', name: 'Lorikeet' },
      { kind: 'category' as const, id: 'bird', name: 'Bird' },
      ...species.map(({ id, name }) => ({ kind: 'label' as const, id, name })),
    ]) {
      await service.call('correct', { photos: { ids: [id] }, action: { type: 'reject', tag } });
    }
    const tile = await parrotTile();
    assert.equal(tile.top, null);
    assert.deepEqual(tile.labels, []);
    const detail = await service.call('photo', { id });
    assert.deepEqual([detail.labels, detail.categories], [[], []]);
  });
});

describe('migration 2 on an existing library', () => {
  it('computes each photo’s best score from the predictions it already has', () => {
    const file = join(tempDir('phototag-migration-'), 'library.sqlite');
    const old = new Database(file);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.exec(`INSERT INTO folders (id, path, added_at) VALUES (1, '/photos', 0);
      INSERT INTO photos (id, folder_id, path, size, mtime_ms, status) VALUES
        (1, 1, '/photos/a.jpg', 1, 1, 'done'), (2, 1, '/photos/b.jpg', 1, 1, 'done'), (3, 1, '/photos/c.jpg', 1, 1, 'pending');
      INSERT INTO predictions VALUES (1, 'm', '1', 0, 'x', 'X', 0.4), (1, 'm', '1', 1, 'y', 'Y', 0.2),
        (2, 'm', '1', 0, 'x', 'X', 0.6);
      INSERT INTO category_scores VALUES (1, 'm', '1', 'c', 'C', 0.7);`);
    old.close();
    const db = openDatabase(file);
    const rows = db.prepare('SELECT id, best_score AS best FROM photos ORDER BY id').all();
    db.close();
    assert.deepEqual(rows, [
      { id: 1, best: 0.7 },
      { id: 2, best: 0.6 },
      { id: 3, best: null },
    ]);
  });
});

describe('API service beside another process', () => {
  it("tells the views of another process's writes (the CLI's correction while the window is open), once each, as of its own", async () => {
    const { folder, db, run } = cliLibrary(['dog.jpg']);
    run(['tag', folder]);
    const library = Library.open({ dbPath: db });
    const service = new ApiService(library);
    const changes: ApiEvent[] = [];
    service.onEvent((event) => event.type === 'changed' && changes.push(event));
    const labels = async () => (await service.call('tags', { minScore: 0 })).labels.map((tag) => tag.name);
    try {
      const [dog] = (await service.call('queryPhotos', {})).photos;
      await service.call('correct', {
        photos: { ids: [dog!.id] },
        action: { type: 'confirm', tag: { kind: 'category', id: 'dog', name: 'Dog' } },
      });
      await pause(2500);
      assert.equal(changes.length, 1, 'its own correction is one change, not one more for the poll');
      run(['label', join(folder, 'dog.jpg'), '--add', 'Rex']);
      await until(() => changes.length >= 2, "the CLI's correction is heard", { timeoutMs: 5000, everyMs: 50 });
      await pause(1500);
      assert.equal(changes.length, 2, "the CLI's correction is one change");
      assert.ok((await labels()).includes('Rex'), 'and the views asking again see it');
    } finally {
      service.close();
      await library.close();
    }
  });

  it('tells nothing, and throws nothing, once the library closed before the service', async () => {
    const library = Library.open({ dbPath: join(tempDir(), 'library.sqlite') });
    const service = new ApiService(library);
    const changes: ApiEvent[] = [];
    service.onEvent((event) => event.type === 'changed' && changes.push(event));
    try {
      library.emit('changed');
      await until(() => changes.length > 0, 'the first change is heard', { everyMs: 20 });
      // The next change's event is due a second after that one, long after the library closed: a read of the closed
      // library there would be an uncaught error.
      library.emit('changed');
      await library.close();
      await pause(1500);
      assert.equal(changes.length, 1, 'nothing more once the library closed');
    } finally {
      service.close();
    }
  });
});
