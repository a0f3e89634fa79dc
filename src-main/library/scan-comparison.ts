import { photoVersion, type PhotoRepository, type ScannedFile } from '../db/photo-repository.js';
import { errorCode } from '../file-errors.js';
import { batchStatter } from './folder-scanner.js';
import { KnownPhotos, type KnownPhoto } from './known-photos.js';

/** Photos passed by a walk that markMissing stats again at once. */
const RECHECK_BATCH = 1024;

/** Photos recorded in one transaction. */
const CHUNK = 1000;

/** A folder being listed: the library's photos in it, read in step with the walk, and its subfolders seen so far. */
interface Listing {
  path: string;
  photos: KnownPhotos;
  subfolders: string[];
  /**
   * Its photos found out of step: added, or held already yet apart from where the library's order met them. Either
   * may be passed as well (the two orders differ, and a photo added is written before the library's photos beyond it
   * are read, and then read back), so passed, yet found.
   */
  foundApart: Set<string>;
}

/**
 * A full scan's comparison of what the walk finds with what the library holds, a folder at a time. The walk lists
 * a folder's photos in name order, and the library's photos in it are read alongside in path order (a stretch of an
 * index, not a lookup per photo): an unchanged photo costs a string comparison. A photo found out of that step (a
 * new one, a changed one, or one that the two orders place apart: they differ past U+D7FF) is looked up and recorded
 * by upsertScanned. The library's photos the walk passed without finding are noted, to be marked missing once the
 * walk proved healthy, and so are those below a subfolder the walk never listed (deleted, hidden now, a link that
 * leads elsewhere), unless the walk could not read it: nothing at or below a path the walk reported a problem with
 * is taken for gone. Memory holds a stretch of one folder's photos and those found out of step in it, the paths not
 * found and the library's subfolders, never every path.
 */
export class ScanComparison {
  found = 0;
  added = 0;
  changed = 0;
  /** Photos found that the library held already. */
  known = 0;
  /** The paths the walk reported a problem with. */
  readonly unread = new Set<string>();
  readonly #repo: PhotoRepository;
  readonly #folderId: number;
  readonly #signal: AbortSignal | undefined;
  #current: Listing | undefined;
  /** Photos found out of step, to be recorded by upsertScanned. */
  #chunk: ScannedFile[] = [];
  /** Photos found the same but for their sidecar, whose keywords are to be read again (takeSidecarChanges). */
  #sidecarChanged: ScannedFile[] = [];
  /** Photos of the folders listed that the walk passed without finding, with their versions. */
  readonly #passed: KnownPhoto[] = [];
  /** The library's subfolders of the folders listed, and the folders listed. */
  readonly #subfolders: string[] = [];
  readonly #listed = new Set<string>();

  /**
   * `signal`: the scan stopped (its folder left the library, or the library closes). From then on the comparison
   * records nothing and marks nothing missing: each step that would write throws the signal's reason instead, as the
   * scan may resume long after (a share that answers again) and its folder's id may belong to another folder by then.
   */
  constructor(repo: PhotoRepository, folderId: number, signal?: AbortSignal) {
    this.#repo = repo;
    this.#folderId = folderId;
    this.#signal = signal;
  }

  /** The scanner's onFolder hook: `path` is listed next, and the photos found after this are in it. */
  readonly enter = (path: string): boolean => {
    this.#leave();
    const subfolders: string[] = [];
    const photos = new KnownPhotos(this.#repo.photosInFolder(path, (subfolder) => subfolders.push(subfolder)));
    this.#current = { path, photos, subfolders, foundApart: new Set() };
    return true;
  };

  photo(file: ScannedFile): void {
    this.found++;
    const listing = this.#current!;
    const version = listing.photos.meet(file.path);
    if (version === photoVersion(file)) {
      this.known++;
      return;
    }
    if (version === undefined) listing.foundApart.add(file.path);
    this.#chunk.push(file);
    if (this.#chunk.length >= CHUNK) this.#record();
  }

  problem(path: string): void {
    this.unread.add(path);
    // The folder entered could not be listed after all: nothing in it is known to be gone.
    if (path === this.#current?.path) this.#current = undefined;
  }

  /** The photos recorded so far whose sidecar alone changed (appeared, changed or went), each taken once. */
  takeSidecarChanges(): ScannedFile[] {
    const taken = this.#sidecarChanged;
    this.#sidecarChanged = [];
    return taken;
  }

  /** After the walk. */
  finish(): void {
    this.#leave();
  }

  /**
   * Marks missing what a finished walk did not find; returns how many photos. Each photo passed is looked at once
   * more first: a folder is listed over many turns of the event loop, and an entry renamed or replaced meanwhile (an
   * editor saving through a temporary file) may be left out of the listing though the photo never went. That costs
   * one stat a photo passed, nothing for those found, made as the scan makes its own (batchStatter): a thousand
   * photos deleted from a slow share do not hold the event loop. A photo there is found, and one whose size or
   * modification time moved (saved over) is recorded as changed, to be tagged again; its sidecar is kept as stored,
   * for the next scan to compare. A scan stopped meanwhile marks nothing and records nothing more.
   */
  async markMissing(): Promise<number> {
    const passed = this.#passed.filter(([path]) => !this.unread.has(path));
    const statBatch = batchStatter();
    const gone: string[] = [];
    for (let i = 0; i < passed.length; i += RECHECK_BATCH) {
      const rows = passed.slice(i, i + RECHECK_BATCH);
      const checked = await statBatch(rows.map(([path]) => path));
      this.#signal?.throwIfAborted();
      checked.forEach((stats, j) => {
        const [path, version] = rows[j]!;
        // Not there is gone; any other error says nothing of the photo, and fails the scan, as a stat of it did.
        if (stats instanceof Error && !['ENOENT', 'ENOTDIR'].includes(errorCode(stats) ?? '')) throw stats;
        if (stats instanceof Error || !stats.isFile()) return void gone.push(path);
        this.found++;
        // The sidecar as stored, so the version compares size and mtime alone (a lookup only for these rare photos).
        const file = { path, size: stats.size, mtimeMs: stats.mtimeMs, sidecar: this.#repo.sidecarStampAt(path) };
        if (version === photoVersion(file)) return void this.known++;
        this.#chunk.push(file);
      });
      this.#record();
    }
    const unlisted = this.#subfolders.filter((path) => !this.#listed.has(path) && !this.unread.has(path));
    this.#signal?.throwIfAborted();
    return this.#repo.markMissing(gone, unlisted);
  }

  #record(): void {
    this.#signal?.throwIfAborted();
    if (this.#chunk.length === 0) return;
    const outcomes = this.#repo.upsertScanned(this.#folderId, this.#chunk);
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome === 'new') this.added++;
      else this.known++;
      if (outcome === 'changed') this.changed++;
      if (outcome === 'sidecar') this.#sidecarChanged.push(this.#chunk[i]!);
    }
    this.#chunk = [];
  }

  #leave(): void {
    this.#record();
    const listing = this.#current;
    if (!listing) return;
    listing.photos.finish();
    for (const [path, version] of listing.photos.passed) {
      if (!listing.foundApart.has(path)) this.#passed.push([path, version]);
    }
    this.#listed.add(listing.path);
    for (const subfolder of listing.subfolders) this.#subfolders.push(subfolder);
    this.#current = undefined;
  }
}
