import type { Score } from '../api/contract.js';
import type { Db } from './database.js';
import { SCORE_BUCKETS, thresholdBucket } from './kept-counts.js';

export interface ReviewRow {
  id: number;
  path: string;
  fingerprint: string | null;
  margin: number;
}

/*
 * The review queue: photos the model tagged that carry no correction of the user's, least certain first. Certainty
 * is photos.margin (migration 4), the gap between the top two labels; its partial index holds exactly the tagged
 * photos in queue order, so a page stops after a few rows, and "no correction" is one lookup in the corrections
 * index, which starts with photo_id.
 */
const TAGGED = "p.status = 'done' AND p.margin IS NOT NULL";
/** Only the user's own corrections make a photo reviewed: keywords its file carries (source 'file') do not. */
const REVIEWED = "SELECT photo_id FROM corrections WHERE source = 'user'";
const SET_APART = `(${REVIEWED} UNION SELECT value FROM json_each(@exclude))`;

/**
 * A photo whose top label leads the second by less than this is one the model was unsure of: what the review is
 * for first (dog.jpg's Alaskan malamute leads by 0.69, owl.jpg's ruffed grouse by 0.16, a face's lobster by 0).
 */
export const UNCERTAIN_MARGIN = 0.5;
/** Every margin bucket: a margin is at most 1. */
const ALL_MARGINS = SCORE_BUCKETS + 1;

/** Read-only SQL for correcting: the review queue, and what a correction request names. */
export class ReviewRepository {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      knownName: {
        label: db
          .prepare(
            `SELECT label_name FROM predictions WHERE label_id = @id
            UNION ALL SELECT label_name FROM corrections WHERE tag_kind = 'label' AND label_id = @id LIMIT 1`,
          )
          .pluck(),
        category: db
          .prepare(
            `SELECT category_name FROM category_scores WHERE category_id = @id
            UNION ALL SELECT label_name FROM corrections WHERE tag_kind = 'category' AND label_id = @id LIMIT 1`,
          )
          .pluck(),
      },
      existing: db
        .prepare(`SELECT id FROM photos WHERE id IN (SELECT value FROM json_each(?)) AND status != 'missing'`)
        .pluck(),
      page: db.prepare(`SELECT p.id, p.path, p.fingerprint, p.margin FROM photos p
        WHERE ${TAGGED} AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.photo_id = p.id AND c.source = 'user')
          AND p.id NOT IN (SELECT value FROM json_each(@exclude))
        ORDER BY p.margin, p.id LIMIT @limit`),
      // The tagged photos with a margin under @below's bucket (kept counts, migration 8) less those corrected or
      // set apart: corrections are few.
      count: db.prepare(`SELECT (SELECT COALESCE(SUM(n), 0) FROM done_counts WHERE margin >= 0 AND margin < @below)
        - (SELECT COUNT(*) FROM ${SET_APART} s CROSS JOIN photos p ON p.id = s.photo_id
           WHERE ${TAGGED} AND p.margin < @below / ${SCORE_BUCKETS}.0) AS n`),
      labelsOf: db.prepare(`SELECT photo_id AS photoId, label_id AS id, label_name AS name, score FROM predictions
        WHERE photo_id IN (SELECT value FROM json_each(?)) ORDER BY photo_id, score DESC, rank`),
    };
  }

  /** The `limit` least certain photos not yet reviewed, leaving out `exclude`, and how many there are in all. */
  queue(exclude: number[], limit: number): { left: number; rows: ReviewRow[] } {
    const params = { exclude: JSON.stringify(exclude) };
    // One read transaction: the count and the page come from the same snapshot.
    return this.db.transaction(() => ({
      left: (this.statements.count.get({ ...params, below: ALL_MARGINS }) as { n: number }).n,
      rows: this.statements.page.all({ ...params, limit }) as ReviewRow[],
    }))();
  }

  /** The display name of a tag the library already holds (from any model, or the user's); undefined if none. */
  knownName(kind: 'label' | 'category', id: string): string | undefined {
    return this.statements.knownName[kind].get({ id }) as string | undefined;
  }

  /** Those of `ids` that name photos in the library. */
  existing(ids: number[]): Set<number> {
    return new Set(this.statements.existing.all(JSON.stringify(ids)) as number[]);
  }

  /** How many photos wait for a review. */
  count(): number {
    return (this.statements.count.get({ exclude: '[]', below: ALL_MARGINS }) as { n: number }).n;
  }

  /** How many of them the model was unsure of (see UNCERTAIN_MARGIN). */
  uncertain(): number {
    const below = thresholdBucket(UNCERTAIN_MARGIN);
    return (this.statements.count.get({ exclude: '[]', below }) as { n: number }).n;
  }

  /** The model's labels of each photo (a specialist's species among them), best first, as the photo view lists them. */
  labelsOf(ids: number[]): Map<number, Score[]> {
    const labels = new Map<number, Score[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return labels;
    for (const row of this.statements.labelsOf.all(JSON.stringify(ids)) as (Score & { photoId: number })[]) {
      labels.get(row.photoId)?.push({ id: row.id, name: row.name, score: row.score });
    }
    return labels;
  }
}
