import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import { PHOTOS_CARRYING } from '../../src-main/db/photo-repository.js';
import { Library } from '../../src-main/library/library.js';
import { createSyntheticLibrary, type SyntheticLibrary } from '../bench/synthetic-library.js';
import { MODELS_DIR, tempDir } from '../helpers.js';

describe('tag search on a large library', () => {
  let synthetic: SyntheticLibrary;
  let library: Library;

  before(async () => {
    const dir = tempDir();
    synthetic = await createSyntheticLibrary(dir, 3000);
    library = Library.open({ dbPath: synthetic.dbPath, modelDirs: { embedded: MODELS_DIR, user: join(dir, 'm') } });
  });
  after(() => library.close());

  /** What SQLite does for each table it reads, in the words of EXPLAIN QUERY PLAN. */
  function plan(db: Db, sql: string): string[] {
    const params = { labels: '["n02099601"]', categories: '["dog"]', minScore: 0.3 };
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((row) => row.detail);
  }

  it('reads the photos of the tags searched through their (tag id, score) indexes, never every row', () => {
    const db = openDatabase(synthetic.dbPath, { readonly: true });
    try {
      const steps = plan(db, PHOTOS_CARRYING);
      for (const index of [
        'predictions_label (label_id=? AND score>?)',
        'category_scores_category (category_id=? AND score>?)',
        'corrections_label (tag_kind=? AND label_id=?)',
      ]) {
        assert.ok(
          steps.some((step) => step.includes(index)),
          `${index} in:\n${steps.join('\n')}`,
        );
      }
      const scans = steps.filter((step) => /^SCAN (p|s|c|l|predictions|category_scores|corrections)\b/.test(step));
      assert.deepEqual(scans, [], steps.join('\n'));
      // The model's tags, nearly every hit, from the index alone: no read of the table per hit.
      for (const index of ['predictions_label', 'category_scores_category']) {
        assert.ok(
          steps.some((step) => step.includes(`USING COVERING INDEX ${index} `)),
          `${index} covering in:\n${steps.join('\n')}`,
        );
      }
    } finally {
      db.close();
    }
  });

  it('finds every photo of a category at the threshold, best first', () => {
    const { id, name, count } = synthetic.commonCategory;
    const { tags, photos } = library.searchTags(`${name.toUpperCase()}S`, 0.3);
    assert.deepEqual(tags, [{ kind: 'category', id, name }]);
    const scores = [...photos].map((hit) => hit.score);
    assert.equal(scores.length, count);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
  });
});
