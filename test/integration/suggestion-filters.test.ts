import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiService } from '../../src-main/api/api-service.js';
import type { PhotoFilter, SuggestedFilter } from '../../src-main/api/contract.js';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { Library } from '../../src-main/library/library.js';
import { phototag } from '../cli.js';
import { MODELS_DIR, PHOTOS_DIR, tempDir } from '../helpers.js';

const FEATHERED = { kind: 'label' as const, id: userLabelId('Feathered'), name: 'Feathered' };
const BIRDS = ['eagle.jpg', 'owl.jpg', 'parrot.jpg'];
/** The fixtures' fourth bird: Feathered is suggested on it first once the other three carry it. */
const FOURTH_BIRD = 'bird.bmp';

const dir = tempDir();
const photos = join(dir, 'photos');
const dbPath = join(dir, 'library.sqlite');
let library: Library;
let api: ApiService;

const filterOf = (suggested: SuggestedFilter, tags: PhotoFilter['tags'] = [FEATHERED]) => ({
  tags: tags.map(({ kind, id }) => ({ kind, id })),
  suggested,
});

/** The grid's photos for a filter of the label, by name, each with the labels suggested on it. */
async function grid(suggested: SuggestedFilter, tags?: PhotoFilter['tags']) {
  const { photos } = await api.call('queryPhotos', { filter: filterOf(suggested, tags), sort: 'found' });
  return photos
    .map((tile) => ({ name: tile.name, suggested: tile.suggested.map((tag) => `${tag.name} (${tag.source})`) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('filters that include or exclude what a learned label suggests', () => {
  before(async () => {
    cpSync(PHOTOS_DIR, photos, { recursive: true });
    library = Library.open({
      dbPath,
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    });
    await library.addFolder(photos);
    for (const folder of library.repo.folders()) await library.scan(folder);
    await library.tag();
    const id = (name: string) => library.repo.photoByPath(join(photos, name))!.id;
    library.repo.corrections.apply(BIRDS.map(id), { type: 'add', tag: FEATHERED });
    api = new ApiService(library);
  });
  after(async () => {
    api.close();
    await library.close();
  });

  it('shows only the photos carrying a label unless asked, and marks none as suggested', async () => {
    assert.deepEqual(
      await grid('exclude'),
      BIRDS.map((name) => ({ name, suggested: [] })),
    );
  });

  it('adds the photos the label is suggested on, marked as suggestions, when they are included', async () => {
    const shown = await grid('include');
    assert.deepEqual(
      shown.filter((tile) => !BIRDS.includes(tile.name)),
      [{ name: FOURTH_BIRD, suggested: ['Feathered (suggested)'] }],
    );
    assert.deepEqual(
      shown.filter((tile) => BIRDS.includes(tile.name)).map((tile) => tile.suggested),
      [[], [], []],
      'a photo carrying the label is not suggested it',
    );
    const { total } = await api.call('timeline', { filter: filterOf('include'), sort: 'newest' });
    assert.equal(total, 4);
  });

  it('shows the suggested photos alone, apart from those carrying the label', async () => {
    assert.deepEqual(await grid('only'), [{ name: FOURTH_BIRD, suggested: ['Feathered (suggested)'] }]);
    const { total } = await api.call('timeline', { filter: filterOf('only'), sort: 'found' });
    assert.equal(total, 1);
  });

  it('never counts a suggestion as a tag: not in the tag counts, not in the photo labels', async () => {
    await grid('include');
    const { labels } = await api.call('tags', {});
    assert.equal(labels.find((tag) => tag.id === FEATHERED.id)?.count, 3);
    const [fourth] = (await api.call('queryPhotos', { filter: filterOf('only') })).photos;
    const photo = await api.call('photo', { id: fourth!.id });
    assert.ok(!photo.labels.some((label) => label.id === FEATHERED.id));
    assert.deepEqual(
      photo.suggested.map((tag) => tag.id),
      [FEATHERED.id],
    );
  });

  it('leaves a category filter as it is: only labels are learned and suggested', async () => {
    const category = { kind: 'category' as const, id: 'bird', name: 'Bird' };
    const names = async (suggested: SuggestedFilter) => (await grid(suggested, [category])).map((tile) => tile.name);
    const birds = await names('exclude');
    assert.ok(birds.length > 0);
    assert.deepEqual(await names('include'), birds);
    assert.deepEqual(await names('only'), []);
  });

  it('narrows a label suggested by a category it must also match, the category carried as always', async () => {
    const bird = { kind: 'category' as const, id: 'bird', name: 'Bird' };
    const names = async (suggested: SuggestedFilter) =>
      (await grid(suggested, [FEATHERED, bird])).map((tile) => tile.name);
    assert.deepEqual(await names('exclude'), BIRDS);
    assert.deepEqual(await names('include'), [...BIRDS, FOURTH_BIRD].sort());
    assert.deepEqual(await names('only'), [FOURTH_BIRD]);
  });

  it('lists them from the command line: search --suggested include or only, marked "source": "suggested"', () => {
    const home = tempDir();
    const search = (...options: string[]) => {
      const result = phototag(home, ['--db', dbPath, 'search', 'Feathered', '--json', ...options]);
      assert.equal(result.status, 0, result.stderr);
      return (JSON.parse(result.stdout) as { path: string; source?: string; suggested: { id: string }[] }[]).map(
        (hit) => `${basename(hit.path)}${hit.source ? ` (${hit.source}: ${hit.suggested.map((tag) => tag.id)})` : ''}`,
      );
    };
    const suggested = `${FOURTH_BIRD} (suggested: ${FEATHERED.id})`;
    assert.deepEqual(search().sort(), BIRDS);
    assert.deepEqual(search('--suggested', 'exclude').sort(), BIRDS);
    const included = search('--suggested', 'include');
    assert.deepEqual(included.slice(0, 3).sort(), BIRDS, 'the photos carrying it first');
    assert.deepEqual(included.slice(3), [suggested]);
    assert.deepEqual(search('--suggested', 'only'), [suggested]);
    const wrong = phototag(home, ['--db', dbPath, 'search', 'Feathered', '--suggested', 'maybe']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--suggested takes exclude, include, only\./);
  });

  it('selects what it shows: a label given to every suggested photo at once, undone in one step', async () => {
    const result = await api.call('correct', {
      photos: { filter: filterOf('only') },
      action: { type: 'add', tag: FEATHERED },
    });
    assert.equal(result.photos, 1);
    assert.deepEqual(
      (await grid('exclude')).map((tile) => tile.name),
      [FOURTH_BIRD, ...BIRDS].sort(),
    );
    await api.call('undo', {});
    assert.deepEqual(await grid('only'), [{ name: FOURTH_BIRD, suggested: ['Feathered (suggested)'] }]);
  });

  it('drops a suggestion the user said no to', async () => {
    const [fourth] = (await api.call('queryPhotos', { filter: filterOf('only') })).photos;
    await api.call('answerSuggestion', { photoId: fourth!.id, label: FEATHERED, accept: false, score: 0.5 });
    assert.deepEqual(await grid('only'), []);
    assert.deepEqual(
      (await grid('include')).map((tile) => tile.name),
      BIRDS,
    );
  });
});
