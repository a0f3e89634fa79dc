import type { Statement } from 'better-sqlite3';
import { TOP_LABELS } from '../classifier/scoring.js';
import type {
  PhotoCursor,
  PhotoFilter,
  PhotoSort,
  TagCount,
  TagRef,
  TagScore,
  Timeline,
  TimelineSection,
} from '../api/contract.js';
import type { Db } from './database.js';
import { SORT_AT_MONTH as MONTH, thresholdBucket } from './kept-counts.js';
import type { FolderSummary, PhotoStatus } from './photo-repository.js';

export interface BrowseRow {
  id: number;
  path: string;
  status: PhotoStatus;
  error: string | null;
  fingerprint: string | null;
  /** The photo's key in the order asked for: photos.sort_at for the date orders, its id in library order. */
  sortKey: number;
}

/** For each tag of a filter, in its order, the photos a learned label is suggested on (none for a category). */
export type SuggestedPhotos = readonly (readonly number[])[];

export interface TileTags {
  topLabel: TagScore | undefined;
  topCategory: TagScore | undefined;
  labels: TagScore[];
  /** People's faces found on the photo. */
  faces: number;
}

/** The table and id column of each kind of tag; both have an index on (id, score) that every tag filter uses. */
const TAG_SOURCES: Record<TagRef['kind'], { table: string; id: string; name: string }> = {
  label: { table: 'predictions', id: 'label_id', name: 'label_name' },
  category: { table: 'category_scores', id: 'category_id', name: 'category_name' },
};

/*
 * Corrections are truth (migration 3): a tag is the model's unless the user corrected it on that photo, and the
 * latest confirm or add makes it the user's. The effective_* views say exactly that, but reading 100,000 photos
 * through them costs three times more; corrections are few, so the queries below read the model's tables through
 * their indexes and set apart only the corrected (photo, tag) pairs: the same answer as the views, at index speed.
 */

/** Photos carrying tag @tagN with at least @minScore, corrections applied. */
const withTag = (kind: TagRef['kind'], parameter: string) => {
  const source = TAG_SOURCES[kind];
  return `p.id IN (
    SELECT photo_id FROM ${source.table} WHERE ${source.id} = ${parameter} AND score >= @minScore
      AND photo_id NOT IN (SELECT photo_id FROM corrections WHERE tag_kind = '${kind}' AND label_id = ${parameter})
    UNION ALL
    SELECT photo_id FROM current_corrections
      WHERE tag_kind = '${kind}' AND label_id = ${parameter} AND kind IN ('confirm', 'add'))`;
};

/**
 * The same condition, asked of each photo in turn through the tables' (photo, ...) keys. A page of a common tag
 * walks the order's index and stops at its page: 1 ms at a million photos where withTag first lists all 250,000
 * photos of the tag (1.4 s). A rare tag would walk far for a page: it keeps withTag (see isRare).
 */
const hasTag = (kind: TagRef['kind'], parameter: string) => {
  const source = TAG_SOURCES[kind];
  return `(EXISTS (SELECT 1 FROM ${source.table} t
      WHERE t.photo_id = p.id AND t.${source.id} = ${parameter} AND t.score >= @minScore)
    AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.photo_id = p.id AND c.tag_kind = '${kind}'
      AND c.label_id = ${parameter})
    OR EXISTS (SELECT 1 FROM current_corrections c WHERE c.photo_id = p.id AND c.tag_kind = '${kind}'
      AND c.label_id = ${parameter} AND c.kind IN ('confirm', 'add')))`;
};

/**
 * The filter's tags as its `suggested` asks for them. Each carried tag is `carries[i]` (withTag or hasTag); with
 * "include", a label also matches the photos it is suggested on, @suggestedN being the JSON array of the photo ids
 * the similarity worker suggests it on (see filterSuggestions; a category is never suggested). "only" is what
 * "include" shows and the carried tags alone would not: the photos shown for a suggestion and nothing else, whether
 * the tags must all match or any may.
 */
function tagsClause(filter: PhotoFilter, carries: string[]): string {
  const join = (parts: string[]) => (filter.match === 'any' ? parts.join(' OR ') : parts.join(' AND '));
  const carried = join(carries);
  if (filter.suggested === 'exclude') return `(${carried})`;
  const included = join(
    carries.map((carry, i) =>
      filter.tags[i]!.kind === 'label' ? `(${carry} OR p.id IN (SELECT value FROM json_each(@suggested${i})))` : carry,
    ),
  );
  return filter.suggested === 'include' ? `(${included})` : `(${included}) AND NOT (${carried})`;
}

