/**
 * What similar photos, near-duplicates and learned labels cost (README, "Similar photos"):
 *
 *   node --import tsx test/bench/vector-bench.ts [--sizes 100000,1000000] [--sqlite-vec <its package folder>]
 *
 * - space and opening: a library of `--library` photos (default 100,000) with a feature vector each, written
 *   through the real migrations and save path; bytes per photo, the time to open it, and the similarity worker's
 *   first answer (it loads every vector) and its next ones;
 * - nearest neighbours at each size (synthetic vectors: MobileNetV2's 1280 int8 values): the plain scan the worker
 *   runs (FeatureIndex.nearest), and, with --sqlite-vec, sqlite-vec's vec0 table (an int8[1280] column, k = 10);
 *   sqlite-vec is not a dependency: install it anywhere (`npm install sqlite-vec` in a scratch folder, which
 *   fetches its prebuilt platform package) and name that folder;
 * - near-duplicates over the library, and training a label from 10 photos then scoring every photo.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src-main/db/database.js';
import { PhotoRepository } from '../../src-main/db/photo-repository.js';
import type { FeatureRow } from '../../src-main/db/feature-repository.js';
import { FeatureIndex } from '../../src-main/features/feature-index.js';
import { scoreLabel } from '../../src-main/features/label-learner.js';
import { SimilarityIndex } from '../../src-main/features/similarity-index.js';
import { tempDir } from '../helpers.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    library: { type: 'string', default: '100000' },
    'sqlite-vec': { type: 'string' },
    queries: { type: 'string', default: '5' },
  },
});
const DIMENSIONS = 1280;
const MODEL = { id: 'mobilenet-v2-imagenet', version: '1' };
const queries = Number(values.queries);

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Vectors like pooled ReLU features: non-negative, most values small, a few large. */
function syntheticVectors(count: number): { codes: Int8Array; hashes: string[] } {
  const next = random(count);
  const codes = new Int8Array(count * DIMENSIONS);
  const cubes = Int8Array.from({ length: 4096 }, () => Math.floor(next() ** 3 * 128));
  for (let i = 0; i < codes.length; i++) codes[i] = cubes[(i * 2654435761 + (i >>> 12)) & 4095]!;
  const hashes = Array.from({ length: count }, () =>
    Array.from({ length: 16 }, () => Math.floor(next() * 16).toString(16)).join(''),
  );
  return { codes, hashes };
}

const rowsOf = ({ codes, hashes }: { codes: Int8Array; hashes: string[] }): FeatureRow[] =>
  hashes.map((imageHash, i) => ({
    photoId: i + 1,
    scale: 0.05,
    codes: new Uint8Array(codes.buffer, i * DIMENSIONS, DIMENSIONS),
    imageHash,
  }));

function time<T>(work: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = work();
  return { ms: performance.now() - start, result };
}

async function timeAsync<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

/** A library of `count` tagged photos, each with features, written through the real save path. */
async function libraryFigures(count: number): Promise<Record<string, string | number>> {
  const dbPath = join(tempDir(), 'library.sqlite');
  const db = openDatabase(dbPath);
  const repo = new PhotoRepository(db);
  const folder = repo.addFolder('/photos');
  const vectors = syntheticVectors(count);
  repo.upsertScanned(
    folder.id,
    vectors.hashes.map((_, i) => ({ path: `/photos/${String(i).padStart(7, '0')}.jpg`, size: 1, mtimeMs: 1 })),
  );
  const write = time(() =>
    repo.saveTaggedBatch(
      vectors.hashes.map((imageHash, i) => ({
        photo: { id: i + 1, path: `/photos/${String(i).padStart(7, '0')}.jpg`, size: 1, mtimeMs: 1 },
        metadata: {
          fingerprint: `f${i}`,
          format: 'jpeg',
          width: 1,
          height: 1,
          takenAt: null,
          camera: null,
          orientation: null,
        },
        tags: {
          classification: {
            labels: [{ id: 'n02099601', name: 'Golden retriever', score: 0.9 }],
            categories: [],
            features: Float32Array.from(vectors.codes.subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS)),
          },
          imageHash,
          results: [],
        },
      })),
      MODEL,
      [],
    ),
  );
  db.pragma('wal_checkpoint(TRUNCATE)');
  const featureBytes = (
    db.prepare("SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name = 'features'").get() as {
      bytes: number;
    }
  ).bytes;
  db.close();
  const size = statSync(dbPath).size;
  const opened = time(() => openDatabase(dbPath));
  opened.result.close();
  const index = new SimilarityIndex({ dbPath });
  try {
    const first = await timeAsync(() => index.similar(MODEL, 1, 12));
    const next: number[] = [];
    for (let q = 0; q < queries; q++) next.push((await timeAsync(() => index.similar(MODEL, 2 + q, 12))).ms);
    const duplicates = await timeAsync(() => index.duplicates(MODEL));
    return {
      photos: count,
      'features written (one transaction per 100,000)': ms(write.ms),
      'library size': `${(size / 1e6).toFixed(1)} MB`,
      'bytes per photo in the features table': Math.round(featureBytes / count),
      'open the library': ms(opened.ms),
      'first "more like this" (the worker loads every vector)': ms(first.ms),
      'next "more like this" (median)': ms(median(next)),
      'near-duplicates over the library': ms(duplicates.ms),
    };
  } finally {
    await index.dispose();
  }
}

