import { scoreBucketSql, SORT_AT_MONTH, taggedWithSql } from './kept-counts.js';

/** Migration 7's photos.sort_at of a row (`prefix` "NEW." in a trigger); written once here, never changed. */
const sortAtOf = (prefix: string) => `COALESCE(CAST(strftime('%Y%m%d%H%M%S', ${prefix}taken_at) AS INTEGER),
    CAST(strftime('%Y%m%d%H%M%S', ${prefix}mtime_ms / 1000, 'unixepoch', 'localtime') AS INTEGER), 0)`;

/**
 * Migration 17's index holds the rows of this condition: the own labels' adds (ids starting 'user:', as isOwnLabel
 * says). A query uses that index only when its WHERE holds these very terms (SQLite's rule for partial indexes), so
 * it is written once, here. The prefix is no range of label_id: a lookup's seek on label_id would then be one of two
 * lower bounds, and SQLite seeked from the prefix's, a pass over the own labels at each step.
 */
export const OWN_LABEL_ADDS = "tag_kind = 'label' AND kind = 'add' AND substr(label_id, 1, 5) = 'user:'";

/**
 * Numbered schema migrations, applied in order inside one transaction; `user_version` records the last one.
 * Append new migrations; never edit one that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: library folders, photos with their metadata and tagging state, machine predictions, category scores,
  // user corrections, settings.
  `
  CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    added_at INTEGER NOT NULL
  );

  CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    -- sha256 over the size and the first and last 256 KiB: finds a moved or renamed photo again.
    fingerprint TEXT,
    format TEXT,
    width INTEGER,
    height INTEGER,
    taken_at TEXT,
    camera TEXT,
    orientation INTEGER,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'failed', 'missing')),
    error TEXT,
    -- The model whose predictions the photo holds now; predictions of no other model are kept.
    model_id TEXT,
    model_version TEXT,
    tagged_at INTEGER,
    missing_since INTEGER
  );
  CREATE INDEX photos_folder ON photos(folder_id);
  CREATE INDEX photos_status ON photos(status);
  CREATE INDEX photos_fingerprint ON photos(fingerprint);

  CREATE TABLE predictions (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    rank INTEGER NOT NULL,
    label_id TEXT NOT NULL,
    label_name TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (photo_id, rank)
  ) WITHOUT ROWID;
  CREATE INDEX predictions_label ON predictions(label_id, score);

  CREATE TABLE category_scores (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    category_id TEXT NOT NULL,
    category_name TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (photo_id, category_id)
  ) WITHOUT ROWID;
  CREATE INDEX category_scores_category ON category_scores(category_id, score);

  CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('confirm', 'reject', 'add')),
    label_id TEXT NOT NULL,
    label_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- The machine prediction this correction overrides, when there was one.
    model_id TEXT,
    model_version TEXT,
    model_score REAL
  );
  CREATE INDEX corrections_photo ON corrections(photo_id);

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: browsing a large library. photos.best_score is the photo's highest category or top-label score, kept by
  // triggers so the "untagged at this threshold" filter reads one column instead of two tables. Narrow covering
  // indexes walk photos in library order (id) with what every filter checks, overall and per folder, and count
  // each folder's photos by status.
  `
  ALTER TABLE photos ADD COLUMN best_score REAL;
  UPDATE photos SET best_score = (SELECT MAX(score) FROM (
    SELECT score FROM predictions WHERE photo_id = photos.id AND rank = 0
    UNION ALL SELECT score FROM category_scores WHERE photo_id = photos.id));

  CREATE TRIGGER predictions_best_insert AFTER INSERT ON predictions WHEN NEW.rank = 0 BEGIN
    UPDATE photos SET best_score = MAX(COALESCE(best_score, 0), NEW.score) WHERE id = NEW.photo_id;
  END;
  CREATE TRIGGER category_scores_best_insert AFTER INSERT ON category_scores BEGIN
    UPDATE photos SET best_score = MAX(COALESCE(best_score, 0), NEW.score) WHERE id = NEW.photo_id;
  END;
  CREATE TRIGGER predictions_best_delete AFTER DELETE ON predictions WHEN OLD.rank = 0 BEGIN
    UPDATE photos SET best_score = (SELECT MAX(score) FROM (
      SELECT score FROM predictions WHERE photo_id = OLD.photo_id AND rank = 0
      UNION ALL SELECT score FROM category_scores WHERE photo_id = OLD.photo_id)) WHERE id = OLD.photo_id;
  END;
  CREATE TRIGGER category_scores_best_delete AFTER DELETE ON category_scores BEGIN
    UPDATE photos SET best_score = (SELECT MAX(score) FROM (
      SELECT score FROM predictions WHERE photo_id = OLD.photo_id AND rank = 0
      UNION ALL SELECT score FROM category_scores WHERE photo_id = OLD.photo_id)) WHERE id = OLD.photo_id;
  END;

  CREATE INDEX photos_browse ON photos(id, status, best_score);
  CREATE INDEX photos_folder_browse ON photos(folder_id, id, status, best_score);
  CREATE INDEX photos_folder_status ON photos(folder_id, status);
  `,
  // 3: corrections as truth. A correction names a label or a category (tag_kind); `batch` groups the corrections
  // of one user action so undo takes back the whole action. The latest correction of a tag on a photo decides:
  // confirm and add make it the user's (score 1), reject removes it. The effective_* views are what every reader
  // of tags uses, so filters, counts, search and export all see corrections; predictions stay the model's own.
  `
  ALTER TABLE corrections ADD COLUMN tag_kind TEXT NOT NULL DEFAULT 'label' CHECK (tag_kind IN ('label', 'category'));
  ALTER TABLE corrections ADD COLUMN batch INTEGER NOT NULL DEFAULT 0;
  DROP INDEX corrections_photo;
  CREATE INDEX corrections_tag ON corrections(photo_id, tag_kind, label_id, id);
  CREATE INDEX corrections_batch ON corrections(batch);

  CREATE VIEW current_corrections AS
    SELECT c.id, c.photo_id, c.tag_kind, c.label_id, c.label_name, c.kind, c.created_at, c.model_id, c.model_score
    FROM corrections c
    WHERE c.id = (SELECT MAX(l.id) FROM corrections l
                  WHERE l.photo_id = c.photo_id AND l.tag_kind = c.tag_kind AND l.label_id = c.label_id);

  CREATE VIEW effective_labels AS
    SELECT p.photo_id, p.label_id AS id, p.label_name AS name, p.score, 'model' AS source, p.rank
    FROM predictions p
    WHERE NOT EXISTS (SELECT 1 FROM corrections c
                      WHERE c.photo_id = p.photo_id AND c.tag_kind = 'label' AND c.label_id = p.label_id)
    UNION ALL
    SELECT c.photo_id, c.label_id, c.label_name, 1.0, 'user', -1 FROM current_corrections c
    WHERE c.tag_kind = 'label' AND c.kind IN ('confirm', 'add');

  CREATE VIEW effective_categories AS
    SELECT s.photo_id, s.category_id AS id, s.category_name AS name, s.score, 'model' AS source
    FROM category_scores s
    WHERE NOT EXISTS (SELECT 1 FROM corrections c
                      WHERE c.photo_id = s.photo_id AND c.tag_kind = 'category' AND c.label_id = s.category_id)
    UNION ALL
    SELECT c.photo_id, c.label_id, c.label_name, 1.0, 'user' FROM current_corrections c
    WHERE c.tag_kind = 'category' AND c.kind IN ('confirm', 'add');
  `,
  // 4: the review queue. photos.margin is the top label's score minus the second's (the top's alone when it is the
  // only one), kept by triggers like best_score; the partial index walks tagged photos least certain first, so the
  // queue reads a page of them instead of sorting the whole library.
  `
  ALTER TABLE photos ADD COLUMN margin REAL;
  UPDATE photos SET margin = (SELECT t.score - COALESCE((SELECT s.score FROM predictions s
    WHERE s.photo_id = photos.id AND s.rank = 1), 0) FROM predictions t WHERE t.photo_id = photos.id AND t.rank = 0);

  CREATE TRIGGER predictions_margin_insert AFTER INSERT ON predictions WHEN NEW.rank <= 1 BEGIN
    UPDATE photos SET margin = (SELECT t.score - COALESCE((SELECT s.score FROM predictions s
      WHERE s.photo_id = NEW.photo_id AND s.rank = 1), 0) FROM predictions t WHERE t.photo_id = NEW.photo_id AND t.rank = 0)
    WHERE id = NEW.photo_id;
  END;
  CREATE TRIGGER predictions_margin_delete AFTER DELETE ON predictions WHEN OLD.rank <= 1 BEGIN
    UPDATE photos SET margin = (SELECT t.score - COALESCE((SELECT s.score FROM predictions s
      WHERE s.photo_id = OLD.photo_id AND s.rank = 1), 0) FROM predictions t WHERE t.photo_id = OLD.photo_id AND t.rank = 0)
    WHERE id = OLD.photo_id;
  END;

  CREATE INDEX photos_review ON photos(margin, id) WHERE status = 'done' AND margin IS NOT NULL;
  `,
  // 5: nothing lost. Corrections outlive their photo: when a photo leaves the library (its folder removed, its file
  // gone for good) its corrections move to detached_corrections with the photo's fingerprint and path, and come back
  // when a photo with that content (or, for a photo never read, that path) joins the library again: a re-added
  // folder, a photo moved to another library folder. Thumbnails whose photo left or changed are queued in
  // thumbnail_trash for the library to delete once no photo shows them. folders.device is the device the folder was
  // on when last seen healthy, so an unmounted share (an empty mount point) is told apart from a folder emptied.
  `
  ALTER TABLE folders ADD COLUMN device TEXT;

  CREATE TABLE detached_corrections (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    tag_kind TEXT NOT NULL,
    label_id TEXT NOT NULL,
    label_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    model_id TEXT,
    model_version TEXT,
    model_score REAL
  );
  CREATE INDEX detached_corrections_fingerprint ON detached_corrections(fingerprint);
  CREATE INDEX detached_corrections_path ON detached_corrections(path) WHERE fingerprint IS NULL;

  CREATE TRIGGER photos_detach_corrections BEFORE DELETE ON photos BEGIN
    INSERT INTO detached_corrections (fingerprint, path, kind, tag_kind, label_id, label_name, created_at, batch,
      model_id, model_version, model_score)
    SELECT OLD.fingerprint, OLD.path, kind, tag_kind, label_id, label_name, created_at, batch, model_id,
      model_version, model_score FROM corrections WHERE photo_id = OLD.id ORDER BY id;
  END;

  CREATE TRIGGER photos_reattach_by_fingerprint AFTER UPDATE OF fingerprint ON photos
  WHEN NEW.fingerprint IS NOT NULL AND NEW.fingerprint IS NOT OLD.fingerprint BEGIN
    INSERT INTO corrections (photo_id, kind, tag_kind, label_id, label_name, created_at, batch, model_id,
      model_version, model_score)
    SELECT NEW.id, kind, tag_kind, label_id, label_name, created_at, batch, model_id, model_version, model_score
    FROM detached_corrections WHERE fingerprint = NEW.fingerprint ORDER BY id;
    DELETE FROM detached_corrections WHERE fingerprint = NEW.fingerprint;
  END;

  CREATE TRIGGER photos_reattach_by_path AFTER INSERT ON photos BEGIN
    INSERT INTO corrections (photo_id, kind, tag_kind, label_id, label_name, created_at, batch, model_id,
      model_version, model_score)
    SELECT NEW.id, kind, tag_kind, label_id, label_name, created_at, batch, model_id, model_version, model_score
    FROM detached_corrections WHERE fingerprint IS NULL AND path = NEW.path ORDER BY id;
    DELETE FROM detached_corrections WHERE fingerprint IS NULL AND path = NEW.path;
  END;

  CREATE TABLE thumbnail_trash (fingerprint TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TRIGGER photos_trash_thumbnail_on_delete AFTER DELETE ON photos WHEN OLD.fingerprint IS NOT NULL BEGIN
    INSERT OR IGNORE INTO thumbnail_trash VALUES (OLD.fingerprint);
  END;
  CREATE TRIGGER photos_trash_thumbnail_on_change AFTER UPDATE OF fingerprint ON photos
  WHEN OLD.fingerprint IS NOT NULL AND OLD.fingerprint IS NOT NEW.fingerprint BEGIN
    INSERT OR IGNORE INTO thumbnail_trash VALUES (OLD.fingerprint);
  END;
  `,
  // 6: several taggers over the same pixels. Beside the library's model, secondary taggers (specialists naming
  // species, the face detector with the People rules, the scene rules) store their tags in the same tables, each
  // row under the tagger's own id and version: a species as a label ranked from 100 on, People or Night as a
  // category. photos.taggers records which secondary taggers' results a photo holds ("scenes@1,yunet-face@1"), so
  // adding or changing one fills in only what is missing. faces holds the people's faces the detector found, in
  // fractions of the photo, for a later grouping of faces into persons. A category's score can now rise in place
  // (People from the faces above the model's own "People"), and best_score follows it.
  `
  ALTER TABLE photos ADD COLUMN taggers TEXT;

  CREATE TABLE faces (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    x REAL NOT NULL,
    y REAL NOT NULL,
    w REAL NOT NULL,
    h REAL NOT NULL,
    -- Five [x, y] points: the right eye, left eye, nose tip, right and left mouth corners.
    landmarks TEXT NOT NULL,
    score REAL NOT NULL,
    model_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (photo_id, idx)
  ) WITHOUT ROWID;

  CREATE TRIGGER category_scores_best_update AFTER UPDATE OF score ON category_scores BEGIN
    UPDATE photos SET best_score = MAX(COALESCE(best_score, 0), NEW.score) WHERE id = NEW.photo_id;
  END;
  `,
  // 7: browsing by time. photos.sort_at is when the photo was taken as the local wall-clock time written as the
  // integer YYYYMMDDHHMMSS: the camera's EXIF date (which is wall-clock time already), else the file's mtime in
  // this machine's time zone, so photos with and without EXIF interleave as their owner lived them. The integer
  // keeps the order and names its month by division (sort_at / 100000000 = YYYYMM), so the timeline's months are
  // counted without a date function per row. Triggers keep it, whichever statement writes the dates. The covering
  // indexes walk the library newest or oldest first with what every filter checks, overall and per folder.
  `
  ALTER TABLE photos ADD COLUMN sort_at INTEGER NOT NULL DEFAULT 0;
  UPDATE photos SET sort_at = ${sortAtOf('')};

  CREATE TRIGGER photos_sort_at_insert AFTER INSERT ON photos BEGIN
    UPDATE photos SET sort_at = ${sortAtOf('NEW.')} WHERE id = NEW.id;
  END;
  CREATE TRIGGER photos_sort_at_update AFTER UPDATE OF taken_at, mtime_ms ON photos BEGIN
    UPDATE photos SET sort_at = ${sortAtOf('NEW.')} WHERE id = NEW.id;
  END;

  CREATE INDEX photos_time_browse ON photos(sort_at, id, status, best_score);
  CREATE INDEX photos_folder_time_browse ON photos(folder_id, sort_at, id, status, best_score);
  `,
  // 8: counts kept by triggers, so what the app shows after every change costs a pass over tags and folders, not
  // over a million photos. photo_counts: photos per folder and state. done_counts: tagged photos by what they were
  // tagged with (a run finds photos to re-tag without a pass), best-score bucket (the "untagged at this threshold"
  // filter) and margin bucket (-1: none; the review queue). tag_counts: the model tags of photos present (not
  // missing), per tag and score bucket. Buckets are of 0.05 (kept-counts.ts); corrections, which are few, are
  // applied when counts are read, as before.
  `
  CREATE TABLE photo_counts (
    folder_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (folder_id, status)
  ) WITHOUT ROWID;
  CREATE TABLE done_counts (
    tagged_with TEXT NOT NULL,
    best INTEGER NOT NULL,
    margin INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (tagged_with, best, margin)
  ) WITHOUT ROWID;
  CREATE TABLE tag_counts (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    name TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (kind, id, bucket)
  ) WITHOUT ROWID;

  INSERT INTO photo_counts SELECT folder_id, status, COUNT(*) FROM photos GROUP BY folder_id, status;
  INSERT INTO done_counts SELECT ${doneKey('photos')}, COUNT(*) FROM photos WHERE status = 'done' GROUP BY 1, 2, 3;
  INSERT INTO tag_counts SELECT kind, id, bucket, MIN(name), COUNT(*)
    FROM (${modelTagsOf("photo_id IN (SELECT id FROM photos WHERE status != 'missing')")}) GROUP BY kind, id, bucket;

  CREATE TRIGGER photos_count_insert AFTER INSERT ON photos BEGIN
    ${countPhoto('NEW', 1)}
  END;
  CREATE TRIGGER photos_count_delete AFTER DELETE ON photos BEGIN
    ${countPhoto('OLD', -1)}
  END;
  CREATE TRIGGER photos_count_update AFTER UPDATE OF folder_id, status, best_score, margin, model_id, model_version,
    taggers ON photos
  WHEN OLD.folder_id IS NOT NEW.folder_id OR OLD.status IS NOT NEW.status OR OLD.best_score IS NOT NEW.best_score
    OR OLD.margin IS NOT NEW.margin OR OLD.model_id IS NOT NEW.model_id OR OLD.model_version IS NOT NEW.model_version
    OR OLD.taggers IS NOT NEW.taggers BEGIN
    ${countPhoto('OLD', -1)}
    ${countPhoto('NEW', 1)}
  END;
  -- Before the photo goes: its tags are deleted after it (foreign keys), when it is no longer there to be counted.
  CREATE TRIGGER photos_tag_counts_delete BEFORE DELETE ON photos WHEN OLD.status != 'missing' BEGIN
    ${countTagsOf('OLD', '-1')}
  END;
  CREATE TRIGGER photos_tag_counts_missing AFTER UPDATE OF status ON photos
  WHEN (OLD.status = 'missing') != (NEW.status = 'missing') BEGIN
    ${countTagsOf('NEW', "CASE NEW.status WHEN 'missing' THEN -1 ELSE 1 END")}
  END;

  CREATE TRIGGER predictions_count_insert AFTER INSERT ON predictions WHEN ${present('NEW')} BEGIN
    ${countTag("'label'", 'NEW.label_id', 'NEW.label_name', 'NEW.score', 1)}
  END;
  CREATE TRIGGER predictions_count_delete AFTER DELETE ON predictions WHEN ${present('OLD')} BEGIN
    ${countTag("'label'", 'OLD.label_id', 'OLD.label_name', 'OLD.score', -1)}
  END;
  CREATE TRIGGER category_scores_count_insert AFTER INSERT ON category_scores WHEN ${present('NEW')} BEGIN
    ${countTag("'category'", 'NEW.category_id', 'NEW.category_name', 'NEW.score', 1)}
  END;
  CREATE TRIGGER category_scores_count_delete AFTER DELETE ON category_scores WHEN ${present('OLD')} BEGIN
    ${countTag("'category'", 'OLD.category_id', 'OLD.category_name', 'OLD.score', -1)}
  END;
  CREATE TRIGGER category_scores_count_update AFTER UPDATE OF score ON category_scores WHEN ${present('NEW')} BEGIN
    ${countTag("'category'", 'OLD.category_id', 'OLD.category_name', 'OLD.score', -1)}
    ${countTag("'category'", 'NEW.category_id', 'NEW.category_name', 'NEW.score', 1)}
  END;
  `,
  // 9: searching by tag. A search names tags by id and reads photos through each tag's (id, score) index; this one
  // finds the user's corrections of a tag (confirmed labels, own labels) the same way, without a pass over them all.
  `
  CREATE INDEX corrections_label ON corrections(tag_kind, label_id);
  `,
  // 10: corrections taken back (an own label the user rejects, `label --remove`) leave corrections, so they are no
  // negative example and no history, but are kept here under the batch that took them back (removed_in): undoing
  // that batch puts them back, as undo does with any other step.
  `
  CREATE TABLE removed_corrections (
    removed_in INTEGER NOT NULL,
    -- The correction's own id, which it takes again when it comes back, keeping its place among the others.
    id INTEGER NOT NULL,
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    tag_kind TEXT NOT NULL,
    label_id TEXT NOT NULL,
    label_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    model_id TEXT,
    model_version TEXT,
    model_score REAL
  );
  CREATE INDEX removed_corrections_batch ON removed_corrections(removed_in);
  `,
  // 11: tags that travel. Keywords already in a photo file or its XMP sidecar are the user's truth, as corrections
  // are, and are kept as corrections: rows of kind 'add' with source 'file' (batch 0, never undone), replaced when
  // the file is read again. So filters, counts, search and export treat them as the user's without a second
  // mechanism; the views now say which source a tag has ('user' or 'file'), and a user's later correction of a
  // file keyword wins as any later correction does. They are not set aside with a photo that leaves: they come
  // back from the file. xmp_dirty lists the photos whose sidecars are to be written again (their tags changed),
  // filled by triggers only while writing sidecars is on; it has no foreign key, for a photo's tags are deleted
  // with it and their triggers run as it goes.
  `
  ALTER TABLE corrections ADD COLUMN source TEXT NOT NULL DEFAULT 'user' CHECK (source IN ('user', 'file'));
  CREATE INDEX corrections_source ON corrections(source, photo_id) WHERE source != 'user';

  DROP VIEW effective_labels;
  DROP VIEW effective_categories;
  DROP VIEW current_corrections;
  CREATE VIEW current_corrections AS
    SELECT c.id, c.photo_id, c.tag_kind, c.label_id, c.label_name, c.kind, c.created_at, c.model_id, c.model_score,
      c.source
    FROM corrections c
    WHERE c.id = (SELECT MAX(l.id) FROM corrections l
                  WHERE l.photo_id = c.photo_id AND l.tag_kind = c.tag_kind AND l.label_id = c.label_id);

  CREATE VIEW effective_labels AS
    SELECT p.photo_id, p.label_id AS id, p.label_name AS name, p.score, 'model' AS source, p.rank
    FROM predictions p
    WHERE NOT EXISTS (SELECT 1 FROM corrections c
                      WHERE c.photo_id = p.photo_id AND c.tag_kind = 'label' AND c.label_id = p.label_id)
    UNION ALL
    SELECT c.photo_id, c.label_id, c.label_name, 1.0, c.source, -1 FROM current_corrections c
    WHERE c.tag_kind = 'label' AND c.kind IN ('confirm', 'add');

  CREATE VIEW effective_categories AS
    SELECT s.photo_id, s.category_id AS id, s.category_name AS name, s.score, 'model' AS source
    FROM category_scores s
    WHERE NOT EXISTS (SELECT 1 FROM corrections c
                      WHERE c.photo_id = s.photo_id AND c.tag_kind = 'category' AND c.label_id = s.category_id)
    UNION ALL
    SELECT c.photo_id, c.label_id, c.label_name, 1.0, c.source FROM current_corrections c
    WHERE c.tag_kind = 'category' AND c.kind IN ('confirm', 'add');

  DROP TRIGGER photos_detach_corrections;
  CREATE TRIGGER photos_detach_corrections BEFORE DELETE ON photos BEGIN
    INSERT INTO detached_corrections (fingerprint, path, kind, tag_kind, label_id, label_name, created_at, batch,
      model_id, model_version, model_score)
    SELECT OLD.fingerprint, OLD.path, kind, tag_kind, label_id, label_name, created_at, batch, model_id,
      model_version, model_score FROM corrections WHERE photo_id = OLD.id AND source = 'user' ORDER BY id;
  END;

  CREATE TABLE xmp_dirty (photo_id INTEGER PRIMARY KEY);
  ${[
    ['corrections', 'INSERT', 'NEW'],
    ['corrections', 'DELETE', 'OLD'],
    ['predictions', 'INSERT', 'NEW'],
    ['predictions', 'DELETE', 'OLD'],
    ['category_scores', 'INSERT', 'NEW'],
    ['category_scores', 'UPDATE', 'NEW'],
    ['category_scores', 'DELETE', 'OLD'],
  ]
    .map(
      ([table, event, row]) => `CREATE TRIGGER ${table}_xmp_${event!.toLowerCase()} AFTER ${event} ON ${table}
    WHEN (SELECT json_extract(value, '$.enabled') FROM settings WHERE key = 'xmp') BEGIN
    INSERT OR IGNORE INTO xmp_dirty VALUES (${row}.photo_id);
  END;`,
    )
    .join('\n  ')}
  `,
  // 12: what a photo looks like, kept. features holds each photo's pooled feature vector from the library's model
  // (int8 codes with one scale per vector: 1,280 bytes for MobileNetV2), under that model's id and version, and a
  // 64-bit difference hash of the picture: similar photos, near-duplicates and the own labels Phototag learns read
  // them. suggestion_answers keeps the user's yes or no to a learned label's suggestion on a photo: a no is never
  // suggested again, and exports mark a label the user said yes to.
  `
  CREATE TABLE features (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    model_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scale REAL NOT NULL,
    codes BLOB NOT NULL,
    image_hash TEXT NOT NULL,
    stored_at INTEGER NOT NULL
  );

  CREATE TABLE suggestion_answers (
    photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    label_id TEXT NOT NULL,
    accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    score REAL NOT NULL,
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (photo_id, label_id)
  ) WITHOUT ROWID;
  `,
  // 13: the timeline kept by triggers. month_counts: photos per month (sort_at / 100000000, as the timeline groups
  // them), folder, state and best-score bucket, so the timeline of the whole library, a folder, the failed photos
  // or the untagged ones at a threshold is a sum over a few thousand rows, not a pass over a million photos. Every
  // state is counted (missing too: reads leave it out), and the bucket is kept whatever the state.
  `
  CREATE TABLE month_counts (
    month INTEGER NOT NULL,
    folder_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    best INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (month, folder_id, status, best)
  ) WITHOUT ROWID;

  INSERT INTO month_counts SELECT ${monthKey('photos')}, COUNT(*) FROM photos GROUP BY 1, 2, 3, 4;

  -- The row as inserted: sort_at is set after it by migration 7's trigger, which this one's update trigger hears.
  CREATE TRIGGER photos_month_count_insert AFTER INSERT ON photos BEGIN
    ${countMonth('NEW', 1)}
  END;
  CREATE TRIGGER photos_month_count_delete AFTER DELETE ON photos BEGIN
    ${countMonth('OLD', -1)}
  END;
  CREATE TRIGGER photos_month_count_update AFTER UPDATE OF sort_at, folder_id, status, best_score ON photos
  WHEN OLD.sort_at IS NOT NEW.sort_at OR OLD.folder_id IS NOT NEW.folder_id OR OLD.status IS NOT NEW.status
    OR ${scoreBucketSql('COALESCE(OLD.best_score, 0)')} != ${scoreBucketSql('COALESCE(NEW.best_score, 0)')} BEGIN
    ${countMonth('OLD', -1)}
    ${countMonth('NEW', 1)}
  END;
  `,
  // 14: a scan compares each folder's listing with the library's photos in it, read as one stretch of this index:
  // all it compares is in the index itself, so no row is looked up in the table (reading 100,000 photos that way
  // took about half the CPU of the path's own index and the table).
  `
  CREATE INDEX photos_scan ON photos(path, size, mtime_ms, status);
  `,
  // 15: near-duplicates by a perceptual hash instead of a difference hash (perceptualHash says why). The hashes
  // stored are of the old kind: they are emptied, and the photos that have them are read again once. Their model's
  // results are kept (the same file, the same model: only the secondary taggers it lacks run), so this costs a
  // decode a photo, not a tagging; a photo without its new hash stays out of the near-duplicates.
  `
  UPDATE features SET image_hash = '';
  UPDATE photos SET status = 'pending' WHERE status = 'done' AND id IN (SELECT photo_id FROM features);
  `,
  // 16: a sidecar another program edits is read again. photos.sidecar_stamp is what the photo's XMP sidecar looked
  // like when its keywords were read (see sidecarStamp), NULL when it had none; a scan that finds another reads the
  // keywords again, without tagging the photo. Upgraded rows hold NULL, so each photo that has a sidecar has its
  // keywords read once more at the first scan; one without costs nothing. The scan's index (migration 14) holds the
  // stamp too, so comparing still reads no row of the table.
  `
  ALTER TABLE photos ADD COLUMN sidecar_stamp TEXT;
  DROP INDEX photos_scan;
  CREATE INDEX photos_scan ON photos(path, size, mtime_ms, status, sidecar_stamp);
  `,
  // 17: the user's own labels, each id with its names, found by seeking from one to the next in this index, not by a
  // pass over every correction: a photo's keywords are own labels' corrections, a million of them in a big library.
  // Only those rows are in it, so it costs nothing to the others and holds what the lookup reads.
  `
  CREATE INDEX corrections_own_labels ON corrections(label_id, label_name)
    WHERE ${OWN_LABEL_ADDS};
  `,
];

// The kept counts' SQL (migration 8), written once for each row it counts (NEW, OLD) and each sign. It is that
// migration's: a change to what is counted is a new migration.

/** A tagged photo's key in done_counts: what it was tagged with, its best-score bucket, its margin bucket. */
function doneKey(row: string): string {
  return `${taggedWithSql(`${row}.model_id`, `${row}.model_version`, `${row}.taggers`)},
    ${scoreBucketSql(`COALESCE(${row}.best_score, 0)`)},
    CASE WHEN ${row}.margin IS NULL THEN -1 ELSE ${scoreBucketSql(`${row}.margin`)} END`;
}

