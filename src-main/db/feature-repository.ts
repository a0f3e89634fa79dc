import type { Db } from './database.js';
import type { ModelRef } from './photo-repository.js';

/** One photo's stored features, as the similarity worker loads them. */
export interface FeatureRow {
  photoId: number;
  scale: number;
  codes: Uint8Array;
  imageHash: string;
}

/** A photo the user gave a label to (confirmed or added), or rejected it on. */
export interface LabelExample {
  labelId: string;
  labelName: string;
  photoId: number;
  kind: 'confirm' | 'add' | 'reject';
}

/**
 * The SQL of what Phototag learns from how photos look: the feature vectors the tagging pipeline stores (see
 * PhotoRepository.saveTagged), the user's label corrections the own-label models train on, and the user's answers
 * to their suggestions.
 */
export class FeatureRepository {
  private readonly statements;

  constructor(db: Db) {
    const prepare = (sql: string) => db.prepare(sql);
    const shown = `p.id = f.photo_id AND p.status = 'done' AND f.model_id = @id AND f.model_version = @version`;
    this.statements = {
      // Changes whenever a vector is stored or removed, or a photo goes missing or comes back.
      signature: prepare(`SELECT COUNT(*) AS n, COALESCE(MAX(f.stored_at), 0) AS latest,
          COALESCE(SUM(f.photo_id), 0) AS ids FROM features f JOIN photos p ON ${shown}`),
      vectors: prepare(`SELECT f.photo_id AS photoId, f.scale, f.codes, f.image_hash AS imageHash
        FROM features f JOIN photos p ON ${shown} ORDER BY f.photo_id`),
      // A no to a suggestion counts as a rejection (an own label cannot be rejected otherwise: it is the user's word).
      labelExamples: prepare(`SELECT label_id AS labelId, label_name AS labelName, photo_id AS photoId, kind
          FROM current_corrections WHERE tag_kind = 'label'
        UNION ALL
        SELECT a.label_id, '', a.photo_id, 'reject' FROM suggestion_answers a WHERE a.accepted = 0
          AND NOT EXISTS (SELECT 1 FROM current_corrections c WHERE c.photo_id = a.photo_id AND c.tag_kind = 'label'
            AND c.label_id = a.label_id)
        ORDER BY 1, 3`),
      hasLearnable: prepare(`SELECT EXISTS (SELECT 1 FROM current_corrections
        WHERE tag_kind = 'label' AND kind IN ('confirm', 'add') GROUP BY label_id HAVING COUNT(*) >= ?) AS learnable`),
      answer: prepare(`INSERT INTO suggestion_answers (photo_id, label_id, accepted, score, answered_at)
        VALUES (@photoId, @labelId, @accepted, @score, @now) ON CONFLICT (photo_id, label_id) DO UPDATE SET
          accepted = excluded.accepted, score = excluded.score, answered_at = excluded.answered_at`),
      accepted: prepare(`SELECT photo_id AS photoId, label_id AS labelId, score FROM suggestion_answers
        WHERE accepted = 1`),
      forgetNo: prepare(`DELETE FROM suggestion_answers WHERE photo_id = ? AND label_id = ? AND accepted = 0`),
    };
  }

  /** A string that changes whenever the vectors of `model`'s photos do. */
  signature(model: ModelRef): string {
    const row = this.statements.signature.get(model) as { n: number; latest: number; ids: number };
    return `${row.n}/${row.latest}/${row.ids}`;
  }

  /** Every tagged photo's features from `model`, by photo id. */
  vectors(model: ModelRef): FeatureRow[] {
    return this.statements.vectors.all(model) as FeatureRow[];
  }

  /** The latest correction of each label on each photo. */
  labelExamples(): LabelExample[] {
    return this.statements.labelExamples.all() as LabelExample[];
  }

  /** Whether some label is on at least `examples` photos by the user's word (confirmed or added). */
  hasLearnableLabels(examples: number): boolean {
    return (this.statements.hasLearnable.get(examples) as { learnable: number }).learnable === 1;
  }

  /** Records the user's yes or no to a suggestion of the label on the photo, with the suggestion's score. */
  answer(photoId: number, labelId: string, accepted: boolean, score: number): void {
    this.statements.answer.run({ photoId, labelId, accepted: accepted ? 1 : 0, score, now: Date.now() });
  }

  /** Forgets the user's no to a suggestion of the label on the photo; false when there was none. */
  forgetNo(photoId: number, labelId: string): boolean {
    return this.statements.forgetNo.run(photoId, labelId).changes > 0;
  }

  /** The suggestions the user said yes to (whether the label is still on the photo is the corrections' to say). */
  accepted(): { photoId: number; labelId: string; score: number }[] {
    return this.statements.accepted.all() as { photoId: number; labelId: string; score: number }[];
  }
}
