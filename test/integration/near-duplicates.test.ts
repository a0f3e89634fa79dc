import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { openDatabase } from '../../src-main/db/database.js';
import { duplicateGroups } from '../../src-main/features/photo-similarity.js';
import { Library } from '../../src-main/library/library.js';
import { beforeSidecarStamps, MODELS_DIR, photo, tempDir } from '../helpers.js';

const dir = tempDir();
const photos = join(dir, 'photos');
const dbPath = join(dir, 'library.sqlite');
const open = () => Library.open({ dbPath, modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') } });
const path = (name: string) => join(photos, name);

/** The picture without `share` of its width on the left (`from: 'left'`) or on the right. */
async function cropSide(name: string, share: number, from: 'left' | 'right', to: string): Promise<void> {
  const { width, height } = await sharp(photo(name)).metadata();
  const cut = Math.round(width * share);
  await sharp(photo(name))
    .extract({ left: from === 'left' ? cut : 0, top: 0, width: width - cut, height })
    .jpeg({ quality: 90 })
    .toFile(path(to));
}

let library: Library;

async function tagAll(): Promise<void> {
  for (const folder of library.repo.folders()) await library.scan(folder);
  await library.tag();
}

const groups = async () => (await duplicateGroups(library)).map((group) => group.map((row) => basename(row.path)));

describe('near-duplicates: the same picture edited, not another moment of the scene', () => {
  before(async () => {
    mkdirSync(photos);
    for (const name of ['kite_and_cold.jpg', 'parrot.jpg', 'owl.jpg']) copyFileSync(photo(name), path(name));
    // A beach under a wide sky, brightened by a quarter: the sky and the sand are nearly flat.
    await sharp(photo('kite_and_cold.jpg'))
      .modulate({ brightness: 1.25 })
      .jpeg({ quality: 90 })
      .toFile(path('kite-brighter.jpg'));
    // The parrot cropped by 5% on every side.
    const { width, height } = await sharp(photo('parrot.jpg')).metadata();
    const [x, y] = [Math.round(width * 0.05), Math.round(height * 0.05)];
    await sharp(photo('parrot.jpg'))
      .extract({ left: x, top: y, width: width - 2 * x, height: height - 2 * y })
      .jpeg({ quality: 90 })
      .toFile(path('parrot-cropped.jpg'));
    // Two moments of one scene, as a camera that turned makes them: the owl's left and right 78%.
    await cropSide('owl.jpg', 0.22, 'right', 'owl-moment-1.jpg');
    await cropSide('owl.jpg', 0.22, 'left', 'owl-moment-2.jpg');
    library = open();
    await library.addFolder(photos);
    await tagAll();
  });
  after(() => library.close());

  it('groups a brightened beach and a photo cropped a little with their originals, and two moments apart', async () => {
    assert.deepEqual(await groups(), [
      ['kite_and_cold.jpg', 'kite-brighter.jpg'],
      ['parrot.jpg', 'parrot-cropped.jpg'],
    ]);
  });

  it('hashes a library from before perceptual hashes again at its next run, keeping its model results', async () => {
    await library.close();
    const db = openDatabase(dbPath);
    // As migration 14 left a library: a difference hash a photo, and no migration 15. The scores, marked, show
    // whether the model's results were kept or made again.
    db.prepare("UPDATE features SET image_hash = '0f0f0f0f0f0f0f0f'").run();
    db.prepare('UPDATE predictions SET score = 0.123').run();
    beforeSidecarStamps(db);
    db.pragma('user_version = 14');
    db.close();
    library = open();
    assert.deepEqual(await groups(), [], 'no group from hashes of the old kind');
    await tagAll();
    assert.deepEqual(await groups(), [
      ['kite_and_cold.jpg', 'kite-brighter.jpg'],
      ['parrot.jpg', 'parrot-cropped.jpg'],
    ]);
    const check = openDatabase(dbPath, { readonly: true });
    try {
      const scores = check.prepare('SELECT DISTINCT score FROM predictions').pluck().all();
      assert.deepEqual(scores, [0.123], 'the model did not tag the photos again');
    } finally {
      check.close();
    }
  });

  it("keeps every photo's tags when the upgrade's run finds their drive unplugged, and hashes them once it is back", async () => {
    await library.close();
    const db = openDatabase(dbPath);
    const before = db.prepare('SELECT COUNT(*) FROM predictions').pluck().get() as number;
    db.prepare("UPDATE features SET image_hash = '0f0f0f0f0f0f0f0f'").run();
    beforeSidecarStamps(db);
    db.pragma('user_version = 14');
    db.close();
    const predictions = () => {
      const check = openDatabase(dbPath, { readonly: true });
      try {
        return check.prepare('SELECT COUNT(*) FROM predictions').pluck().get() as number;
      } finally {
        check.close();
      }
    };
    renameSync(photos, `${photos}-unplugged`);
    library = open();
    try {
      await tagAll();
      assert.equal(predictions(), before, 'no photo lost its tags');
      assert.equal(library.repo.counts().failed, 0, 'no photo failed for a drive that is away');
    } finally {
      await library.close();
      renameSync(`${photos}-unplugged`, photos);
    }
    library = open();
    await tagAll();
    assert.equal(predictions(), before);
    assert.equal(library.repo.counts().done, library.repo.counts().total);
  });
});
