import { EventEmitter } from 'node:events';
import { extname } from 'node:path';
import type { XmpSettings, XmpStatus } from '../api/contract.js';
import type { Db } from '../db/database.js';
import type { PhotoRow } from '../db/photo-repository.js';
import { XmpRepository } from '../db/xmp-repository.js';
import type { LabelSet } from '../models/label-sets.js';
import { canWriteInto, PhotoFileXmp } from './photo-file-xmp.js';
import { writeSidecar, type WriteOutcome } from './sidecar-file.js';
import type { XmpTag } from './xmp-document.js';
import { xmpTagsOf } from './xmp-tags.js';

/** How long changes gather before their sidecars are written: a burst of corrections or tagged photos is one pass. */
export const XMP_DEBOUNCE_MS = 500;
/** Queued photos read at a time; each is taken off the queue as it is written. */
const CHUNK = 200;

export interface XmpWriteSummary {
  written: number;
  unchanged: number;
  failed: { path: string; message: string }[];
  /** Writing into the files, the formats ("PNG") of the photos that have their tags in their sidecars only. */
  sidecarOnly: string[];
}

const emptySummary = (): XmpWriteSummary => ({ written: 0, unchanged: 0, failed: [], sidecarOnly: [] });

interface XmpSyncOptions {
  db: Db;
  /** The photo by id (undefined when it left the library). */
  photoById: (id: number) => PhotoRow | undefined;
  /** The active model's label set, for the categories of labels in the hierarchy; null when no model is installed. */
  labelSet: () => LabelSet | null;
  /** Reports a sidecar or file that could not be written, as a sentence naming it. */
  warn: (message: string) => void;
  /** A read-only library writes nothing on its own (an explicit `write` still writes the files). */
  readonly: boolean;
}

/**
 * Keeps the XMP beside (and, when asked, inside) each photo in step with its tags. The database queues the photos
 * whose tags changed (migration 11's triggers, while writing is on): a correction, a re-tag, a model switch, an
 * undo. `schedule` gathers them for XMP_DEBOUNCE_MS and writes each queued photo once, in the background; "written"
 * follows each pass that wrote any, so a status shown can follow.
 */
export class XmpSync extends EventEmitter<{ written: [] }> {
  private readonly repo: XmpRepository;
  private readonly files = new PhotoFileXmp();
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<XmpWriteSummary> = Promise.resolve(emptySummary());
  /** The queued photo being written, taken off the queue. */
  private writing: number | undefined;
  /** Set by stop: no more queued photo is written. */
  private stopped = false;

  constructor(private readonly options: XmpSyncOptions) {
    super();
    this.repo = new XmpRepository(options.db);
  }

  status(): XmpStatus {
    return { settings: this.repo.settings(), pending: this.repo.pending() };
  }

  /**
   * Changes the setting. Turning writing on, or changing what is written (the threshold, into the files), queues
   * every photo, so each sidecar says what the setting now asks for; they are written in the background.
   */
  configure(change: Partial<XmpSettings>): XmpStatus {
    const before = this.repo.settings();
    const after = { ...before, ...change };
    const rewrite =
      after.enabled &&
      (!before.enabled || after.threshold !== before.threshold || (after.intoFiles && !before.intoFiles));
    this.repo.saveSettings(after, rewrite);
    if (rewrite) this.schedule();
    return this.status();
  }

  /** Writes the queued photos after XMP_DEBOUNCE_MS; further calls meanwhile join that pass. */
  schedule(): void {
    if (this.options.readonly || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, XMP_DEBOUNCE_MS);
    // Never what keeps a process alive: close() writes what is left.
    this.timer.unref();
  }