/** Fewer model photos than this carry a rare tag: its list is short, and a page reads it rather than walk for it. */
const RARE = 2000;
const rareSql = ({ table, id }: (typeof TAG_SOURCES)[TagRef['kind']]) =>
  `SELECT COUNT(*) FROM (SELECT 1 FROM ${table} WHERE ${id} = ? AND score >= ? LIMIT ?)`;

/** Model tags of photo p at the threshold that no correction of that tag on p overrides. */
const uncorrectedModelTag = (kind: TagRef['kind']) => {
  const { table, id } = TAG_SOURCES[kind];
  return `EXISTS (SELECT 1 FROM ${table} t WHERE t.photo_id = p.id AND t.score >= @minScore
    AND NOT EXISTS (SELECT 1 FROM corrections c
      WHERE c.photo_id = p.id AND c.tag_kind = '${kind}' AND c.label_id = t.${id}))`;
};

/**
 * A photo shown as "untagged": not tagged yet, or tagged with nothing that reaches the threshold. Uncorrected
 * photos answer from their best score (migration 2); corrected ones as the effective views would, asked of the
 * tables through the photo's keys (the views, asked of one photo, were read whole: 19 s at a million photos):
 * no model tag left at the threshold, and no tag the user confirmed or added (a user's tag scores 1).
 */
const UNTAGGED = `(p.status IN ('pending', 'processing') OR (p.status = 'done' AND CASE
  WHEN p.id IN (SELECT photo_id FROM corrections) THEN
    NOT ${uncorrectedModelTag('label')} AND NOT ${uncorrectedModelTag('category')}
    AND NOT EXISTS (SELECT 1 FROM current_corrections c WHERE c.photo_id = p.id AND c.kind IN ('confirm', 'add'))
  ELSE COALESCE(p.best_score, 0) < @minScore END))`;

/** Library order has no months: its timeline sections are blocks of this many ids. */
const BLOCK = 4096;

/** Photos counted by timeline section. */
interface Counted {
  section: number;
  count: number;
}

interface SortOrder {
  key: string;
  /** Walked by the covering indexes: photos_(folder_)time_browse for the dates, photos_(folder_)browse for ids. */
  order: string;
  /** The keyset condition that starts a page after a cursor. */
  after: string;
  /** The timeline's section of a photo, and the cursor each section's first page starts after. */
  section: string;
  descending: boolean;
  start: (section: number) => PhotoCursor;
}

const SORTS: Record<PhotoSort, SortOrder> = {
  newest: {
    key: 'p.sort_at',
    order: 'p.sort_at DESC, p.id DESC',
    after: '(p.sort_at, p.id) < (@afterKey, @afterId)',
    section: `p.sort_at / ${MONTH}`,
    descending: true,
    // Before the first moment of the next month: the whole month and what is older.
    start: (month) => ({ key: (month + 1) * MONTH, id: 0 }),
  },
  oldest: {
    key: 'p.sort_at',
    order: 'p.sort_at, p.id',
    after: '(p.sort_at, p.id) > (@afterKey, @afterId)',
    section: `p.sort_at / ${MONTH}`,
    descending: false,
    start: (month) => ({ key: month * MONTH, id: 0 }),
  },
  found: {
    key: 'p.id',
    order: 'p.id',
    after: 'p.id > @afterId',
    section: `p.id / ${BLOCK}`,
    descending: false,
    start: (block) => ({ key: block * BLOCK - 1, id: block * BLOCK - 1 }),
  },
};

/**
 * The timeline of a filter without tags, month by month: from the newest month, each step finds the next older one
 * with photos on photos_time_browse and counts the filter's photos in its range there. At a million photos it costs
 * a third of grouping every photo by its month (which sorts them all); a tag's list is read once instead, so a tag
 * filter groups.
 */
const monthHopSql = (where: string, descending: boolean) => `WITH RECURSIVE months(m) AS (
    SELECT MAX(sort_at) / ${MONTH} FROM photos
    UNION ALL
    SELECT (SELECT MAX(sort_at) FROM photos WHERE sort_at < months.m * ${MONTH}) / ${MONTH} FROM months
    WHERE months.m IS NOT NULL)
  SELECT section, count FROM (SELECT m AS section, (SELECT COUNT(*) FROM photos p
      WHERE p.sort_at >= m * ${MONTH} AND p.sort_at < (m + 1) * ${MONTH} AND ${where}) AS count
    FROM months WHERE m IS NOT NULL)
  WHERE count > 0 ORDER BY section ${descending ? 'DESC' : 'ASC'}`;

