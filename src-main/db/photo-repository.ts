import { sep } from 'node:path';
import { isShown, type StatusCounts } from '../api/contract.js';
import { TOP_LABELS, type Classification } from '../classifier/scoring.js';
import { CorrectionRepository, type EffectiveTag } from './correction-repository.js';
import type { Db } from './database.js';

export type PhotoStatus = 'pending' | 'processing' | 'done' | 'failed' | 'missing';

export interface Folder {
  id: number;
  path: string;
}

export interface FolderSummary extends Folder {
  total: number;
  done: number;
  failed: number;
  pending: number;
}

export interface ScannedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface PhotoRow {
  id: number;
  folderId: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string | null;
  format: string | null;
  width: number | null;
  height: number | null;
  takenAt: string | null;
  camera: string | null;
  orientation: number | null;
  status: PhotoStatus;
  error: string | null;
  modelId: string | null;
  modelVersion: string | null;
}

export interface PhotoMetadata {
  fingerprint: string;
  format: string;
  width: number;
  height: number;
  takenAt: string | null;
  camera: string | null;
  orientation: number | null;
}

export interface ModelRef {
  id: string;
  version: string;
}

export interface TaggedPhoto extends PhotoRow {
  labels: EffectiveTag[];
  categories: EffectiveTag[];
}

export type { StatusCounts };

export type UpsertOutcome = 'new' | 'changed' | 'unchanged';

const PHOTO_COLUMNS = `id, folder_id AS folderId, path, size, mtime_ms AS mtimeMs, fingerprint, format, width, height,
  taken_at AS takenAt, camera, orientation, status, error, model_id AS modelId, model_version AS modelVersion`;

/** `path` itself and everything below it, as an index-friendly range (the separator sorts just before '0'). */
const UNDER = `(path = @prefix OR (path > @prefix || '${sep}' AND path < @prefix || '${String.fromCharCode(sep.charCodeAt(0) + 1)}'))`;

/** All SQL about folders, photos and their predictions lives here; statements are prepared once. */
export class PhotoRepository {
  private readonly statements;
  readonly corrections: CorrectionRepository;

