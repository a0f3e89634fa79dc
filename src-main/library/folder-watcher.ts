/*
 * Why node's plain `fs.watch`, one non-recursive watch per folder, and no watcher package. Measured on Linux (Node
 * 20.20, ext4, 2 cores shared with other work, inotify max_user_watches 192,536): a second process writes 10,000 tiny
 * .jpg files, half into a folder it creates as the burst starts, into a watched tree of 2,000 photos; then each
 * watcher starts on an existing library of 100,000 photos in 1,011 folders. Ranges over 2 to 6 runs:
 *
 *                            10,000-file burst                          | start on 100,000 photos
 *                            lost     CPU          RSS    last seen (1) | ready      inotify watches  RSS
 *   chokidar 4.0.3           0        1.6-5.9 s    +60 MB 0.3-0.55 s    | 8.0-9.7 s  101,011          680-730 MB
 *   @parcel/watcher 2.6.0    1-1003   0.6-0.9 s    +5 MB  0.06 s        | 0.34 s     1,011            75-105 MB
 *   fs.watch recursive       0 (2)    7.4-10.5 s   +5-55  4-5 s         | 1.4-1.6 s  101,011          300-330 MB
 *   this module              0        0.8-1.1 s    +18 MB 0.24-0.28 s   | 0.3-0.5 s  1,011            86 MB
 *   (1) after the writer finished; this module's figure includes a 200 ms settle. (2) with repeats for up to 527 files.
 *
 * - chokidar 4 watches every file besides every folder: a 100,000-photo library needs 101,011 inotify watches, over
 *   the default limit on many desktops (8,192 before Linux 5.11, about 1% of RAM since), and 700 MB to start.
 * - @parcel/watcher is native and frugal but lost files in all 6 runs: its inotify backend watches a new folder
 *   without listing it (files written before the watch never show up), skips IN_Q_OVERFLOW without a word, and
 *   ignores a failed watch on a new folder, so a limit hit after start-up would go unnoticed.
 * - Node 20's `recursive: true` on Linux is a JavaScript emulation: a watch per file, synchronous readdir and stat on
 *   the main thread for each change, no descent into symbolic links; it kept up, at ten times the CPU.
 * A watch per folder, placed before the folder is listed (scanFolder's onFolder hook), loses nothing, and a watch
 * refused with ENOSPC or EMFILE throws where it is placed, which is what the fallback to polling needs. Left open, as
 * with every option above: libuv drops the kernel's queue-overflow notice, so if the main thread stalls while more
 * than 16,384 events queue up, some changes wait for the next full scan.
 */
import { watch, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { photoVersion } from '../db/photo-repository.js';
import { errorCode } from '../file-errors.js';
import { isSidecarPath } from '../xmp/sidecar-file.js';
import { isSkippedName, scanFolder, scanFolderBatches } from './folder-scanner.js';
import { KnownPhotos, type KnownPhoto } from './known-photos.js';
import { isPhotoPath } from './photo-formats.js';

export interface PhotoFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** Polling: the stamp of its XMP sidecar as the scan found it (see sidecarStamp); undefined or null: none. */
  sidecar?: string | null;
}

export interface WatchEvents {
  /** A new or changed photo whose size and modification time have held still for `settleMs`. */
  onPhoto(entry: PhotoFile): void;
  /**
   * A photo, or a whole folder, went away (deleted, or renamed: the new name comes as `onPhoto`). For a folder the
   * path is the folder's and everything under it is gone. A path never reported (a file deleted while still being
   * copied) can come too; removing an unknown path is a no-op for the library.
   */
  onRemoved(path: string): void;
  /**
   * An XMP sidecar (a `.xmp` file, in any case) was written, changed or deleted, and has held still for `settleMs`:
   * the keywords of the photo it belongs to may have changed while the photo did not.
   */
  onSidecar?(path: string): void;
  /** Something the user should hear about, as a sentence: polling instead of watching, a folder that disappeared. */
  onWarning(message: string): void;
  /**
   * The photos directly in `folder` as reported so far or found by the library's own scans (its database), in path
   * order as SQLite compares them (UTF-8 bytes), each with its version (photoVersion; '' for a photo missing). Read
   * lazily while the folder is listed, with reports made in between: polling compares every folder's listing with
   * these, in step, and so keeps no list of photos of its own.
   */
  knownPhotos(folder: string): Iterable<KnownPhoto>;
}

