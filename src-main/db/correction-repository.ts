import type { Db } from './database.js';
import { OWN_LABEL_ADDS } from './migrations.js';

/** A label (a model class or the user's own) or a category, by id, with its display name. */
export interface Tag {
  kind: 'label' | 'category';
  id: string;
  name: string;
}

export type CorrectionKind = 'confirm' | 'reject' | 'add';

export type CorrectionAction =
  | { type: 'confirm' | 'reject' | 'add'; tag: Tag }
  /** Takes the user's corrections of the tag off the photo: it shows what the model says of it again. */
  | { type: 'remove'; tag: Tag }
  /** Replace one tag with another: a reject and an add, undone together. */
  | { type: 'replace'; from: Tag; to: Tag };

export interface Correction {
  id: number;
  photoId: number;
  path: string;
  kind: CorrectionKind;
  tag: Tag;
  createdAt: number;
  batch: number;
  /** The machine prediction it overrides, when the model had one for this tag. */
  model: { id: string; version: string; score: number } | null;
}

export interface ExampleRow {
  photoId: number;
  path: string;
  modelId: string | null;
  modelVersion: string | null;
  kind: Tag['kind'];
  id: string;
  name: string;
  source: TagSource;
  score: number;
}

/** Whose a tag is: the model's guess, the user's correction, or a keyword the photo's file or sidecar carries. */
export type TagSource = 'model' | 'user' | 'file';

export interface EffectiveTag {
  id: string;
  name: string;
  score: number;
  source: TagSource;
}

/** Of the names the own label `id` (an SQL expression) is stored with, the one userLabels lists first; else NULL. */
const storedOwnLabelName = (id: string) =>
  `SELECT MIN(label_name) FROM corrections INDEXED BY corrections_own_labels WHERE ${OWN_LABEL_ADDS} AND label_id = ${id}`;

/**
 * User corrections: stored apart from machine predictions, with their time and the prediction they override, and
 * attached to the library photo (so they survive re-tagging, a model switch, and a move or rename). What a photo
 * carries in the end is read through the effective_labels/effective_categories views (migration 3).
 */
export class CorrectionRepository {
  private readonly statements;

