import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { MIGRATIONS } from '../../src-main/db/migrations.js';
import { loadLabelSet } from '../../src-main/models/label-sets.js';
import { THUMBNAIL_SIZE, thumbnailPath } from '../../src-main/pipeline/tagging-pipeline.js';
import { MODELS_DIR, PHOTOS_DIR } from '../helpers.js';

/** Distinct thumbnails the synthetic photos share, made from the fixture photos. */
const THUMBNAIL_POOL = 64;

export interface SyntheticLibrary {
  dbPath: string;
  photos: number;
  /** A category most photos do not carry and many do: what a person filters by. */
  commonCategory: { id: string; name: string; count: number };
  /** Copied from the cache of libraries written before (see createSyntheticLibrary), not written now. */
  cached: boolean;
}

/** What the synthetic photos were tagged with: a run of the real pipeline re-tags none of them when it matches. */
export interface SyntheticModel {
  id: string;
  version: string;
  /** The secondary taggers' signature (taggerSignature). */
  taggers: string | null;
}

const DEFAULT_MODEL: SyntheticModel = { id: 'mobilenet-v2-imagenet', version: '1', taggers: null };

/** The migrations that keep counts by triggers (8: tags, states; 13: months), and the tables each fills. */
const KEPT_COUNTS = [
  { migration: 8, tables: ['photo_counts', 'done_counts', 'tag_counts'] },
  { migration: 13, tables: ['month_counts'] },
];

/**
 * The counts migrations 8 and 13 keep, rebuilt from the rows by those migrations' own statements (those before
 * their triggers): for rows written with the triggers off.
 */
export function rebuildKeptCounts(db: Db): void {
  for (const { migration, tables } of KEPT_COUNTS) {
    const sql = MIGRATIONS[migration - 1]!;
    const fill = sql.slice(sql.indexOf(`INSERT INTO ${tables[0]}`), sql.indexOf('CREATE TRIGGER'));
    db.exec(`${tables.map((table) => `DELETE FROM ${table};`).join(' ')} ${fill}`);
  }
}

/** A small deterministic generator, so two runs of the benchmark see the same library. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Where written libraries are kept for the next run, one folder each, named by cacheKey. */
const CACHE_DIR = join(tmpdir(), 'phototag-synthetic-library-cache');
/** The file in a cached library's folder that says what writeLibrary returned. */
const DESCRIPTION = 'synthetic-library.json';

const sha256 = (...parts: (string | Buffer)[]) =>
  parts
    .reduce((hash, part) => hash.update(part), createHash('sha256'))
    .digest('hex')
    .slice(0, 16);

/** What names the libraries of one size and model: the cached one of those is replaced when another is written. */
const cachePrefix = (count: number, model: SyntheticModel) => `${count}-photos-${sha256(JSON.stringify(model))}-`;

/** Names a library by all that shapes it: its size, its model, the schema, and this generator's own code. */
const cacheKey = (count: number, model: SyntheticModel) =>
  `${cachePrefix(count, model)}schema-${MIGRATIONS.length}-` +
  sha256(MIGRATIONS.join('\n'), readFileSync(fileURLToPath(import.meta.url)));

/**
 * A library of `count` tagged photos in `dir` (see writeLibrary), copied from the cache under os.tmpdir() when a run
 * wrote the same one before (a million photos: 1.3 GB, about 10 minutes to write on two shared cores, seconds to
 * copy). A library written now replaces the cached one of its size and model from other code or another schema.
 */
