import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Score } from '../../src-main/classifier/scoring.js';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { SEARCH_BATCH, SEARCH_CHUNK, type ListedPhoto } from '../../src-main/db/photo-repository.js';
import { Library } from '../../src-main/library/library.js';
import { createSyntheticLibrary } from '../bench/synthetic-library.js';
import { MODELS_DIR, tempDir } from '../helpers.js';

/**
 * Search and show read their photos' rows and tags a batch at a time (SEARCH_BATCH): whatever the batches, each
 * photo comes with its own row and tags, as the one-photo read (withTags) gives them, once, in order.
 */

/** More dogs than two batches hold; their scores come in ties, spread over the photos' ids out of score order. */
const DOGS = 2 * SEARCH_BATCH + 3;
const dogScore = (i: number) => 0.3 + ((i * 37) % 50) / 100;
/** The user's own labels on one dog: more than a batch of photos has tags, more than the model's five shown. */
const OWN_LABELS = 40;

const score = (id: string, name: string, value: number): Score => ({ id, name, score: value });

const dir = tempDir();
const folder = join(dir, 'Pictures');
let library: Library;
let manyTagged: number;

/** A dog photo's model tags, different from one photo to the next. */
function dogTags(i: number) {
  return {
    labels: [
      score('n02099601', 'golden retriever', dogScore(i) / 2),
      score('n02099712', 'Labrador retriever', ((i % 9) + 1) / 100),
      score('n04409515', 'tennis ball', 0.01),
    ],
    categories: [score('dog', 'Dog', dogScore(i)), score('animal', 'Animal', ((i % 7) + 2) / 100)],
  };
}

async function writeLibrary(): Promise<void> {
  const { manifest } = library.activeModel();
  const { id: folderId } = await library.addFolder(folder);
  // One photo that is no dog, between the dogs' ids.
  const names = Array.from({ length: DOGS + 1 }, (_, i) => `IMG_${String(i).padStart(4, '0')}.jpg`);
  library.repo.upsertScanned(
    folderId,
    names.map((name, i) => ({ path: join(folder, name), size: 1000 + i, mtimeMs: 1_700_000_000_000 })),
  );
  for (const [i, claimed] of library.repo.claimPending(names.length).entries()) {
    const tags = i === SEARCH_BATCH ? { labels: [score('n02123045', 'tabby', 0.9)], categories: [] } : dogTags(i);
    const metadata = { fingerprint: `f${i}`, format: 'jpeg', width: 64, height: 48, takenAt: null, camera: null };
    assert.ok(library.repo.saveTagged(claimed, { ...metadata, orientation: null }, manifest, tags));
  }
  manyTagged = library.repo.photoByPath(join(folder, names[7]!))!.id;
  for (let k = 0; k < OWN_LABELS; k++) {
    const name = `Own ${k}`;
    library.repo.corrections.apply([manyTagged], { type: 'add', tag: { kind: 'label', id: userLabelId(name), name } });
  }
}

/** What a listing says of a photo. */
const listed = ({ id, path, status, error, modelId, labels, categories, faces }: ListedPhoto) => ({
  id,
  path,
  status,
  error,
  modelId,
  labels,
  categories,
  faces,
});

/** The photo as withTags reads it alone. */
const alone = (id: number, from = library) => listed(from.repo.withTags(from.repo.photoById(id)!));

describe('search and show over many batches of photos', () => {
  before(async () => {
    mkdirSync(folder);
    library = Library.open({ dbPath: join(dir, 'library.sqlite'), modelDirs: { embedded: MODELS_DIR, user: dir } });
    await writeLibrary();
  });
  after(() => library.close());

  it('search finds every dog once, best first and ties in the order of their ids, each with its own tags', () => {
    const hits = [...library.searchTags('dog', 0.3).photos];
    assert.equal(hits.length, DOGS);
    const order = hits.map((hit) => ({ id: hit.photo.id, score: hit.score }));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => b.score - a.score || a.id - b.id),
    );
    assert.ok(new Set(order.map((hit) => hit.score)).size < DOGS / 5, 'most scores are ties');
    for (const hit of hits) assert.deepEqual(listed(hit.photo), alone(hit.photo.id));
  });

  it("a dog with more labels of the user's own than a batch has photos lists every one of them, and no other photo", () => {
    const hit = [...library.searchTags('dog', 0.3).photos].find((each) => each.photo.id === manyTagged)!;
    const own = hit.photo.labels.filter((label) => label.source === 'user');
    assert.equal(own.length, OWN_LABELS);
    const others = [...library.searchTags('dog', 0.3).photos].filter((each) => each.photo.id !== manyTagged);
    assert.ok(others.every((each) => each.photo.labels.every((label) => label.source === 'model')));
  });

  it('show lists every photo of the folder in path order, each with its own tags', () => {
    const shown = [...library.repo.eachTaggedPhotoUnder(folder)];
    assert.equal(shown.length, DOGS + 1);
    assert.deepEqual(
      shown.map((photo) => photo.path),
      shown.map((photo) => photo.path).sort(),
    );
    for (const photo of shown) assert.deepEqual(listed(photo), alone(photo.id));
  });
});

describe('search over more hits than a chunk holds', () => {
  let large: Library;
  let largePath: string;

  before(async () => {
    const dir = tempDir();
    // Rows written straight into the database (the benchmarks' writer): most photos carry some category.
    const { dbPath } = await createSyntheticLibrary(dir, SEARCH_CHUNK + 4 * SEARCH_BATCH);
    largePath = dbPath;
    large = Library.open({ dbPath, modelDirs: { embedded: MODELS_DIR, user: dir } });
  });
  after(() => large.close());

  it('lists every hit once, best first and ties in the order of their ids, each with its own tags', () => {
    const categories = large.repo.storedTags().filter((tag) => tag.kind === 'category');
    const hits = [...large.repo.photosCarrying(categories, 0)];
    assert.ok(hits.length > SEARCH_CHUNK, `${hits.length} hits`);
    const order = hits.map((hit) => ({ id: hit.photo.id, score: hit.score }));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => b.score - a.score || a.id - b.id),
    );
    assert.equal(new Set(order.map((hit) => hit.id)).size, hits.length);
    // Those on either side of the chunk's end, and a sample of the others.
    const checked = hits.filter((_, i) => Math.abs(i - SEARCH_CHUNK) <= SEARCH_BATCH || i % 61 === 0);
    for (const hit of checked) assert.deepEqual(listed(hit.photo), alone(hit.photo.id, large));
  });

  it('leaves out a hit whose photo row is gone, and every other hit keeps its own row and tags', () => {
    const categories = large.repo.storedTags().filter((tag) => tag.kind === 'category');
    const before = [...large.repo.photosCarrying(categories, 0)].map((hit) => listed(hit.photo));
    // The best hit's row deleted behind its tags' backs, foreign keys off.
    const gone = before[0]!.id;
    const db = new Database(largePath);
    db.pragma('foreign_keys = OFF');
    db.prepare('DELETE FROM photos WHERE id = ?').run(gone);
    db.close();
    const after = [...large.repo.photosCarrying(categories, 0)].map((hit) => listed(hit.photo));
    assert.deepEqual(
      after,
      before.filter((photo) => photo.id !== gone),
    );
  });
});
