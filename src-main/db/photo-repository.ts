import { sep } from 'node:path';
import { isShown, MIN_SHOWN_SCORE, type FolderInfo, type StatusCounts, type TagRef } from '../api/contract.js';
import { TOP_LABELS, type Classification, type Score } from '../classifier/scoring.js';
import { quantize } from '../features/feature-vector.js';
import type { PhotoTags, TaggerResult } from '../taggers/photo-tagger.js';
import { taggerSignature, type TaggerRef } from '../taggers/tagger-plan.js';
import { caseInsensitiveNames, comparable, folderPrefix } from '../library/folder-rules.js';
import { CorrectionRepository, type EffectiveTag, type Tag } from './correction-repository.js';
import type { Db } from './database.js';
import { taggedWithSql } from './kept-counts.js';

export type PhotoStatus = 'pending' | 'processing' | 'done' | 'failed' | 'missing';

export interface Folder {
  id: number;
  path: string;
  /** The device (st_dev) the folder was on when last scanned healthy; null before the first scan. */
  device?: string | null;
}

/** What removing a folder takes out of the library: its photos, of which this many carry corrections. */
export interface FolderRemoval {
  photos: number;
  corrected: number;
}

/** The row a result belongs to: which photo, and which version of its file was read. */
export type ClaimedPhoto = Pick<PhotoRow, 'id' | 'path' | 'size' | 'mtimeMs'>;

/** A folder with its photos counted: the API's own shape, less its scans, which the Library knows of. */
export type FolderSummary = Omit<FolderInfo, 'lastScan' | 'scanning'>;

export interface ScannedFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** The stamp of the photo's XMP sidecar (see sidecarStamp); undefined or null: it has none. */
  sidecar?: string | null;
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
  /** The secondary taggers whose results the photo holds, as taggerSignature writes them. */
  taggers: string | null;
}

export interface PhotoMetadata {
  fingerprint: string;
  format: string;
  width: number;
  height: number;
  takenAt: string | null;
  camera: string | null;
  orientation: number | null;
  /** The tags the keywords in the photo's file and sidecar name, when they were read (they replace the last ones). */
  fileTags?: Tag[];
  /**
   * The stamp of the sidecar they were read from (see FileKeywords.sidecar), stored with them whatever a re-read
   * stored meanwhile; KEYWORDS_UNREAD when they could not be read. Undefined: the stamp stays.
   */
  sidecar?: string | null;
}

/**
 * A sidecar stamp no sidecar has (sidecarStamp is never empty), stored for a photo whose keywords could not be read:
 * the next scan finds its sidecar another and reads them again.
 */
export const KEYWORDS_UNREAD = '';

export interface ModelRef {
  id: string;
  version: string;
}

/** A photo's row as a listing of photos (search, show) reads it: where it is and how its tagging went. */
export type ListedRow = Pick<PhotoRow, 'id' | 'path' | 'status' | 'error' | 'modelId'>;

/** What a listing of photos says of each: its row and its tags. */
export interface ListedPhoto extends ListedRow {
  labels: EffectiveTag[];
  categories: EffectiveTag[];
  /** How many people's faces the face detector found. */
  faces: number;
}

export interface TaggedPhoto extends PhotoRow, ListedPhoto {}

export type { StatusCounts };

/** 'sidecar': the photo is the same, its sidecar not (see rereadKeywords). */
export type UpsertOutcome = 'new' | 'changed' | 'sidecar' | 'unchanged';

const claimOf = ({ id, path, size, mtimeMs }: ClaimedPhoto) => ({ id, path, size, mtimeMs });

/** What the secondary taggers found on a photo, and which taggers a library runs now. */
export interface SecondaryResults {
  results: TaggerResult[];
  taggers: TaggerRef[];
}

/**
 * Secondary taggers' labels (species) rank from here: the library model's own ranks (0 to 4) keep their meaning,
 * for the review margin and the best score.
 */
export const SECONDARY_RANK = 100;

const PHOTO_COLUMNS = `id, folder_id AS folderId, path, size, mtime_ms AS mtimeMs, fingerprint, format, width, height,
  taken_at AS takenAt, camera, orientation, status, error, model_id AS modelId, model_version AS modelVersion,
  taggers`;

/**
 * The row still holds the very file version that was claimed: not removed (its id perhaps reused by another
 * photo), not changed on disk since, not gone missing. Results are only ever saved under this condition.
 */
const SAME_VERSION = `id = @id AND path = @path AND size = @size AND mtime_ms = @mtimeMs AND status != 'missing'`;

/** The character that follows the separator: every path below a folder sorts before the folder's path and it. */
const AFTER_SEP = String.fromCharCode(sep.charCodeAt(0) + 1);

/** `prefix` itself and everything below it, as an index-friendly range (the separator sorts just before '0'). */
const under = (prefix: string, path = 'path') =>
  `(${path} = ${prefix} OR (${path} > ${prefix} || '${sep}' AND ${path} < ${prefix} || '${AFTER_SEP}'))`;
const UNDER = under('@prefix');

/**
 * A photo with its tags as they are shown: every user tag and file keyword, the model's best up to five less the
 * user's own (a confirmed label takes its place), none under MIN_SHOWN_SCORE. Keywords a file carries take no
 * place of the model's: a photo with four keywords still shows what the model saw.
 */
function tagged<P extends ListedRow>(
  photo: P,
  labels: EffectiveTag[],
  categories: EffectiveTag[],
  faces: number,
): P & ListedPhoto {
  const shown = labels.filter(isShown);
  const users = shown.filter((label) => label.source !== 'model');
  const own = users.filter((label) => label.source === 'user').length;
  return {
    ...photo,
    labels: [...users, ...shown.filter((label) => label.source === 'model').slice(0, Math.max(0, TOP_LABELS - own))],
    categories: categories.filter(isShown),
    faces,
  };
}

/** The items in arrays of SEARCH_BATCH, the last one shorter (none for no items). */
function* inBatches<T>(items: Iterable<T>): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length < SEARCH_BATCH) continue;
    yield batch;
    batch = [];
  }
  if (batch.length > 0) yield batch;
}

/** A row of the batch's photos as read, in the order of its columns. */
type ListedRowValues = [id: number, path: string, status: PhotoStatus, error: string | null, modelId: string | null];

const listedRow = ([id, path, status, error, modelId]: ListedRowValues): ListedRow => ({
  id,
  path,
  status,
  error,
  modelId,
});