export async function createSyntheticLibrary(
  dir: string,
  count: number,
  model: SyntheticModel = DEFAULT_MODEL,
): Promise<SyntheticLibrary> {
  const key = cacheKey(count, model);
  const cached = join(CACHE_DIR, key);
  const hit = existsSync(join(cached, DESCRIPTION));
  if (!hit) {
    mkdirSync(CACHE_DIR, { recursive: true });
    for (const old of readdirSync(CACHE_DIR).filter((name) => name.startsWith(cachePrefix(count, model)))) {
      rmSync(join(CACHE_DIR, old), { recursive: true, force: true });
    }
    const writing = mkdtempSync(join(CACHE_DIR, 'writing-'));
    writeFileSync(join(writing, DESCRIPTION), JSON.stringify(await writeLibrary(writing, count, model)));
    try {
      renameSync(writing, cached);
    } catch {
      // Another run wrote the same library meanwhile: theirs is as good.
      rmSync(writing, { recursive: true, force: true });
    }
  }
  cpSync(cached, dir, { recursive: true });
  const { commonCategory } = JSON.parse(readFileSync(join(dir, DESCRIPTION), 'utf8')) as Pick<
    SyntheticLibrary,
    'commonCategory'
  >;
  return { dbPath: join(dir, 'library.sqlite'), photos: count, commonCategory, cached: hit };
}

/**
 * Writes a library of `count` tagged photos straight into a fresh database, the way the pipeline stores them:
 * five labels per photo drawn with a skewed (Zipf-like) popularity from the real ImageNet label set, categories
 * rolled up from those labels, a few failures, metadata. No photo files exist (it measures browsing, not tagging);
 * the photos share a pool of real thumbnails, as copies of one photo share one, so the grid has images to draw.
 * The rows are written as a bulk load would (a million photos row by row through the triggers and indexes took
 * most of an hour on two shared cores): one transaction with a journal that keeps next to nothing, triggers and
 * indexes off, the columns the triggers keep (best score, margin, sort time) computed here, then the indexes built
 * and the kept counts filled once by their migrations' own statements.
 */