/** "2024-05" for YYYYMM; null for the month of a photo whose date could not be read at all (sort_at 0). */
const monthName = (month: number) =>
  month === 0 ? null : `${Math.floor(month / 100)}-${String(month % 100).padStart(2, '0')}`;

/*
 * Counts are what the grid shows: tags of the photos present (missing ones are hidden). The model's come from the
 * counts kept per score bucket (migration 8) for the thresholds the app offers, and else from a pass over the
 * (id, score) index; the corrections, which are few, are applied to them as they are read.
 */

/** Model counts at a threshold kept counts answer: a sum over the tags' buckets. */
const keptCountsSql = `SELECT id, MIN(name) AS name, SUM(n) AS count FROM tag_counts
  WHERE kind = @kind AND bucket >= @bucket GROUP BY id`;

/** Model counts at any other threshold, through the covering (id, score) index, then one name per tag. */
const modelCountsSql = ({ table, id, name }: (typeof TAG_SOURCES)[TagRef['kind']]) => `SELECT id,
    (SELECT ${name} FROM ${table} WHERE ${id} = counted.id LIMIT 1) AS name, count
  FROM (SELECT ${id} AS id, COUNT(*) AS count FROM ${table} WHERE score >= ?
    AND photo_id NOT IN (SELECT id FROM photos WHERE status = 'missing') GROUP BY ${id}) counted`;

/** Model tags (at the threshold) that a correction overrides, per tag: they leave the model counts. */
const overriddenSql = (kind: TagRef['kind']) => {
  const { table, id } = TAG_SOURCES[kind];
  return `SELECT c.label_id AS id, COUNT(*) AS count
    FROM (SELECT DISTINCT photo_id, label_id FROM corrections WHERE tag_kind = '${kind}') c
    CROSS JOIN ${table} t ON t.photo_id = c.photo_id AND t.${id} = c.label_id AND t.score >= ?
    CROSS JOIN photos p ON p.id = c.photo_id AND p.status != 'missing'
    GROUP BY c.label_id`;
};

/** Tags the user confirmed or added, per tag: they count whatever the threshold (a user tag scores 1). */
const userCountsSql = (kind: TagRef['kind']) => `SELECT label_id AS id, MIN(label_name) AS name, COUNT(*) AS count
  FROM current_corrections c CROSS JOIN photos p ON p.id = c.photo_id AND p.status != 'missing'
  WHERE tag_kind = '${kind}' AND kind IN ('confirm', 'add') GROUP BY label_id`;

/**
 * The "untagged" filter's count from kept counts: photos waiting, tagged ones whose best-score bucket is under the
 * threshold's, and for the corrected ones (few) the difference the corrections make.
 */
const KEPT_UNTAGGED = `SELECT
    (SELECT COALESCE(SUM(n), 0) FROM photo_counts WHERE status IN ('pending', 'processing'))
    + (SELECT COALESCE(SUM(n), 0) FROM done_counts WHERE best < @bucket)
    + (SELECT COALESCE(SUM(untagged), 0) ${correctedUntagged('true')}) AS n`;

/**
 * What corrections change in the kept counts of "untagged" photos, for each tagged photo carrying them (`where`
 * chooses among those): 1 for one shown untagged that its best score alone would not, -1 for the reverse.
 */
function correctedUntagged(where: string): string {
  return `FROM (SELECT p.sort_at, ${UNTAGGED} - (COALESCE(p.best_score, 0) < @minScore) AS untagged
    FROM (SELECT DISTINCT photo_id FROM corrections) c CROSS JOIN photos p ON p.id = c.photo_id
    WHERE p.status = 'done' AND ${where})`;
}

/**
 * The timeline of a filter without tags in a date order, from the photos counted by month (migration 13); an
 * "untagged" filter at a threshold of the slider's adds what corrections change, month by month.
 */
function keptTimelineSql(filter: PhotoFilter, descending: boolean): string {
  const where = ["status != 'missing'", 'n != 0'];
  if (filter.folderId !== null) where.push('folder_id = @folderId');
  if (filter.status === 'failed') where.push("status = 'failed'");
  if (filter.status === 'untagged') {
    where.push("(status IN ('pending', 'processing') OR status = 'done' AND best < @bucket)");
  }
  const kept = `SELECT month, n FROM month_counts WHERE ${where.join(' AND ')}`;
  const inFolder = filter.folderId === null ? 'true' : 'p.folder_id = @folderId';
  const corrected = `SELECT sort_at / ${MONTH}, untagged ${correctedUntagged(inFolder)}`;
  return `SELECT month AS section, SUM(n) AS count
    FROM (${kept}${filter.status === 'untagged' ? ` UNION ALL ${corrected}` : ''})
    GROUP BY month HAVING count > 0 ORDER BY month ${descending ? 'DESC' : 'ASC'}`;
}

