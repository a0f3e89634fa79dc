/**
 * CLI benchmark (issue 12): a library of 100,000 tagged photos (or --photos N, a million say), its rows written
 * straight into a fresh database by the UI benchmark's writer and every row given a real file (a hard link to a
 * fixture photo) under the system's temporary folder. The real `phototag` command runs against it, one child at a
 * time, and each child's wall time, CPU time (user and system: on a shared machine, what it cost itself) and peak
 * resident memory (GNU time's maximum RSS) are printed. Asserts nothing.
 *
 *   npm run bench:cli [-- --photos N] [--keep]
 *
 * Goals at a million photos: a no-op `tag` (every photo already tagged) under 10 s and 300 MB; `search dog --json`
 * under 5 s; `show --json` finishing with memory flat; watching in polling mode with bounded memory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src-main/db/database.js';
import { FAILURE_RULES } from '../../src-main/imaging/photo-error.js';
import { Library } from '../../src-main/library/library.js';
import { chooseModel, defaultModelDirs, listModels } from '../../src-main/models/model-catalog.js';
import { secondaryTaggers, taggerPlan, taggerSignature } from '../../src-main/taggers/tagger-plan.js';
import { PHOTOTAG } from '../cli.js';
import { PHOTOS_DIR } from '../helpers.js';
import { createSyntheticLibrary } from './synthetic-library.js';

const { values } = parseArgs({
  options: {
    photos: { type: 'string', default: '100000' },
    // Leaves the library and its files in place, to profile a command against it (node --cpu-prof).
    keep: { type: 'boolean', default: false },
    // Internal: the child that watches the library at this database in polling mode and reports its memory.
    'poll-child': { type: 'string' },
  },
});

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const line = (label: string, value: string, goal = '') =>
  process.stdout.write(`  ${label.padEnd(32)} ${value.padStart(36)}${goal ? `   (goal ${goal})` : ''}\n`);

interface Measured {
  status: number | null;
  wallMs: number;
  /** User and system CPU time. */
  cpuMs: number;
  maxRssMb: number;
  /** What it wrote to stderr, and to stdout when that was kept. */
  output: string;
}

/**
 * Runs a command under GNU time: its exit status, wall and CPU time, and peak resident memory. Its stdout goes to
 * /dev/null unless `keepStdout` (for a command whose output is a summary line, not the data measured).
 */
async function measured(command: string[], env: NodeJS.ProcessEnv, keepStdout = false): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'phototag-cli-bench-time-'));
  const report = join(dir, 'time.txt');
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', report, ...command], {
    env,
    stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (text: string) => (output += text));
  }
  const [status] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - started;
  const [maxRssKb, user, system] = readFileSync(report, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  rmSync(dir, { recursive: true, force: true });
  return { status, wallMs, cpuMs: (user! + system!) * 1000, maxRssMb: maxRssKb! / 1024, output };
}

/** A file can have 65,000 names at most (ext4): the fixture photos are copied as often as `photos` links need. */
const LINKS_PER_FILE = 60_000;

/** Copies of the fixture photos in `dir`, enough for `photos` hard links, with their sizes and modification times. */
function photoSources(dir: string, photos: number) {
  const fixtures = readdirSync(PHOTOS_DIR).filter((name) => name.endsWith('.jpg'));
  const copies = Math.ceil(photos / (fixtures.length * LINKS_PER_FILE));
  mkdirSync(dir);
  return Array.from({ length: copies }, (_, copy) =>
    fixtures.map((name) => {
      const path = join(dir, `${copy}-${name}`);
      copyFileSync(join(PHOTOS_DIR, name), path);
      return { path, stats: statSync(path) };
    }),
  ).flat();
}

/**
 * Gives every photo of the synthetic library a real file under `dir`: a hard link to one of the fixture photos, and
 * the row the link's size and modification time, so that a scan finds every photo unchanged. The rows may name the
 * folder the library was first written in (the writer keeps libraries for later runs), so its folders are moved
 * into `dir` first. Its failed photos are marked as failed under the current rules, or the first `tag` would read
 * them all again (see FAILURE_RULES).
 */
