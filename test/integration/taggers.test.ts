import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { SECONDARY_RANK } from '../../src-main/db/photo-repository.js';
import { Library } from '../../src-main/library/library.js';
import { phototag } from '../cli.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

interface ShownPhoto {
  path: string;
  labels: { id: string; name: string; score: number }[];
  categories: { id: string; name: string; score: number }[];
  faces: number;
}

const PEOPLE = ['face.jpg', 'grace_hopper.bmp'];
const ANIMALS = ['cat_720p.jpg', 'cat.bmp', 'dog.jpg', 'pets.jpg'];
const BIRDS = ['parrot.jpg', 'bird.bmp'];
const INSECTS = ['dragonfly.bmp'];

function folderOf(dir: string, names: string[]): string {
  const folder = join(dir, 'photos');
  mkdirSync(folder, { recursive: true });
  for (const name of names) copyFileSync(photo(name), join(folder, name));
  return folder;
}

describe('several taggers over the same decoded pixels', () => {
  it('finds people, names bird and insect species, and leaves pets and other photos alone', () => {
    const home = tempDir();
    const folder = folderOf(home, [...PEOPLE, ...ANIMALS, ...BIRDS, ...INSECTS]);
    const db = ['--db', join(home, 'library.sqlite')];
    assert.equal(phototag(home, ['tag', folder, ...db]).status, 0);
    const shown = phototag(home, ['show', folder, '--json', ...db]);
    const photos = new Map(
      (JSON.parse(shown.stdout) as ShownPhoto[]).map((entry) => [entry.path.slice(folder.length + 1), entry]),
    );
    const category = (name: string, id: string) => photos.get(name)!.categories.find((c) => c.id === id);
    const species = (name: string, group: string) =>
      photos.get(name)!.labels.filter((label) => label.id.startsWith(`${group}:`));
    for (const name of PEOPLE) {
      assert.ok((category(name, 'people')?.score ?? 0) >= 0.5, `${name} shows People`);
      assert.ok(photos.get(name)!.faces > 0, `${name} has its faces`);
    }
    assert.ok(category('grace_hopper.bmp', 'portrait'), 'one face dominates Grace Hopper’s portrait');
    for (const name of [...ANIMALS, ...BIRDS, ...INSECTS]) {
      assert.equal(category(name, 'people'), undefined, `${name} is not People`);
      assert.equal(photos.get(name)!.faces, 0, name);
    }
    for (const name of BIRDS) assert.ok(species(name, 'bird').length > 0, `${name} names a bird species`);
    for (const name of INSECTS) assert.ok(species(name, 'insect').length > 0, `${name} names an insect species`);
    for (const name of [...PEOPLE, ...ANIMALS]) {
      assert.deepEqual([...species(name, 'bird'), ...species(name, 'insect')], [], `${name} gets no species`);
    }
    // The text output puts the species beside its category, and the face count beside People.
    const text = phototag(home, ['show', join(folder, 'bird.bmp'), join(folder, 'face.jpg'), ...db]).stdout;
    assert.match(text, /bird\.bmp\n {2}Bird · [A-Z][\w' -]+ \d+%/);
    assert.match(text, new RegExp(`face\\.jpg\\n {2}People · ${photos.get('face.jpg')!.faces} \\d+%`));
  });

  it('tags a dark scene Night through the pipeline, from the larger decode the face detector asks for', async () => {
    const dir = tempDir();
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    // A night street: nearly black, with a few lamps.
    const width = 1600;
    const height = 1200;
    const pixels = Buffer.alloc(width * height * 3, 8);
    for (let lamp = 0; lamp < 12; lamp++) {
      const x = 100 + lamp * 120;
      for (let y = 500; y < 512; y++) pixels.fill(250, (y * width + x) * 3, (y * width + x + 12) * 3);
    }
    await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg()
      .toFile(join(folder, 'street.jpg'));
    const library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    });
    try {
      await library.scan(await library.addFolder(folder));
      await library.tag();
      const street = library.repo.withTags(library.repo.photoByPath(join(folder, 'street.jpg'))!);
      assert.ok(
        street.categories.some((category) => category.id === 'scene:night' && category.score >= 0.5),
        JSON.stringify(street.categories),
      );
    } finally {
      await library.close();
    }
  });

  it('fills in a tagger added to a library that has results, without running its model again', async () => {
    const dir = tempDir();
    const folder = folderOf(dir, ['face.jpg', 'parrot.jpg', 'dog.jpg']);
    const open = (secondaryTaggers: boolean) =>
      Library.open({
        dbPath: join(dir, 'library.sqlite'),
        modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
        secondaryTaggers,
      });
    const modelRows = (library: Library) =>
      library.db
        .prepare(`SELECT photo_id, rank, label_id, score FROM predictions WHERE rank < ? ORDER BY photo_id, rank`)
        .all(SECONDARY_RANK);
    let library = open(false);
    let before: unknown[];
    let taggedAt: unknown[];
    try {
      await library.scan(await library.addFolder(folder));
      await library.tag();
      before = modelRows(library);
      taggedAt = library.db.prepare('SELECT id, tagged_at FROM photos ORDER BY id').all();
      assert.deepEqual(library.db.prepare('SELECT COUNT(*) AS n FROM faces').get(), { n: 0 });
    } finally {
      await library.close();
    }
    library = open(true);
    try {
      const run = await library.tag();
      assert.equal(run.tagged, 3, 'every photo lacked the new taggers');
      assert.deepEqual(modelRows(library), before, "the library model's results are the same rows");
      const face = library.repo.photoByPath(join(folder, 'face.jpg'))!;
      assert.ok(library.repo.withTags(face).categories.some((c) => c.id === 'people'));
      assert.ok(face.taggers?.includes('yunet-face@'), face.taggers ?? 'no taggers');
      assert.notDeepEqual(library.db.prepare('SELECT id, tagged_at FROM photos ORDER BY id').all(), taggedAt);
      // Nothing left to fill in: the next run does no work.
      assert.equal((await library.tag()).tagged, 0);
    } finally {
      await library.close();
    }
  });
});
