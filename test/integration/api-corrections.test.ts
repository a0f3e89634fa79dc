import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { ApiService } from '../../src-main/api/api-service.js';
import { HTTP_STATUS, type ApiEvent, type Tag } from '../../src-main/api/contract.js';
import type { Classification } from '../../src-main/classifier/scoring.js';
import { openDatabase } from '../../src-main/db/database.js';
import { MIGRATIONS } from '../../src-main/db/migrations.js';
import { PhotoRepository } from '../../src-main/db/photo-repository.js';
import { Library } from '../../src-main/library/library.js';
import { photo, tempDir } from '../helpers.js';

const MODEL = { id: 'test-model', version: '1' };
const metadata = (n: number) => ({
  fingerprint: n.toString(16).padStart(64, '0'),
  format: 'jpeg',
  width: 640,
  height: 480,
  takenAt: null,
  camera: null,
  orientation: 1,
});
const score = (id: string, name: string, value: number) => ({ id, name, score: value });

const BEAGLE: Tag = { kind: 'label', id: 'n02088364', name: 'Beagle' };
const WALKER: Tag = { kind: 'label', id: 'n02089867', name: 'Walker hound' };
const DOG: Tag = { kind: 'category', id: 'dog', name: 'Dog' };
const REX: Tag = { kind: 'label', id: 'user:rex', name: 'Rex' };

/** Real photos, with predictions chosen so that the margin between the top two labels orders them. */
const RESULTS: Record<string, Classification> = {
  // margin 0.1
  'dog.jpg': {
    labels: [BEAGLE, WALKER].map((tag, i) => score(tag.id, tag.name, [0.5, 0.4][i]!)),
    categories: [score('dog', 'Dog', 0.9)],
  },
  // margin 0.85
  'cat_720p.jpg': {
    labels: [score('n02124075', 'Egyptian cat', 0.9), score('n02123045', 'Tabby cat', 0.05)],
    categories: [score('cat', 'Cat', 0.95)],
  },
  // margin 0.6: a single label
  'parrot.jpg': {
    labels: [score('n01818515', 'Macaw', 0.6)],
    categories: [score('bird', 'Bird', 0.6)],
  },
  // margin 0.05
  'hot_dog.jpg': {
    labels: [score('n07697537', 'Hotdog', 0.45), score('n07697313', 'Cheeseburger', 0.4)],
    categories: [score('food', 'Food', 0.85)],
  },
};