/**
 * Read-only SQL for browsing a library: filtered, paged photo lists, their captions, and tag counts. Filters are
 * composed from fixed fragments (the shape depends only on how many tags and which options are set), every value
 * is a bound parameter, and each shape's statements are prepared once and kept.
 */
export class BrowseRepository {
  private readonly shapes = new Map<string, { page: Statement; timeline: Statement; ids: Statement }>();
  private readonly keptTimelines = new Map<string, Statement>();
  private readonly statements;

  constructor(private readonly db: Db) {
    const prepare = (sql: string) => db.prepare(sql);
    this.statements = {
      // A page is a few hundred photos: the effective views are cheap at that size.
      labelsOf: prepare(`SELECT photo_id AS photoId, id, name, score, source FROM effective_labels
        WHERE photo_id IN (SELECT value FROM json_each(?)) ORDER BY photo_id, source != 'model' DESC, score DESC, rank`),
      // SQLite returns the other columns of the row holding MAX(score).
      topCategoryOf:
        prepare(`SELECT photo_id AS photoId, id, name, MAX(score) AS score, source FROM effective_categories
        WHERE photo_id IN (SELECT value FROM json_each(?)) GROUP BY photo_id`),
      facesOf: prepare(`SELECT photo_id AS photoId, COUNT(*) AS n FROM faces
        WHERE photo_id IN (SELECT value FROM json_each(?)) GROUP BY photo_id`),
      keptCounts: prepare(keptCountsSql),
      counts: {
        label: {
          model: prepare(modelCountsSql(TAG_SOURCES.label)),
          overridden: prepare(overriddenSql('label')),
          user: prepare(userCountsSql('label')),
        },
        category: {
          model: prepare(modelCountsSql(TAG_SOURCES.category)),
          overridden: prepare(overriddenSql('category')),
          user: prepare(userCountsSql('category')),
        },
      },
      folders: prepare('SELECT id, path FROM folders ORDER BY path'),
      statusByFolder: prepare('SELECT folder_id AS folderId, status, n FROM photo_counts WHERE n != 0'),
      // Corrections are few: a pass over them, not over the photos (CROSS JOIN keeps that order, which the planner
      // left for a pass over the photos when the statistics saw no corrections).
      correctedByFolder: prepare(`SELECT p.folder_id AS folderId, COUNT(DISTINCT c.photo_id) AS n
        FROM corrections c CROSS JOIN photos p ON p.id = c.photo_id WHERE c.source = 'user' GROUP BY p.folder_id`),
      rare: {
        label: prepare(rareSql(TAG_SOURCES.label)).pluck(),
        category: prepare(rareSql(TAG_SOURCES.category)).pluck(),
      },
      untaggedCount: prepare(`SELECT COUNT(*) AS n FROM photos p WHERE p.status != 'missing' AND ${UNTAGGED}`),
      keptUntaggedCount: prepare(KEPT_UNTAGGED),
    };
  }

  /**
   * The statements of one filter shape in one order, a page's with or without a cursor to start after. `walk`
   * says for each tag whether a page asks each photo for it (hasTag) rather than list the tag's photos (withTag);
   * counting and "select all" always list them.
   */
  private shape(filter: PhotoFilter, sort: PhotoSort, after: boolean, walk: boolean[] = []) {
    const key = [
      filter.tags.map((tag, i) => `${tag.kind}${walk[i] ? '*' : ''}`).join(','),
      filter.tags.length > 1 ? filter.match : '',
      filter.folderId === null ? '' : 'f',
      filter.status,
      filter.tags.length > 0 ? filter.suggested : '',
      sort,
      after ? 'a' : '',
    ].join('|');
    let shape = this.shapes.get(key);
    if (!shape) {
      const where = ["p.status != 'missing'"];
      if (filter.folderId !== null) where.push('p.folder_id = @folderId');
      if (filter.status === 'failed') where.push("p.status = 'failed'");
      if (filter.status === 'untagged') where.push(UNTAGGED);
      const carries = filter.tags.map((tag, i) => (walk[i] ? hasTag : withTag)(tag.kind, `@tag${i}`));
      if (carries.length > 0) where.push(tagsClause(filter, carries));
      const from = `FROM photos p WHERE ${where.join(' AND ')}`;
      const order = SORTS[sort];
      shape = {
        page: this.db.prepare(`SELECT p.id, p.path, p.status, p.error, p.fingerprint, ${order.key} AS sortKey
          ${from}${after ? ` AND ${order.after}` : ''} ORDER BY ${order.order} LIMIT @limit OFFSET @offset`),
        timeline: this.db.prepare(
          filter.tags.length === 0 && sort !== 'found'
            ? monthHopSql(where.join(' AND '), order.descending)
            : `SELECT ${order.section} AS section, COUNT(*) AS count ${from}
              GROUP BY section ORDER BY section ${order.descending ? 'DESC' : 'ASC'}`,
        ),
        ids: this.db.prepare(`SELECT p.id ${from} ORDER BY p.id`).pluck(),
      };
      this.shapes.set(key, shape);
    }
    return shape;
  }