export type { KnownPhoto };

/** A native watch on one folder, not recursive: `onChange` gets the name of the entry that changed in it. */
export interface FolderWatch {
  close(): void;
}
export type WatchFolder = (
  folder: string,
  onChange: (name: string) => void,
  onError: (error: Error) => void,
) => FolderWatch;

export interface FolderWatcherOptions {
  /** How long a file's size and modification time must hold still before it is reported (default 1 s). */
  settleMs?: number;
  /** Time between two rescans in polling mode, counted from the end of the previous one (default 30 s). */
  pollIntervalMs?: number;
  /** Poll from the start, e.g. for network shares, whose changes made by other machines send no notifications. */
  forcePolling?: boolean;
  /** The native watch, replaceable so tests can make it fail as an exhausted inotify limit does. */
  watchFolder?: WatchFolder;
}

export const watchFolderNatively: WatchFolder = (folder, onChange, onError) => {
  const watcher = watch(folder, (_event, name) => {
    if (name) onChange(name);
  });
  watcher.on('error', onError);
  return watcher;
};

interface Observed {
  size: number;
  mtimeMs: number;
}

interface Root {
  path: string;
  /** Native mode: the watched folders by path, with their device:inode identity. */
  folders: Map<string, { id: string; watch: FolderWatch }>;
  ids: Set<string>;
  /**
   * Polling mode: the folders the last pass listed, to tell one gone since, so memory follows the number of folders,
   * not of photos. Set once the first pass is done.
   */
  polled?: Set<string>;
  firstPass?: Promise<void>;
  gone: boolean;
}

interface Pending extends Observed {
  root: Root;
  /** When to stat the path next (performance.now() time). A size of -1: not looked at yet. */
  due: number;
}

/** Stats in flight at once during a sweep. */
const STAT_BATCH = 64;

const isGone = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes(errorCode(error) ?? '');
const isWatchLimit = (error: unknown) => ['ENOSPC', 'EMFILE', 'ENFILE'].includes(errorCode(error) ?? '');
const toError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));
const isUnder = (path: string, folder: string) => path === folder || path.startsWith(folder + sep);

async function isMissing(path: string): Promise<boolean> {
  try {
    await stat(path);
    return false;
  } catch (error) {
    return isGone(error);
  }
}

function pollingWarning(error: unknown, pollIntervalMs: number): string {
  const limit =
    errorCode(error) === 'ENOSPC'
      ? 'the system limit on watched folders is reached (on Linux, raise fs.inotify.max_user_watches to lift it)'
      : 'the system limit on open files or watchers is reached (on Linux, fs.inotify.max_user_instances or ulimit -n)';
  const every = pollIntervalMs >= 1000 ? `${Math.round(pollIntervalMs / 1000)} seconds` : `${pollIntervalMs} ms`;
  return `Phototag cannot watch the photo folders for changes because ${limit}, so it now looks for changes every ${every} instead and new photos can take that long to appear.`;
}

/** The same version of a photo as far as the library can tell: it keeps modification times in whole milliseconds. */
const sameVersion = (a: Observed, b: Observed) => a.size === b.size && Math.trunc(a.mtimeMs) === Math.trunc(b.mtimeMs);

/**
 * A name that the walk's order (UTF-16 code units) and SQLite's (code points) may place differently from another:
 * they disagree only where a surrogate (U+D800-U+DFFF) meets U+E000-U+FFFF. Only the name counts, as every path
 * compared in a folder starts with the folder's, so a folder named '２０２４ 📷' orders its ASCII names alike in both.
 */
const mayBeOutOfOrder = (name: string) => /[\uD800-\uFFFF]/.test(name);

/**
 * A folder as a polling pass lists it (in name order), compared with the library's photos in it, read alongside in
 * path order (KnownPhotos) as ScanComparison does for a full scan: an unchanged photo costs a string comparison, and
 * memory holds only what differs, never the folder's listing nor the library's photos in it. Exported for its tests.
 */
export class PolledFolder {
  readonly #known: KnownPhotos;
  /** Photos not met where the library's order would have put them, that it may still hold elsewhere in that order. */
  readonly #apart: PhotoFile[] = [];

