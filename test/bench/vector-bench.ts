/**
 * What similar photos, near-duplicates and learned labels cost (README, "Similar photos"):
 *
 *   node --import tsx test/bench/vector-bench.ts [--sizes 100000,1000000] [--sqlite-vec <its package folder>]
 *     [--before <another checkout>]
 *
 * - space and opening: a library of `--library` photos (default 100,000) with a feature vector each, written
 *   through the real migrations and save path; bytes per photo, the time to open it, and the similarity worker's
 *   first answer (it loads every vector) and its next ones;
 * - nearest neighbours at each size (synthetic vectors: MobileNetV2's 1280 int8 values): the plain scan the worker
 *   runs (FeatureIndex.nearest), and, with --sqlite-vec, sqlite-vec's vec0 table (an int8[1280] column, k = 10);
 *   sqlite-vec is not a dependency: install it anywhere (`npm install sqlite-vec` in a scratch folder, which
 *   fetches its prebuilt platform package) and name that folder;
 * - near-duplicates over the library, and training a label from 10 photos then scoring every photo;
 * - with --before, the library's vectors through that checkout's FeatureRepository, FeatureIndex and scoreLabel
 *   (an earlier commit, exported with `git archive`) and through this one's, in turns, on the same library: load,
 *   near-duplicates, a label learned and scored, "more like this": each side's CPU time and before / after.
 * `--sizes 0` leaves the nearest-neighbour sizes out.
 */
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src-main/db/database.js';
import { PhotoRepository } from '../../src-main/db/photo-repository.js';
import type { FeatureBlock } from '../../src-main/db/feature-repository.js';
import { FeatureIndex } from '../../src-main/features/feature-index.js';
import { scoreLabel } from '../../src-main/features/label-learner.js';
import { SimilarityIndex } from '../../src-main/features/similarity-index.js';
import { ROOT, tempDir } from '../helpers.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    library: { type: 'string', default: '100000' },
    'sqlite-vec': { type: 'string' },
    before: { type: 'string' },
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

/** The vectors as the repository reads them, in a copy of their own (the index takes its block over). */
const blockOf = ({ codes, hashes }: { codes: Int8Array; hashes: string[] }): FeatureBlock => ({
  ids: Int32Array.from(hashes, (_, i) => i + 1),
  dimensions: DIMENSIONS,
  codes: codes.slice(),
  hashHigh: Uint32Array.from(hashes, (hash) => Number.parseInt(hash.slice(0, 8), 16)),
  hashLow: Uint32Array.from(hashes, (hash) => Number.parseInt(hash.slice(8, 16), 16)),
});

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
async function libraryFigures(count: number): Promise<{ dbPath: string; figures: Record<string, string | number> }> {
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
    const figures = {
      photos: count,
      'features written (one transaction per 100,000)': ms(write.ms),
      'library size': `${(size / 1e6).toFixed(1)} MB`,
      'bytes per photo in the features table': Math.round(featureBytes / count),
      'open the library': ms(opened.ms),
      'first "more like this" (the worker loads every vector)': ms(first.ms),
      'next "more like this" (median)': ms(median(next)),
      'near-duplicates over the library': ms(duplicates.ms),
    };
    return { dbPath, figures };
  } finally {
    await index.dispose();
  }
}

interface Side {
  repository: typeof import('../../src-main/db/feature-repository.js');
  index: typeof import('../../src-main/features/feature-index.js');
  learner: typeof import('../../src-main/features/label-learner.js');
}

/** The similarity worker's parts as a checkout has them (their calls are the same in earlier commits). */
async function sideOf(root: string): Promise<Side> {
  const load = (path: string) => import(pathToFileURL(join(root, path)).href);
  return {
    repository: (await load('src-main/db/feature-repository.ts')) as Side['repository'],
    index: (await load('src-main/features/feature-index.ts')) as Side['index'],
    learner: (await load('src-main/features/label-learner.ts')) as Side['learner'],
  };
}

/**
 * The CPU time `work` took this process, and its result. On a machine others load, the wall clock counts the time
 * the thread waited for a core; this counts what the work cost (the bench's one busy thread here).
 */
function cpuTime<T>(work: () => T): { ms: number; result: T } {
  const start = process.cpuUsage();
  const result = work();
  const { user, system } = process.cpuUsage(start);
  return { ms: (user + system) / 1000, result };
}