  private params(filter: PhotoFilter, suggested: SuggestedPhotos): Record<string, unknown> {
    const params: Record<string, unknown> = { minScore: filter.minScore };
    if (filter.folderId !== null) params.folderId = filter.folderId;
    filter.tags.forEach((tag, i) => (params[`tag${i}`] = tag.id));
    if (filter.suggested !== 'exclude') {
      filter.tags.forEach((_, i) => (params[`suggested${i}`] = JSON.stringify(suggested[i] ?? [])));
    }
    // Named parameters a statement does not use must not be passed.
    if (filter.tags.length === 0 && filter.status !== 'untagged') delete params.minScore;
    return params;
  }

  /**
   * One page of matching photos in `sort` order: those after the cursor (from the start without one), skipping
   * `offset`, and the cursor the next page starts after (null once the end is reached). No count: that is the
   * timeline's, asked for apart, so a page costs its own rows wherever it starts.
   */
  page(
    filter: PhotoFilter,
    sort: PhotoSort,
    after: PhotoCursor | null,
    offset: number,
    limit: number,
    suggested: SuggestedPhotos = [],
  ): { rows: BrowseRow[]; next: PhotoCursor | null } {
    const params: Record<string, unknown> = { ...this.params(filter, suggested), offset, limit };
    if (after) {
      params.afterId = after.id;
      if (sort !== 'found') params.afterKey = after.key;
    }
    const walk = filter.tags.map((tag) => !this.isRare(tag, filter.minScore));
    const rows = this.shape(filter, sort, after !== null, walk).page.all(params) as BrowseRow[];
    const last = rows.at(-1);
    return { rows, next: last && rows.length === limit ? { key: last.sortKey, id: last.id } : null };
  }

  /** Whether fewer than RARE photos carry the tag in the model's results: counted up to RARE on its (id, score) index. */
  private isRare(tag: TagRef, minScore: number): boolean {
    return (this.statements.rare[tag.kind].get(tag.id, minScore, RARE) as number) < RARE;
  }

  /** How many photos the filter matches, by month (or by block in library order), in `sort` order. */
  timeline(filter: PhotoFilter, sort: PhotoSort, suggested: SuggestedPhotos = []): Timeline {
    return (
      this.keptTimeline(filter, sort) ??
      this.sectioned(sort, this.shape(filter, sort, false).timeline.all(this.params(filter, suggested)) as Counted[])
    );
  }

  /**
   * The timeline from the photos counted by month (migration 13): a filter without tags in a date order, at any
   * threshold the slider offers. Undefined for the others, whose timeline takes a pass over their photos.
   */
  keptTimeline(filter: PhotoFilter, sort: PhotoSort): Timeline | undefined {
    const bucket = thresholdBucket(filter.minScore);
    const untagged = filter.status === 'untagged';
    if (filter.tags.length > 0 || sort === 'found' || (untagged && bucket === undefined)) return undefined;
    const key = [filter.folderId === null ? '' : 'f', filter.status, sort].join('|');
    let statement = this.keptTimelines.get(key);
    if (!statement) {
      statement = this.db.prepare(keptTimelineSql(filter, SORTS[sort].descending));
      this.keptTimelines.set(key, statement);
    }
    const params: Record<string, unknown> = untagged ? { minScore: filter.minScore, bucket } : {};
    if (filter.folderId !== null) params.folderId = filter.folderId;
    return this.sectioned(sort, statement.all(params) as Counted[]);
  }

