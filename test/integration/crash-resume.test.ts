import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SECONDARY_RANK } from '../../src-main/db/photo-repository.js';
import { thumbnailPath } from '../../src-main/pipeline/tagging-pipeline.js';
import { phototag, phototagAsync } from '../cli.js';
import { photo, tempDir } from '../helpers.js';

const PHOTOS = 120;
const SOURCES = ['cat_720p.jpg', 'parrot.jpg', 'hot_dog.jpg', 'dog.jpg', 'eagle.jpg', 'sunflower.bmp'];

function snapshot(db: string): Map<number, number> {
  if (!existsSync(db)) return new Map();
  const connection = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const ready = connection.prepare("SELECT 1 FROM sqlite_master WHERE name = 'photos'").get();
    if (!ready) return new Map(); // the child is still creating the library
    const rows = connection.prepare("SELECT id, tagged_at AS taggedAt FROM photos WHERE status = 'done'").all() as {
      id: number;
      taggedAt: number;
    }[];
    return new Map(rows.map((row) => [row.id, row.taggedAt]));
  } finally {
    connection.close();
  }
}

describe('crash safety', () => {
  it('finishes after SIGKILLs at random moments: every photo tagged exactly once, nothing stored lost', async () => {
    const home = tempDir();
    const folder = join(home, 'photos');
    mkdirSync(folder);
    for (let i = 0; i < PHOTOS; i++) {
      const source = SOURCES[i % SOURCES.length]!;
      copyFileSync(photo(source), join(folder, `${String(i).padStart(3, '0')}-${source}`));
    }
    const db = join(home, 'library.sqlite');
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    let random = seed;
    const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const stored = new Map<number, number>();
    let interruptedMidway = 0;
    for (let round = 0; round < 4; round++) {
      const child = phototagAsync(home, ['tag', folder, '--db', db]);
      let running = true;
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => {
          running = false;
          resolve(code);
        }),
      );
      // Kill at a random moment once this run has stored new work, however slow the machine is today.
      const before = stored.size;
      while (running && snapshot(db).size <= before) await new Promise((resolve) => setTimeout(resolve, 50));
      const timer = setTimeout(() => child.kill('SIGKILL'), next() * 800);
      const code = await exited;
      clearTimeout(timer);
      for (const [id, taggedAt] of snapshot(db)) {
        if (stored.has(id)) assert.equal(taggedAt, stored.get(id), `seed ${seed}: photo ${id} was tagged again`);
        stored.set(id, taggedAt);
      }
      if (code === null && stored.size > 0 && stored.size < PHOTOS) interruptedMidway++;
      if (code === 0) break;
    }
    assert.ok(interruptedMidway > 0, `seed ${seed}: no run was killed mid-way; the test proved nothing`);

    const last = phototag(home, ['tag', folder, '--db', db]);
    assert.equal(last.status, 0, last.stderr);
    const connection = new Database(db, { readonly: true });
    try {
      const statuses = connection.prepare('SELECT status, COUNT(*) AS n FROM photos GROUP BY status').all();
      assert.deepEqual(statuses, [{ status: 'done', n: PHOTOS }], `seed ${seed}`);
      const perPhoto = connection
        .prepare(`SELECT COUNT(*) AS n FROM predictions WHERE rank < ${SECONDARY_RANK} GROUP BY photo_id HAVING n != 5`)
        .all();
      assert.deepEqual(perPhoto, [], "each photo holds exactly one set of the model's five predictions");
      const rows = connection.prepare('SELECT id, tagged_at AS taggedAt, fingerprint FROM photos').all() as {
        id: number;
        taggedAt: number;
        fingerprint: string;
      }[];
      for (const row of rows) {
        if (stored.has(row.id))
          assert.equal(row.taggedAt, stored.get(row.id), `seed ${seed}: photo ${row.id} re-tagged`);
        assert.ok(existsSync(thumbnailPath(join(home, 'library-thumbnails'), row.fingerprint)));
      }
    } finally {
      connection.close();
    }
  });
});
