import { statSync, type Dirent, type Stats } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { errorCode, fileErrorReason } from '../file-errors.js';
import { folderPrefix, isUnder } from './folder-rules.js';
import { isPhotoPath } from './photo-formats.js';
import { FolderSidecars, sidecarStamp } from '../xmp/sidecar-file.js';

/** A photo's `sidecar`: its XMP sidecar's stamp (see sidecarStamp), absent when it has none. */
export type ScanEntry =
  | { type: 'photo'; path: string; size: number; mtimeMs: number; sidecar?: string }
  | { type: 'problem'; path: string; message: string };

export interface ScanOptions {
  signal?: AbortSignal;
  /**
   * Called with each folder, and its device:inode identity, just before the folder is listed; returning false skips
   * it and everything under it. The watcher places its watch here, so nothing created while the folder is being
   * listed can slip between the listing and the watch.
   */
  onFolder?: (path: string, id: string) => boolean;
  /** Walk the folders only: no photo entries and no stat per file (the watcher's set-up pass). */
  foldersOnly?: boolean;
  /** How long a stretch of synchronous listing or stats may hold the event loop (SYNC_BATCH_BUDGET_MS unless set). */
  syncBudgetMs?: number;
}

/**
 * Folders that hold no photos of the user's own, compared case-insensitively: recycle bins (Windows, Synology
 * `#recycle`, QNAP `@Recycle`), Windows and fsck bookkeeping, Synology's `@eaDir` thumbnails (a copy of every photo
 * at several sizes), and `node_modules`. `.Trashes` and the like are hidden already. A macOS `*.photoslibrary` is not
 * special-cased: it holds the originals; its derived previews get scanned too, which is the user's choice to make.
 */
const SYSTEM_FOLDERS: ReadonlySet<string> = new Set([
  '$recycle.bin',
  'system volume information',
  '@eadir',
  '#recycle',
  '@recycle',
  'lost+found',
  'node_modules',
]);

/**
 * Photos are stat'ed this many at a time: enough to keep libuv's thread pool busy, few enough to stream. Rescanning
 * 100,000 unchanged photos (warm cache, 2 shared cores) took 1.2-2.5 s this way, 5.6 s one stat at a time.
 */
const STAT_BATCH = 64;
/**
 * Stats are made synchronously, a batch at a time with the event loop free between batches, for at most this long
 * a batch; what is left of a batch then goes to the thread pool, and so do the next SLOW_PAUSE_BATCHES batches
 * before the scanner tries again. A local disk answers from its cache in microseconds, where a promise and the hop
 * to the thread pool cost several times the stat itself (loaded 2 cores: 6-7 us of CPU a file against 36-45); a
 * network share that takes milliseconds a stat never holds the loop long. Trying again matters on a busy machine: a
 * scan paused once by the scheduler had sent every later stat to the thread pool, most of a rescan's time.
 */
const SYNC_BATCH_BUDGET_MS = 25;
const SLOW_PAUSE_BATCHES = 16;

/** Whether the scanner and the watcher leave an entry alone: hidden names (".x") and system or junk folders. */
export function isSkippedName(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FOLDERS.has(name.toLowerCase());
}

/** An error of a file-system call (it names the call), not the caller's: an onFolder reading SQLite, say. */
const isSystemCallError = (error: unknown) => errorCode(error) !== undefined && 'syscall' in (error as object);