  constructor(private readonly db: Db) {
    const prepare = (sql: string) => db.prepare(sql);
    this.statements = {
      nextBatch: prepare(`SELECT MAX(COALESCE((SELECT MAX(batch) FROM corrections), 0),
        COALESCE((SELECT MAX(removed_in) FROM removed_corrections), 0)) + 1 AS batch`),
      // A file's keywords (batch 0) are no step of the user's to undo.
      lastBatch: prepare("SELECT MAX(batch) AS batch FROM corrections WHERE source = 'user'"),
      insert: prepare(`INSERT INTO corrections (photo_id, kind, tag_kind, label_id, label_name, created_at, batch,
        model_id, model_version, model_score) VALUES (@photoId, @kind, @tagKind, @labelId, @labelName, @createdAt,
        @batch, @modelId, @modelVersion, @modelScore)`),
      modelScore: {
        label: prepare(`SELECT model_id AS id, model_version AS version, score FROM predictions
          WHERE photo_id = ? AND label_id = ?`),
        category: prepare(`SELECT model_id AS id, model_version AS version, score FROM category_scores
          WHERE photo_id = ? AND category_id = ?`),
      },
      photosOfBatch: prepare('SELECT DISTINCT photo_id AS photoId FROM corrections WHERE batch = ?'),
      deleteBatch: prepare('DELETE FROM corrections WHERE batch = ?'),
      latestKind: prepare(`SELECT kind FROM corrections WHERE photo_id = ? AND tag_kind = ? AND label_id = ?
        ORDER BY id DESC LIMIT 1`),
      // Taking corrections back (migration 12): they are kept under the batch that took them, for undo.
      stashTag: prepare(`INSERT INTO removed_corrections (removed_in, id, photo_id, kind, tag_kind, label_id,
        label_name, created_at, batch, model_id, model_version, model_score) SELECT @batch, id, photo_id, kind,
        tag_kind, label_id, label_name, created_at, batch, model_id, model_version, model_score FROM corrections
        WHERE photo_id = @photoId AND tag_kind = @tagKind AND label_id = @labelId AND source = 'user'`),
      // Only the user's word is taken back: a keyword of the photo's file stays the file's.
      deleteTag: prepare(`DELETE FROM corrections
        WHERE photo_id = @photoId AND tag_kind = @tagKind AND label_id = @labelId AND source = 'user'`),
      hasFileTag: prepare(`SELECT EXISTS (SELECT 1 FROM corrections WHERE photo_id = @photoId AND tag_kind = @tagKind
        AND label_id = @labelId AND source = 'file') AS held`).pluck(),
      lastRemoval: prepare('SELECT MAX(removed_in) AS batch FROM removed_corrections'),
      photosOfRemoval: prepare('SELECT DISTINCT photo_id AS photoId FROM removed_corrections WHERE removed_in = ?'),
      partsOfStep: prepare(`SELECT DISTINCT kind, label_name AS name FROM corrections WHERE batch = @batch
        UNION SELECT DISTINCT 'remove', label_name FROM removed_corrections WHERE removed_in = @batch`),
      // Its id again, unless a correction took it meanwhile (one come back with its photo): then a new one.
      restore: prepare(`INSERT INTO corrections (id, photo_id, kind, tag_kind, label_id, label_name, created_at,
        batch, model_id, model_version, model_score) SELECT CASE WHEN EXISTS (SELECT 1 FROM corrections c
        WHERE c.id = r.id) THEN NULL ELSE r.id END, photo_id, kind, tag_kind, label_id, label_name, created_at, batch,
        model_id, model_version, model_score FROM removed_corrections r WHERE removed_in = ? ORDER BY r.id`),
      deleteRemoval: prepare('DELETE FROM removed_corrections WHERE removed_in = ?'),
      list: prepare(`SELECT c.id, c.photo_id AS photoId, p.path, c.kind, c.tag_kind AS tagKind, c.label_id AS labelId,
        c.label_name AS labelName, c.created_at AS createdAt, c.batch, c.model_id AS modelId,
        c.model_version AS modelVersion, c.model_score AS modelScore
        FROM corrections c JOIN photos p ON p.id = c.photo_id WHERE c.source = 'user' ORDER BY c.id`),
      labelsOf: prepare(`SELECT id, name, score, source FROM effective_labels WHERE photo_id = ?
        ORDER BY source != 'model' DESC, score DESC, rank, name`),
      categoriesOf: prepare(`SELECT id, name, score, source FROM effective_categories WHERE photo_id = ?
        ORDER BY source != 'model' DESC, score DESC, name`),
      rejectedOf: prepare(`SELECT tag_kind AS kind, label_id AS id, label_name AS name FROM current_corrections
        WHERE photo_id = ? AND kind = 'reject' ORDER BY tag_kind, label_id`),
      examples: prepare(`SELECT p.id AS photoId, p.path, p.model_id AS modelId, p.model_version AS modelVersion,
          t.kind, t.id, t.name, t.source, t.score
        FROM photos p JOIN (
          SELECT photo_id, 'label' AS kind, id, name, source, score FROM effective_labels
          UNION ALL SELECT photo_id, 'category', id, name, source, score FROM effective_categories) t ON t.photo_id = p.id
        WHERE p.status != 'missing' AND (t.source != 'model' OR t.score >= @threshold)
        ORDER BY p.path, t.kind, t.id`),
      fileTags: prepare(`SELECT id, tag_kind AS kind, label_id AS tagId FROM corrections
        WHERE source = 'file' AND photo_id = ?`),
      // An own label already stored keeps its name (the one ownLabelName gives): a keyword is resolved before it is
      // stored, maybe before the user, or another photo's keyword, stores the same label in another case.
      insertFileTag:
        prepare(`INSERT INTO corrections (photo_id, kind, tag_kind, label_id, label_name, created_at, batch,
        model_id, model_version, model_score, source) VALUES (@photoId, 'add', @tagKind, @labelId,
        COALESCE((${storedOwnLabelName('@labelId')}), @labelName),
        @createdAt, 0, @modelId, @modelVersion, @modelScore, 'file')`),
      deleteCorrection: prepare('DELETE FROM corrections WHERE id = ?'),
      // Each own label's id and name after the last, one seek in migration 17's index apiece (the next name of the
      // same id, else the next id: one range each, as a row value comparison is not), so the cost grows with the
      // own labels, not with their corrections.
      userLabels: prepare(`WITH RECURSIVE own(id, name) AS (
          SELECT '', ''
          UNION ALL
          SELECT c.label_id, c.label_name FROM own JOIN corrections c ON c.rowid = COALESCE(
            (SELECT rowid FROM corrections INDEXED BY corrections_own_labels
              WHERE ${OWN_LABEL_ADDS} AND label_id = own.id AND label_name > own.name ORDER BY label_name LIMIT 1),
            (SELECT rowid FROM corrections INDEXED BY corrections_own_labels
              WHERE ${OWN_LABEL_ADDS} AND label_id > own.id ORDER BY label_id, label_name LIMIT 1)))
        SELECT id, name FROM own WHERE id != '' ORDER BY name, id`),
      ownLabelName: prepare(storedOwnLabelName('?')).pluck(),
    };
  }