/** Counts a photo row in (+1) or out (-1) of photo_counts, and of done_counts when it is tagged. */
function countPhoto(row: 'NEW' | 'OLD', sign: 1 | -1): string {
  return `INSERT INTO photo_counts VALUES (${row}.folder_id, ${row}.status, ${sign})
      ON CONFLICT (folder_id, status) DO UPDATE SET n = n + excluded.n;
    INSERT INTO done_counts SELECT ${doneKey(row)}, ${sign} WHERE ${row}.status = 'done'
      ON CONFLICT (tagged_with, best, margin) DO UPDATE SET n = n + excluded.n;`;
}

/** The model tag rows `where` chooses (by photo_id), with their kind, id, name and bucket. */
function modelTagsOf(where: string): string {
  return `SELECT 'label' AS kind, label_id AS id, label_name AS name, ${scoreBucketSql('score')} AS bucket
      FROM predictions WHERE ${where}
    UNION ALL SELECT 'category', category_id, category_name, ${scoreBucketSql('score')}
      FROM category_scores WHERE ${where}`;
}

/** Counts every tag of one photo row in or out (`sign`, an SQL expression). */
function countTagsOf(row: 'NEW' | 'OLD', sign: string): string {
  return `INSERT INTO tag_counts SELECT kind, id, bucket, name, ${sign} FROM (${modelTagsOf(`photo_id = ${row}.id`)}) WHERE true
      ON CONFLICT (kind, id, bucket) DO UPDATE SET n = n + excluded.n;`;
}

