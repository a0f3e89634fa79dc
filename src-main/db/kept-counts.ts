/**
 * Counts kept by triggers (migration 8). They count scores in buckets of 0.05, so a count at a threshold is a sum
 * over at most 21 buckets instead of a pass over every photo. Bucket b holds the scores s with b/20 <= s < (b+1)/20
 * (bucket 20: 1 and above), compared exactly as `score >= threshold` compares them: for a threshold that is a
 * multiple of 0.05 (every step of the app's confidence slider), the sum of the buckets from its own is exact.
 */
export const SCORE_BUCKETS = 20;

/** photos.sort_at (YYYYMMDDHHMMSS, migration 7) divided by this is the month it falls in, as YYYYMM (migration 13). */
export const SORT_AT_MONTH = 100_000_000;

/**
 * The bucket of a score, in SQL. The product is rounded, so it is checked against the bucket's bounds, which are
 * the very doubles a threshold of b/20 is. Migration 8 stores buckets made by this: changing it needs a migration.
 */
export function scoreBucketSql(score: string): string {
  const truncated = `CAST(${score} * ${SCORE_BUCKETS} AS INTEGER)`;
  return `MIN(${SCORE_BUCKETS}, MAX(0, ${truncated} + (${score} >= (${truncated} + 1) / ${SCORE_BUCKETS}.0)
    - (${score} < ${truncated} / ${SCORE_BUCKETS}.0)))`;
}

/** The bucket a threshold starts, when counts kept by bucket answer it exactly; undefined when they cannot. */
export function thresholdBucket(threshold: number): number | undefined {
  const bucket = Math.round(threshold * SCORE_BUCKETS);
  return bucket >= 0 && bucket <= SCORE_BUCKETS && bucket / SCORE_BUCKETS === threshold ? bucket : undefined;
}

/**
 * What a tagged photo was tagged with, as one text (its model, version and secondary taggers, NULL kept apart from
 * any text): the key under which migration 8 counts tagged photos, so finding photos tagged otherwise reads counts.
 */
export const taggedWithSql = (modelId: string, modelVersion: string, taggers: string) =>
  `quote(${modelId}) || ' ' || quote(${modelVersion}) || ' ' || quote(${taggers})`;