  constructor(private readonly db: Db) {
    this.corrections = new CorrectionRepository(db);
    const prepare = (sql: string) => db.prepare(sql);
    this.statements = {
      insertFolder: prepare('INSERT INTO folders (path, added_at) VALUES (?, ?) ON CONFLICT(path) DO NOTHING'),
      folderByPath: prepare('SELECT id, path FROM folders WHERE path = ?'),
      folders: prepare('SELECT id, path FROM folders ORDER BY path'),
      folderSummaries: prepare(`SELECT f.id, f.path, COUNT(p.id) AS total,
          COALESCE(SUM(p.status = 'done'), 0) AS done, COALESCE(SUM(p.status = 'failed'), 0) AS failed,
          COALESCE(SUM(p.status IN ('pending', 'processing')), 0) AS pending
        FROM folders f LEFT JOIN photos p ON p.folder_id = f.id AND p.status != 'missing'
        GROUP BY f.id ORDER BY f.path`),
      deleteFolder: prepare('DELETE FROM folders WHERE id = ?'),
      photoByPath: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos WHERE path = ?`),
      photoById: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos WHERE id = ?`),
      insertPhoto: prepare('INSERT INTO photos (folder_id, path, size, mtime_ms) VALUES (?, ?, ?, ?)'),
      markChanged: prepare(`UPDATE photos SET size = ?, mtime_ms = ?, status = 'pending', error = NULL,
        missing_since = NULL WHERE id = ?`),
      restore: prepare(`UPDATE photos SET status = CASE WHEN model_id IS NULL THEN 'pending' ELSE 'done' END,
        missing_since = NULL WHERE id = ? AND status = 'missing'`),
      pathsInFolder: prepare("SELECT id, path FROM photos WHERE folder_id = ? AND status != 'missing'"),
      markMissing: prepare("UPDATE photos SET status = 'missing', missing_since = ? WHERE id = ?"),
      markMissingUnder: prepare(`UPDATE photos SET status = 'missing', missing_since = @now
        WHERE ${UNDER} AND status != 'missing'`),
      claimPending: prepare(`UPDATE photos SET status = 'processing' WHERE id IN
        (SELECT id FROM photos WHERE status = 'pending' ORDER BY id LIMIT ?) RETURNING ${PHOTO_COLUMNS}`),
      resetInFlight: prepare("UPDATE photos SET status = 'pending' WHERE status = 'processing'"),
      requeueOtherModels: prepare(`UPDATE photos SET status = 'pending'
        WHERE status = 'done' AND (model_id IS NOT ? OR model_version IS NOT ?)`),
      relinkCandidate: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos
        WHERE fingerprint = ? AND status = 'missing' AND id != ? ORDER BY missing_since DESC LIMIT 1`),
      deletePhoto: prepare('DELETE FROM photos WHERE id = ?'),
      movePhoto: prepare(`UPDATE photos SET folder_id = ?, path = ?, size = ?, mtime_ms = ?,
        status = CASE WHEN model_id IS NULL THEN 'pending' ELSE 'done' END, missing_since = NULL WHERE id = ?`),
      deletePredictions: prepare('DELETE FROM predictions WHERE photo_id = ?'),
      deleteCategories: prepare('DELETE FROM category_scores WHERE photo_id = ?'),
      insertPrediction: prepare(`INSERT INTO predictions (photo_id, model_id, model_version, rank, label_id, label_name,
        score) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      insertCategory: prepare(`INSERT INTO category_scores (photo_id, model_id, model_version, category_id,
        category_name, score) VALUES (?, ?, ?, ?, ?, ?)`),
      saveDone: prepare(`UPDATE photos SET status = 'done', error = NULL, fingerprint = @fingerprint,
        format = @format, width = @width, height = @height, taken_at = @takenAt, camera = @camera,
        orientation = @orientation, model_id = @modelId, model_version = @modelVersion, tagged_at = @now
        WHERE id = @id`),
      saveFailed: prepare(`UPDATE photos SET status = 'failed', error = ?, fingerprint = COALESCE(?, fingerprint),
        model_id = NULL, model_version = NULL, tagged_at = ? WHERE id = ?`),
      purgeMissing: prepare("DELETE FROM photos WHERE status = 'missing' AND missing_since <= ?"),
      counts: prepare('SELECT status, COUNT(*) AS n FROM photos GROUP BY status'),
      photosUnder: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos WHERE ${UNDER} AND status != 'missing' ORDER BY path`),
      searchTag: prepare(`SELECT photo_id AS photoId, MAX(score) AS score FROM (
          SELECT photo_id, score FROM effective_labels WHERE (id = @tag OR name = @tag COLLATE NOCASE)
          UNION ALL
          SELECT photo_id, score FROM effective_categories WHERE (id = @tag OR name = @tag COLLATE NOCASE)
        ) WHERE score >= @minScore GROUP BY photo_id ORDER BY score DESC`),
      getSetting: prepare('SELECT value FROM settings WHERE key = ?'),
      setSetting: prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  addFolder(path: string): Folder {
    this.statements.insertFolder.run(path, Date.now());
    return this.statements.folderByPath.get(path) as Folder;
  }

  folders(): Folder[] {
    return this.statements.folders.all() as Folder[];
  }

  folderSummaries(): FolderSummary[] {
    return this.statements.folderSummaries.all() as FolderSummary[];
  }

  removeFolder(id: number): void {
    this.statements.deleteFolder.run(id);
  }

  photoByPath(path: string): PhotoRow | undefined {
    return this.statements.photoByPath.get(path) as PhotoRow | undefined;
  }

  photoById(id: number): PhotoRow | undefined {
    return this.statements.photoById.get(id) as PhotoRow | undefined;
  }

  /** Records what a scan or the watcher found, in one transaction; a photo whose size or mtime moved is re-tagged. */
  upsertScanned(folderId: number, files: ScannedFile[]): UpsertOutcome[] {
    return this.db.transaction(() =>
      files.map((file): UpsertOutcome => {
        const existing = this.photoByPath(file.path);
        if (!existing) {
          this.statements.insertPhoto.run(folderId, file.path, file.size, Math.trunc(file.mtimeMs));
          return 'new';
        }
        if (existing.size !== file.size || existing.mtimeMs !== Math.trunc(file.mtimeMs)) {
          this.statements.markChanged.run(file.size, Math.trunc(file.mtimeMs), existing.id);
          return 'changed';
        }
        this.statements.restore.run(existing.id);
        return 'unchanged';
      }),
    )();
  }

  /** After a full scan of a folder: what the scan did not see is missing (kept a while, in case it moved). */
  markUnseenMissing(folderId: number, seen: Set<string>): number {
    const rows = this.statements.pathsInFolder.all(folderId) as { id: number; path: string }[];
    const gone = rows.filter((row) => !seen.has(row.path));
    const now = Date.now();
    this.db.transaction(() => gone.forEach((row) => this.statements.markMissing.run(now, row.id)))();
    return gone.length;
  }

  /** A file or a whole folder went away. */
  markMissingUnder(path: string): number {
    return this.statements.markMissingUnder.run({ prefix: path, now: Date.now() }).changes;
  }

  /** Takes up to `limit` pending photos for tagging; if the process dies, resetInFlight puts them back. */
  claimPending(limit: number): PhotoRow[] {
    return this.statements.claimPending.all(limit) as PhotoRow[];
  }

  resetInFlight(): number {
    return this.statements.resetInFlight.run().changes;
  }

  /** Photos tagged by another model (or version) go back to the queue: a library never mixes two models. */
  requeueOtherModels(model: ModelRef): number {
    return this.statements.requeueOtherModels.run(model.id, model.version).changes;
  }

  /**
   * If `photo` is a missing photo that moved (same content fingerprint), the old row takes the new path and keeps
   * its predictions and corrections; the new row goes. Returns the photo that now holds the path, or undefined.
   */
  relinkMoved(photo: PhotoRow, fingerprint: string): PhotoRow | undefined {
    const moved = this.statements.relinkCandidate.get(fingerprint, photo.id) as PhotoRow | undefined;
    if (!moved) return undefined;
    this.db.transaction(() => {
      this.statements.deletePhoto.run(photo.id);
      this.statements.movePhoto.run(photo.folderId, photo.path, photo.size, photo.mtimeMs, moved.id);
    })();
    return this.photoById(moved.id);
  }

  /**
   * Stores a batch of results and marks those photos done, in one transaction: each photo keeps nothing of its
   * previous tagging.
   */
  saveTaggedBatch(
    entries: { photoId: number; metadata: PhotoMetadata; result: Classification }[],
    model: ModelRef,
  ): void {
    this.db.transaction(() => {
      for (const { photoId, metadata, result } of entries) this.saveTagged(photoId, metadata, model, result);
    })();
  }

  /** Stores one photo's results and marks it done, in one transaction with nothing of the previous tagging left. */
  saveTagged(photoId: number, metadata: PhotoMetadata, model: ModelRef, result: Classification): void {
    const s = this.statements;
    this.db.transaction(() => {
      s.deletePredictions.run(photoId);
      s.deleteCategories.run(photoId);
      result.labels.forEach((label, rank) =>
        s.insertPrediction.run(photoId, model.id, model.version, rank, label.id, label.name, label.score),
      );
      for (const category of result.categories) {
        s.insertCategory.run(photoId, model.id, model.version, category.id, category.name, category.score);
      }
      s.saveDone.run({ ...metadata, id: photoId, modelId: model.id, modelVersion: model.version, now: Date.now() });
    })();
  }

  saveFailed(photoId: number, reason: string, fingerprint?: string): void {
    this.db.transaction(() => {
      this.statements.deletePredictions.run(photoId);
      this.statements.deleteCategories.run(photoId);
      this.statements.saveFailed.run(reason, fingerprint ?? null, Date.now(), photoId);
    })();
  }

  /** Photos missing for longer than `graceMs` have left the library for good. */
  purgeMissing(graceMs: number): number {
    return this.statements.purgeMissing.run(Date.now() - graceMs).changes;
  }

  counts(): StatusCounts {
    const counts: StatusCounts = { pending: 0, processing: 0, done: 0, failed: 0, missing: 0, total: 0 };
    for (const row of this.statements.counts.all() as { status: PhotoStatus; n: number }[]) {
      counts[row.status] = row.n;
      if (row.status !== 'missing') counts.total += row.n;
    }
    return counts;
  }

  /**
   * The photo with its tags as corrections leave them and as they are shown: every user tag, then the model's best
   * up to five labels, none of the model's below MIN_SHOWN_SCORE.
   */
  withTags(photo: PhotoRow): TaggedPhoto {
    const labels = this.corrections.labelsOf(photo.id).filter(isShown);
    const users = labels.filter((label) => label.source === 'user');
    return {
      ...photo,
      labels: [
        ...users,
        ...labels.filter((label) => label.source === 'model').slice(0, Math.max(0, TOP_LABELS - users.length)),
      ],
      categories: this.corrections.categoriesOf(photo.id).filter(isShown),
    };
  }

  /** The photo at `path`, or every photo below it when it is a folder. */
  photosUnder(path: string): PhotoRow[] {
    return this.statements.photosUnder.all({ prefix: path }) as PhotoRow[];
  }

  /** Photos carrying a label or category (by id or display name) with at least `minScore`, best first. */
  searchTag(tag: string, minScore: number): { photo: PhotoRow; score: number }[] {
    const hits = this.statements.searchTag.all({ tag, minScore }) as { photoId: number; score: number }[];
    return hits.map((hit) => ({ photo: this.photoById(hit.photoId)!, score: hit.score }));
  }

  getSetting(key: string): string | undefined {
    return (this.statements.getSetting.get(key) as { value: string } | undefined)?.value;
  }

  setSetting(key: string, value: string): void {
    this.statements.setSetting.run(key, value);
  }
}