/** Counts one tag row in or out. */
function countTag(kind: string, id: string, name: string, score: string, sign: 1 | -1): string {
  return `INSERT INTO tag_counts VALUES (${kind}, ${id}, ${scoreBucketSql(score)}, ${name}, ${sign})
      ON CONFLICT (kind, id, bucket) DO UPDATE SET n = n + excluded.n;`;
}

/** The tag row's photo is in the library and not missing (while a photo is deleted, it is no longer there). */
function present(row: 'NEW' | 'OLD'): string {
  return `EXISTS (SELECT 1 FROM photos WHERE id = ${row}.photo_id AND status != 'missing')`;
}

// Migration 13's SQL, written once for each row it counts and each sign.

/** A photo's key in month_counts: its month, folder, state and best-score bucket. */
function monthKey(row: string): string {
  return `${row}.sort_at / ${SORT_AT_MONTH}, ${row}.folder_id, ${row}.status, ${scoreBucketSql(`COALESCE(${row}.best_score, 0)`)}`;
}

/** Counts a photo row in (+1) or out (-1) of month_counts. */
function countMonth(row: 'NEW' | 'OLD', sign: 1 | -1): string {
  return `INSERT INTO month_counts SELECT ${monthKey(row)}, ${sign} WHERE true
      ON CONFLICT (month, folder_id, status, best) DO UPDATE SET n = n + excluded.n;`;
}
