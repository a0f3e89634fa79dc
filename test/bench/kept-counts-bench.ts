/**
 * What migration 13's triggers (photos counted by month) cost the writes of tagging results: saveTagged into a
 * fresh library with them and without them, alternated, five rounds each. Prints figures; asserts nothing.
 *
 *   node --import tsx test/bench/kept-counts-bench.ts [-- --photos N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Library } from '../../src-main/library/library.js';

const { values } = parseArgs({ options: { photos: { type: 'string', default: '2000' } } });
const PHOTOS = Number(values.photos);
const ROUNDS = 5;
const MODEL = { id: 'bench-model', version: '1' };

/** Milliseconds per photo to save PHOTOS photos' results (five labels, three categories each). */
async function savePerPhoto(withTriggers: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'phototag-kept-counts-bench-'));
  process.env.PHOTOTAG_HOME = join(dir, 'home');
  const library = Library.open({ dbPath: join(dir, 'library.sqlite') });
  try {
    if (!withTriggers) {
      for (const trigger of ['insert', 'delete', 'update'])
        library.db.exec(`DROP TRIGGER photos_month_count_${trigger}`);
    }
    const folder = library.repo.addFolder(join(dir, 'photos'));
    const files = Array.from({ length: PHOTOS }, (_, n) => ({
      path: join(dir, 'photos', `${n}.jpg`),
      size: 1000,
      // A day apart: months change along the way, as in a real library.
      mtimeMs: Date.UTC(2020, 0, 1) + n * 86_400_000,
    }));
    library.repo.upsertScanned(folder.id, files);
    const rows = files.map((file) => library.repo.photoByPath(file.path)!);
    const started = performance.now();
    rows.forEach((row, n) => {
      const metadata = { fingerprint: n.toString(16).padStart(64, '0'), format: 'jpeg', width: 1, height: 1 };
      library.repo.saveTagged(row, { ...metadata, takenAt: null, camera: null, orientation: 1 }, MODEL, {
        labels: [0, 1, 2, 3, 4].map((i) => ({
          id: `n${(n * 7 + i * 13) % 1000}`,
          name: 'Label',
          score: 0.5 / (i + 1),
        })),
        categories: [0, 1, 2].map((i) => ({ id: `c${(n + i) % 20}`, name: 'Category', score: 0.9 / (i + 1) })),
      });
    });
    return (performance.now() - started) / PHOTOS;
  } finally {
    await library.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const on: number[] = [];
const off: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  on.push(await savePerPhoto(true));
  off.push(await savePerPhoto(false));
}
const list = (values: number[]) => values.map((value) => value.toFixed(2)).join(', ');
process.stdout.write(
  `saveTagged per photo, ${PHOTOS} photos, ${ROUNDS} rounds: with migration 13's triggers ${median(on).toFixed(2)} ms ` +
    `(${list(on)}), without ${median(off).toFixed(2)} ms (${list(off)}): ${(median(on) / median(off)).toFixed(2)}x\n`,
);