  constructor(
    readonly path: string,
    known: Iterable<KnownPhoto>,
    /** A photo found, with the library's version of it; undefined: the library does not hold it, or holds it missing. */
    private readonly found: (photo: PhotoFile, version: string | undefined) => void,
  ) {
    this.#known = new KnownPhotos(known);
  }

  photo(photo: PhotoFile): void {
    const version = this.#known.meet(photo.path);
    if (version !== undefined) {
      this.found(photo, version || undefined);
    } else if (mayBeOutOfOrder(photo.path.slice(this.path.length))) {
      this.#apart.push(photo);
    } else {
      // The two orders agree about this path, so the library does not hold it: the walk met nothing of that name
      // where it would be, and passed nothing of that name before (the walk's photos before it sort below it).
      this.found(photo, undefined);
    }
  }

  /** After the walk listed the folder: the paths of the library's photos, not missing already, that it did not find. */
  finish(): string[] {
    this.#known.finish();
    const { passed } = this.#known;
    for (const photo of this.#apart) {
      this.found(photo, passed.get(photo.path));
      passed.delete(photo.path);
    }
    return [...passed.keys()];
  }
}

/**
 * Watches library roots and reports settled changes: a photo is reported once its size and modification time have
 * held still for `settleMs`, so a file still being copied is not read half-written. Events only mark a path as
 * pending; one sweep timer stats what is due, so a burst of 10,000 files costs one map entry each and no timers.
 * Natively, existing photos are not reported by `add` (the library scans at start-up); in polling mode the first
 * pass compares every folder with the photos known in it, so what changed before it is reported too. Problems
 * under a root reached by `add` are left to the library's scan. A root that disappears (drive unplugged) is
 * reported as a warning, never as a removal. The watches and timers keep the process alive until `close()`.
 */
export class FolderWatcher {
  readonly #events: WatchEvents;
  readonly #settleMs: number;
  readonly #pollIntervalMs: number;
  readonly #watchFolder: WatchFolder;
  readonly #tickMs: number;
  /** How long a reported photo is remembered, to drop events that arrive late for a change already reported. */
  readonly #recentMs: number;
  #mode: 'native' | 'polling';
  readonly #roots = new Map<string, Root>();
  readonly #pending = new Map<string, Pending>();
  /** Recently reported photos in report order, oldest first (entries are deleted and set again on update). */
  readonly #recent = new Map<string, Observed & { at: number }>();
  readonly #work = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #closed = false;

  constructor(events: WatchEvents, options: FolderWatcherOptions = {}) {
    this.#events = events;
    this.#settleMs = options.settleMs ?? 1000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 30_000;
    this.#watchFolder = options.watchFolder ?? watchFolderNatively;
    this.#mode = options.forcePolling ? 'polling' : 'native';
    this.#tickMs = Math.min(250, Math.max(10, this.#settleMs / 4));
    this.#recentMs = Math.max(5000, 5 * this.#settleMs);
  }

  /** 'native': the OS reports changes as they happen; 'polling': the roots are rescanned every `pollIntervalMs`. */
  get mode(): 'native' | 'polling' {
    return this.#mode;
  }