/** The entry went away or points nowhere (a file deleted mid-scan, a dangling or looping link): skipped silently. */
const isGone = (error: unknown) => ['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errorCode(error) ?? '');

const problem = (path: string, what: string, error: unknown): ScanEntry => ({
  type: 'problem',
  path,
  message: `Cannot read ${what} ${path}: ${fileErrorReason(error)}.`,
});

/** Neither a folder nor a file by its listing: a symbolic link, or a file system that does not report types. */
const needsStat = (entry: Dirent) =>
  entry.isSymbolicLink() ||
  !(entry.isFile() || entry.isDirectory() || entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice());

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

function statNow(path: string): Stats | Error {
  try {
    return statSync(path);
  } catch (error) {
    return asError(error);
  }
}

const statLater = (path: string) => stat(path).then((stats): Stats | Error => stats, asError);

/**
 * When a walk's file-system calls are made synchronously (see SYNC_BATCH_BUDGET_MS): in stretches timed from their
 * start, the event loop free between them, each batch of calls made either within a stretch or through the thread
 * pool. The caller tells when a stretch has run out of time and whether it was slow; how long counts as slow is the
 * caller's, as it depends on how often it reads the clock.
 */
class SyncBudget {
  #started = performance.now();
  #pooledBatches = 0;

  /** How long the current stretch has run, in ms. */
  elapsed(): number {
    return performance.now() - this.#started;
  }

  /**
   * Whether the next batch goes to the thread pool, as the SLOW_PAUSE_BATCHES batches after a slow stretch do (it is
   * counted); if not, a stretch starts now.
   */
  pooled(): boolean {
    if (this.#pooledBatches > 0) {
      this.#pooledBatches--;
      return true;
    }
    this.#started = performance.now();
    return false;
  }

  /** Ends a stretch, freeing the event loop; after a slow one the next SLOW_PAUSE_BATCHES batches are pooled. */
  async end(slow: boolean): Promise<void> {
    if (slow) this.#pooledBatches = SLOW_PAUSE_BATCHES;
    await setImmediate();
  }
}

/** A function that stats a batch of paths, synchronously while that is fast (see SYNC_BATCH_BUDGET_MS). */
export function batchStatter(budgetMs = SYNC_BATCH_BUDGET_MS): (paths: string[]) => Promise<(Stats | Error)[]> {
  const budget = new SyncBudget();
  return async (paths) => {
    const results: (Stats | Error)[] = [];
    // A stretch a batch: other work runs between two batches. One that did not finish in time was slow.
    if (!budget.pooled()) {
      while (results.length < paths.length && budget.elapsed() <= budgetMs) {
        results.push(statNow(paths[results.length]!));
      }
      await budget.end(results.length < paths.length);
    }
    const rest = paths.slice(results.length);
    return rest.length === 0 ? results : [...results, ...(await Promise.all(rest.map(statLater)))];
  };
}

/**
 * The photos found, each with its sidecar's stamp where the folder's listing shows it has one: only those photos
 * cost a stat more. A sidecar that cannot be looked at counts as none (reading it says why).
 */
async function withSidecarStamps(
  found: ScanEntry[],
  sidecars: FolderSidecars,
  inFolder: string,
  statBatch: (paths: string[]) => Promise<(Stats | Error)[]>,
): Promise<ScanEntry[]> {
  const owners: Extract<ScanEntry, { type: 'photo' }>[] = [];
  const paths: string[] = [];
  for (const entry of found) {
    const name = entry.type === 'photo' ? sidecars.of(entry.path.slice(inFolder.length)) : undefined;
    if (name === undefined || entry.type !== 'photo') continue;
    owners.push(entry);
    paths.push(inFolder + name);
  }
  if (paths.length === 0) return found;
  const results = await statBatch(paths);
  owners.forEach((entry, i) => {
    const result = results[i]!;
    if (!(result instanceof Error)) entry.sidecar = sidecarStamp(result);
  });
  return found;
}

const outsideLink = (path: string, real: string, boundary: string): ScanEntry => ({
  type: 'problem',
  path,
  message: `Skipped ${path}: it links to ${real}, outside ${boundary}; add that folder itself to tag its photos.`,
});

/**
 * A folder's listing as names: its subfolders, and the entries to stat (photos, and those the listing gives no type:
 * links, mostly) in UTF-16 order. Names alone sort without a comparator called from JavaScript (its calls took 0.7 s
 * in a profile of a million photos). The entries are read through a directory handle a few dozen at a time, each
 * Dirent let go while it is young: readdir's array of a 200,000-photo folder's Dirents reached V8's old generation,
 * which holds such garbage until a full collection, and a no-op tag at a million photos peaked at 293-317 MB for it
 * (183-219 MB so).
 * Read synchronously like the stats (see SYNC_BATCH_BUDGET_MS), the event loop free between stretches; after a
 * stretch that overran its time by as much again (a network share, or the scheduler), the next SLOW_PAUSE_BATCHES
 * batches' worth of entries are read through the thread pool.
 * Unless `foldersOnly`, `sidecars` learns every name, to tell which photo owns which XMP sidecar.
 */
async function sortedListing(
  folder: string,
  foldersOnly: boolean,
  sidecars: FolderSidecars,
  budgetMs: number,
): Promise<{ subfolders: string[]; toStat: string[] }> {
  const subfolders: string[] = [];
  const toStat: string[] = [];
  const dir = await opendir(folder);
  try {
    const budget = new SyncBudget();
    let pooled = false;
    let read = 0;
    for (let entry = dir.readSync(); entry !== null; entry = pooled ? await dir.read() : dir.readSync()) {
      const { name } = entry;
      if (!foldersOnly) sidecars.add(name);
      if (!isSkippedName(name)) {
        if (entry.isDirectory()) subfolders.push(name);
        else if (needsStat(entry) || (!foldersOnly && entry.isFile() && isPhotoPath(name))) toStat.push(name);
      }
      // A batch is STAT_BATCH entries, and the clock is read once a batch: read at every entry, it cost 2% of a no-op
      // tag's CPU. So a stretch overruns its time by up to a batch; by as much again is slow.
      if (++read % STAT_BATCH !== 0) continue;
      if (!pooled) {
        const elapsed = budget.elapsed();
        if (elapsed <= budgetMs) continue;
        await budget.end(elapsed > 2 * budgetMs);
      }
      pooled = budget.pooled();
    }
  } finally {
    await dir.close();
  }
  return { subfolders, toStat: toStat.sort() };
}

/**
 * Streams the photos under `root` (absolute paths, with size and modification time) and the problems met on the way.
 * Hidden and system folders are skipped. Symbolic links to files are followed; links to folders only where the
 * folder really lies inside `root` (a link to / or /proc would walk the whole file system), each one named in a
 * problem otherwise. Each real folder is read once, so link loops end. An unreadable folder yields a `problem` and
 * the scan goes on; a file deleted mid-scan is skipped.
 * Memory holds one folder's listing at a time plus the folders still to visit, so it stays flat at 100,000 photos.
 * Each folder's entries are visited in name order, so repeated scans of an unchanged tree give the same sequence.
 */
export async function* scanFolder(root: string, options: ScanOptions = {}): AsyncGenerator<ScanEntry> {
  for await (const entries of scanFolderBatches(root, options)) yield* entries;
}

/**
 * scanFolder's entries a batch at a time, each batch from one folder (at most STAT_BATCH entries): a full scan
 * takes them so, as a promise and a turn of the event loop for each photo cost more than comparing it.
 */
export async function* scanFolderBatches(root: string, options: ScanOptions = {}): AsyncGenerator<ScanEntry[]> {
  const { signal, onFolder, foldersOnly = false, syncBudgetMs = SYNC_BATCH_BUDGET_MS } = options;
  const start = resolve(root);
  // Where links may lead: the root's own real path, in case the root is reached through a link itself.
  const boundary = await realpath(start).catch(() => start);
  const visited = new Set<string>();
  const pending = [start];
  const statBatch = batchStatter(syncBudgetMs);
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    signal?.throwIfAborted();
    try {
      // bigint: 64-bit inode numbers (NTFS file ids, some network shares) do not fit a double without collisions.
      const folderStats = await stat(folder, { bigint: true });
      if (!folderStats.isDirectory()) {
        yield [{ type: 'problem', path: folder, message: `Cannot scan ${folder}: it is a file, not a folder.` }];
        continue;
      }
      const id = `${folderStats.dev}:${folderStats.ino}`;
      if (visited.has(id)) continue;
      visited.add(id);
      if (onFolder && !onFolder(folder, id)) continue;
      const sidecars = new FolderSidecars();
      const { subfolders, toStat } = await sortedListing(folder, foldersOnly, sidecars, syncBudgetMs);
      // What join would make of each entry, without its cost a file: the folder is normalized, a name has no separator.
      const inFolder = folderPrefix(folder);
      for (let i = 0; i < toStat.length; i += STAT_BATCH) {
        signal?.throwIfAborted();
        const batch = toStat.slice(i, i + STAT_BATCH);
        const paths = batch.map((name) => inFolder + name);
        const results = await statBatch(paths);
        const found: ScanEntry[] = [];
        for (const [index, name] of batch.entries()) {
          const result = results[index]!;
          const path = paths[index]!;
          if (result instanceof Error) {
            if (!isGone(result)) found.push(problem(path, 'the file', result));
          } else if (result.isDirectory()) {
            // Not typed by the listing: a link, mostly, so where it really leads decides.
            const real = await realpath(path).catch(asError);
            if (real instanceof Error) {
              if (!isGone(real)) found.push(problem(path, 'the folder', real));
            } else if (isUnder(real, boundary)) subfolders.push(name);
            else found.push(outsideLink(path, real, boundary));
          } else if (!foldersOnly && result.isFile() && isPhotoPath(name)) {
            found.push({ type: 'photo', path, size: result.size, mtimeMs: result.mtimeMs });
          }
        }
        if (found.length > 0) yield await withSidecarStamps(found, sidecars, inFolder, statBatch);
      }
      subfolders.sort();
      for (let i = subfolders.length - 1; i >= 0; i--) pending.push(join(folder, subfolders[i]!));
    } catch (error) {
      // Only file-system errors are about the folder; an abort or a failing onFolder belongs to the caller.
      if (signal?.aborted || !isSystemCallError(error)) throw error;
      // A subfolder gone since its parent was listed is no news; a missing root is.
      if (folder === start || !isGone(error)) yield [problem(folder, 'the folder', error)];
    }
  }
}