async function sqliteVec(): Promise<{ load(db: Database.Database): void } | undefined> {
  const folder = values['sqlite-vec'];
  if (!folder) return undefined;
  return (await import(pathToFileURL(join(folder, 'index.mjs')).href)) as { load(db: Database.Database): void };
}

async function searchFigures(count: number, vec: Awaited<ReturnType<typeof sqliteVec>>) {
  const vectors = syntheticVectors(count);
  const built = time(() => new FeatureIndex(rowsOf(vectors)));
  const index = built.result;
  index.nearest(1, 10);
  const scan: number[] = [];
  const figures: Record<string, string | number> = {
    vectors: count,
    'plain scan: build the index': ms(built.ms),
  };
  if (count <= 100_000) {
    const positives = Array.from({ length: 10 }, (_, i) => i * 97 + 1);
    const learned = time(() => scoreLabel(index, { id: 'x', name: 'x', positives, rejected: [] }, new Set()));
    figures['learn a label from 10 photos and score every photo'] = ms(learned.ms);
  }
  if (!vec) {
    for (let q = 0; q < queries; q++) scan.push(time(() => index.nearest(q + 2, 10)).ms);
  } else {
    const db = new Database(':memory:');
    vec.load(db);
    db.exec(`CREATE VIRTUAL TABLE vectors USING vec0(embedding int8[${DIMENSIONS}])`);
    const insert = db.prepare('INSERT INTO vectors (rowid, embedding) VALUES (?, vec_int8(?))');
    const inserted = time(() =>
      db.transaction(() => {
        for (let i = 0; i < count; i++) {
          insert.run(BigInt(i + 1), Buffer.from(vectors.codes.buffer, i * DIMENSIONS, DIMENSIONS));
        }
      })(),
    );
    const knn = db.prepare('SELECT rowid, distance FROM vectors WHERE embedding MATCH vec_int8(?) AND k = 10');
    const query = (i: number) => Buffer.from(vectors.codes.buffer, i * DIMENSIONS, DIMENSIONS);
    knn.all(query(1));
    // In turns, so that whatever else the machine runs weighs on both alike.
    const searched: number[] = [];
    for (let q = 0; q < queries; q++) {
      scan.push(time(() => index.nearest(q + 2, 10)).ms);
      searched.push(time(() => knn.all(query(q + 2))).ms);
    }
    figures['sqlite-vec: insert'] = ms(inserted.ms);
    figures['sqlite-vec: 10 nearest (median)'] = ms(median(searched));
    db.close();
  }
  figures['plain scan: 10 nearest (median)'] = ms(median(scan));
  return figures;
}

const vec = await sqliteVec();
console.log(JSON.stringify(await libraryFigures(Number(values.library)), null, 2));
for (const size of values.sizes.split(',').map(Number)) {
  console.log(JSON.stringify(await searchFigures(size, vec), null, 2));
}
