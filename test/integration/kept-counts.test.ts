import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiService } from '../../src-main/api/api-service.js';
import {
  photoFilterSchema,
  type ApiEvent,
  type CorrectionAction,
  type PhotoFilter,
} from '../../src-main/api/contract.js';
import { BrowseRepository } from '../../src-main/db/browse-repository.js';
import type { PhotoRow } from '../../src-main/db/photo-repository.js';
import { ReviewRepository, UNCERTAIN_MARGIN } from '../../src-main/db/review-repository.js';
import { Library } from '../../src-main/library/library.js';
import { rebuildKeptCounts } from '../bench/synthetic-library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

/** Every threshold the confidence slider offers, 1 (only the user's own tags), and two it does not. */
const THRESHOLDS = [...Array.from({ length: 21 }, (_, i) => i / 20), 0.33, 0.075];

/** The thresholds the timeline's kept counts are compared at, for the "untagged" filter. */
const TIMELINE_THRESHOLDS = [0, 0.3, 0.5, 0.95, 1];

/** A month of the timeline as it names it: YYYY-MM, or "undated" for photos without a date (month 0). */
const monthKey = (month: number) =>
  month === 0 ? 'undated' : `${Math.floor(month / 100)}-${String(month % 100).padStart(2, '0')}`;

/** Photos shown as untagged at @minScore, by COUNT(*): what the "untagged" filter shows. */
const UNTAGGED_RECOUNT = `(p.status IN ('pending', 'processing') OR (p.status = 'done' AND
  CASE WHEN EXISTS (SELECT 1 FROM corrections c WHERE c.photo_id = p.id)
  THEN NOT EXISTS (SELECT 1 FROM effective_labels e WHERE e.photo_id = p.id AND e.score >= @minScore)
    AND NOT EXISTS (SELECT 1 FROM effective_categories e WHERE e.photo_id = p.id AND e.score >= @minScore)
  ELSE COALESCE(p.best_score, 0) < @minScore END))`;

const ALL_PHOTOS: PhotoFilter = photoFilterSchema.parse({});

/** The filters without tags whose timeline the kept counts answer, in each folder (or all) of the library. */
function timelineFilters(folderIds: (number | null)[]): PhotoFilter[] {
  return folderIds.flatMap((folderId) => [
    { ...ALL_PHOTOS, folderId },
    { ...ALL_PHOTOS, folderId, status: 'failed' as const },
    ...TIMELINE_THRESHOLDS.map((minScore) => ({ ...ALL_PHOTOS, folderId, minScore, status: 'untagged' as const })),
  ]);
}

const LABELS = ['n01', 'n02', 'n03', 'n04', 'n05', 'n06', 'n07', 'n08'];
const CATEGORIES = ['dog', 'cat', 'food', 'people'];
const SPECIES = ['bird:a', 'bird:b'];

