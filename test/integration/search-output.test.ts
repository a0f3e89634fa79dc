import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Score } from '../../src-main/classifier/scoring.js';
import { userLabelId, type Tag } from '../../src-main/db/correction-repository.js';
import { Library } from '../../src-main/library/library.js';
import { phototag } from '../cli.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

/**
 * The exact text of `search`, `search --json` and `show --json`, pinned on a library whose tags are fixed numbers
 * written through the repository (not a model's scores, which vary by machine): corrections over model tags, a file
 * keyword, a face, a learned label's suggestion. Whatever reads and writes these rows, the bytes stay these.
 */

const label = (id: string, name: string): Tag => ({ kind: 'label', id, name });
const FEATHERED = label(userLabelId('Feathered'), 'Feathered');
const REX = label(userLabelId('Rex'), 'Rex');
const PARK = label(userLabelId('Park'), 'Park');
const DOG = { kind: 'category' as const, id: 'dog', name: 'Dog' };

/** What each photo was tagged with: the model's labels and categories, and a feature vector along one axis. */
interface FixedTags {
  labels: Score[];
  categories: Score[];
  axis: number;
  faces?: number;
  fileTags?: Tag[];
}

const score = (id: string, name: string, value: number): Score => ({ id, name, score: value });
const bird = (id: string, name: string, value: number): FixedTags => ({
  labels: [score(id, name, value), score('n01530575', 'brambling', 0.125), score('n04409515', 'tennis ball', 0.01)],
  categories: [score('bird', 'Bird', 0.75)],
  axis: 0,
});

const PHOTOS: Record<string, FixedTags> = {
  'dog.jpg': {
    labels: [
      score('n02099601', 'golden retriever', 0.5),
      score('n02099712', 'Labrador retriever', 0.25),
      score('n04409515', 'tennis ball', 0.125),
      score('n02104029', 'kuvasz', 0.0625),
      score('n02093428', 'American Staffordshire terrier', 0.03125),
    ],
    categories: [score('dog', 'Dog', 0.875), score('animal', 'Animal', 0.005)],
    axis: 1,
    faces: 1,
    fileTags: [PARK],
  },
  'pets.jpg': {
    labels: [
      score('n02099712', 'Labrador retriever', 0.375),
      score('n02123045', 'tabby', 0.3),
      score('n02124075', 'Egyptian cat', 0.125),
    ],
    categories: [score('dog', 'Dog', 0.5), score('cat', 'Cat', 0.4375)],
    axis: 2,
  },
  'parrot.jpg': bird('n01818515', 'macaw', 0.9375),
  'owl.jpg': bird('n01622779', 'great grey owl', 0.8125),
  'eagle.jpg': bird('n01614925', 'bald eagle', 0.6875),
  'bird.bmp': bird('n01592084', 'chickadee', 0.625),
};

const dir = tempDir();
const home = join(dir, 'home');
const folder = join(dir, 'Pictures');
const dbPath = join(dir, 'library.sqlite');
const path = (name: string) => join(folder, name);
let model: string;

/** The library of PHOTOS, written as a run of the pipeline writes its results, then corrected by the user. */
async function writeLibrary(): Promise<void> {
  const library = Library.open({ dbPath, modelDirs: { embedded: MODELS_DIR, user: join(home, 'models') } });
  const { manifest } = library.activeModel();
  model = manifest.id;
  const { id: folderId } = await library.addFolder(folder);
  const names = Object.keys(PHOTOS);
  library.repo.upsertScanned(
    folderId,
    names.map((name) => ({ path: path(name), size: statSync(path(name)).size, mtimeMs: statSync(path(name)).mtimeMs })),
  );
  for (const claimed of library.repo.claimPending(names.length)) {
    const name = names.find((each) => path(each) === claimed.path)!;
    const tags = PHOTOS[name]!;
    const features = new Float32Array(8).fill(0.01);
    features[tags.axis] = 1;
    const faces = Array.from({ length: tags.faces ?? 0 }, () => ({
      box: { x: 0.25, y: 0.25, w: 0.5, h: 0.5 },
      landmarks: Array.from({ length: 5 }, () => ({ x: 0.5, y: 0.5 })) as never,
      score: 0.9,
    }));
    const saved = library.repo.saveTagged(
      claimed,
      {
        fingerprint: name,
        format: 'jpeg',
        width: 640,
        height: 480,
        takenAt: null,
        camera: null,
        orientation: null,
        fileTags: tags.fileTags,
      },
      { id: manifest.id, version: manifest.version },
      { labels: tags.labels, categories: tags.categories, features },
      { results: [{ tagger: { id: 'yunet-face', version: '1' }, labels: [], categories: [], faces }], taggers: [] },
      `${names.indexOf(name)}`.padStart(16, '0'),
    );
    assert.ok(saved);
  }
  const id = (name: string) => library.repo.photoByPath(path(name))!.id;
  const { corrections } = library.repo;
  corrections.apply([id('dog.jpg')], { type: 'confirm', tag: label('n04409515', 'tennis ball') });
  corrections.apply([id('dog.jpg')], { type: 'add', tag: REX });
  corrections.apply([id('pets.jpg')], { type: 'confirm', tag: DOG });
  corrections.apply([id('pets.jpg')], { type: 'reject', tag: label('n02123045', 'tabby') });
  corrections.apply(['parrot.jpg', 'owl.jpg', 'eagle.jpg'].map(id), { type: 'add', tag: FEATHERED });
  await library.close();
}