describe('corrections, review and export through the API service', () => {
  const dir = tempDir('phototag-api-corrections-');
  const photosDir = join(dir, 'photos');
  let library: Library;
  let service: ApiService;
  const ids: Record<string, number> = {};
  const events: ApiEvent[] = [];

  before(() => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    mkdirSync(photosDir);
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    const { repo } = library;
    const folder = repo.addFolder(photosDir);
    const names = [...Object.keys(RESULTS), 'waiting.jpg'];
    for (const name of names) {
      if (name === 'waiting.jpg') writeFileSync(join(photosDir, name), 'not yet read');
      else copyFileSync(photo(name), join(photosDir, name));
    }
    repo.upsertScanned(
      folder.id,
      names.map((name) => ({ path: join(photosDir, name), size: 1000, mtimeMs: 1 })),
    );
    for (const name of names) ids[name] = repo.photoByPath(join(photosDir, name))!.id;
    Object.entries(RESULTS).forEach(([name, result], i) =>
      repo.saveTagged(repo.photoById(ids[name]!)!, metadata(i + 1), MODEL, result),
    );
    service = new ApiService(library);
    service.onEvent((event) => events.push(event));
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  /** Takes back every correction, so each test starts from the model's tags alone. */
  const undoAll = async () => {
    while ((await service.call('undo', {})).photoIds.length > 0);
  };

  const nextEvent = (type: ApiEvent['type']) =>
    new Promise<ApiEvent>((resolve) => {
      const stop = service.onEvent((event) => {
        if (event.type === type) {
          stop();
          resolve(event);
        }
      });
    });

  it('marks where each tag of a photo comes from: the model, or the user once confirmed', async () => {
    const before = await service.call('photo', { id: ids['dog.jpg']! });
    assert.deepEqual(before.labels, [
      { ...score(BEAGLE.id, 'Beagle', 0.5), source: 'model' },
      { ...score(WALKER.id, 'Walker hound', 0.4), source: 'model' },
    ]);
    assert.deepEqual(before.categories, [{ ...score('dog', 'Dog', 0.9), source: 'model' }]);

    const changed = nextEvent('changed');
    const result = await service.call('correct', {
      photos: { ids: [ids['dog.jpg']!] },
      action: { type: 'confirm', tag: WALKER },
    });
    assert.deepEqual(result, { photos: 1, message: 'Confirmed Walker hound.', canUndo: true });
    await changed;
    await service.call('correct', { photos: { ids: [ids['dog.jpg']!] }, action: { type: 'reject', tag: BEAGLE } });
    await service.call('correct', { photos: { ids: [ids['dog.jpg']!] }, action: { type: 'add', tag: REX } });

    const after = await service.call('photo', { id: ids['dog.jpg']! });
    assert.deepEqual(
      after.labels.map(({ name, score, source }) => [name, score, source]),
      [
        ['Rex', 1, 'user'],
        ['Walker hound', 1, 'user'],
      ],
    );
    const { photos } = await service.call('queryPhotos', { filter: { tags: [{ kind: 'label', id: 'user:rex' }] } });
    assert.deepEqual(
      photos.map((tile) => [tile.name, tile.labels.map((label) => label.source)]),
      [['dog.jpg', ['user', 'user']]],
    );
    const tags = await service.call('tags', { minScore: 0.3 });
    assert.ok(!tags.labels.some((tag) => tag.id === BEAGLE.id), 'a rejected label leaves the counts');
    assert.deepEqual(
      tags.labels.find((tag) => tag.id === 'user:rex'),
      { kind: 'label', id: 'user:rex', name: 'Rex', count: 1 },
    );
    await undoAll();
  });

  it('corrects many photos at once, by ids or by filter, as one step that one undo takes back', async () => {
    const dogAndCat = [ids['dog.jpg']!, ids['cat_720p.jpg']!];
    const byIds = await service.call('correct', { photos: { ids: dogAndCat }, action: { type: 'add', tag: REX } });
    assert.equal(byIds.message, 'Added Rex on 2 photos.');
    const byFilter = await service.call('correct', {
      photos: { filter: { tags: [{ kind: 'label', id: 'user:rex' }] }, except: [ids['cat_720p.jpg']!] },
      action: { type: 'replace', from: REX, to: { kind: 'label', id: 'user:rex-junior', name: 'Rex junior' } },
    });
    assert.deepEqual(byFilter, { photos: 1, message: 'Replaced Rex with Rex junior.', canUndo: true });
    const names = async (id: string) =>
      (await service.call('queryPhotos', { filter: { tags: [{ kind: 'label', id }] }, sort: 'found' })).photos.map(
        (t) => t.name,
      );
    assert.deepEqual(await names('user:rex'), ['cat_720p.jpg']);
    assert.deepEqual(await names('user:rex-junior'), ['dog.jpg']);

    const undone = await service.call('undo', {});
    assert.deepEqual(undone, {
      photoIds: [ids['dog.jpg']],
      message: 'Undone: Replaced Rex with Rex junior.',
      canUndo: true,
    });
    assert.deepEqual(await names('user:rex'), ['dog.jpg', 'cat_720p.jpg']);
    assert.deepEqual(await names('user:rex-junior'), []);
    const first = await service.call('undo', {});
    assert.deepEqual(first.photoIds.sort(), [...dogAndCat].sort());
    assert.equal(first.message, 'Undone: Added Rex on 2 photos.');
    const nothing = await service.call('undo', {});
    assert.deepEqual(nothing, { photoIds: [], message: 'There is nothing to undo.', canUndo: false });
    assert.equal((await service.call('summary', {})).canUndo, false);
  });

  it('keeps the name an own label was first given, whatever the case it is typed in later', async () => {
    await service.call('correct', { photos: { ids: [ids['dog.jpg']!] }, action: { type: 'add', tag: REX } });
    await service.call('correct', {
      photos: { ids: [ids['cat_720p.jpg']!] },
      action: { type: 'add', tag: { kind: 'label', id: 'user:rex', name: 'REX' } },
    });
    const cat = await service.call('photo', { id: ids['cat_720p.jpg']! });
    assert.equal(cat.labels[0]!.name, 'Rex');
    // Names of model classes and categories are the taxonomy's, whatever the request said.
    await service.call('correct', {
      photos: { ids: [ids['cat_720p.jpg']!] },
      action: { type: 'add', tag: { ...DOG, name: 'doggo' } },
    });
    assert.equal((await service.call('photo', { id: ids['cat_720p.jpg']! })).categories[0]!.name, 'Dog');
    await undoAll();
  });

  it('refuses malformed or impossible corrections with a sentence that says what is wrong', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ photos: { ids: [] }, action: { type: 'confirm', tag: BEAGLE } }, 'bad-request', /at least one photo/],
      [{ photos: { ids: [ids['dog.jpg']] }, action: { type: 'approve', tag: BEAGLE } }, 'bad-request', /action/],
      [{ photos: { ids: [ids['dog.jpg']] }, action: { type: 'confirm' } }, 'bad-request', /action\.tag/],
      [
        { photos: { ids: [ids['dog.jpg']] }, action: { type: 'add', tag: { ...REX, name: ' ' } } },
        'bad-request',
        /name must not be empty/,
      ],
      [
        { photos: { ids: [ids['dog.jpg']] }, action: { type: 'replace', from: BEAGLE, to: BEAGLE } },
        'bad-request',
        /with itself/,
      ],
      [
        { photos: { ids: [ids['dog.jpg']] }, action: { type: 'add', tag: { ...BEAGLE, id: 'n99999999' } } },
        'bad-request',
        /not a class of the imagenet-1k label set/,
      ],
      [
        { photos: { ids: [ids['dog.jpg']] }, action: { type: 'add', tag: { ...REX, id: 'user:max' } } },
        'bad-request',
        /has the id "user:rex"/,
      ],
      [
        { photos: { ids: [ids['dog.jpg']] }, action: { type: 'add', tag: { ...DOG, id: 'dragons' } } },
        'bad-request',
        /no category "dragons"/,
      ],
      [{ photos: { ids: [ids['dog.jpg'], 9999] }, action: { type: 'add', tag: REX } }, 'not-found', /id 9999/],
      [
        { photos: { filter: { tags: [{ kind: 'label', id: 'user:nobody' }] } }, action: { type: 'add', tag: REX } },
        'refused',
        /No photo matches/,
      ],
      [{ photos: { ids: [ids['dog.jpg']] }, action: { type: 'add', tag: REX }, extra: 1 }, 'bad-request', /extra/],
    ];
    for (const [args, code, message] of cases) {
      const answer = await service.dispatch('correct', args);
      assert.ok('error' in answer, JSON.stringify(args));
      assert.equal(answer.error.code, code, JSON.stringify(args));
      assert.match(answer.error.message, message);
    }
    assert.equal(library.repo.corrections.list().length, 0, 'nothing was stored');
  });

  it('suggests classes, categories and own labels as one types, and offers a new own label', async () => {
    const names = (answer: { suggestions: { name: string; source: string }[] }) =>
      answer.suggestions.map((tag) => `${tag.name} (${tag.source})`);
    const golden = await service.call('labelSuggestions', { query: 'golden', limit: 3 });
    assert.equal(names(golden)[0], 'Golden retriever (class)');
    assert.deepEqual(golden.newLabel, { kind: 'label', id: 'user:golden', name: 'golden' });
    const dog = await service.call('labelSuggestions', { query: 'DOG' });
    assert.equal(names(dog)[0], 'Dog (category)');
    assert.equal(dog.newLabel, null, 'an exact match is not offered as a new label');
    assert.ok(names(dog).includes('Hotdog (class)'), names(dog).join(', '));
    const rex = await service.call('labelSuggestions', { query: '  Rex  the  dog ' });
    assert.deepEqual(rex.newLabel, { kind: 'label', id: 'user:rex-the-dog', name: 'Rex the dog' });

    await service.call('correct', { photos: { ids: [ids['dog.jpg']!] }, action: { type: 'add', tag: REX } });
    const own = await service.call('labelSuggestions', { query: 'rex' });
    assert.deepEqual(own.suggestions[0], { ...REX, source: 'own' });
    assert.equal(own.newLabel, null);
    const everything = await service.call('labelSuggestions', { limit: 2000 });
    assert.deepEqual(everything.suggestions[0], { ...REX, source: 'own' });
    assert.equal(everything.suggestions.filter((tag) => tag.source === 'class').length, 1000);
    assert.equal(everything.suggestions.filter((tag) => tag.source === 'category').length, 38);
    const bad = await service.dispatch('labelSuggestions', { limit: 0 });
    assert.ok('error' in bad && bad.error.code === 'bad-request');
    await undoAll();
  });

  it('queues the photos nobody reviewed, least certain first, and counts what is left', async () => {
    const order = async (exclude: number[] = []) => {
      const queue = await service.call('reviewQueue', { exclude });
      return { left: queue.left, names: queue.photos.map((item) => item.name) };
    };
    assert.deepEqual(await order(), {
      left: 4,
      names: ['hot_dog.jpg', 'dog.jpg', 'parrot.jpg', 'cat_720p.jpg'],
    });
    const first = (await service.call('reviewQueue', { limit: 1 })).photos[0]!;
    assert.equal(first.margin.toFixed(2), '0.05');
    assert.deepEqual(
      first.labels.map((label) => label.name),
      ['Hotdog', 'Cheeseburger'],
    );
    assert.equal((await service.call('summary', {})).toReview, 4);

    // Any correction, even a rejection, means someone looked at the photo.
    await service.call('correct', {
      photos: { ids: [ids['hot_dog.jpg']!] },
      action: { type: 'reject', tag: { kind: 'label', id: 'n07697313', name: 'Cheeseburger' } },
    });
    assert.deepEqual(await order(), { left: 3, names: ['dog.jpg', 'parrot.jpg', 'cat_720p.jpg'] });
    // Skipped in this session: left out, and not counted.
    assert.deepEqual(await order([ids['dog.jpg']!]), { left: 2, names: ['parrot.jpg', 'cat_720p.jpg'] });
    assert.equal((await service.call('summary', {})).toReview, 3);
    await service.call('undo', {});
    assert.equal((await service.call('reviewQueue', {})).left, 4);
    const bad = await service.dispatch('reviewQueue', { exclude: ['x'] });
    assert.ok('error' in bad && bad.error.code === 'bad-request');
  });

  describe('export', () => {
    before(async () => {
      await service.call('correct', {
        photos: { ids: [ids['dog.jpg']!, ids['cat_720p.jpg']!] },
        action: { type: 'add', tag: REX },
      });
      await service.call('correct', { photos: { ids: [ids['dog.jpg']!] }, action: { type: 'confirm', tag: DOG } });
    });
    after(undoAll);

    it('writes an ImageFolder dataset with progress events and answers a summary that matches the manifest', async () => {
      const out = join(tempDir('phototag-api-export-'), 'dataset');
      const progress: ApiEvent[] = [];
      const stop = service.onEvent((event) => event.type === 'exportProgress' && progress.push(event));
      const summary = await service.call('exportDataset', { format: 'imagefolder', out, validation: 0.5, resize: 64 });
      stop();
      assert.deepEqual(
        summary.classes.map((c) => [c.name, c.folder, c.train, c.validation]),
        [
          ['Dog', 'dog', 1, 0],
          ['Rex', 'rex', 1, 1],
        ],
      );
      assert.equal(summary.photos, 2);
      assert.equal(summary.examples, 3);
      assert.deepEqual(progress.at(-1), { type: 'exportProgress', out, done: 3, total: 3 });
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
        classes: unknown[];
        options: { validation: number; resize: number };
      };
      assert.deepEqual(manifest.classes, summary.classes);
      assert.equal(manifest.options.resize, 64);
      for (const split of ['train', 'validation']) {
        for (const file of readdirSync(join(out, split, 'rex'))) {
          const { width, height } = await sharp(join(out, split, 'rex', file)).metadata();
          assert.ok(Math.max(width!, height!) <= 64, `${file} is resized`);
        }
      }
    });

    it('answers "exists" for an earlier export, and replaces it when told to overwrite', async () => {
      const out = join(tempDir('phototag-api-export-'), 'dataset');
      await service.call('exportDataset', { format: 'jsonl', out });
      const answer = await service.dispatch('exportDataset', { format: 'csv', out });
      assert.ok('error' in answer);
      assert.equal(answer.error.code, 'exists');
      assert.equal(HTTP_STATUS[answer.error.code], 409);
      assert.match(answer.error.message, /already holds a Phototag export/);
      assert.ok(existsSync(join(out, 'labels.jsonl')), 'nothing was touched');

      const summary = await service.call('exportDataset', { format: 'csv', out, overwrite: true, classes: ['rex'] });
      assert.deepEqual(
        summary.classes.map((c) => c.name),
        ['Rex'],
      );
      assert.deepEqual(readdirSync(out).sort(), ['labels.csv', 'manifest.json']);
    });

    it('refuses, even told to overwrite, a folder that holds anything but an earlier export', async () => {
      const out = join(tempDir('phototag-api-export-'), 'dataset');
      mkdirSync(out);
      writeFileSync(join(out, 'notes.txt'), 'mine');
      for (const overwrite of [false, true]) {
        const answer = await service.dispatch('exportDataset', { format: 'csv', out, overwrite });
        assert.ok('error' in answer);
        assert.equal(answer.error.code, 'refused');
        assert.match(answer.error.message, /holds files that are not a Phototag export/);
      }
      assert.deepEqual(readdirSync(out), ['notes.txt'], 'nothing was touched');
    });

    it('refuses an output folder that is not a full path, inside the library, or holding it', async () => {
      const cases: [unknown, string, RegExp][] = [
        [{ format: 'csv', out: 'relative/dataset' }, 'bad-request', /not a full path/],
        [{ format: 'tfrecord', out: join(dir, 'x') }, 'bad-request', /format/],
        [{ format: 'csv', out: join(dir, 'x'), validation: 1 }, 'bad-request', /validation/],
        [{ format: 'csv', out: join(photosDir, 'dataset') }, 'refused', /inside the library folder/],
        [{ format: 'csv', out: dir, overwrite: true }, 'refused', /holds the library folder/],
        [{ format: 'csv', out: homedir(), overwrite: true }, 'refused', /holds (your home folder|the library)/],
      ];
      for (const [args, code, message] of cases) {
        const answer = await service.dispatch('exportDataset', args);
        assert.ok('error' in answer, JSON.stringify(args));
        assert.equal(answer.error.code, code, JSON.stringify(args));
        assert.match(answer.error.message, message);
      }
      assert.ok(existsSync(join(photosDir, 'dog.jpg')), 'the library folder is intact');
    });
  });
});