  /**
   * Applies one action to each photo, as one undoable batch; returns how many photos it changed. A photo whose
   * latest correction of the tag already says so is left as it is, so repeating a label adds no history.
   */
  apply(photoIds: number[], action: CorrectionAction): number {
    const steps: [CorrectionKind | 'remove', Tag][] =
      action.type === 'replace'
        ? [
            ['reject', action.from],
            ['add', action.to],
          ]
        : [[action.type, action.tag]];
    return this.db.transaction(() => {
      const { batch } = this.statements.nextBatch.get() as { batch: number };
      const createdAt = Date.now();
      let changed = 0;
      for (const photoId of photoIds) {
        let photoChanged = false;
        for (const [kind, tag] of steps) {
          if (this.applyStep(photoId, kind, tag, batch, createdAt)) photoChanged = true;
        }
        if (photoChanged) changed++;
      }
      return changed;
    })();
  }

  /** One step of a correction on one photo; false when it changes nothing. */
  private applyStep(photoId: number, kind: CorrectionKind | 'remove', tag: Tag, batch: number, createdAt: number) {
    const key = { photoId, tagKind: tag.kind, labelId: tag.id };
    // An own label is nothing but the user's word: rejecting it takes that back, it is no example of what it is not.
    if (kind === 'remove' || (kind === 'reject' && isOwnLabel(tag))) {
      this.statements.stashTag.run({ ...key, batch });
      const removed = this.statements.deleteTag.run(key).changes > 0;
      // The photo's file still says so: a reject overrules that keyword, as it does a model's tag.
      if (kind === 'remove' || this.statements.hasFileTag.get(key) === 0) return removed;
    }
    const latest = this.statements.latestKind.get(photoId, tag.kind, tag.id) as { kind: CorrectionKind } | undefined;
    if (latest?.kind === kind) return false;
    const model = this.statements.modelScore[tag.kind].get(photoId, tag.id) as
      { id: string; version: string; score: number } | undefined;
    this.statements.insert.run({
      ...key,
      kind,
      labelName: tag.name,
      createdAt,
      batch,
      modelId: model?.id ?? null,
      modelVersion: model?.version ?? null,
      modelScore: model?.score ?? null,
    });
    return true;
  }

  /** The batch undo takes back next: the latest correction or removal; null when there is none. */
  private lastStep(): number | null {
    const { batch } = this.statements.lastBatch.get() as { batch: number | null };
    const { batch: removal } = this.statements.lastRemoval.get() as { batch: number | null };
    return batch === null ? removal : removal === null ? batch : Math.max(batch, removal);
  }

  /** What the step undo takes back next did, one part per kind and tag: a replace is a reject (or removal) and an add. */
  lastStepParts(): { kind: CorrectionKind | 'remove'; name: string }[] {
    const batch = this.lastStep();
    if (batch === null) return [];
    return this.statements.partsOfStep.all({ batch }) as { kind: CorrectionKind | 'remove'; name: string }[];
  }