/** A small deterministic generator: a failure replays with the same seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('counts kept by triggers', () => {
  const dir = tempDir('phototag-kept-counts-');
  const folders = { a: join(dir, 'Camera'), b: join(dir, 'Phone') };
  let library: Library;
  let browse: BrowseRepository;
  let review: ReviewRepository;

  before(async () => {
    mkdirSync(folders.a);
    mkdirSync(folders.b);
    for (const name of ['dog.jpg', 'cat_720p.jpg', 'parrot.jpg', 'face.jpg']) {
      copyFileSync(photo(name), join(folders.a, name));
    }
    for (const name of ['owl.jpg', 'eagle.jpg', 'pets.jpg', 'kite_and_cold.jpg']) {
      copyFileSync(photo(name), join(folders.b, name));
    }
    writeFileSync(join(folders.b, 'broken.jpg'), 'not a photo at all');
    library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
    });
    browse = new BrowseRepository(library.db);
    review = new ReviewRepository(library.db);
    await library.addFolder(folders.a);
    await library.addFolder(folders.b);
    await library.scanAll();
    await library.tag();
  });

  after(() => library.close());

  /** Each count the app shows, read from the kept counts. */
  function kept() {
    return {
      status: library.repo.counts(),
      // Not how many carry corrections: that is read from the corrections themselves, not kept.
      folders: browse.folderSummaries().map(({ corrected: _, ...folder }) => folder),
      tags: THRESHOLDS.map((minScore) => {
        const { categories, labels } = browse.tagCounts(minScore);
        return [minScore, [...categories, ...labels].map((tag) => `${tag.kind} ${tag.id} ${tag.count}`).sort()];
      }),
      untagged: THRESHOLDS.map((minScore) => [minScore, browse.untaggedCount(minScore)]),
      toReview: review.count(),
      uncertain: review.uncertain(),
      timelines: timelineFilters(folderIds()).flatMap((filter) =>
        (['newest', 'oldest'] as const).map((sort) =>
          browse.keptTimeline(filter, sort)!.sections.map((section) => `${section.key} ${section.count}`),
        ),
      ),
    };
  }

  const folderIds = () => [null, ...library.repo.folders().map((folder) => folder.id)];

  /** The same counts by COUNT(*) over the photos, their tags and corrections: what the grid's filters show. */
  function recounted() {
    const db = library.db;
    const all = <T>(sql: string, params: unknown = {}) => db.prepare(sql).all(params) as T[];
    const one = (sql: string, params: unknown = {}) => (db.prepare(sql).get(params) as { n: number }).n;
    const status = { pending: 0, processing: 0, done: 0, failed: 0, missing: 0, total: 0 };
    for (const row of all<{ status: keyof typeof status; n: number }>(
      'SELECT status, COUNT(*) AS n FROM photos GROUP BY status',
    )) {
      status[row.status] = row.n;
      if (row.status !== 'missing') status.total += row.n;
    }
    const folderRows = all<{ id: number; path: string }>('SELECT id, path FROM folders ORDER BY path').map((f) => ({
      ...f,
      total: one("SELECT COUNT(*) AS n FROM photos WHERE folder_id = ? AND status != 'missing'", f.id),
      done: one("SELECT COUNT(*) AS n FROM photos WHERE folder_id = ? AND status = 'done'", f.id),
      failed: one("SELECT COUNT(*) AS n FROM photos WHERE folder_id = ? AND status = 'failed'", f.id),
      pending: one(
        "SELECT COUNT(*) AS n FROM photos WHERE folder_id = ? AND status IN ('pending', 'processing')",
        f.id,
      ),
    }));
    const tags = THRESHOLDS.map((minScore) => [
      minScore,
      all<{ kind: string; id: string; n: number }>(
        `SELECT kind, id, COUNT(DISTINCT photo_id) AS n FROM (
          SELECT 'label' AS kind, e.id, e.photo_id FROM effective_labels e JOIN photos p ON p.id = e.photo_id
            WHERE p.status != 'missing' AND e.score >= @minScore
          UNION ALL
          SELECT 'category', e.id, e.photo_id FROM effective_categories e JOIN photos p ON p.id = e.photo_id
            WHERE p.status != 'missing' AND e.score >= @minScore) GROUP BY kind, id`,
        { minScore },
      )
        .map((tag) => `${tag.kind} ${tag.id} ${tag.n}`)
        .sort(),
    ]);
    const untagged = THRESHOLDS.map((minScore) => [
      minScore,
      one(`SELECT COUNT(*) AS n FROM photos p WHERE ${UNTAGGED_RECOUNT}`, { minScore }),
    ]);
    const timelines = timelineFilters(folderIds()).flatMap((filter) => {
      const where = ["p.status != 'missing'"];
      if (filter.folderId !== null) where.push(`p.folder_id = ${filter.folderId}`);
      if (filter.status === 'failed') where.push("p.status = 'failed'");
      if (filter.status === 'untagged') where.push(UNTAGGED_RECOUNT);
      return (['DESC', 'ASC'] as const).map((order) =>
        all<{ month: number; n: number }>(
          `SELECT p.sort_at / 100000000 AS month, COUNT(*) AS n FROM photos p WHERE ${where.join(' AND ')}
            GROUP BY month ORDER BY month ${order}`,
          filter.status === 'untagged' ? { minScore: filter.minScore } : {},
        ).map(({ month, n }) => `${monthKey(month)} ${n}`),
      );
    });
    const unreviewed = `SELECT COUNT(*) AS n FROM photos p WHERE p.status = 'done' AND p.margin IS NOT NULL
      AND p.margin < @below AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.photo_id = p.id AND c.source = 'user')`;
    return {
      status,
      folders: folderRows,
      tags,
      untagged,
      toReview: one(unreviewed, { below: 2 }),
      uncertain: one(unreviewed, { below: UNCERTAIN_MARGIN }),
      timelines,
    };
  }

  /** Photos tagged by anything but `model` with `taggers`: what a run must re-tag. */
  const staleCount = (model: { id: string; version: string }, taggers: string) =>
    (
      library.db
        .prepare(
          `SELECT COUNT(*) AS n FROM photos WHERE status = 'done'
           AND (model_id IS NOT ? OR model_version IS NOT ? OR taggers IS NOT ?)`,
        )
        .get(model.id, model.version, taggers) as { n: number }
    ).n;

  it('start equal to a full recount after the real pipeline tagged real photos', () => {
    const counts = kept();
    assert.ok(counts.status.done >= 8 && counts.status.failed === 1, JSON.stringify(counts.status));
    assert.deepEqual(counts, recounted());
  });

  it('equal a full recount after every step of a random sequence of tagging, correcting, undoing, missing photos, folder removal and model switches', () => {
    const next = random(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const photos = (where = "status != 'missing'") =>
      library.db.prepare(`SELECT id FROM photos WHERE ${where} ORDER BY id`).pluck().all() as number[];
    const row = (id: number) => library.repo.photoById(id)!;
    /** A photo present in the library, if any is (random steps may leave none). */
    const somePhoto = (): PhotoRow | undefined => {
      const ids = photos();
      return ids.length > 0 ? row(pick(ids)) : undefined;
    };
    // Scores on the buckets' bounds as often as between them: where an off-by-one would show.
    const score = () => (next() < 0.5 ? Math.floor(next() * 21) / 20 : next());
    const model = { id: 'mobilenet-v2-imagenet', version: somePhoto()!.modelVersion! };
    const scenes = { id: 'scenes', version: '1' };
    let fingerprints = 0;
    const metadata = () => ({
      fingerprint: `print-${++fingerprints}`,
      format: 'jpeg',
      width: 10,
      height: 10,
      // Months apart, a year's last second and the next one's first, or none (the file's time).
      takenAt: pick([null, '2019-03-04T10:00:00', '2021-12-31T23:59:59', '2022-01-01T00:00:00']),
      camera: null,
      orientation: null,
    });
    const secondary = () => ({
      results: [
        {
          tagger: scenes,
          labels: next() < 0.5 ? [{ id: pick(SPECIES), name: 'Species', score: score() }] : [],
          // Often a category the model gave too: the higher score replaces it in place.
          categories: [{ id: pick(CATEGORIES), name: 'Category', score: score() }],
        },
      ],
      taggers: [scenes],
    });
    const tag = (): { kind: 'label' | 'category'; id: string; name: string } =>
      next() < 0.2
        ? { kind: 'label', id: 'user:rex', name: 'Rex' }
        : next() < 0.5
          ? { kind: 'category', id: pick(CATEGORIES), name: 'Category' }
          : { kind: 'label', id: pick(LABELS), name: 'Label' };

    const steps: Record<string, () => void> = {
      tag: () => {
        const photo = somePhoto();
        if (!photo) return;
        const labels = [...LABELS].sort(() => next() - 0.5).slice(0, 1 + Math.floor(next() * 5));
        library.repo.saveTagged(
          photo,
          metadata(),
          model,
          {
            labels: labels.map((id) => ({ id, name: `Label ${id}`, score: score() })).sort((a, b) => b.score - a.score),
            categories: CATEGORIES.filter(() => next() < 0.5).map((id) => ({ id, name: id, score: score() })),
          },
          secondary(),
        );
      },
      fillIn: () => {
        const photo = somePhoto();
        if (photo) library.repo.saveFilledIn(photo, metadata(), model, secondary());
      },
      fail: () => {
        const photo = somePhoto();
        if (photo) library.repo.saveFailed(photo, 'Cannot read it.');
      },
      goMissing: () => {
        const photo = somePhoto();
        if (photo) library.repo.markMissingUnder(photo.path);
      },
      comeBack: () => {
        const missing = photos("status = 'missing'");
        if (missing.length === 0) return;
        const photo = row(pick(missing));
        const changed = next() < 0.3;
        library.repo.upsertScanned(photo.folderId, [
          { path: photo.path, size: photo.size + (changed ? 1 : 0), mtimeMs: photo.mtimeMs },
        ]);
      },
      change: () => {
        const photo = somePhoto();
        if (!photo) return;
        library.repo.upsertScanned(photo.folderId, [
          { path: photo.path, size: photo.size + 1, mtimeMs: photo.mtimeMs },
        ]);
      },
      claim: () => {
        library.repo.claimPending(1 + Math.floor(next() * 3));
        if (next() < 0.5) library.repo.resetInFlight();
      },
      correct: () => {
        const ids = photos().filter(() => next() < 0.4);
        if (ids.length === 0) return;
        const type = pick(['confirm', 'reject', 'add', 'replace'] as const);
        const action: CorrectionAction = type === 'replace' ? { type, from: tag(), to: tag() } : { type, tag: tag() };
        if (action.type === 'replace' && action.from.id === action.to.id) return;
        library.repo.corrections.apply(ids, action);
      },
      undo: () => {
        library.repo.corrections.undo();
      },
      purge: () => {
        library.repo.purgeMissing(pick(library.repo.folders()).id);
      },
      removeAndAddBack: () => {
        const folder = pick(library.repo.folders());
        const files = photos(`folder_id = ${folder.id}`).map(row);
        library.repo.removeFolder(folder.id);
        const again = library.repo.addFolder(folder.path);
        library.repo.upsertScanned(
          again.id,
          files.map(({ path, size, mtimeMs }) => ({ path, size, mtimeMs })),
        );
      },
      relinkMoved: () => {
        const missing = photos("status = 'missing' AND fingerprint IS NOT NULL");
        const fresh = photos("status = 'pending' AND fingerprint IS NULL");
        if (missing.length === 0 || fresh.length === 0) return;
        library.repo.relinkMoved(row(pick(fresh)), row(pick(missing)).fingerprint!);
      },
      switchModel: () => {
        const other = next() < 0.5 ? model : { id: 'resnet20-cifar10', version: '1' };
        const taggers = next() < 0.5 ? 'scenes@1' : '';
        const expected = staleCount(other, taggers);
        assert.equal(library.repo.requeueStale(other, taggers), expected, 'requeues exactly the stale photos');
      },
    };

    const names = Object.keys(steps);
    const done: string[] = [];
    for (let i = 0; i < 400; i++) {
      const name = pick(names);
      steps[name]!();
      done.push(name);
      assert.deepEqual(kept(), recounted(), `after ${done.slice(-5).join(', ')} (step ${i})`);
    }
    assert.ok(
      names.every((name) => done.includes(name)),
      'every kind of step ran',
    );
  });

  it('come with every change the views hear of, as the summary says them', async () => {
    const service = new ApiService(library);
    try {
      const heard = new Promise<ApiEvent>((resolve) => {
        const stop = service.onEvent((event) => {
          if (event.type !== 'changed') return;
          stop();
          resolve(event);
        });
      });
      library.emit('changed');
      const event = await heard;
      const { counts, folders, toReview, uncertain, canUndo } = await service.call('summary', {});
      assert.deepEqual(event, { type: 'changed', counts: { counts, folders, toReview, uncertain, canUndo } });
    } finally {
      service.close();
    }
  });

  it('are rebuilt by their migration as the triggers kept them', () => {
    const before = kept();
    rebuildKeptCounts(library.db);
    assert.deepEqual(kept(), before);
  });
});