  /**
   * Starts watching a folder and everything under it; resolves once the watches (or the first snapshot) are in place.
   * A root that is missing or not a folder (a drive not plugged in) gets a warning, not an error, so the other roots
   * are still watched; adding it again later retries.
   */
  async add(folder: string): Promise<void> {
    if (this.#closed) throw new Error('The folder watcher is closed.');
    const path = resolve(folder);
    if (this.#roots.has(path)) return;
    const stats = await stat(path).catch(toError);
    if (stats instanceof Error || !stats.isDirectory()) {
      const why = stats instanceof Error ? (isGone(stats) ? 'it does not exist' : stats.message) : 'it is not a folder';
      return this.#events.onWarning(`Cannot watch ${path} for changes: ${why}.`);
    }
    const root: Root = { path, folders: new Map(), ids: new Set(), gone: false };
    this.#roots.set(path, root);
    try {
      if (this.#mode === 'native') await this.#watchTree(root, path, false);
      // Not an else: the walk above may have hit the watch limit and switched to polling.
      if (this.#mode === 'polling') {
        await this.#ensureFirstPass(root);
        this.#schedulePoll();
      }
    } catch (error) {
      if (!this.#closed) throw error;
    }
  }

  /** Stops watching a root; nothing more is reported for it. */
  async remove(folder: string): Promise<void> {
    const root = this.#roots.get(resolve(folder));
    if (!root) return;
    this.#roots.delete(root.path);
    this.#unwatch(root, root.path);
    for (const [path, entry] of this.#pending) if (entry.root === root) this.#pending.delete(path);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    clearTimeout(this.#sweepTimer);
    clearTimeout(this.#pollTimer);
    for (const root of this.#roots.values()) this.#unwatch(root, root.path);
    this.#roots.clear();
    this.#pending.clear();
    this.#recent.clear();
    await Promise.allSettled([...this.#work]);
  }

  /** Runs background work; an error in it reaches the user as a warning instead of an unhandled rejection. */
  #track(task: Promise<void>): void {
    const tracked: Promise<void> = task
      .catch((error: unknown) => {
        if (!this.#closed) this.#events.onWarning(`Watching the photo folders failed: ${toError(error).message}`);
      })
      .finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
  }

  #isCurrent(root: Root): boolean {
    return !this.#closed && this.#roots.get(root.path) === root;
  }

  // ---- native watching ----

  /** Watches `folder` and the folders under it; with `reportPhotos`, the photos found there become pending too. */
  async #watchTree(root: Root, folder: string, reportPhotos: boolean): Promise<void> {
    const entries = scanFolder(folder, {
      signal: this.#abort.signal,
      foldersOnly: !reportPhotos,
      onFolder: (path, id) => this.#watchOne(root, path, id),
    });
    for await (const entry of entries) {
      // Once polling, a set-up walk has nothing left to do; a new folder's walk still hands over its photos.
      if (!this.#isCurrent(root) || (this.#mode === 'polling' && !reportPhotos)) break;
      if (entry.type === 'photo') this.#enqueue(root, entry.path, entry);
      else if (reportPhotos) this.#events.onWarning(entry.message);
    }
  }

  /** The scanner's onFolder hook: place the watch before the folder is listed. False: already watched, skip it. */
  #watchOne(root: Root, path: string, id: string): boolean {
    if (!this.#isCurrent(root)) return false;
    if (this.#mode === 'polling') return true;
    const known = root.folders.get(path);
    if (known?.id === id) return false;
    // Same name, another folder: the one that was here went away between two looks.
    if (known) this.#folderGone(root, path);
    // Reached before through another path (a symbolic link): watching it twice would report everything twice.
    if (root.ids.has(id)) return false;
    try {
      const handle = this.#watchFolder(
        path,
        (name) => this.#onChange(root, path, name),
        (error) => this.#onWatchError(root, path, error),
      );
      root.folders.set(path, { id, watch: handle });
      root.ids.add(id);
    } catch (error) {
      if (isWatchLimit(error)) this.#fallBackToPolling(error);
      else this.#events.onWarning(`Cannot watch ${path} for changes: ${toError(error).message}.`);
    }
    return true;
  }

  #onChange(root: Root, folder: string, name: string): void {
    if (this.#mode !== 'native' || isSkippedName(name) || !this.#isCurrent(root)) return;
    this.#enqueue(root, join(folder, name));
  }

  #onWatchError(root: Root, folder: string, error: Error): void {
    if (isWatchLimit(error)) return this.#fallBackToPolling(error);
    const known = root.folders.get(folder);
    if (!known) return;
    known.watch.close();
    root.folders.delete(folder);
    root.ids.delete(known.id);
    if (this.#isCurrent(root)) this.#events.onWarning(`Stopped watching ${folder} for changes: ${error.message}.`);
  }

  /** Closes the watches on `folder` and every folder under it. */
  #unwatch(root: Root, folder: string): void {
    for (const [path, { id, watch }] of root.folders) {
      if (!isUnder(path, folder)) continue;
      watch.close();
      root.folders.delete(path);
      root.ids.delete(id);
    }
  }

  #folderGone(root: Root, folder: string): void {
    this.#unwatch(root, folder);
    for (const path of this.#pending.keys()) if (isUnder(path, folder)) this.#pending.delete(path);
    for (const path of this.#recent.keys()) if (isUnder(path, folder)) this.#recent.delete(path);
    this.#events.onRemoved(folder);
  }

  #rootGone(root: Root): void {
    if (root.gone) return;
    root.gone = true;
    this.#unwatch(root, root.path);
    this.#events.onWarning(
      `Phototag can no longer reach ${root.path} (deleted, renamed, or its drive was disconnected); its photos stay in the library.`,
    );
  }

  // ---- settling: one sweep over the pending map ----

  #enqueue(root: Root, path: string, observed?: Observed): void {
    const now = performance.now();
    const entry = this.#pending.get(path);
    if (!entry) {
      this.#pending.set(path, {
        root,
        due: observed ? now + this.#settleMs : now,
        size: observed?.size ?? -1,
        mtimeMs: observed?.mtimeMs ?? -1,
      });
    } else if (entry.size >= 0 && !(observed && sameVersion(observed, entry))) {
      // Changed again since it was last looked at: that look is stale, start the wait over.
      entry.due = now + this.#settleMs;
    }
    this.#armSweep();
  }

  #armSweep(): void {
    if (this.#closed || this.#sweepTimer || this.#sweeping) return;
    if (this.#pending.size === 0 && this.#recent.size === 0) return;
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = undefined;
      this.#sweeping = true;
      this.#track(
        this.#sweep().finally(() => {
          this.#sweeping = false;
          this.#armSweep();
        }),
      );
    }, this.#tickMs);
  }

