/**
 * What the first scan of an upgraded library costs when every photo has an XMP sidecar (each one's keywords read
 * again, see Library.rereadKeywords): N fixture JPEGs scanned before their sidecars came, then a scan of a fresh copy
 * of that library by each tree's engine, alternated, each in a process of its own. Prints CPU and wall; asserts
 * nothing. `--trees` compares another checkout (its node_modules linked) with this one.
 *
 *   node --import tsx test/bench/reread-bench.ts [--photos 2000] [--rounds 3] [--trees /tmp/old,.]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MODELS_DIR, PHOTOS_DIR, photo } from '../helpers.js';

type LibraryModule = typeof import('../../src-main/library/library.js');
const openLibrary = async (tree: string, dbPath: string) => {
  const { Library } = (await import(resolve(tree, 'src-main/library/library.ts'))) as LibraryModule;
  return Library.open({ dbPath, modelDirs: { embedded: MODELS_DIR, user: join(dbPath, '..', 'models') } });
};

const { values } = parseArgs({
  options: {
    photos: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    trees: { type: 'string', default: '.' },
    // One measured scan, in the process the others start.
    scan: { type: 'string', multiple: true },
  },
});

if (values.scan) {
  const [tree, dbPath, folderPath] = values.scan as [string, string, string];
  const library = await openLibrary(tree, dbPath);
  const folder = library.repo.folders().find((candidate) => candidate.path === folderPath)!;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const summary = await library.scan(folder);
  const wall = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  await library.close();
  const perPhoto = (user + system) / 1000 / summary.rereadKeywords;
  console.log(
    `${summary.rereadKeywords} re-read, ${summary.problems.length} problems: wall ${wall.toFixed(2)} s, ` +
      `user ${(user / 1e6).toFixed(2)} s, sys ${(system / 1e6).toFixed(2)} s, ${perPhoto.toFixed(2)} CPU-ms a photo, ` +
      `peak ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), 'phototag-reread-bench-'));
  try {
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    const jpegs = readdirSync(PHOTOS_DIR).filter((name) => name.endsWith('.jpg'));
    const names = Array.from({ length: Number(values.photos) }, (_, index) => `photo-${index}.jpg`);
    names.forEach((name, index) => copyFileSync(photo(jpegs[index % jpegs.length]!), join(folder, name)));
    const prepared = join(dir, 'prepared.sqlite');
    const library = await openLibrary('.', prepared);
    await library.scan(await library.addFolder(folder));
    await library.close();
    const sidecar = join(dir, 'keyword.xmp');
    execFileSync('exiftool', ['-q', '-XMP-dc:Subject=Saved keyword', '-XMP-dc:Subject=Dog', sidecar]);
    for (const name of names) copyFileSync(sidecar, join(folder, `${name}.xmp`));
    const trees = values.trees.split(',').map((tree) => resolve(tree));
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const tree of trees) {
        const copy = join(dir, 'library.sqlite');
        for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
        copyFileSync(prepared, copy);
        const load = loadavg()
          .map((value) => value.toFixed(2))
          .join(' ');
        const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--scan', tree, '--scan', copy];
        const line = execFileSync(process.execPath, [...args, '--scan', folder], { encoding: 'utf8' }).trim();
        console.log(`round ${round}, ${tree} (load ${load}): ${line}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