  /**
   * Writes every queued photo now (after a pass already going); resolves when the queue is empty, with what this
   * pass wrote. Each failure is also a warning.
   */
  flush(): Promise<XmpWriteSummary> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.options.readonly) return Promise.resolve(emptySummary());
    // A pass that failed (its error went to its caller) does not stop the next.
    this.draining = this.draining.catch(emptySummary).then(() => this.drain());
    return this.draining;
  }

  /**
   * Writes the queued photos, taking each off the queue as its write starts: those not reached stay queued, for
   * the next pass or the next start, if the process ends (or close gives up on a write, see stop) on the way.
   */
  private async drain(): Promise<XmpWriteSummary> {
    const total = emptySummary();
    while (!this.stopped) {
      const ids = this.repo.queued(CHUNK);
      if (ids.length === 0) break;
      const settings = this.repo.settings();
      if (!settings.enabled) break;
      const labelSet = this.options.labelSet();
      for (const id of ids) {
        if (this.stopped) break;
        if (!this.repo.take(id)) continue;
        this.writing = id;
        const photo = this.options.photoById(id);
        const failures = total.failed.length;
        if (photo) await this.writeOne(photo, settings, labelSet, total);
        this.writing = undefined;
        for (const failure of total.failed.slice(failures)) this.options.warn(failure.message);
      }
    }
    if (total.written + total.unchanged + total.failed.length > 0) this.emit('written');
    return total;
  }

  /** Writes these photos' XMP as the setting says (whether writing is on or not): what `phototag xmp write` does. */
  async write(photos: PhotoRow[]): Promise<XmpWriteSummary> {
    const summary = emptySummary();
    const settings = this.repo.settings();
    const labelSet = this.options.labelSet();
    for (const photo of photos) await this.writeOne(photo, settings, labelSet, summary);
    return summary;
  }

  /** Writes one photo's XMP, counted in `summary` (a failure too, with its sentence); a missing photo is left. */
  private async writeOne(
    photo: PhotoRow,
    settings: XmpSettings,
    labelSet: LabelSet | null,
    summary: XmpWriteSummary,
  ): Promise<void> {
    if (photo.status === 'missing') return;
    const tags = xmpTagsOf(this.repo.tagsOf(photo.id), labelSet, settings.threshold);
    try {
      const outcomes = await this.writePhoto(photo, tags, settings, summary.sidecarOnly);
      if (outcomes.includes('written')) summary.written++;
      else summary.unchanged++;
    } catch (error) {
      summary.failed.push({ path: photo.path, message: (error as Error).message });
    }
  }

  /**
   * Writes a photo's sidecar and, when the setting asks and its format allows, its file (else its format joins
   * `sidecarOnly`); what each write did.
   */
  private async writePhoto(
    photo: PhotoRow,
    tags: XmpTag[],
    settings: XmpSettings,
    sidecarOnly: string[],
  ): Promise<WriteOutcome[]> {
    const write = await writeSidecar(photo.path, tags);
    // What Phototag wrote is not another program's edit: the next scan reads it again only if it changes since.
    if (write.outcome === 'written') this.repo.recordSidecarWrite(photo.id, write.before, write.after);
    const sidecar = write.outcome;
    if (!settings.intoFiles) return [sidecar];
    if (!canWriteInto(photo.path)) {
      sidecarOnly.push(extname(photo.path).slice(1).toUpperCase());
      return [sidecar];
    }
    // A file that did not decode may not be the photo it claims to be: it is not rewritten on a guess.
    if (photo.status === 'failed') {
      throw new Error(
        `Cannot write into ${photo.path}: Phototag could not read it as a photo, so it is left as it was.`,
      );
    }
    return [sidecar, await this.files.write(photo.path, tags, settings.keepOriginal)];
  }

  /** Writes what is queued (a writing library), then stops ExifTool. */
  async close(): Promise<void> {
    await this.flush().catch((error: Error) => this.options.warn(error.message));
    await this.files.close();
  }

  /**
   * Writes no more queued photo, and puts the one being written back on the queue: what a library that closes
   * without waiting for close (a write to a share that no longer answers) calls before its database closes.
   */
  stop(): void {
    this.stopped = true;
    if (this.writing !== undefined) this.repo.putBack(this.writing);
    this.writing = undefined;
  }
}