/** A row of a batch's tags: whose, then the tag as EffectiveTag has it. */
type TagRow = [photoId: number, id: string, name: string, score: number, source: EffectiveTag['source']];

/** Each photo's tags of a batch, in the order the query gave them. */
function byPhoto(rows: TagRow[]): Map<number, EffectiveTag[]> {
  const grouped = new Map<number, EffectiveTag[]>();
  for (const [photoId, id, name, score, source] of rows) {
    const tag = { id, name, score, source };
    const list = grouped.get(photoId);
    if (list) list.push(tag);
    else grouped.set(photoId, [tag]);
  }
  return grouped;
}

/** A photo a search finds, and its best score of the tags searched. */
export interface Hit<P> {
  photo: P;
  score: number;
}

export type SearchHit = Hit<ListedPhoto>;

/** How many photos (search hits, photos shown) have their tags read together. */
export const SEARCH_BATCH = 256;

/**
 * How many search hits, in the order they are listed, are read together in the order of their ids: a hit's row and
 * tags are far from those of the hits beside it in score order, and read in id order their pages follow on and stay
 * in SQLite's cache (at a million photos the batches' statements took half the CPU). What a chunk holds is the
 * most a search keeps in memory; chunks of 16,384 read no faster, and V8 held more of them uncollected.
 */
export const SEARCH_CHUNK = 16 * SEARCH_BATCH;

/**
 * The photos carrying any of a search's tags (@labels and @categories: JSON arrays of ids) at @minScore, best first.
 * By tag id only, so each arm reads its (tag id, score) index, whatever the library's size. The model's tags are read
 * from their tables, less those a correction names (the effective views' rule), the index alone answering: through
 * the views SQLite read each hit's tag name from the table too, a random read per hit. The user's and the files'
 * tags come from the views (their arm of model rows is left out by its constant source).
 */
export const PHOTOS_CARRYING = `SELECT photo_id AS photoId, MAX(score) AS score FROM (
    SELECT p.photo_id, p.score FROM predictions p
    WHERE p.label_id IN (SELECT value FROM json_each(@labels)) AND p.score >= @minScore AND NOT EXISTS
      (SELECT 1 FROM corrections c WHERE c.photo_id = p.photo_id AND c.tag_kind = 'label' AND c.label_id = p.label_id)
    UNION ALL
    SELECT s.photo_id, s.score FROM category_scores s
    WHERE s.category_id IN (SELECT value FROM json_each(@categories)) AND s.score >= @minScore AND NOT EXISTS
      (SELECT 1 FROM corrections c WHERE c.photo_id = s.photo_id AND c.tag_kind = 'category' AND c.label_id = s.category_id)
    UNION ALL
    SELECT photo_id, score FROM effective_labels
    WHERE id IN (SELECT value FROM json_each(@labels)) AND score >= @minScore AND source != 'model'
    UNION ALL
    SELECT photo_id, score FROM effective_categories
    WHERE id IN (SELECT value FROM json_each(@categories)) AND score >= @minScore AND source != 'model'
  ) GROUP BY photo_id ORDER BY score DESC, photo_id`;

/**
 * A photo's version as a scan compares it, made alike from a file found (photoVersion) and from a row in SQL
 * (VERSION_SQL): its size and modification time in whole milliseconds, as upsertScanned compares them, then its
 * sidecar's stamp when it has one; a missing photo's row has none, so that finding it again brings it back.
 */
export const photoVersion = (file: ScannedFile): string =>
  `${file.size} ${Math.trunc(file.mtimeMs)}${file.sidecar ? ` ${file.sidecar}` : ''}`;
const VERSION_SQL = `CASE status WHEN 'missing' THEN '' ELSE size || ' ' || mtime_ms || COALESCE(' ' || sidecar_stamp, '') END`;

/** Photos marked missing by one statement. */
const MISSING_BATCH = 1000;

/**
 * Rows photosInFolder reads at once: few after stepping over a subfolder (another may follow at once), then twice
 * as many with each read that follows on, up to the most.
 */
const FOLDER_READ = { first: 16, most: 1024 };

/** All SQL about folders, photos and their predictions lives here; statements are prepared once. */
export class PhotoRepository {
  private readonly statements;
  readonly corrections: CorrectionRepository;