/** One side's CPU times over the library: what the worker does on its first question and on the next ones. */
function sideTimes(side: Side, db: ReturnType<typeof openDatabase>): Record<string, number> {
  const loaded = cpuTime(() => new side.index.FeatureIndex(new side.repository.FeatureRepository(db).vectors(MODEL)));
  const index = loaded.result;
  const positives = Array.from({ length: 10 }, (_, i) => i * 97 + 1);
  const label = { id: 'x', name: 'x', positives, rejected: [] };
  const nearest = Array.from({ length: queries }, (_, q) => cpuTime(() => index.nearest(q + 2, 10)).ms);
  const learned = cpuTime(() => side.learner.scoreLabel(index, label, new Set()));
  return {
    'load every vector': loaded.ms,
    'near-duplicates': cpuTime(() => index.duplicateGroups()).ms,
    'learn a label from 10 photos and score every photo': learned.ms,
    '10 nearest (median)': median(nearest),
  };
}

/** Before and after, in turns over one library (see --before); the load average says how busy the machine was. */
async function beforeAfter(dbPath: string, folder: string) {
  const sides = { before: await sideOf(folder), after: await sideOf(ROOT) };
  const db = openDatabase(dbPath, { readonly: true });
  try {
    for (let turn = 1; turn <= 2; turn++) {
      const before = sideTimes(sides.before, db);
      const after = sideTimes(sides.after, db);
      const figures: Record<string, string> = { turn: String(turn), 'load average': loadavg()[0]!.toFixed(1) };
      for (const [step, ms] of Object.entries(before)) {
        figures[`${step}, CPU time`] =
          `${ms.toFixed(0)} ms -> ${after[step]!.toFixed(0)} ms (${(ms / after[step]!).toFixed(1)}x)`;
      }
      console.log(JSON.stringify(figures, null, 2));
    }
  } finally {
    db.close();
  }
}

async function sqliteVec(): Promise<{ load(db: Database.Database): void } | undefined> {
  const folder = values['sqlite-vec'];
  if (!folder) return undefined;
  return (await import(pathToFileURL(join(folder, 'index.mjs')).href)) as { load(db: Database.Database): void };
}

async function searchFigures(count: number, vec: Awaited<ReturnType<typeof sqliteVec>>) {
  const vectors = syntheticVectors(count);
  const built = cpuTime(() => new FeatureIndex(blockOf(vectors)));
  const index = built.result;
  index.nearest(1, 10);
  const scan: number[] = [];
  const figures: Record<string, string | number> = {
    vectors: count,
    'plain scan: build the index (CPU time)': ms(built.ms),
  };
  if (count <= 100_000) {
    const positives = Array.from({ length: 10 }, (_, i) => i * 97 + 1);
    const learned = cpuTime(() => scoreLabel(index, { id: 'x', name: 'x', positives, rejected: [] }, new Set()));
    figures['learn a label from 10 photos and score every photo (CPU time)'] = ms(learned.ms);
  }
  if (!vec) {
    for (let q = 0; q < queries; q++) scan.push(cpuTime(() => index.nearest(q + 2, 10)).ms);
  } else {
    const db = new Database(':memory:');
    vec.load(db);
    db.exec(`CREATE VIRTUAL TABLE vectors USING vec0(embedding int8[${DIMENSIONS}])`);
    const insert = db.prepare('INSERT INTO vectors (rowid, embedding) VALUES (?, vec_int8(?))');
    const inserted = cpuTime(() =>
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
      scan.push(cpuTime(() => index.nearest(q + 2, 10)).ms);
      searched.push(cpuTime(() => knn.all(query(q + 2))).ms);
    }
    figures['sqlite-vec: insert (CPU time)'] = ms(inserted.ms);
    figures['sqlite-vec: 10 nearest (median CPU time)'] = ms(median(searched));
    db.close();
  }
  figures['plain scan: 10 nearest (median CPU time)'] = ms(median(scan));
  return figures;
}

const vec = await sqliteVec();
const library = await libraryFigures(Number(values.library));
console.log(JSON.stringify(library.figures, null, 2));
if (values.before) await beforeAfter(library.dbPath, values.before);
const sizes = values.sizes.split(',').map(Number);
for (const size of sizes.filter((count) => count > 0)) {
  console.log(JSON.stringify(await searchFigures(size, vec), null, 2));
}
