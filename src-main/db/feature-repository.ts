import { dataVersion, type Db } from './database.js';
import type { ModelRef } from './photo-repository.js';

/**
 * Every stored vector of a model, as the similarity worker loads them: one block of memory for all, in photo id
 * order, and no object per photo (at 100,000 photos the objects alone cost more than the copying).
 */
export interface FeatureBlock {
  ids: Int32Array;
  dimensions: number;
  /** `dimensions` int8 codes a photo, one photo after another (cosine similarity needs no per-vector scale). */
  codes: Int8Array;
  /** Each photo's 64-bit perceptual hash, as its high and low 32 bits. */
  hashHigh: Uint32Array;
  hashLow: Uint32Array;
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
  /** The last signature counted, and the data_version it was counted at. */
  private counted: { version: number; key: string; signature: string } | undefined;

  constructor(private readonly db: Db) {
    const prepare = (sql: string) => db.prepare(sql);
    // A photo whose hash is still to be made again (migration 15) is left out until it is.
    const shown = `p.id = f.photo_id AND p.status = 'done' AND f.model_id = @id AND f.model_version = @version
      AND f.image_hash != ''`;
    this.statements = {
      // Changes whenever a vector is stored or removed, or a photo goes missing or comes back.
      signature: prepare(`SELECT COUNT(*) AS n, COALESCE(MAX(f.stored_at), 0) AS latest,
          COALESCE(SUM(f.photo_id), 0) AS ids FROM features f JOIN photos p ON ${shown}`),
      vectors: prepare(`SELECT f.photo_id, f.codes, f.image_hash FROM features f JOIN photos p ON ${shown}
        ORDER BY f.photo_id`).raw(),
      dimensions: prepare(`SELECT COUNT(*) AS n, MAX(length(f.codes)) AS dimensions
        FROM features f JOIN photos p ON ${shown}`),
      // A no to a suggestion counts as a rejection (an own label cannot be rejected otherwise: it is the user's word).
      labelExamples: prepare(`SELECT label_id AS labelId, label_name AS labelName, photo_id AS photoId, kind
          FROM current_corrections WHERE tag_kind = 'label'
        UNION ALL
        SELECT a.label_id, '', a.photo_id, 'reject' FROM suggestion_answers a WHERE a.accepted = 0
          AND NOT EXISTS (SELECT 1 FROM current_corrections c WHERE c.photo_id = a.photo_id AND c.tag_kind = 'label'
            AND c.label_id = a.label_id)
        ORDER BY 1, 3`),
      // A model label the photo shows (at the app's default lowest score), or the user's own: never suggested again.
      carrying: prepare(`SELECT photo_id FROM effective_labels WHERE id = ? AND score >= ?`).pluck(),
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

  /**
   * A string that changes whenever the vectors of `model`'s photos do. Counting them is a pass over the features
   * (0.2 s at 100,000 photos), so it is counted again only when some other connection has written to the library
   * since (SQLite's data_version): a question asked while nothing is being tagged costs nothing.
   */
  signature(model: ModelRef): string {
    const version = dataVersion(this.db);
    const key = `${model.id}@${model.version}`;
    if (this.counted?.version !== version || this.counted.key !== key) {
      const row = this.statements.signature.get(model) as { n: number; latest: number; ids: number };
      this.counted = { version, key, signature: `${row.n}/${row.latest}/${row.ids}` };
    }
    return this.counted.signature;
  }

  /**
   * Every tagged photo's features from `model`, by photo id, read in one pass into arrays sized beforehand (in one
   * read transaction, so that the count and the rows agree).
   */
  vectors(model: ModelRef): FeatureBlock {
    return this.db.transaction(() => {
      const { n, dimensions } = this.statements.dimensions.get(model) as { n: number; dimensions: number | null };
      const d = dimensions ?? 0;
      const block = {
        ids: new Int32Array(n),
        dimensions: d,
        codes: new Int8Array(n * d),
        hashHigh: new Uint32Array(n),
        hashLow: new Uint32Array(n),
      };
      let i = 0;
      const rows = this.statements.vectors.iterate(model) as Iterable<[number, Buffer, string]>;
      for (const [photoId, codes, hash] of rows) {
        if (codes.byteLength !== d) {
          throw new Error(`The stored features of photo ${photoId} have ${codes.byteLength} values, not ${d}.`);
        }
        block.ids[i] = photoId;
        block.codes.set(new Int8Array(codes.buffer, codes.byteOffset, d), i * d);
        block.hashHigh[i] = Number.parseInt(hash.slice(0, 8), 16);
        block.hashLow[i] = Number.parseInt(hash.slice(8, 16), 16);
        i++;
      }
      return block;
    })();
  }

  /** The latest correction of each label on each photo. */
  labelExamples(): LabelExample[] {
    return this.statements.labelExamples.all() as LabelExample[];
  }

  /** The photos that carry the label as a tag scoring at least `minScore`, the user's own included. */
  photosCarrying(labelId: string, minScore: number): number[] {
    return this.statements.carrying.all(labelId, minScore) as number[];
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
