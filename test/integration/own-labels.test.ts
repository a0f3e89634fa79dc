import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { userLabelId, type Tag } from '../../src-main/db/correction-repository.js';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

const own = (name: string): Tag => ({ kind: 'label', id: userLabelId(name), name });

/** A library of one folder of small copies of one photo, each (by name) with its keyword in a sidecar. */
async function libraryWithKeywords(keywords: Record<string, string>) {
  const dir = tempDir();
  const folder = join(dir, 'photos');
  mkdirSync(folder);
  const small = join(dir, 'small.jpg');
  await sharp(photo('parrot.jpg')).resize(32, 32).jpeg().toFile(small);
  for (const [name, keyword] of Object.entries(keywords)) {
    copyFileSync(small, join(folder, name));
    execFileSync('exiftool', ['-q', `-XMP-dc:Subject=${keyword}`, join(folder, `${name}.xmp`)]);
  }
  const library = Library.open({
    dbPath: join(dir, 'library.sqlite'),
    modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
  });
  return { library, folder: await library.addFolder(folder) };
}

/** The names each own label is stored with, by id. */
const storedNames = (library: Library) =>
  library.db
    .prepare(
      "SELECT label_id AS id, group_concat(DISTINCT label_name) AS names FROM corrections WHERE label_id LIKE 'user:%' GROUP BY 1 ORDER BY 1",
    )
    .all();

describe("the user's own labels", () => {
  it('a keyword is stored as the own label the user or another photo of the run made, in any case', async () => {
    const { library, folder } = await libraryWithKeywords({
      'a.jpg': 'Beach day',
      'b.jpg': 'beach DAY',
      'c.jpg': 'rex',
      'd.jpg': 'Beach  day',
    });
    try {
      await library.scan(folder);
      const [first] = library.repo.photosUnder(folder.path);
      // Made before the run, and so before the tagger holds the own labels it reads once.
      library.repo.corrections.apply([first!.id], { type: 'add', tag: own('Rex') });
      await library.tag();
      const names = storedNames(library) as { id: string; names: string }[];
      assert.equal(names.length, 2, JSON.stringify(names));
      assert.equal(names[0]!.id, 'user:beach-day');
      assert.ok(['Beach day', 'beach DAY'].includes(names[0]!.names), names[0]!.names);
      assert.deepEqual(names[1], { id: 'user:rex', names: 'Rex' });
      assert.deepEqual(
        library.repo.corrections
          .userLabels()
          .map((label) => label.id)
          .sort(),
        ['user:beach-day', 'user:rex'],
      );

      // The user makes an own label after the tagger read them; a keyword it resolved then is stored by that name.
      library.repo.corrections.apply([first!.id], { type: 'add', tag: own('Sunset') });
      library.repo.corrections.setFileTags(first!.id, [own('SUNSET')]);
      assert.deepEqual(
        storedNames(library).filter((row) => (row as { id: string }).id === 'user:sunset'),
        [{ id: 'user:sunset', names: 'Sunset' }],
      );
    } finally {
      await library.close();
    }
  });

  it('lists each id with each name its adds hold, by name, seeking through their index', async () => {
    const { library } = await libraryWithKeywords({ 'a.jpg': 'Unused' });
    try {
      const db = library.db;
      db.prepare('INSERT INTO folders (id, path, added_at) VALUES (99, ?, 0)').run('/elsewhere');
      const photoId = (path: string) =>
        Number(
          db
            .prepare('INSERT INTO photos (folder_id, path, size, mtime_ms) VALUES (99, ?, 1, 1) RETURNING id')
            .pluck()
            .get(path),
        );
      const insert = db.prepare(`INSERT INTO corrections (photo_id, kind, tag_kind, label_id, label_name, created_at,
        batch, source) VALUES (?, ?, ?, ?, ?, 0, 0, 'user')`);
      const rows: [string, string, string, string][] = [
        ['add', 'label', 'user:zebra', 'Zebra'],
        ['add', 'label', 'user:beach-day', 'beach DAY'],
        ['add', 'label', 'user:beach-day', 'Beach day'],
        ['add', 'label', 'user:beach-day', 'Beach day'],
        ['reject', 'label', 'user:rejected', 'Rejected'],
        ['confirm', 'label', 'user:confirmed', 'Confirmed'],
        ['add', 'category', 'user:category', 'Category'],
        ['add', 'label', 'user;after', 'After'],
        ['add', 'label', 'user', 'User'],
        ['add', 'label', 'n02099601', 'Golden retriever'],
        ['add', 'label', 'user:', 'Empty'],
        ['add', 'label', 'user:alpha', 'alpha'],
      ];
      rows.forEach(([kind, tagKind, id, name], index) =>
        insert.run(photoId(`/elsewhere/${index}.jpg`), kind, tagKind, id, name),
      );

      // What the pass over every correction found.
      const everyRow = db
        .prepare(
          `SELECT DISTINCT label_id AS id, label_name AS name FROM corrections
           WHERE tag_kind = 'label' AND kind = 'add' AND label_id LIKE 'user:%' ORDER BY label_name`,
        )
        .all();
      assert.deepEqual(
        library.repo.corrections.userLabels(),
        everyRow.map((row) => ({ kind: 'label', ...(row as object) })),
      );
      assert.deepEqual(
        library.repo.corrections.userLabels().map((label) => label.name),
        ['Beach day', 'Empty', 'Zebra', 'alpha', 'beach DAY'],
      );
      assert.equal(library.repo.corrections.ownLabelName('user:beach-day'), 'Beach day');
      assert.equal(library.repo.corrections.ownLabelName('user:rejected'), undefined);

      const statements = library.repo.corrections['statements'];
      const fileTag = { photoId: 1, tagKind: 'label', labelId: 'user:rex', labelName: 'Rex', createdAt: 0 };
      const planned: [{ source: string }, unknown[]][] = [
        [statements.userLabels, []],
        [statements.ownLabelName, ['user:rex']],
        [statements.insertFileTag, [{ ...fileTag, modelId: null, modelVersion: null, modelScore: null }]],
      ];
      for (const [statement, parameters] of planned) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(...parameters) as { detail: string }[])
          .map((step) => step.detail)
          .join('\n');
        assert.match(plan, /corrections_own_labels/, plan);
        assert.doesNotMatch(plan, /SCAN c\b|SCAN n\b|SCAN corrections\b/, plan);
      }
    } finally {
      await library.close();
    }
  });
});