  /** A timeline of these counts by section, each section with the cursor its first page starts after. */
  private sectioned(sort: PhotoSort, counted: Counted[]): Timeline {
    const order = SORTS[sort];
    const sections = counted.map(({ section, count }, i): TimelineSection => {
      const month = sort === 'found' ? null : monthName(section);
      return {
        key: sort === 'found' ? `#${section}` : (month ?? 'undated'),
        month,
        count,
        after: i === 0 ? null : order.start(section),
      };
    });
    return { total: sections.reduce((sum, section) => sum + section.count, 0), sections };
  }

  /** Every photo the filter matches, in library order: what "select all" means. */
  ids(filter: PhotoFilter, suggested: SuggestedPhotos = []): number[] {
    return this.shape(filter, 'found', false).ids.all(this.params(filter, suggested)) as number[];
  }

  /** The caption candidates and top labels (the user's, then the model's, five in all), one query per table. */
  tileTags(ids: number[]): Map<number, TileTags> {
    const tags = new Map<number, TileTags>(
      ids.map((id) => [id, { topLabel: undefined, topCategory: undefined, labels: [], faces: 0 }]),
    );
    if (ids.length === 0) return tags;
    const json = JSON.stringify(ids);
    for (const row of this.statements.labelsOf.all(json) as (TagScore & { photoId: number })[]) {
      const entry = tags.get(row.photoId)!;
      const score = { id: row.id, name: row.name, score: row.score, source: row.source };
      entry.topLabel ??= score;
      if (entry.labels.length < TOP_LABELS) entry.labels.push(score);
    }
    for (const row of this.statements.topCategoryOf.all(json) as (TagScore & { photoId: number })[]) {
      tags.get(row.photoId)!.topCategory = { id: row.id, name: row.name, score: row.score, source: row.source };
    }
    for (const row of this.statements.facesOf.all(json) as { photoId: number; n: number }[]) {
      tags.get(row.photoId)!.faces = row.n;
    }
    return tags;
  }

  /**
   * Every category and label carried with at least `minScore` by the photos present, corrections applied, most
   * frequent first.
   */
  tagCounts(minScore: number): { categories: TagCount[]; labels: TagCount[] } {
    const bucket = thresholdBucket(minScore);
    const count = (kind: TagRef['kind']): TagCount[] => {
      const statements = this.statements.counts[kind];
      const model =
        bucket === undefined ? statements.model.all(minScore) : this.statements.keptCounts.all({ kind, bucket });
      const tags = new Map<string, TagCount>();
      for (const row of model as Omit<TagCount, 'kind'>[]) tags.set(row.id, { kind, ...row });
      for (const row of statements.overridden.all(minScore) as { id: string; count: number }[]) {
        const tag = tags.get(row.id);
        if (tag) tag.count -= row.count;
      }
      for (const row of statements.user.all() as Omit<TagCount, 'kind'>[]) {
        const tag = tags.get(row.id);
        if (tag) tag.count += row.count;
        else tags.set(row.id, { kind, ...row });
      }
      return [...tags.values()]
        .filter((tag) => tag.count > 0)
        .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    };
    return { categories: count('category'), labels: count('label') };
  }

  /** Each folder with its photos counted by state (kept counts) and how many of them carry corrections. */
  folderSummaries(): FolderSummary[] {
    const folders = new Map(
      (this.statements.folders.all() as { id: number; path: string }[]).map((folder) => [
        folder.id,
        { ...folder, total: 0, done: 0, failed: 0, pending: 0, corrected: 0 },
      ]),
    );
    for (const row of this.statements.correctedByFolder.all() as { folderId: number; n: number }[]) {
      const folder = folders.get(row.folderId);
      if (folder) folder.corrected = row.n;
    }
    for (const row of this.statements.statusByFolder.all() as { folderId: number; status: PhotoStatus; n: number }[]) {
      const folder = folders.get(row.folderId);
      if (!folder || row.status === 'missing') continue;
      folder.total += row.n;
      if (row.status === 'done') folder.done += row.n;
      else if (row.status === 'failed') folder.failed += row.n;
      else folder.pending += row.n;
    }
    return [...folders.values()];
  }

  /** How many photos the "untagged" filter shows at this threshold. */
  untaggedCount(minScore: number): number {
    const bucket = thresholdBucket(minScore);
    const row =
      bucket === undefined
        ? this.statements.untaggedCount.get({ minScore })
        : this.statements.keptUntaggedCount.get({ minScore, bucket });
    return (row as { n: number }).n;
  }
}