  constructor(private readonly db: Db) {
    this.corrections = new CorrectionRepository(db);
    const prepare = (sql: string) => db.prepare(sql);
    this.statements = {
      insertFolder: prepare('INSERT INTO folders (path, added_at) VALUES (?, ?) ON CONFLICT(path) DO NOTHING'),
      folderByPath: prepare('SELECT id, path, device FROM folders WHERE path = ?'),
      folders: prepare('SELECT id, path, device FROM folders ORDER BY path'),
      setFolderDevice: prepare('UPDATE folders SET device = ? WHERE id = ?'),
      folderRemoval: prepare(`SELECT COUNT(*) AS photos,
          (SELECT COUNT(DISTINCT c.photo_id) FROM corrections c JOIN photos p ON p.id = c.photo_id
           WHERE p.folder_id = @id AND c.source = 'user') AS corrected
        FROM photos WHERE folder_id = @id AND status != 'missing'`),
      deleteFolder: prepare('DELETE FROM folders WHERE id = ?'),
      moveFolderPhotos: prepare('UPDATE photos SET folder_id = ? WHERE folder_id = ?'),
      photoByPath: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos WHERE path = ?`),
      // What a scan compares, for a batch of paths (a JSON array) at once; CROSS JOIN: one index lookup per path.
      versionsOf: prepare(`SELECT p.id, p.path, p.size, p.mtime_ms AS mtimeMs, p.status, p.sidecar_stamp AS sidecar
        FROM json_each(?) j CROSS JOIN photos p ON p.path = j.value`),
      // photosInFolder's reads: a stretch of migration 14's index from @from (or from just past it) on, below @to, as
      // [path, version] arrays. Named, as the planner took the path's own index and looked up every row in the table.
      versionsFrom: prepare(`SELECT path, ${VERSION_SQL} FROM photos INDEXED BY photos_scan
        WHERE path >= @from AND path < @to ORDER BY path LIMIT @limit`).raw(),
      versionsAfter: prepare(`SELECT path, ${VERSION_SQL} FROM photos INDEXED BY photos_scan
        WHERE path > @from AND path < @to ORDER BY path LIMIT @limit`).raw(),
      markPathsMissing: prepare(`UPDATE photos SET status = 'missing', missing_since = @now
        WHERE path IN (SELECT value FROM json_each(@paths)) AND status != 'missing'`),
      photoById: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos WHERE id = ?`),
      insertPhoto: prepare(
        'INSERT INTO photos (folder_id, path, size, mtime_ms, sidecar_stamp) VALUES (?, ?, ?, ?, ?)',
      ),
      markChanged: prepare(`UPDATE photos SET size = ?, mtime_ms = ?, sidecar_stamp = ?, status = 'pending',
        error = NULL, missing_since = NULL WHERE id = ?`),
      // After the photo's keywords were read from that sidecar, while the row holds the photo's version they were read
      // of and the stamp it held when the read began (@stored): another read stored since may be of a newer sidecar.
      setSidecarStamp: prepare(`UPDATE photos SET sidecar_stamp = @sidecar
        WHERE id = @id AND size = @size AND mtime_ms = @mtimeMs AND sidecar_stamp IS @stored`),
      sidecarStampAt: prepare('SELECT sidecar_stamp FROM photos WHERE path = ?').pluck(),
      // The photo at @path ('<folder>/<name>') and those from '<name>.' to below '<name>/' ('.' sorts just below '/'):
      // every <name>.<extension>, and no IMG_1 copy.jpg, IMG_1-edit.jpg or IMG_1-raw/ for IMG_1, which sort between.
      photosFromName: prepare(`SELECT path FROM photos WHERE path = @path AND status != 'missing' UNION ALL
        SELECT path FROM photos WHERE path >= @path || '.' AND path < @path || '/' AND status != 'missing'`).pluck(),
      restore: prepare(`UPDATE photos SET status = CASE WHEN model_id IS NULL THEN 'pending' ELSE 'done' END,
        missing_since = NULL WHERE id = ? AND status = 'missing'`),
      // From the kept counts (migration 8): counting the rows was 27 ms of CPU for a folder of 200,000 photos.
      presentInFolder: prepare(
        "SELECT COALESCE(SUM(n), 0) AS n FROM photo_counts WHERE folder_id = ? AND status != 'missing'",
      ),
      failedInFolder: prepare(
        "SELECT COALESCE(SUM(n), 0) AS n FROM photo_counts WHERE folder_id = ? AND status = 'failed'",
      ),
      firstFailures: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos WHERE folder_id = ? AND status = 'failed'
        ORDER BY path LIMIT ?`),
      markMissingUnder: prepare(`UPDATE photos SET status = 'missing', missing_since = @now
        WHERE ${UNDER} AND status != 'missing'`),
      claimPending: prepare(`UPDATE photos SET status = 'processing' WHERE id IN
        (SELECT id FROM photos WHERE status = 'pending' ORDER BY id LIMIT ?) RETURNING ${PHOTO_COLUMNS}`),
      // By folder (photos_folder_status), where skipping the waiting ones row by row would read them all.
      claimPendingIn: prepare(`UPDATE photos SET status = 'processing' WHERE id IN
        (SELECT id FROM photos WHERE status = 'pending' AND folder_id IN (SELECT value FROM json_each(?))
        ORDER BY folder_id, id LIMIT ?) RETURNING ${PHOTO_COLUMNS}`),
      resetInFlight: prepare("UPDATE photos SET status = 'pending' WHERE status = 'processing'"),
      requeueStale: prepare(`UPDATE photos SET status = 'pending'
        WHERE status = 'done' AND (model_id IS NOT @model OR model_version IS NOT @version OR taggers IS NOT @taggers)`),
      // The kept counts (migration 8) know what tagged photos were tagged with: no pass when none is stale.
      anyStale: prepare(`SELECT EXISTS (SELECT 1 FROM done_counts
        WHERE n > 0 AND tagged_with != ${taggedWithSql('@model', '@version', '@taggers')}) AS stale`),
      relinkCandidate: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos
        WHERE fingerprint = ? AND status = 'missing' AND id != ? ORDER BY missing_since DESC LIMIT 1`),
      deleteClaimed: prepare('DELETE FROM photos WHERE id = @id AND path = @path'),
      sidecarStampOf: prepare('SELECT sidecar_stamp FROM photos WHERE id = ?').pluck(),
      storeSidecarStamp: prepare('UPDATE photos SET sidecar_stamp = ? WHERE id = ?'),
      movePhoto: prepare(`UPDATE photos SET folder_id = ?, path = ?, size = ?, mtime_ms = ?, sidecar_stamp = ?,
        status = CASE WHEN model_id IS NULL THEN 'pending' ELSE 'done' END, missing_since = NULL WHERE id = ?`),
      deletePredictions: prepare('DELETE FROM predictions WHERE photo_id = ?'),
      deleteCategories: prepare('DELETE FROM category_scores WHERE photo_id = ?'),
      insertPrediction: prepare(`INSERT INTO predictions (photo_id, model_id, model_version, rank, label_id, label_name,
        score) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      // Rows of the taggers that ran again, or of taggers no longer in use: the library's model's stay.
      deleteTaggerRows: {
        predictions: prepare(`DELETE FROM predictions WHERE photo_id = @id AND model_id != @model
          AND (model_id IN (SELECT value FROM json_each(@ran)) OR model_id NOT IN (SELECT value FROM json_each(@kept)))`),
        categories: prepare(`DELETE FROM category_scores WHERE photo_id = @id AND model_id != @model
          AND (model_id IN (SELECT value FROM json_each(@ran)) OR model_id NOT IN (SELECT value FROM json_each(@kept)))`),
        faces: prepare(`DELETE FROM faces WHERE photo_id = @id
          AND (model_id IN (SELECT value FROM json_each(@ran)) OR model_id NOT IN (SELECT value FROM json_each(@kept)))`),
      },
      deleteFaces: prepare('DELETE FROM faces WHERE photo_id = ?'),
      upsertFeatures: prepare(`INSERT INTO features (photo_id, model_id, model_version, scale, codes, image_hash,
        stored_at) VALUES (@photoId, @modelId, @modelVersion, @scale, @codes, @imageHash, @now)
        ON CONFLICT (photo_id) DO UPDATE SET model_id = excluded.model_id, model_version = excluded.model_version,
          scale = excluded.scale, codes = excluded.codes, image_hash = excluded.image_hash,
          stored_at = excluded.stored_at`),
      deleteFeatures: prepare('DELETE FROM features WHERE photo_id = ?'),
      rehash: prepare(`UPDATE features SET image_hash = @imageHash
        WHERE photo_id = @id AND model_id = @model AND model_version = @version`),
      faceCount: prepare('SELECT COUNT(*) AS n FROM faces WHERE photo_id = ?'),
      // A secondary tagger's category may be one the library's model has too ("people"): the higher score stays.
      upsertCategory: prepare(`INSERT INTO category_scores (photo_id, model_id, model_version, category_id,
        category_name, score) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (photo_id, category_id) DO UPDATE SET model_id = excluded.model_id,
          model_version = excluded.model_version, category_name = excluded.category_name, score = excluded.score
        WHERE excluded.score > category_scores.score`),
      insertFace: prepare(`INSERT INTO faces (photo_id, idx, x, y, w, h, landmarks, score, model_id, model_version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      modelCategories: prepare(`SELECT category_id AS id, category_name AS name, score FROM category_scores
        WHERE photo_id = ? AND model_id = ?`),
      insertCategory: prepare(`INSERT INTO category_scores (photo_id, model_id, model_version, category_id,
        category_name, score) VALUES (?, ?, ?, ?, ?, ?)`),
      saveDone: prepare(`UPDATE photos SET status = 'done', error = NULL, fingerprint = @fingerprint,
        format = @format, width = @width, height = @height, taken_at = @takenAt, camera = @camera,
        orientation = @orientation, model_id = @modelId, model_version = @modelVersion, taggers = @taggers,
        tagged_at = @now WHERE ${SAME_VERSION}`),
      saveFailed: prepare(`UPDATE photos SET status = 'failed', error = @reason,
        fingerprint = COALESCE(@fingerprint, fingerprint), model_id = NULL, model_version = NULL, tagged_at = @now
        WHERE ${SAME_VERSION}`),
      keepTagged: prepare(`UPDATE photos SET status = 'done' WHERE ${SAME_VERSION} AND status = 'processing'
        AND model_id IS NOT NULL`),
      requeueFailed: prepare("UPDATE photos SET status = 'pending' WHERE status = 'failed'"),
      purgeMissing: prepare("DELETE FROM photos WHERE folder_id = ? AND status = 'missing'"),
      trashThumbnail: prepare('INSERT OR IGNORE INTO thumbnail_trash VALUES (?)'),
      trashedThumbnails: prepare(`SELECT t.fingerprint FROM thumbnail_trash t
        WHERE NOT EXISTS (SELECT 1 FROM photos p WHERE p.fingerprint = t.fingerprint)`),
      clearTrash: prepare('DELETE FROM thumbnail_trash'),
      hasFingerprint: prepare('SELECT EXISTS (SELECT 1 FROM photos WHERE fingerprint = ?) AS known'),
      counts: prepare('SELECT status, SUM(n) AS n FROM photo_counts GROUP BY status'),
      photosUnder: prepare(`SELECT ${PHOTO_COLUMNS} FROM photos WHERE ${UNDER} AND status != 'missing' ORDER BY path`),
      anyPhotoUnder: prepare(`SELECT 1 FROM photos WHERE ${UNDER} AND status != 'missing' LIMIT 1`),
      photosCarrying: prepare(PHOTOS_CARRYING).raw(),
      // A batch of search hits read at once: three queries for the batch instead of four for each photo.
      batch: {
        // Only what a listing shows, as arrays (listedRow): a row made as an object of every column cost more than
        // reading it.
        photos: prepare(`SELECT id, path, status, error, model_id FROM photos
          WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).raw(),
        // The tags come in the order labelsOf and categoriesOf give one photo's, as arrays (TagRow), and none that
        // isShown drops: making the rows is most of what reading them costs.
        labels: prepare(`SELECT photo_id, id, name, score, source FROM effective_labels
          WHERE photo_id IN (SELECT value FROM json_each(@ids)) AND (source != 'model' OR score >= @shown)
          ORDER BY photo_id, source != 'model' DESC, score DESC, rank, name`).raw(),
        categories: prepare(`SELECT photo_id, id, name, score, source FROM effective_categories
          WHERE photo_id IN (SELECT value FROM json_each(@ids)) AND (source != 'model' OR score >= @shown)
          ORDER BY photo_id, source != 'model' DESC, score DESC, name`).raw(),
        faces: prepare(`SELECT photo_id AS photoId, COUNT(*) AS n FROM faces
          WHERE photo_id IN (SELECT value FROM json_each(?)) GROUP BY photo_id`),
      },
      // Each distinct tag id is one step down its index (a skip scan), not a pass over every prediction.
      storedTags: prepare(`WITH RECURSIVE
          labels(id) AS (SELECT MIN(label_id) FROM predictions UNION ALL
            SELECT (SELECT MIN(label_id) FROM predictions WHERE label_id > labels.id) FROM labels WHERE id IS NOT NULL),
          categories(id) AS (SELECT MIN(category_id) FROM category_scores UNION ALL
            SELECT (SELECT MIN(category_id) FROM category_scores WHERE category_id > categories.id) FROM categories
            WHERE id IS NOT NULL)
        SELECT 'label' AS kind, id, (SELECT label_name FROM predictions WHERE label_id = labels.id LIMIT 1) AS name
        FROM labels WHERE id IS NOT NULL
        UNION ALL
        SELECT 'category', id, (SELECT category_name FROM category_scores WHERE category_id = categories.id LIMIT 1)
        FROM categories WHERE id IS NOT NULL`),
      getSetting: prepare('SELECT value FROM settings WHERE key = ?'),
      setSetting: prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  /**
   * Adds a folder; the folders of `absorbed` (below it) become part of it, in one transaction: their photos move
   * into it as they are, with their tags and corrections, and the folders leave.
   */
  addFolder(path: string, absorbed: readonly Folder[] = []): Folder {
    return this.db.transaction(() => {
      this.statements.insertFolder.run(path, Date.now());
      const folder = this.statements.folderByPath.get(path) as Folder;
      for (const inner of absorbed) {
        this.statements.moveFolderPhotos.run(folder.id, inner.id);
        this.statements.deleteFolder.run(inner.id);
      }
      return folder;
    })();
  }

  folders(): Folder[] {
    return this.statements.folders.all() as Folder[];
  }

  /** What removing the folder would take out (its corrections are kept, detached, for a re-add). */
  folderRemoval(id: number): FolderRemoval {
    return this.statements.folderRemoval.get({ id }) as FolderRemoval;
  }

  /** Removes the folder and its photos; their corrections are kept, detached, and come back if it is re-added. */
  removeFolder(id: number): void {
    this.statements.deleteFolder.run(id);
  }

  /** Records the device a folder was on when it was scanned healthy. */
  setFolderDevice(id: number, device: string): void {
    this.statements.setFolderDevice.run(device, id);
  }

  /** How many photos of the folder the library holds (not counting missing ones). */
  presentInFolder(id: number): number {
    return (this.statements.presentInFolder.get(id) as { n: number }).n;
  }

  photoByPath(path: string): PhotoRow | undefined {
    return this.statements.photoByPath.get(path) as PhotoRow | undefined;
  }

  photoById(id: number): PhotoRow | undefined {
    return this.statements.photoById.get(id) as PhotoRow | undefined;
  }

  /**
   * The library's photos directly in `folder` in path order, each as its path and version (see photoVersion), missing
   * ones too; `onSubfolder` hears of each subfolder that holds others. Read along migration 14's index a stretch at a
   * time, so the caller may write between two photos; a subfolder's stretch is stepped over in one seek, so that a
   * folder costs its own photos, not its whole subtree's.
   */
  *photosInFolder(folder: string, onSubfolder: (path: string) => void): Generator<[path: string, version: string]> {
    const prefix = folderPrefix(folder);
    const to = prefix.slice(0, -1) + AFTER_SEP;
    let read = this.statements.versionsFrom;
    let from = prefix;
    let limit = FOLDER_READ.first;
    for (;;) {
      const rows = read.all({ from, to, limit }) as [string, string][];
      let subfolder: string | undefined;
      for (const row of rows) {
        if (subfolder !== undefined && row[0].startsWith(subfolder + sep)) continue;
        const end = row[0].indexOf(sep, prefix.length);
        subfolder = end === -1 ? undefined : row[0].slice(0, end);
        if (subfolder === undefined) yield row;
        else onSubfolder(subfolder);
      }
      if (rows.length < limit) return;
      if (subfolder === undefined) {
        read = this.statements.versionsAfter;
        from = rows.at(-1)![0];
        limit = Math.min(limit * 2, FOLDER_READ.most);
      } else {
        read = this.statements.versionsFrom;
        from = subfolder + AFTER_SEP;
        limit = FOLDER_READ.first;
      }
    }
  }

  /** Records what a scan or the watcher found, in one transaction; a photo whose size or mtime moved is re-tagged. */
  upsertScanned(folderId: number, files: ScannedFile[]): UpsertOutcome[] {
    return this.db.transaction(() => {
      // The batch is looked up at once; only what is new, changed or back is written one by one.
      const paths = JSON.stringify(files.map((file) => file.path));
      const versions = this.statements.versionsOf.all(paths) as (ClaimedPhoto &
        Pick<ScannedFile, 'sidecar'> & { status: PhotoRow['status'] })[];
      const known = new Map(versions.map((version) => [version.path, version]));
      return files.map((file): UpsertOutcome => {
        const mtimeMs = Math.trunc(file.mtimeMs);
        const sidecar = file.sidecar ?? null;
        const existing = known.get(file.path);
        if (!existing) {
          const { lastInsertRowid } = this.statements.insertPhoto.run(folderId, file.path, file.size, mtimeMs, sidecar);
          // The same path twice in one batch is the same photo.
          known.set(file.path, { ...file, id: Number(lastInsertRowid), mtimeMs, sidecar, status: 'pending' });
          return 'new';
        }
        if (existing.size !== file.size || existing.mtimeMs !== mtimeMs) {
          this.statements.markChanged.run(file.size, mtimeMs, sidecar, existing.id);
          return 'changed';
        }
        if (existing.status === 'missing') this.statements.restore.run(existing.id);
        // Its stamp is recorded once its keywords are read again (setFileKeywords): a crash before leaves it to read.
        return existing.sidecar === sidecar ? 'unchanged' : 'sidecar';
      });
    })();
  }

  /** The stamp recorded of the photo's sidecar (null: none), undefined when the library does not hold the photo. */
  sidecarStampAt(path: string): string | null | undefined {
    return this.statements.sidecarStampAt.get(path) as string | null | undefined;
  }

  /**
   * Photos' keywords as they were read again, their files unchanged (see upsertScanned's 'sidecar'), in one
   * transaction: each one's file tags become its `tags`, and `sidecar`, the stamp of the sidecar they were read from,
   * is recorded. A photo that left the library or changed since is passed over (its tagging reads them then). So is
   * one whose stamp is no longer `stored`, the one sidecarStampAt gave before the read: another read landed first,
   * maybe of a newer sidecar. Returns those of them whose stamp is now another sidecar's than the one read, to read
   * again: the read that landed first may have been the older one.
   */
  setFileKeywords(
    photos: readonly { file: ScannedFile; tags: Tag[]; sidecar: string | null; stored: string | null }[],
  ): ScannedFile[] {
    return this.db.transaction(() => {
      const again: ScannedFile[] = [];
      for (const { file, tags, sidecar, stored } of photos) {
        const photo = this.photoByPath(file.path);
        if (!photo) continue;
        const mtimeMs = Math.trunc(file.mtimeMs);
        const version = { id: photo.id, size: file.size, mtimeMs, sidecar, stored };
        if (this.statements.setSidecarStamp.run(version).changes > 0) this.corrections.setFileTags(photo.id, tags);
        else if (photo.size === file.size && photo.mtimeMs === mtimeMs && this.sidecarStampAt(file.path) !== sidecar)
          again.push(file);
      }
      return again;
    })();
  }

  /**
   * The paths of the library's photos (not missing) in `folder` named one of `names` or `<name>.<extension>`: those
   * a `<name>.xmp` may belong to (see sidecarPaths), and those sharing a stem. Names compare as the file system does
   * (see comparable). Each name is looked up as it is first, by the path's index: Phototag's own sidecars and most
   * apps' keep the photo's case. Where names ignore case, those it finds nothing for are looked for in one pass over
   * the folder's photos (no index folds case): img_1.jpg finds IMG_1.JPG so. A name found as it is is not looked for
   * in other cases: IMG_1 finds IMG_1.jpg and not img_1.png beside it, whose stem the two share, so that IMG_1.xmp is
   * neither's (a photo `<name>.<extension>` in another case beside `<name>`, img_1.jpg.png beside IMG_1.JPG, waits
   * for the next scan).
   */
  photosNamed(folder: string, names: readonly string[], caseInsensitive = caseInsensitiveNames): string[] {
    const prefix = folderPrefix(folder);
    const namedOneOf = (wanted: ReadonlySet<string>) => (path: string) => {
      const name = comparable(path.slice(prefix.length), caseInsensitive);
      const dot = name.lastIndexOf('.');
      return wanted.has(name) || (dot > 0 && wanted.has(name.slice(0, dot)));
    };
    const found = new Set<string>();
    const unfound = new Set<string>();
    for (const name of new Set(names)) {
      const key = comparable(name, caseInsensitive);
      const paths = (this.statements.photosFromName.all({ path: prefix + name }) as string[]).filter(
        namedOneOf(new Set([key])),
      );
      for (const path of paths) found.add(path);
      if (paths.length === 0 && caseInsensitive) unfound.add(key);
    }
    if (unfound.size > 0) {
      const wanted = namedOneOf(unfound);
      for (const [path, version] of this.photosInFolder(folder, () => undefined))
        if (version !== '' && wanted(path)) found.add(path);
    }
    return [...found];
  }

  /**
   * After a full scan of a folder: what it did not find becomes missing (kept, in case it moved or its disk comes
   * back): the photos at these paths, and every photo below these subfolders. Returns how many.
   */
  markMissing(paths: readonly string[], subfolders: readonly string[]): number {
    return this.db.transaction(() => {
      let marked = 0;
      const now = Date.now();
      for (let i = 0; i < paths.length; i += MISSING_BATCH) {
        const batch = JSON.stringify(paths.slice(i, i + MISSING_BATCH));
        marked += this.statements.markPathsMissing.run({ paths: batch, now }).changes;
      }
      for (const subfolder of subfolders) marked += this.markMissingUnder(subfolder);
      return marked;
    })();
  }

  /** The folder's failed photos: how many (from the kept counts), and the first `limit` by path. */
  failures(folderId: number, limit: number): { count: number; first: PhotoRow[] } {
    return {
      count: (this.statements.failedInFolder.get(folderId) as { n: number }).n,
      first: this.statements.firstFailures.all(folderId, limit) as PhotoRow[],
    };
  }

  /** A file or a whole folder went away. */
  markMissingUnder(path: string): number {
    return this.statements.markMissingUnder.run({ prefix: path, now: Date.now() }).changes;
  }

  /**
   * Takes up to `limit` pending photos for tagging, none of the folders `waiting` (by id); if the process dies,
   * resetInFlight puts them back.
   */
  claimPending(limit: number, waiting: readonly number[] = []): PhotoRow[] {
    if (waiting.length === 0) return this.statements.claimPending.all(limit) as PhotoRow[];
    const others = this.folders()
      .map((folder) => folder.id)
      .filter((id) => !waiting.includes(id));
    return this.statements.claimPendingIn.all(JSON.stringify(others), limit) as PhotoRow[];
  }

  resetInFlight(): number {
    return this.statements.resetInFlight.run().changes;
  }

  /** Every failed photo goes back to the queue, to be read again. */
  requeueFailed(): number {
    return this.statements.requeueFailed.run().changes;
  }

  /**
   * Photos tagged by another model (or version) go back to the queue, and so do those lacking some secondary
   * tagger's results (`taggers`, a taggerSignature): a library never mixes two models, and adding a tagger fills in.
   * Every run asks; only a run that finds some (a model switch, a photo back from missing) passes over the photos.
   */
  requeueStale(model: ModelRef, taggers: string): number {
    const params = { model: model.id, version: model.version, taggers };
    if ((this.statements.anyStale.get(params) as { stale: number }).stale === 0) return 0;
    return this.statements.requeueStale.run(params).changes;
  }

  /** The categories the library's model gave a photo (what decides whether a specialist runs on it). */
  modelCategories(photoId: number, model: ModelRef): Score[] {
    return this.statements.modelCategories.all(photoId, model.id) as Score[];
  }

  /**
   * If `photo` is a missing photo that moved (same content fingerprint), the old row takes the new path, and the
   * sidecar stamp the scan found there, and keeps its predictions and corrections; the new row goes. Returns the
   * photo that now holds the path, and whether that stamp differs from the old path's (its file tags, read beside
   * the old path, are to be read again), or undefined.
   */
  relinkMoved(photo: PhotoRow, fingerprint: string): { photo: PhotoRow; sidecarChanged: boolean } | undefined {
    const moved = this.statements.relinkCandidate.get(fingerprint, photo.id) as PhotoRow | undefined;
    if (!moved) return undefined;
    const s = this.statements;
    return this.db.transaction(() => {
      const stamp = s.sidecarStampOf.get(photo.id) as string | null;
      // The claimed row may have left meanwhile (its folder removed): then nothing moves.
      if (s.deleteClaimed.run({ id: photo.id, path: photo.path }).changes === 0) return undefined;
      const sidecarChanged = s.sidecarStampOf.get(moved.id) !== stamp;
      s.movePhoto.run(photo.folderId, photo.path, photo.size, photo.mtimeMs, stamp, moved.id);
      return { photo: this.photoById(moved.id)!, sidecarChanged };
    })();
  }

  /**
   * Stores a batch of results and marks those photos done, in one transaction: each photo keeps nothing of its
   * previous tagging. Returns the photos saved: a photo removed or changed since it was claimed keeps nothing of
   * this result (a changed one stays queued for its new version).
   */
  saveTaggedBatch(
    entries: { photo: ClaimedPhoto; metadata: PhotoMetadata; tags: PhotoTags }[],
    model: ModelRef,
    taggers: TaggerRef[],
  ): ClaimedPhoto[] {
    return this.db.transaction(() =>
      entries
        .filter(({ photo, metadata, tags }) =>
          tags.classification
            ? this.saveTagged(
                photo,
                metadata,
                model,
                tags.classification,
                { results: tags.results, taggers },
                tags.imageHash,
              )
            : this.saveFilledIn(photo, metadata, model, { results: tags.results, taggers }, tags.imageHash),
        )
        .map((entry) => entry.photo),
    )();
  }

  /**
   * Stores one photo's results, the library model's (with its feature vector and `imageHash`, when the model has
   * features) and the secondary taggers', and marks it done, in one transaction with nothing of its previous
   * tagging left; false when the photo is no longer that file.
   */
  saveTagged(
    photo: ClaimedPhoto,
    metadata: PhotoMetadata,
    model: ModelRef,
    result: Classification,
    secondary: SecondaryResults = { results: [], taggers: [] },
    imageHash?: string,
  ): boolean {
    const s = this.statements;
    return this.db.transaction(() => {
      if (!this.markDone(photo, metadata, model, secondary.taggers)) return false;
      s.deletePredictions.run(photo.id);
      s.deleteCategories.run(photo.id);
      s.deleteFaces.run(photo.id);
      result.labels.forEach((label, rank) =>
        s.insertPrediction.run(photo.id, model.id, model.version, rank, label.id, label.name, label.score),
      );
      for (const category of result.categories) {
        s.insertCategory.run(photo.id, model.id, model.version, category.id, category.name, category.score);
      }
      this.storeSecondary(photo.id, secondary.results);
      this.storeFeatures(photo.id, model, result.features, imageHash);
      return true;
    })();
  }

  /** A model without a features output leaves the photo without features, never with another model's. */
  private storeFeatures(photoId: number, model: ModelRef, vector?: Float32Array, imageHash?: string): void {
    if (!vector || !imageHash) {
      this.statements.deleteFeatures.run(photoId);
      return;
    }
    const { scale, codes } = quantize(vector);
    this.statements.upsertFeatures.run({
      photoId,
      modelId: model.id,
      modelVersion: model.version,
      scale,
      codes: Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength),
      imageHash,
      now: Date.now(),
    });
  }

  /**
   * Stores what the secondary taggers that ran found, beside the library model's results the photo keeps (its
   * features, with `imageHash` made again when given), and drops what taggers no longer in use left; false when the
   * photo is no longer that file.
   */
  saveFilledIn(
    photo: ClaimedPhoto,
    metadata: PhotoMetadata,
    model: ModelRef,
    secondary: SecondaryResults,
    imageHash?: string,
  ): boolean {
    return this.db.transaction(() => {
      if (!this.markDone(photo, metadata, model, secondary.taggers)) return false;
      if (imageHash) this.statements.rehash.run({ id: photo.id, model: model.id, version: model.version, imageHash });
      const scope = {
        id: photo.id,
        model: model.id,
        ran: JSON.stringify(secondary.results.map((result) => result.tagger.id)),
        kept: JSON.stringify([model.id, ...secondary.taggers.map((tagger) => tagger.id)]),
      };
      for (const statement of Object.values(this.statements.deleteTaggerRows)) statement.run(scope);
      this.storeSecondary(photo.id, secondary.results);
      return true;
    })();
  }

  private markDone(photo: ClaimedPhoto, metadata: PhotoMetadata, model: ModelRef, taggers: TaggerRef[]): boolean {
    const { fileTags, sidecar, ...columns } = metadata;
    const saved = this.statements.saveDone.run({
      ...columns,
      ...claimOf(photo),
      modelId: model.id,
      modelVersion: model.version,
      taggers: taggerSignature(taggers),
      now: Date.now(),
    });
    if (saved.changes === 0) return false;
    if (fileTags) this.corrections.setFileTags(photo.id, fileTags);
    if (sidecar !== undefined) this.statements.storeSidecarStamp.run(sidecar, photo.id);
    return true;
  }

  /** Species rank from SECONDARY_RANK on, below the library model's labels; categories and faces beside them. */
  private storeSecondary(photoId: number, results: TaggerResult[]): void {
    const s = this.statements;
    for (const { tagger, labels, categories, faces = [] } of results) {
      labels.forEach((label, i) =>
        s.insertPrediction.run(
          photoId,
          tagger.id,
          tagger.version,
          SECONDARY_RANK + i,
          label.id,
          label.name,
          label.score,
        ),
      );
      for (const category of categories) {
        s.upsertCategory.run(photoId, tagger.id, tagger.version, category.id, category.name, category.score);
      }
      faces.forEach(({ box, landmarks, score }, i) =>
        s.insertFace.run(
          photoId,
          i,
          box.x,
          box.y,
          box.w,
          box.h,
          JSON.stringify(landmarks.map((point) => [point.x, point.y])),
          score,
          tagger.id,
          tagger.version,
        ),
      );
    }
  }

  /** Records why the photo could not be tagged; false when the photo is no longer that file. */
  saveFailed(photo: ClaimedPhoto, reason: string, fingerprint?: string): boolean {
    return this.db.transaction(() => {
      const saved = this.statements.saveFailed.run({
        ...claimOf(photo),
        reason,
        fingerprint: fingerprint ?? null,
        now: Date.now(),
      });
      if (saved.changes === 0) return false;
      this.statements.deletePredictions.run(photo.id);
      this.statements.deleteCategories.run(photo.id);
      this.statements.deleteFeatures.run(photo.id);
      return true;
    })();
  }

  /**
   * A claimed photo goes back to done with the results it has (of whichever model), untouched: false when it changed
   * or left meanwhile. A run that finds them stale queues it again.
   */
  keepTagged(photo: ClaimedPhoto): boolean {
    return this.statements.keepTagged.run(claimOf(photo)).changes > 0;
  }

  /** The folder's missing photos leave the library (their corrections are kept, detached). */
  purgeMissing(folderId: number): number {
    return this.statements.purgeMissing.run(folderId).changes;
  }

  /** A thumbnail that may have lost its photo (one written for a result that was not saved). */
  trashThumbnail(fingerprint: string): void {
    this.statements.trashThumbnail.run(fingerprint);
  }

  /** Empties the thumbnail trash: returns the fingerprints whose thumbnails no photo shows any more. */
  takeTrashedThumbnails(): string[] {
    return this.db.transaction(() => {
      const rows = this.statements.trashedThumbnails.all() as { fingerprint: string }[];
      this.statements.clearTrash.run();
      return rows.map((row) => row.fingerprint);
    })();
  }

  /** Whether any photo of the library has this content fingerprint (so its thumbnail is in use). */
  hasFingerprint(fingerprint: string): boolean {
    return (this.statements.hasFingerprint.get(fingerprint) as { known: number }).known === 1;
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
    return tagged(
      photo,
      this.corrections.labelsOf(photo.id),
      this.corrections.categoriesOf(photo.id),
      (this.statements.faceCount.get(photo.id) as { n: number }).n,
    );
  }

  /** The photo at `path`, or every photo below it when it is a folder. */
  photosUnder(path: string): PhotoRow[] {
    return this.statements.photosUnder.all({ prefix: path }) as PhotoRow[];
  }

  /**
   * photosUnder read a row at a time, in path order, for output of any size in constant memory. Reads only on this
   * connection until it is done: it may not write while the iterator is open.
   */
  eachPhotoUnder(path: string): IterableIterator<PhotoRow> {
    return this.statements.photosUnder.iterate({ prefix: path }) as IterableIterator<PhotoRow>;
  }

  /** Whether the library holds the photo at `path`, or any photo below it. */
  hasPhotosUnder(path: string): boolean {
    return this.statements.anyPhotoUnder.get({ prefix: path }) !== undefined;
  }

  /**
   * Photos carrying any of these tags with at least `minScore` (a photo's best of them), best first, with their
   * tags as withTags gives them, each as `keep` makes it. A chunk of hits (SEARCH_CHUNK) is read at a time, in the
   * order of their ids, and what `keep` made of each is held until the chunk is listed: a caller that keeps each
   * hit as the text it writes holds no objects meanwhile. A million hits are never held at once.
   */
  *photosCarrying<T = SearchHit>(
    tags: readonly TagRef[],
    minScore: number,
    keep: (hit: SearchHit) => T = (hit) => hit as T,
  ): Generator<T> {
    yield* this.hitsCarrying(tags, minScore, (rows) => this.withTagsOf(rows), keep);
  }

  /** photosCarrying without the tags: each hit's row and score alone, as a list of paths needs. */
  rowsCarrying<T>(tags: readonly TagRef[], minScore: number, keep: (hit: Hit<ListedRow>) => T): Generator<T> {
    return this.hitsCarrying(tags, minScore, (rows) => rows, keep);
  }

  /** photosCarrying with each batch of hits' rows (in id order) made into photos by `read`. */
  private *hitsCarrying<P, T>(
    tags: readonly TagRef[],
    minScore: number,
    read: (rows: ListedRow[]) => P[],
    keep: (hit: Hit<P>) => T,
  ): Generator<T> {
    const ids = (kind: TagRef['kind']) => JSON.stringify(tags.filter((tag) => tag.kind === kind).map((tag) => tag.id));
    const hits = this.statements.photosCarrying.iterate({
      labels: ids('label'),
      categories: ids('category'),
      minScore,
    }) as IterableIterator<[photoId: number, score: number]>;
    // Each hit's id and place in its chunk as one number (id * SEARCH_CHUNK + place), exact in a double for any
    // id below 2^41, so that a numeric sort of a typed array puts the places in id order.
    const keys = new Float64Array(SEARCH_CHUNK);
    const scores = new Float64Array(SEARCH_CHUNK);
    let size = 0;
    for (const [id, score] of hits) {
      keys[size] = id * SEARCH_CHUNK + size;
      scores[size++] = score;
      if (size < SEARCH_CHUNK) continue;
      yield* this.chunkOfHits(keys, scores, read, keep);
      size = 0;
    }
    yield* this.chunkOfHits(keys.subarray(0, size), scores, read, keep);
  }

  /**
   * What `keep` makes of each hit of a chunk (see hitsCarrying), in the chunk's order; sorts `keys`. A hit whose
   * photo row is gone is left out.
   */
  private chunkOfHits<P, T>(
    keys: Float64Array,
    scores: Float64Array,
    read: (rows: ListedRow[]) => P[],
    keep: (hit: Hit<P>) => T,
  ): T[] {
    const kept = new Array<T>(keys.length);
    let found = 0;
    keys.sort();
    for (let i = 0; i < keys.length; i += SEARCH_BATCH) {
      const places = Array.from(keys.subarray(i, i + SEARCH_BATCH), (key) => key % SEARCH_CHUNK);
      const ids = places.map((place, j) => (keys[i + j]! - place) / SEARCH_CHUNK);
      const rows = (this.statements.batch.photos.all(JSON.stringify(ids)) as ListedRowValues[]).map(listedRow);
      // Both in id order; paired by id, so that a row that is not there leaves its hit out rather than handing
      // every later hit of the batch the next one's row.
      let j = 0;
      read(rows).forEach((photo, k) => {
        while (ids[j] !== rows[k]!.id) j++;
        kept[places[j]!] = keep({ photo, score: scores[places[j]!]! });
      });
      found += rows.length;
    }
    // filter skips the holes that hits left out leave.
    return found === keys.length ? kept : kept.filter(() => true);
  }

  /**
   * eachPhotoUnder with each photo's tags as withTags gives them, read a batch of photos at a time: output of any
   * size in constant memory, at a few queries a batch instead of a few a photo.
   */
  *eachTaggedPhotoUnder(path: string): Generator<TaggedPhoto> {
    for (const batch of inBatches(this.eachPhotoUnder(path))) yield* this.withTagsOf(batch);
  }

  /** withTags of many photos: three queries for them all instead of three for each. */
  private withTagsOf<P extends ListedRow>(photos: P[]): (P & ListedPhoto)[] {
    const ids = JSON.stringify(photos.map((photo) => photo.id));
    const { batch } = this.statements;
    const params = { ids, shown: MIN_SHOWN_SCORE };
    const labels = byPhoto(batch.labels.all(params) as TagRow[]);
    const categories = byPhoto(batch.categories.all(params) as TagRow[]);
    const faces = new Map(
      (batch.faces.all(ids) as { photoId: number; n: number }[]).map((row) => [row.photoId, row.n]),
    );
    return photos.map((photo) =>
      tagged(photo, labels.get(photo.id) ?? [], categories.get(photo.id) ?? [], faces.get(photo.id) ?? 0),
    );
  }

  /** Every label and category some photo's predictions hold (the model's classes, species, People, scenes). */
  storedTags(): Tag[] {
    return this.statements.storedTags.all() as Tag[];
  }

  getSetting(key: string): string | undefined {
    return (this.statements.getSetting.get(key) as { value: string } | undefined)?.value;
  }

  setSetting(key: string, value: string): void {
    this.statements.setSetting.run(key, value);
  }
}