  /**
   * Makes the photo's file keywords these tags (what its file and sidecar carry now). A keyword that stays keeps its
   * row, so a correction the user made of it since stays the later one and wins; only new keywords are added.
   */
  setFileTags(photoId: number, tags: Tag[]): void {
    const wanted = new Map(tags.map((tag) => [`${tag.kind}\0${tag.id}`, tag]));
    const held = this.statements.fileTags.all(photoId) as { id: number; kind: Tag['kind']; tagId: string }[];
    this.db.transaction(() => {
      for (const row of held) {
        if (!wanted.delete(`${row.kind}\0${row.tagId}`)) this.statements.deleteCorrection.run(row.id);
      }
      const createdAt = Date.now();
      for (const tag of wanted.values()) {
        const model = this.statements.modelScore[tag.kind].get(photoId, tag.id) as
          { id: string; version: string; score: number } | undefined;
        this.statements.insertFileTag.run({
          photoId,
          tagKind: tag.kind,
          labelId: tag.id,
          labelName: tag.name,
          createdAt,
          modelId: model?.id ?? null,
          modelVersion: model?.version ?? null,
          modelScore: model?.score ?? null,
        });
      }
    })();
  }

  /** Takes back the most recent batch of corrections; returns the photos it touched (none when nothing is left). */
  undo(): number[] {
    return this.db.transaction(() => {
      const batch = this.lastStep();
      if (batch === null) return [];
      const rows = [...this.statements.photosOfBatch.all(batch), ...this.statements.photosOfRemoval.all(batch)];
      this.statements.deleteBatch.run(batch);
      // What the step took back returns; being older corrections, each keeps its own batch.
      this.statements.restore.run(batch);
      this.statements.deleteRemoval.run(batch);
      return [...new Set((rows as { photoId: number }[]).map((row) => row.photoId))];
    })();
  }

  /** Whether there is a step to undo. */
  canUndo(): boolean {
    return this.lastStep() !== null;
  }

  list(): Correction[] {
    type Row = Omit<Correction, 'tag' | 'model'> & {
      tagKind: Tag['kind'];
      labelId: string;
      labelName: string;
      modelId: string | null;
      modelVersion: string | null;
      modelScore: number | null;
    };
    return (this.statements.list.all() as Row[]).map((row) => ({
      id: row.id,
      photoId: row.photoId,
      path: row.path,
      kind: row.kind,
      tag: { kind: row.tagKind, id: row.labelId, name: row.labelName },
      createdAt: row.createdAt,
      batch: row.batch,
      model:
        row.modelId !== null ? { id: row.modelId, version: row.modelVersion ?? '', score: row.modelScore ?? 0 } : null,
    }));
  }

  /** The labels a photo carries once corrections are applied: the user's first, then the model's by score. */
  labelsOf(photoId: number): EffectiveTag[] {
    return this.statements.labelsOf.all(photoId) as EffectiveTag[];
  }

  categoriesOf(photoId: number): EffectiveTag[] {
    return this.statements.categoriesOf.all(photoId) as EffectiveTag[];
  }

  /** Tags the user rejected on this photo (the negatives of a training set). */
  rejectedOf(photoId: number): Tag[] {
    return this.statements.rejectedOf.all(photoId) as Tag[];
  }

  /**
   * Every tag that makes a training example: the user's (confirmed and own labels, confirmed categories) and, when
   * `modelThreshold` is given, the model's labels and categories at or above it. Ordered by photo path.
   */
  examples(modelThreshold?: number): ExampleRow[] {
    return this.statements.examples.all({ threshold: modelThreshold ?? 2 }) as ExampleRow[];
  }

  /** The name the own label `id` is stored with (the first userLabels lists), if it is stored. */
  ownLabelName(id: string): string | undefined {
    return (this.statements.ownLabelName.get(id) as string | null) ?? undefined;
  }

  /** The user's own labels ("Rex", "Receipts"), for autocomplete. */
  userLabels(): Tag[] {
    return (this.statements.userLabels.all() as { id: string; name: string }[]).map((row) => ({
      kind: 'label',
      ...row,
    }));
  }
}

/** Whether the tag is one of the user's own labels ("Rex"), which only corrections hold. */
export const isOwnLabel = (tag: Tag) => tag.kind === 'label' && tag.id.startsWith('user:');

/** The id of a user's own label: stable for the same name typed with other case or spacing. */
export const userLabelId = (name: string) => `user:${name.trim().toLowerCase().replace(/\s+/g, '-')}`;