function linkPhotoFiles(dir: string, dbPath: string): void {
  const db = openDatabase(dbPath);
  const sources = photoSources(join(dir, 'sources'), db.prepare('SELECT COUNT(*) FROM photos').pluck().get() as number);
  db.transaction(() => {
    const folders = db.prepare('SELECT id, path FROM folders').all() as { id: number; path: string }[];
    for (const folder of folders) {
      const path = join(dir, basename(folder.path));
      db.prepare('UPDATE folders SET path = ? WHERE id = ?').run(path, folder.id);
      db.prepare('UPDATE photos SET path = @path || substr(path, length(@old) + 1) WHERE folder_id = @id').run({
        path,
        old: folder.path,
        id: folder.id,
      });
      mkdirSync(path, { recursive: true });
    }
    // Photo n links to source n modulo their number, here and below.
    db.prepare(
      `UPDATE photos SET size = json_extract(@sizes, '$[' || CAST(id % @n AS INTEGER) || ']'),
      mtime_ms = json_extract(@mtimes, '$[' || CAST(id % @n AS INTEGER) || ']')`,
    ).run({
      sizes: JSON.stringify(sources.map((source) => source.stats.size)),
      mtimes: JSON.stringify(sources.map((source) => Math.trunc(source.stats.mtimeMs))),
      n: sources.length,
    });
    db.prepare("INSERT INTO settings (key, value) VALUES ('failure-rules', ?)").run(String(FAILURE_RULES));
  })();
  const rows = db.prepare('SELECT id, path FROM photos').iterate() as IterableIterator<{ id: number; path: string }>;
  for (const { id, path } of rows) linkSync(sources[id % sources.length]!.path, path);
  db.close();
}

/** The model the CLI runs by default: the synthetic photos carry it, so `tag` re-tags none of them. */
function cliModel() {
  const dirs = defaultModelDirs();
  const entry = chooseModel(listModels(dirs));
  const taggers = taggerSignature(secondaryTaggers(taggerPlan(entry, dirs)));
  return { id: entry.manifest.id, version: entry.manifest.version, taggers };
}

/** The JavaScript heap in use, in MB, after a full garbage collection (the child runs with --expose-gc). */
function heapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** The process's resident memory, in MB. */
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

/**
 * The child of --poll-child: watches every library folder by polling, and prints what the watcher holds on the
 * heap once idle after two passes (against the heap before it started) and the process's resident memory, against
 * that of the library just opened, so that tsx's own (10-30 MB above the built code's) is not taken for the watcher's.
 */
async function pollChild(dbPath: string): Promise<void> {
  const library = Library.open({ dbPath });
  const before = heapMb();
  const openedRssMb = rssMb();
  const started = performance.now();
  // Resolves once the first pass over every folder is done.
  await library.watch({ forcePolling: true, pollIntervalMs: 1000 });
  const firstPassMs = performance.now() - started;
  // Long enough for a second pass to run: the figures are those of a watcher in its steady state.
  await new Promise((done) => setTimeout(done, 1000 + 1.5 * firstPassMs));
  const held = heapMb() - before;
  process.stderr.write(
    `first pass ${seconds(firstPassMs)}; idle: heap ${held.toFixed(1)} MB above the library's alone, ` +
      `rss ${rssMb().toFixed(0)} MB (${openedRssMb.toFixed(0)} MB with the library just opened)\n`,
  );
  await library.close();
}

async function main(): Promise<void> {
  const photos = Number(values.photos);
  const dir = mkdtempSync(join(tmpdir(), 'phototag-cli-bench-'));
  const env = { ...process.env, PHOTOTAG_HOME: join(dir, 'home') };
  process.env.PHOTOTAG_HOME = env.PHOTOTAG_HOME;
  try {
    let started = performance.now();
    const synthetic = await createSyntheticLibrary(dir, photos, cliModel());
    const written = performance.now() - started;
    started = performance.now();
    linkPhotoFiles(dir, synthetic.dbPath);
    process.stdout.write(
      `CLI benchmark on ${photos.toLocaleString('en')} photos: rows written in ${seconds(written)}, ` +
        `files linked in ${seconds(performance.now() - started)}.\n`,
    );
    const db = openDatabase(synthetic.dbPath, { readonly: true });
    const folders = (db.prepare('SELECT path FROM folders ORDER BY id').all() as { path: string }[]).map((f) => f.path);
    db.close();
    const cli = (args: string[], keepStdout = false) =>
      measured([process.execPath, PHOTOTAG, ...args, '--db', synthetic.dbPath], env, keepStdout);
    const report = (label: string, run: Measured, goal = '') => {
      line(label, `${seconds(run.wallMs)} (CPU ${seconds(run.cpuMs)}), ${run.maxRssMb.toFixed(0)} MB peak`, goal);
      // tag exits 1 for the synthetic library's failed photos; anything else is the command failing.
      const last = run.output.trim().split('\n').at(-1);
      if (run.status !== 0 && run.status !== 1) process.stdout.write(`    exit ${run.status}: ${run.output.trim()}\n`);
      else if (last) process.stdout.write(`    ${last}\n`);
    };
    report('no-op tag', await cli(['tag', ...folders], true), '< 10 s, < 300 MB at 1M');
    report('search dog --json > /dev/null', await cli(['search', 'dog', '--json']), '< 5 s at 1M');
    report('show --json > /dev/null', await cli(['show', '--json', ...folders]), 'finishes, memory flat');
    const child = [process.execPath, '--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--poll-child'];
    report('watch (polling), two passes', await measured([...child, synthetic.dbPath], env));
  } finally {
    if (values.keep) process.stdout.write(`Library kept: ${join(dir, 'library.sqlite')}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (values['poll-child']) await pollChild(values['poll-child']);
else await main();
