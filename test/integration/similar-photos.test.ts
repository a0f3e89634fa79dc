import assert from 'node:assert/strict';
import { cpSync, readFileSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ApiService } from '../../src-main/api/api-service.js';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { openDatabase } from '../../src-main/db/database.js';
import {
  duplicateGroups,
  similarPhotos,
  suggestedPhotos,
  suggestedTags,
} from '../../src-main/features/photo-similarity.js';
import { Library } from '../../src-main/library/library.js';
import { phototag } from '../cli.js';
import { MODELS_DIR, PHOTOS_DIR, tempDir } from '../helpers.js';

const FEATHERED = { kind: 'label' as const, id: userLabelId('Feathered'), name: 'Feathered' };
const BIRDS = ['parrot.jpg', 'owl.jpg', 'eagle.jpg'];

const dir = tempDir();
const photos = join(dir, 'photos');
const dbPath = join(dir, 'library.sqlite');
const open = (modelId?: string) =>
  Library.open({ dbPath, modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') }, modelId });
const path = (name: string) => join(photos, name);
const names = (rows: { path: string }[]) => rows.map((row) => basename(row.path));

let library: Library;
const id = (name: string) => library.repo.photoByPath(path(name))!.id;

async function tagAll(): Promise<void> {
  for (const folder of library.repo.folders()) await library.scan(folder);
  await library.tag();
}

describe('similar photos, near-duplicates and learned labels, from the stored features', () => {
  before(async () => {
    cpSync(PHOTOS_DIR, photos, { recursive: true });
    // The same picture, halved and recompressed at quality 60.
    await sharp(path('dog.jpg')).resize(130).jpeg({ quality: 60 }).toFile(path('dog-copy.jpg'));
    library = open();
    await library.addFolder(photos);
    await tagAll();
  });
  after(() => library.close());

  it('keeps each photo the model tagged: 1,280 bytes of features under the model id and version', () => {
    const db = openDatabase(dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT model_id, model_version, length(codes) AS bytes FROM features').all() as {
        model_id: string;
        model_version: string;
        bytes: number;
      }[];
      assert.equal(rows.length, library.repo.counts().done);
      assert.ok(rows.length >= 16);
      for (const row of rows)
        assert.deepEqual(row, { model_id: 'mobilenet-v2-imagenet', model_version: '1', bytes: 1280 });
    } finally {
      db.close();
    }
  });

  it('finds photos of a dog like a dog: its copy, then the photo of a dog and a cat, never itself', async () => {
    const similar = await similarPhotos(library, library.repo.photoById(id('dog.jpg'))!, 5);
    assert.deepEqual(names(similar.map((hit) => hit.photo)).slice(0, 2), ['dog-copy.jpg', 'pets.jpg']);
    assert.ok(!names(similar.map((hit) => hit.photo)).includes('dog.jpg'));
    assert.ok(
      similar.every((hit, i) => i === 0 || hit.score <= similar[i - 1]!.score),
      'best first',
    );
  });

  it('groups a resized, recompressed copy with its photo, the larger one first, and no two different photos', async () => {
    const groups = (await duplicateGroups(library)).map(names);
    assert.ok(
      groups.some((group) => group.join() === 'dog.jpg,dog-copy.jpg'),
      JSON.stringify(groups),
    );
    // cat.bmp, cat_720p.jpg and cat_1080p.jpg are one picture at three sizes; every other photo stands alone.
    const grouped = groups.flat().sort();
    assert.deepEqual(grouped, ['cat.bmp', 'cat_1080p.jpg', 'cat_720p.jpg', 'dog-copy.jpg', 'dog.jpg']);
  });

  it('learns an own label from three bird photos and suggests it first on the other bird, apart from its tags', async () => {
    library.repo.corrections.apply(BIRDS.map(id), { type: 'add', tag: FEATHERED });
    const { suggestions } = await suggestedPhotos(library, FEATHERED.id, 10);
    assert.equal(basename(suggestions[0]!.photo.path), 'bird.bmp', JSON.stringify(suggestions));
    assert.ok(suggestions.every((suggestion) => !BIRDS.includes(basename(suggestion.photo.path))));
    const onBird = (await suggestedTags(library, [id('bird.bmp')])).get(id('bird.bmp'));
    assert.deepEqual(
      onBird?.map(({ id, source }) => ({ id, source })),
      [{ id: FEATHERED.id, source: 'suggested' }],
    );
    const tags = library.repo.withTags(library.repo.photoById(id('bird.bmp'))!);
    assert.ok(!tags.labels.some((label) => label.id === FEATHERED.id), 'a suggestion is not a tag');
  });

  it('follows corrections: a photo given the label is no suggestion but an example, until that is undone', async () => {
    library.repo.corrections.apply([id('bird.bmp')], { type: 'add', tag: FEATHERED });
    const { index, model } = library.similarity();
    assert.deepEqual(
      (await index.learned(model)).map(({ id, examples }) => ({ id, examples })),
      [{ id: FEATHERED.id, examples: 4 }],
    );
    const taught = await suggestedPhotos(library, FEATHERED.id, 10);
    assert.ok(!taught.suggestions.some((s) => basename(s.photo.path) === 'bird.bmp'));
    library.repo.corrections.undo();
    const again = await suggestedPhotos(library, FEATHERED.id, 10);
    assert.equal(basename(again.suggestions[0]!.photo.path), 'bird.bmp');
  });

  it('prints them from the command line: similar, duplicates and suggestions as JSON, suggestions in show --json', () => {
    const home = tempDir();
    const json = (args: string[]) => {
      const result = phototag(home, ['--db', dbPath, ...args, '--json']);
      assert.equal(result.status, 0, result.stderr);
      return JSON.parse(result.stdout) as unknown;
    };
    const similar = json(['similar', path('dog.jpg'), '--limit', '2']) as { path: string; score: number }[];
    assert.deepEqual(names(similar), ['dog-copy.jpg', 'pets.jpg']);
    assert.ok(similar.every((hit) => hit.score > 0 && hit.score <= 1));
    const duplicates = json(['duplicates']) as string[][];
    assert.ok(duplicates.some((group) => group.join() === [path('dog.jpg'), path('dog-copy.jpg')].join()));
    const suggestions = json(['suggestions', 'Feathered', '--limit', '1']) as { path: string; score: number }[];
    assert.deepEqual(names(suggestions), ['bird.bmp']);
    const [shown] = json(['show', path('bird.bmp')]) as { suggested: { id: string; source: string }[] }[];
    assert.deepEqual(
      shown!.suggested.map(({ id, source }) => ({ id, source })),
      [{ id: FEATHERED.id, source: 'suggested' }],
    );
  });

  it('keeps features, suggestions and duplicates through a restart and a rename', async () => {
    await library.close();
    renameSync(path('dog-copy.jpg'), path('dog-renamed.jpg'));
    library = open();
    await tagAll();
    const groups = (await duplicateGroups(library)).map(names);
    assert.ok(
      groups.some((group) => group.join() === 'dog.jpg,dog-renamed.jpg'),
      JSON.stringify(groups),
    );
    const { suggestions } = await suggestedPhotos(library, FEATHERED.id, 1);
    assert.equal(basename(suggestions[0]!.photo.path), 'bird.bmp');
  });

  it('answers the API: more like this, duplicates with the best marked, the review queue, and a yes that sticks', async () => {
    const api = new ApiService(library);
    try {
      const similar = await api.call('similarPhotos', { id: id('dog.jpg'), limit: 2 });
      assert.deepEqual(
        similar.photos.map((photo) => photo.name),
        ['dog-renamed.jpg', 'pets.jpg'],
      );
      const { groups } = await api.call('duplicates', {});
      const dogs = groups.find((group) => group.some((photo) => photo.name === 'dog.jpg'))!;
      assert.deepEqual(
        dogs.map(({ name, best }) => ({ name, best })),
        [
          { name: 'dog.jpg', best: true },
          { name: 'dog-renamed.jpg', best: false },
        ],
      );
      const queue = await api.call('suggestionQueue', { label: FEATHERED.id });
      assert.deepEqual(
        queue.labels.map(({ id, examples }) => ({ id, examples })),
        [{ id: FEATHERED.id, examples: 3 }],
      );
      const first = queue.suggestions[0]!;
      assert.equal(first.name, 'bird.bmp');
      const detail = await api.call('photo', { id: first.id });
      assert.deepEqual(
        detail.suggested.map((tag) => tag.source),
        ['suggested'],
      );
      await api.call('answerSuggestion', { photoId: first.id, label: first.label, accept: true, score: first.score });
      const after = await api.call('photo', { id: first.id });
      assert.ok(after.labels.some((label) => label.id === FEATHERED.id && label.source === 'user'));
      assert.deepEqual(after.suggested, [], 'what the user said yes to is a tag, not a suggestion');
      const out = join(tempDir(), 'export');
      await api.call('exportDataset', { format: 'csv', out });
      const rows = readFileSync(join(out, 'labels.csv'), 'utf8').split('\n');
      const sources = (name: string) =>
        rows.filter((row) => row.includes(name) && row.includes(FEATHERED.id)).map((row) => row.split(',')[3]);
      assert.deepEqual(sources('bird.bmp'), ['suggested'], 'exported, marked as an accepted suggestion');
      assert.deepEqual(sources('owl.jpg'), ['user']);
      library.repo.corrections.undo();
      const back = await api.call('suggestionQueue', { label: FEATHERED.id });
      assert.equal(back.suggestions[0]!.name, 'bird.bmp', 'an undone yes is a suggestion again');
      await api.call('answerSuggestion', { photoId: first.id, label: first.label, accept: false, score: first.score });
      const declined = await api.call('suggestionQueue', { label: FEATHERED.id });
      assert.ok(!declined.suggestions.some((suggestion) => suggestion.id === first.id), 'a no is never asked again');
      assert.deepEqual((await api.call('photo', { id: first.id })).suggested, []);
      await api.call('forgetAnswer', { photoId: first.id, label: first.label });
      const forgotten = await api.call('suggestionQueue', { label: FEATHERED.id });
      assert.equal(forgotten.suggestions[0]!.name, 'bird.bmp', 'a no taken back is a suggestion again');
      await assert.rejects(api.call('forgetAnswer', { photoId: first.id, label: first.label }), /No "no" to Feathered/);
      await api.call('answerSuggestion', { photoId: first.id, label: first.label, accept: false, score: first.score });
    } finally {
      api.close();
    }
  });

  it('recomputes the features with a new model and retrains the labels on them', async () => {
    library.useModel('resnet56-cifar10', { demoAgreed: true });
    await library.close();
    library = open();
    await tagAll();
    const db = openDatabase(dbPath, { readonly: true });
    try {
      const models = db.prepare('SELECT DISTINCT model_id AS id FROM features').all();
      assert.deepEqual(models, [{ id: 'resnet56-cifar10' }], 'no photo keeps the old model features');
    } finally {
      db.close();
    }
    const { index, model } = library.similarity();
    assert.deepEqual(model, { id: 'resnet56-cifar10', version: '1' });
    assert.deepEqual(
      (await index.learned(model)).map((label) => label.examples),
      [3],
    );
    const similar = await similarPhotos(library, library.repo.photoById(id('dog.jpg'))!, 3);
    assert.equal(similar.length, 3);
  });
});