async function writeLibrary(
  dir: string,
  count: number,
  model: SyntheticModel,
): Promise<Pick<SyntheticLibrary, 'commonCategory'>> {
  const dbPath = join(dir, 'library.sqlite');
  const thumbnailsDir = join(dir, 'library-thumbnails');
  const sources = readdirSync(PHOTOS_DIR).filter((name) => name.endsWith('.jpg'));
  const pool: string[] = [];
  for (let i = 0; i < THUMBNAIL_POOL; i++) {
    const print = createHash('sha256').update(`thumbnail ${i}`).digest('hex');
    const file = thumbnailPath(thumbnailsDir, print);
    mkdirSync(dirname(file), { recursive: true });
    const source = sharp(join(PHOTOS_DIR, sources[i % sources.length]!));
    const { width = 1000, height = 1000 } = await source.metadata();
    // A different crop of each source, so neighbouring tiles do not look alike.
    const side = Math.floor(Math.min(width, height) * (0.6 + (i % 4) * 0.1));
    const left = Math.floor(((width - side) * (i % 3)) / 2);
    const thumbnail = await source
      .extract({ left, top: Math.floor((height - side) / 2), width: side, height: side })
      .resize({ width: THUMBNAIL_SIZE, height: THUMBNAIL_SIZE, fit: 'inside' })
      .jpeg({ quality: 82 })
      .toBuffer();
    writeFileSync(file, thumbnail);
    pool.push(print);
  }
  const db = openDatabase(dbPath);
  const labelSet = loadLabelSet(MODELS_DIR, 'imagenet-1k');
  const next = random(42);
  const popular = labelSet.labels.map((_, i) => i).sort(() => next() - 0.5);
  const pick = () => popular[Math.min(popular.length - 1, Math.floor(popular.length * next() ** 3))]!;
  const folders = ['Camera', 'Holidays 2023', 'Family', 'Screenshots', 'Phone backup'].map((name, i) => {
    db.prepare('INSERT INTO folders (id, path, added_at) VALUES (?, ?, ?)').run(i + 1, join(dir, name), Date.now());
    return { id: i + 1, path: join(dir, name) };
  });
  const insertPhoto = db.prepare(`INSERT INTO photos (id, folder_id, path, size, mtime_ms, fingerprint, format, width,
    height, taken_at, camera, status, error, model_id, model_version, taggers, tagged_at, best_score, margin, sort_at)
    VALUES (?, ?, ?, ?, ?, ?, 'jpeg', 4032, 3024, ?, 'Pixel 7', ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertLabel = db.prepare(`INSERT INTO predictions (photo_id, model_id, model_version, rank, label_id,
    label_name, score) VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const insertCategory = db.prepare(`INSERT INTO category_scores (photo_id, model_id, model_version, category_id,
    category_name, score) VALUES (?, ?, ?, ?, ?, ?)`);
  const categoryCounts = new Map<number, number>();
  const derived = db
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'index') AND sql IS NOT NULL")
    .all() as { type: string; name: string; sql: string }[];
  // A rollback journal instead of the library's WAL, which took every page twice: a fresh library's pages are new,
  // so the journal keeps next to nothing (OFF is refused: better-sqlite3 runs SQLite in defensive mode).
  db.pragma('journal_mode = DELETE');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -512000');
  // The sorts that build the indexes and the kept counts stay in memory instead of spilling to temporary files.
  db.pragma('temp_store = MEMORY');
  db.transaction(() => {
    for (const { type, name } of derived) db.exec(`DROP ${type.toUpperCase()} ${name}`);
    for (let id = 1; id <= count; id++) {
      const folder = folders[id % folders.length]!;
      const failed = id % 997 === 0;
      const print = pool[id % pool.length]!;
      const takenAt = new Date(Date.UTC(2015, 0, 1) + id * 3_600_000).toISOString();
      const labels: { index: number; score: number }[] = [];
      const categoryScores = new Map<number, number>();
      if (!failed) {
        const chosen = new Set<number>();
        while (chosen.size < 5) chosen.add(pick());
        let remaining = 1;
        for (const index of chosen) {
          const score = labels.length === 4 ? remaining * 0.5 : remaining * (0.35 + next() * 0.6);
          remaining -= score;
          labels.push({ index, score });
          for (const category of labelSet.labels[index]!.categories) {
            categoryScores.set(category, (categoryScores.get(category) ?? 0) + score);
          }
        }
      }
      const categories = [...categoryScores]
        .filter(([, score]) => score >= 0.01)
        .map(([index, score]) => ({ index, score: Math.min(1, score) }));
      // What migrations 2, 4 and 7's triggers would have written.
      const best = failed ? null : Math.max(labels[0]!.score, ...categories.map((category) => category.score));
      const margin = failed ? null : labels[0]!.score - labels[1]!.score;
      insertPhoto.run(
        id,
        folder.id,
        join(folder.path, `IMG_${String(id).padStart(6, '0')}.jpg`),
        2_000_000 + Math.floor(next() * 3_000_000),
        Date.now(),
        print,
        takenAt,
        failed ? 'failed' : 'done',
        failed ? `Cannot read IMG_${id}.jpg: the image is truncated (the file ends too early).` : null,
        failed ? null : model.id,
        failed ? null : model.version,
        failed ? null : model.taggers,
        Date.now(),
        best,
        margin,
        Number(takenAt.slice(0, 19).replace(/\D/g, '')),
      );
      labels.forEach(({ index, score }, rank) => {
        const label = labelSet.labels[index]!;
        insertLabel.run(id, model.id, model.version, rank, label.id, label.name, score);
      });
      for (const { index, score } of categories) {
        const category = labelSet.categories[index]!;
        insertCategory.run(id, model.id, model.version, category.id, category.name, score);
        if (score >= 0.3) categoryCounts.set(index, (categoryCounts.get(index) ?? 0) + 1);
      }
    }
    for (const { sql } of derived) db.exec(sql);
    rebuildKeptCounts(db);
  })();
  db.pragma('journal_mode = WAL');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  const [index, common] = [...categoryCounts].sort((a, b) => b[1] - a[1])[2]!;
  const category = labelSet.categories[index]!;
  return { commonCategory: { id: category.id, name: category.name, count: common } };
}