  async #sweep(): Promise<void> {
    const now = performance.now();
    for (const [path, { at }] of this.#recent) {
      if (at > now - this.#recentMs) break;
      this.#recent.delete(path);
    }
    const due: [string, Pending][] = [];
    for (const item of this.#pending) if (item[1].due <= now) due.push(item);
    const results: (Stats | Error)[] = [];
    for (let i = 0; i < due.length; i += STAT_BATCH) {
      const batch = due.slice(i, i + STAT_BATCH);
      results.push(...(await Promise.all(batch.map(([path]) => stat(path).catch(toError)))));
      if (this.#closed) return;
    }
    // Vanished paths first, then folders, then files: a folder moved within a root must leave its old path (and its
    // watches) before it is looked up under the new one.
    const gone: [string, Pending][] = [];
    const folders: [string, Pending][] = [];
    for (const [index, [path, entry]] of due.entries()) {
      const result = results[index]!;
      if (this.#pending.get(path) !== entry) continue;
      if (result instanceof Error) {
        this.#pending.delete(path);
        if (isGone(result)) gone.push([path, entry]);
      } else if (result.isDirectory()) {
        this.#pending.delete(path);
        folders.push([path, entry]);
      } else if (!result.isFile() || !(isPhotoPath(path) || isSidecarPath(path))) {
        this.#pending.delete(path);
      } else if (result.size === entry.size && result.mtimeMs === entry.mtimeMs) {
        this.#pending.delete(path);
        this.#settled(entry.root, path, result);
      } else {
        entry.size = result.size;
        entry.mtimeMs = result.mtimeMs;
        entry.due = performance.now() + this.#settleMs;
      }
    }
    const parentMissing = new Map<string, Promise<boolean>>();
    for (const [path, { root }] of gone) {
      const parent = dirname(path);
      let missing = parentMissing.get(parent);
      if (!missing) parentMissing.set(parent, (missing = isMissing(parent)));
      if (!this.#isCurrent(root)) continue;
      if (await missing) {
        // The folder went too: its own removal is reported from higher up, unless the root itself went.
        if (await isMissing(root.path)) this.#rootGone(root);
      } else if (root.folders.has(path)) {
        this.#folderGone(root, path);
      } else if (isPhotoPath(path)) {
        this.#removed(path);
      } else if (isSidecarPath(path)) {
        this.#recent.delete(path);
        this.#events.onSidecar?.(path);
      }
    }
    for (const [path, { root }] of folders) {
      if (this.#mode === 'native' && this.#isCurrent(root)) await this.#watchTree(root, path, true);
    }
  }

  #settled(root: Root, path: string, stats: Stats): void {
    if (!this.#isCurrent(root)) return;
    const seen = this.#recent.get(path);
    if (seen?.size === stats.size && seen.mtimeMs === stats.mtimeMs) return;
    this.#recent.delete(path);
    this.#recent.set(path, { size: stats.size, mtimeMs: stats.mtimeMs, at: performance.now() });
    if (isSidecarPath(path)) this.#events.onSidecar?.(path);
    else this.#events.onPhoto({ path, size: stats.size, mtimeMs: stats.mtimeMs });
  }

  #removed(path: string): void {
    this.#pending.delete(path);
    this.#recent.delete(path);
    this.#events.onRemoved(path);
  }

  // ---- polling ----

  #fallBackToPolling(error: unknown): void {
    if (this.#mode === 'polling' || this.#closed) return;
    this.#mode = 'polling';
    for (const root of this.#roots.values()) this.#unwatch(root, root.path);
    this.#events.onWarning(pollingWarning(error, this.#pollIntervalMs));
    // What changed just before the switch, its events not handled yet, the first pass finds by comparing.
    const roots = [...this.#roots.values()];
    this.#track(Promise.all(roots.map((root) => this.#ensureFirstPass(root))).then(() => this.#schedulePoll()));
  }

  #ensureFirstPass(root: Root): Promise<void> {
    root.firstPass ??= this.#pollRoot(root);
    return root.firstPass;
  }

  #schedulePoll(): void {
    if (this.#closed || this.#pollTimer || this.#polling) return;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.#polling = true;
      this.#track(
        this.#poll().finally(() => {
          this.#polling = false;
          this.#schedulePoll();
        }),
      );
    }, this.#pollIntervalMs);
  }

  async #poll(): Promise<void> {
    for (const root of [...this.#roots.values()]) {
      if (root.polled && this.#isCurrent(root)) await this.#pollRoot(root);
    }
  }

  /**
   * Rescans a root folder by folder, each compared with the photos known in it as it is listed; a folder gone since
   * is reported once, at its top; nothing under a folder or file that could not be read is taken for gone.
   */
  async #pollRoot(root: Root): Promise<void> {
    const before = root.polled ?? new Set<string>();
    const after = new Set<string>();
    const unreadable: string[] = [];
    const isUnreadable = (path: string) => unreadable.some((problem) => isUnder(path, problem));
    let folder: PolledFolder | undefined;
    const done = () => {
      if (!folder) return;
      const { path } = folder;
      if (!isUnreadable(path)) {
        for (const gone of folder.finish()) if (!isUnreadable(gone)) this.#removed(gone);
        after.add(path);
      } else if (before.has(path)) after.add(path);
      folder = undefined;
    };
    const onFolder = (path: string) => {
      if (!this.#isCurrent(root)) return false;
      done();
      const known = this.#events.knownPhotos(path);
      folder = new PolledFolder(path, known, (photo, version) => this.#polled(root, photo, version));
      return true;
    };
    for await (const entries of scanFolderBatches(root.path, { signal: this.#abort.signal, onFolder })) {
      if (!this.#isCurrent(root)) return;
      for (const entry of entries) {
        if (entry.type === 'photo') folder?.photo(entry);
        else if (entry.path === root.path) {
          // A root unreachable on its first pass (a drive unplugged as watching fell back to polling) is polled on.
          root.polled ??= new Set();
          return this.#rootGone(root);
        } else unreadable.push(entry.path);
      }
    }
    done();
    if (!this.#isCurrent(root)) return;
    root.gone = false;
    for (const path of before) {
      if (after.has(path)) continue;
      if (isUnreadable(path)) after.add(path);
      else if (after.has(dirname(path))) this.#folderGone(root, path);
    }
    root.polled = after;
  }

  /** A photo a polling pass found, against the library's version of it (undefined: not held, or held missing). */
  #polled(root: Root, photo: PhotoFile, version: string | undefined): void {
    if (version === photoVersion(photo)) return;
    const unstamped = photoVersion({ ...photo, sidecar: null });
    // The photo as it was, its sidecar not: nothing to settle, as the photo held still since it was read.
    if (version === unstamped || version?.startsWith(`${unstamped} `)) this.#events.onPhoto(photo);
    else this.#enqueue(root, photo.path, photo);
  }
}
