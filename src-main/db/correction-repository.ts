import type { Db } from './database.js';

/** A label (a model class or the user's own) or a category, by id, with its display name. */
export interface Tag {
  kind: 'label' | 'category';
  id: string;
  name: string;
}

export type CorrectionKind = 'confirm' | 'reject' | 'add';

export type CorrectionAction =
  | { type: 'confirm' | 'reject' | 'add'; tag: Tag }
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
  source: 'model' | 'user';
  score: number;
}

export interface EffectiveTag {
  id: string;
  name: string;
  score: number;
  source: 'model' | 'user';
}

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
      nextBatch: prepare('SELECT COALESCE(MAX(batch), 0) + 1 AS batch FROM corrections'),
      lastBatch: prepare('SELECT MAX(batch) AS batch FROM corrections'),
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
      list: prepare(`SELECT c.id, c.photo_id AS photoId, p.path, c.kind, c.tag_kind AS tagKind, c.label_id AS labelId,
        c.label_name AS labelName, c.created_at AS createdAt, c.batch, c.model_id AS modelId,
        c.model_version AS modelVersion, c.model_score AS modelScore
        FROM corrections c JOIN photos p ON p.id = c.photo_id ORDER BY c.id`),
      labelsOf: prepare(`SELECT id, name, score, source FROM effective_labels WHERE photo_id = ?
        ORDER BY source = 'user' DESC, score DESC, rank, name`),
      categoriesOf: prepare(`SELECT id, name, score, source FROM effective_categories WHERE photo_id = ?
        ORDER BY source = 'user' DESC, score DESC, name`),
      rejectedOf: prepare(`SELECT tag_kind AS kind, label_id AS id, label_name AS name FROM current_corrections
        WHERE photo_id = ? AND kind = 'reject' ORDER BY tag_kind, label_id`),
      examples: prepare(`SELECT p.id AS photoId, p.path, p.model_id AS modelId, p.model_version AS modelVersion,
          t.kind, t.id, t.name, t.source, t.score
        FROM photos p JOIN (
          SELECT photo_id, 'label' AS kind, id, name, source, score FROM effective_labels
          UNION ALL SELECT photo_id, 'category', id, name, source, score FROM effective_categories) t ON t.photo_id = p.id
        WHERE p.status != 'missing' AND (t.source = 'user' OR (t.kind = 'label' AND t.score >= @threshold))
        ORDER BY p.path, t.kind, t.id`),
      userLabels: prepare(`SELECT DISTINCT label_id AS id, label_name AS name FROM corrections
        WHERE tag_kind = 'label' AND kind = 'add' AND label_id LIKE 'user:%' ORDER BY label_name`),
    };
  }

  /** Applies one action to each photo, as one undoable batch; returns the batch number. */
  apply(photoIds: number[], action: CorrectionAction): number {
    const steps: [CorrectionKind, Tag][] =
      action.type === 'replace'
        ? [
            ['reject', action.from],
            ['add', action.to],
          ]
        : [[action.type, action.tag]];
    return this.db.transaction(() => {
      const { batch } = this.statements.nextBatch.get() as { batch: number };
      const createdAt = Date.now();
      for (const photoId of photoIds) {
        for (const [kind, tag] of steps) {
          const model = this.statements.modelScore[tag.kind].get(photoId, tag.id) as
            { id: string; version: string; score: number } | undefined;
          this.statements.insert.run({
            photoId,
            kind,
            tagKind: tag.kind,
            labelId: tag.id,
            labelName: tag.name,
            createdAt,
            batch,
            modelId: model?.id ?? null,
            modelVersion: model?.version ?? null,
            modelScore: model?.score ?? null,
          });
        }
      }
      return batch;
    })();
  }

  /** Takes back the most recent batch of corrections; returns the photos it touched (none when nothing is left). */
  undo(): number[] {
    return this.db.transaction(() => {
      const { batch } = this.statements.lastBatch.get() as { batch: number | null };
      if (batch === null) return [];
      const photos = (this.statements.photosOfBatch.all(batch) as { photoId: number }[]).map((row) => row.photoId);
      this.statements.deleteBatch.run(batch);
      return photos;
    })();
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
   * `modelThreshold` is given, the model's labels at or above it. Ordered by photo path.
   */
  examples(modelThreshold?: number): ExampleRow[] {
    return this.statements.examples.all({ threshold: modelThreshold ?? 2 }) as ExampleRow[];
  }

  /** The user's own labels ("Rex", "Receipts"), for autocomplete. */
  userLabels(): Tag[] {
    return (this.statements.userLabels.all() as { id: string; name: string }[]).map((row) => ({
      kind: 'label',
      ...row,
    }));
  }
}

/** The id of a user's own label: stable for the same name typed with other case or spacing. */
export const userLabelId = (name: string) => `user:${name.trim().toLowerCase().replace(/\s+/g, '-')}`;