/** phototag's stdout for these arguments on the library, which must succeed. */
function run(...args: string[]): string {
  const result = phototag(home, [...args, '--db', dbPath]);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** JSON.stringify's own text of the whole array, indented by two: what --json has always written. */
const text = (value: unknown[]) => `${JSON.stringify(value, null, 2)}\n`;

const tag = (id: string, name: string, value: number, source: string) => ({ id, name, score: value, source });
const user = (t: Tag) => tag(t.id, t.name, 1, 'user');

function birdJson(name: string, id: string, labelName: string, value: number, own: boolean) {
  return {
    path: path(name),
    model,
    labels: [
      ...(own ? [user(FEATHERED)] : []),
      tag(id, labelName, value, 'model'),
      tag('n01530575', 'brambling', 0.125, 'model'),
      // tennis ball, at 0.01, is under what is shown.
    ],
    categories: [tag('bird', 'Bird', 0.75, 'model')],
    faces: 0,
  };
}

const dogJson = () => ({
  path: path('dog.jpg'),
  model,
  labels: [
    // The user's and the file's first, by name; then the model's best, five less the user's own two.
    tag(PARK.id, PARK.name, 1, 'file'),
    user(REX),
    user(label('n04409515', 'tennis ball')),
    tag('n02099601', 'golden retriever', 0.5, 'model'),
    tag('n02099712', 'Labrador retriever', 0.25, 'model'),
    tag('n02104029', 'kuvasz', 0.0625, 'model'),
  ],
  categories: [tag('dog', 'Dog', 0.875, 'model')],
  faces: 1,
});

const petsJson = () => ({
  path: path('pets.jpg'),
  model,
  // The rejected tabby is gone; the confirmed Dog is the user's.
  labels: [tag('n02099712', 'Labrador retriever', 0.375, 'model'), tag('n02124075', 'Egyptian cat', 0.125, 'model')],
  categories: [user(DOG), tag('cat', 'Cat', 0.4375, 'model')],
  faces: 0,
});

describe('the JSON and text of search and show', () => {
  before(async () => {
    mkdirSync(home);
    mkdirSync(folder);
    for (const name of Object.keys(PHOTOS)) copyFileSync(photo(name), path(name));
    await writeLibrary();
  });

  it('search --json writes each hit as it always has: the tags as corrections and file keywords leave them', () => {
    assert.equal(
      run('search', 'dog', '--json'),
      text([
        { ...petsJson(), score: 1 },
        { ...dogJson(), score: 0.875 },
      ]),
    );
  });

  it('search --json --suggested include writes the photos a learned label is suggested on after those carrying it', () => {
    const hits = JSON.parse(run('search', 'Feathered', '--json', '--suggested', 'include')) as {
      suggested?: { score: number }[];
    }[];
    const suggestion = hits.at(-1)!.suggested![0]!.score;
    assert.ok(suggestion >= 0.5, 'the fourth bird is suggested Feathered');
    assert.equal(
      run('search', 'Feathered', '--json', '--suggested', 'include'),
      text([
        { ...birdJson('parrot.jpg', 'n01818515', 'macaw', 0.9375, true), score: 1 },
        { ...birdJson('owl.jpg', 'n01622779', 'great grey owl', 0.8125, true), score: 1 },
        { ...birdJson('eagle.jpg', 'n01614925', 'bald eagle', 0.6875, true), score: 1 },
        {
          ...birdJson('bird.bmp', 'n01592084', 'chickadee', 0.625, false),
          suggested: [tag(FEATHERED.id, FEATHERED.name, suggestion, 'suggested')],
          score: suggestion,
          source: 'suggested',
        },
      ]),
    );
  });

  it('search writes a line of each hit, its score and its path, the photos a label is suggested on last', () => {
    assert.equal(run('search', 'dog'), `100%  ${path('pets.jpg')}\n 88%  ${path('dog.jpg')}\n`);
    const suggestion = Math.round(
      (JSON.parse(run('search', 'Feathered', '--json', '--suggested', 'only')) as { score: number }[])[0]!.score * 100,
    );
    assert.equal(
      run('search', 'Feathered', '--suggested', 'include'),
      ['parrot.jpg', 'owl.jpg', 'eagle.jpg'].map((name) => `100%  ${path(name)}\n`).join('') +
        `${`${suggestion}%`.padStart(4)}  ${path('bird.bmp')}  (suggested: Feathered)\n`,
    );
  });

  it('show --json writes every photo in path order, with the labels suggested on it', () => {
    const shown = JSON.parse(run('show', folder, '--json')) as { path: string; suggested: { score: number }[] }[];
    const suggestion = shown.find((photo) => photo.path === path('bird.bmp'))!.suggested[0]!.score;
    assert.equal(
      run('show', folder, '--json'),
      text([
        {
          ...birdJson('bird.bmp', 'n01592084', 'chickadee', 0.625, false),
          suggested: [tag(FEATHERED.id, FEATHERED.name, suggestion, 'suggested')],
        },
        { ...dogJson(), suggested: [] },
        { ...birdJson('eagle.jpg', 'n01614925', 'bald eagle', 0.6875, true), suggested: [] },
        { ...birdJson('owl.jpg', 'n01622779', 'great grey owl', 0.8125, true), suggested: [] },
        { ...birdJson('parrot.jpg', 'n01818515', 'macaw', 0.9375, true), suggested: [] },
        { ...petsJson(), suggested: [] },
      ]),
    );
  });
});