describe('migration 4 on an existing library', () => {
  it('gives each tagged photo the margin between its top two labels, and keeps it with re-tagging', () => {
    const file = join(tempDir('phototag-migration-4-'), 'library.sqlite');
    const old = new Database(file);
    MIGRATIONS.slice(0, 3).forEach((sql) => old.exec(sql));
    old.pragma('user_version = 3');
    old.exec(`INSERT INTO folders (id, path, added_at) VALUES (1, '/photos', 0);
      INSERT INTO photos (id, folder_id, path, size, mtime_ms, status) VALUES
        (1, 1, '/photos/a.jpg', 1, 1, 'done'), (2, 1, '/photos/b.jpg', 1, 1, 'done'), (3, 1, '/photos/c.jpg', 1, 1, 'pending');
      INSERT INTO predictions VALUES (1, 'm', '1', 0, 'x', 'X', 0.5), (1, 'm', '1', 1, 'y', 'Y', 0.25),
        (1, 'm', '1', 2, 'z', 'Z', 0.1), (2, 'm', '1', 0, 'x', 'X', 0.6);`);
    old.close();
    const db = openDatabase(file);
    const margins = () => db.prepare('SELECT id, margin FROM photos ORDER BY id').all();
    assert.deepEqual(margins(), [
      { id: 1, margin: 0.25 },
      { id: 2, margin: 0.6 },
      { id: 3, margin: null },
    ]);
    const repo = new PhotoRepository(db);
    repo.saveTagged(repo.photoById(2)!, metadata(2), MODEL, {
      labels: [score('x', 'X', 0.4), score('y', 'Y', 0.3)],
      categories: [],
    });
    repo.saveFailed(repo.photoById(1)!, 'Cannot read /photos/a.jpg: it is truncated.');
    assert.deepEqual(margins(), [
      { id: 1, margin: null },
      { id: 2, margin: 0.4 - 0.3 },
      { id: 3, margin: null },
    ]);
    db.close();
  });
});
