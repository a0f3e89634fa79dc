import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { DEFAULT_MIN_SCORE } from '../../src-main/api/contract.js';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { suggestedPhotos } from '../../src-main/features/photo-similarity.js';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, PHOTOS_DIR, tempDir } from '../helpers.js';

const FEATHERED = { kind: 'label' as const, id: userLabelId('Feathered'), name: 'Feathered' };
const TAUGHT = ['parrot.jpg', 'owl.jpg', 'eagle.jpg'];

/**
 * A library of the fixture photos and resized copies (`copies`: a photo's name and its widths, each copy named
 * `<width>-<name>`), tagged; `path` names a photo in it.
 */
function taggedLibrary(copies: Record<string, number[]>) {
  const dir = tempDir();
  const photos = join(dir, 'photos');
  const path = (name: string) => join(photos, name);
  let library: Library;
  before(async () => {
    cpSync(PHOTOS_DIR, photos, { recursive: true });
    for (const [name, widths] of Object.entries(copies)) {
      for (const width of widths) {
        await sharp(path(name))
          .resize(width)
          .jpeg({ quality: 70 })
          .toFile(path(`${width}-${name}`));
      }
    }
    library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    });
    await library.addFolder(photos);
    for (const folder of library.repo.folders()) await library.scan(folder);
    await library.tag();
  });
  after(() => library.close());
  // The library once before() has run.
  return {
    path,
    get library() {
      return library;
    },
  };
}

describe("a learned label's line, calibrated on held-out scores", () => {
  // Near-copies of the taught photos: without a calibrated line they pushed the fourth bird below a fixed 0.5.
  const held = taggedLibrary(Object.fromEntries(TAUGHT.map((name) => [name, [320, 160]])));
  const { path } = held;

  it('suggests a label taught on three birds first on the fourth, beside copies of the taught ones, and not on the cat or dog', async () => {
    const { library } = held;
    const id = (name: string) => library.repo.photoByPath(path(name))!.id;
    library.repo.corrections.apply(TAUGHT.map(id), { type: 'add', tag: FEATHERED });
    const { suggestions } = await suggestedPhotos(library, FEATHERED.id, 100);
    const named = suggestions.map((s) => basename(s.photo.path));
    const copies = TAUGHT.flatMap((name) => [`320-${name}`, `160-${name}`]);
    // The copies of the taught photos are bird photos too, and like them more than any other: they come first.
    assert.deepEqual(
      named.filter((name) => !copies.includes(name)),
      ['bird.bmp'],
      `the fourth bird, and no photo of something else (the cats, the dog): ${JSON.stringify(named)}`,
    );
    assert.deepEqual([...named].sort(), [...copies, 'bird.bmp'].sort());
  });
});

describe('a confirmed model label, learned', () => {
  const held = taggedLibrary({ 'parrot.jpg': [320, 240, 160, 120] });
  const { path } = held;

  it('is not suggested on a photo the model already tags with it', async () => {
    const { library } = held;
    const id = (name: string) => library.repo.photoByPath(path(name))!.id;
    const top = library.repo.corrections.labelsOf(id('parrot.jpg'))[0]!;
    library.repo.corrections.apply(['parrot.jpg', '320-parrot.jpg', '160-parrot.jpg'].map(id), {
      type: 'confirm',
      tag: { kind: 'label', id: top.id, name: top.name },
    });
    const carrying = ['240-parrot.jpg', '120-parrot.jpg'].filter((name) =>
      library.repo.corrections.labelsOf(id(name)).some((tag) => tag.id === top.id && tag.score >= DEFAULT_MIN_SCORE),
    );
    assert.ok(carrying.length > 0, `a copy the model tags ${top.name} is left unconfirmed`);
    const { suggestions } = await suggestedPhotos(library, top.id, 100);
    const named = suggestions.map((s) => basename(s.photo.path));
    for (const name of carrying) assert.ok(!named.includes(name), `${name} shows ${top.name} already: ${named}`);
  });
});
