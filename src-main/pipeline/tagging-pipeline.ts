import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '../api/contract.js';
import {
  KEYWORDS_UNREAD,
  type ModelRef,
  type PhotoMetadata,
  type PhotoRepository,
  type PhotoRow,
} from '../db/photo-repository.js';
import { decodePhoto, makeThumbnail, PhotoError, shorterSideFor, type DecodedPhoto } from '../imaging/decode.js';
import { errorCode } from '../file-errors.js';
import { describe } from '../imaging/photo-error.js';
import { PhotoFile } from '../imaging/photo-file.js';
import { photoPixels, type PhotoPixels } from '../taggers/photo-tagger.js';
import {
  parseSignature,
  refKey,
  secondaryTaggers,
  taggerSignature,
  type TaggerPlan,
  type TaggerRef,
} from '../taggers/tagger-plan.js';
import type { ImageTagger } from '../taggers/tagger-worker-client.js';
import type { Tag } from '../db/correction-repository.js';
import { fingerprint, readExif, readKeywords, type ExifFacts, type FileKeywords } from './photo-facts.js';
import { RunRate } from './run-rate.js';

/**
 * Thumbnails fit in this box. It holds a 4:3 photo decoded at a 256 px shorter side (341 x 256), the decode every
 * ImageNet classifier asks for, so the most common photos' thumbnails are their decoded pixels with no resize.
 */
export const THUMBNAIL_SIZE = 352;
/** Thumbnails need this much of the photo's shorter side (a 3:2 photo then fills the box's width), whatever the model. */
const THUMBNAIL_SHORTER_SIDE = 240;
/**
 * How large a photo is decoded: enough for every classifier's input and for the thumbnail made from the same
 * pixels. The face detector takes the same pixels, letterboxed up to its input size: on the rules' test set (48
 * photos of people, 3,750 without), a decode shrunk to a 256 px shorter side found the same people as the full
 * photo (48 of 48) with the same false alarms (11 against 10), and decoding larger for it halved the decode floor.
 */
export function decodeSideFor(plan: TaggerPlan): number {
  const classifiers = [plan.primary, ...plan.specialists].map((entry) => shorterSideFor(entry.manifest.input));
  return Math.max(...classifiers, THUMBNAIL_SHORTER_SIDE);
}

/** What preparePhoto makes of one photo file. */
export interface PreparedPhoto {
  decoded: DecodedPhoto;
  exif: ExifFacts;
  /** Keywords already in the file or its XMP sidecar, why some could not be read, and the sidecar read. */
  keywords: FileKeywords;
  /** The thumbnail (JPEG), made from the decoded pixels. */
  thumbnail: Buffer;
}

/**
 * A photo file up to this size is read once, whole, through its open descriptor, and decoded and parsed from
 * those bytes: opening and reading a phone-thumbnail-sized photo four times (libvips' header and pixels, exifr's
 * EXIF and keywords) had cost it a quarter as much as its decode. A larger file stays where it is, read in parts,
 * so what the decoders hold at once stays within this size each.
 */
const READ_WHOLE_BYTES = 1024 * 1024;

/**
 * Everything the library and the taggers take from one photo file besides its fingerprint, from one decode: the
 * pixels at the plan's size beside the EXIF facts and keywords, then the thumbnail from those same pixels. It
 * touches no database, so the benchmark times the very steps the pipeline runs. The fingerprint comes first and
 * apart: a photo it finds moved is relinked instead of decoded.
 */
export async function preparePhoto(file: PhotoFile, plan: TaggerPlan): Promise<PreparedPhoto> {
  // A read error gets the words a decode's would (the disk's, the file's), not node's.
  const bytes =
    file.size <= READ_WHOLE_BYTES
      ? await file.read(0, file.size).catch((error: unknown) => Promise.reject(describe(error, file.path)))
      : undefined;
  const [decoded, exif, keywords] = await Promise.all([
    decodePhoto(bytes ?? file, decodeSideFor(plan), file.path),
    readExif(bytes ?? file.path),
    readKeywords(file.path, bytes),
  ]);
  const thumbnail = await makeThumbnail(decoded, THUMBNAIL_SIZE);
  return { decoded, exif, keywords, thumbnail };
}

/** What a photo tagged in full under `plan` records: the library's model, and the secondary taggers' signature. */
export function taggedWith(plan: TaggerPlan): { model: ModelRef; taggers: TaggerRef[]; signature: string } {
  const taggers = secondaryTaggers(plan);
  const { id, version } = plan.primary.manifest;
  return { model: { id, version }, taggers, signature: taggerSignature(taggers) };
}

/** The progress shape is the API's own: the engine reports exactly what the UI shows. */
export type { Progress };

export interface RunSummary {
  tagged: number;
  failed: number;
  seconds: number;
  photosPerSecond: number;
  cancelled: boolean;
}

export interface PipelineOptions {
  /** The library's model and the secondary taggers beside it. */
  plan: TaggerPlan;
  thumbnailsDir: string;
  /** Photos decoded at the same time. */
  decoders: number;
  /** Photos per classifier run. */
  batchSize: number;
  /** The tag a keyword found in a photo's file or sidecar names: a known label or category, else an own label. */
  keywordTag: (keyword: string) => Tag;
  /**
   * The library folders whose photos wait, asked at each claim: a share that does not answer, where reading a photo
   * would hold a decoder for ever (see Library.lookedAt).
   */
  waitingFolders: () => readonly number[];
  /**
   * Whether this process still holds the library's tagging claim. One that lost it (it stalled and another Phototag
   * took over) leaves the photos in flight alone as it winds down: the successor put them back as it claimed, and
   * may have claimed them since.
   */
  holdsClaim: () => boolean;
}

interface Prepared {
  photo: PhotoRow;
  pixels: PhotoPixels;
  metadata: PhotoMetadata;
}

interface PipelineEvents {
  progress: [Progress];
  /** One photo finished, tagged or failed. */
  photo: [PhotoRow];
  /** A sentence about a photo tagged all the same: a sidecar or XMP packet whose keywords could not be read. */
  warning: [string];
}

/**
 * Tags pending photos: decode each once (the thumbnail and every tagger's input come from the same pixels), batch
 * them to the taggers' worker, store each batch's results in transactions. State lives in the database, so a crash
 * at any point loses nothing: claimed photos go back to pending on the next start.
 */
export class TaggingPipeline extends EventEmitter<PipelineEvents> {
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  private cancelled = false;
  private requested = false;
  private running: Promise<RunSummary> | undefined;
  private started = 0;
  private tagged = 0;
  private failed = 0;
  private lastProgress = 0;
  /** A progress event held back by the 250 ms between two, told when they are up (see emitProgress). */
  private heldProgress: NodeJS.Timeout | undefined;
  /** Whether this run has told its first finished photos yet (told at once, however soon after the start). */
  private toldFinished = false;
  private readonly rate = new RunRate();
  /** True from a run's first step on: `running` is assigned after that step, which already reports progress. */
  private inRun = false;
  private readonly model: ModelRef;
  /** The secondary taggers, and the signature a photo holding all their results records. */
  private readonly taggers: TaggerRef[];
  private readonly signature: string;
  /** The batch being classified now, if any. */
  private inference: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: PhotoRepository,
    private readonly tagger: ImageTagger,
    private readonly options: PipelineOptions,
  ) {
    super();
    ({ model: this.model, taggers: this.taggers, signature: this.signature } = taggedWith(options.plan));
  }

  pause(): void {
    this.paused = true;
    this.emitProgress(true);
  }

  resume(): void {
    this.paused = false;
    for (const wake of this.resumeWaiters.splice(0)) wake();
    this.emitProgress(true);
  }

  /** Stops after the photos in flight; the rest stays pending for the next run. */
  cancel(): void {
    this.cancelled = true;
    this.resume();
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Resolves when no run is going (without starting one). */
  async whenIdle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /**
   * Tags until nothing is pending (or cancelled). Calling it while a run is going joins that run, and makes it look
   * for pending photos once more before it ends, so a photo queued at the last moment is never left behind.
   */
  run(): Promise<RunSummary> {
    this.requested = true;
    this.running ??= this.runUntilIdle();
    return this.running;
  }

  private async runUntilIdle(): Promise<RunSummary> {
    this.cancelled = false;
    this.started = Date.now();
    this.tagged = this.failed = 0;
    this.rate.clear();
    this.toldFinished = false;
    this.inRun = true;
    try {
      while (this.requested && !this.cancelled) {
        this.requested = false;
        await this.runOnce();
      }
    } finally {
      this.running = undefined;
      this.inRun = false;
      this.emitProgress(true);
    }
    const seconds = (Date.now() - this.started) / 1000;
    return {
      tagged: this.tagged,
      failed: this.failed,
      seconds,
      photosPerSecond: seconds > 0 ? (this.tagged + this.failed) / seconds : 0,
      cancelled: this.cancelled,
    };
  }

  /** Reads the kept counts (migration 8): cheap enough for every progress event. */
  progress(): Progress {
    const counts = this.repo.counts();
    const now = Date.now();
    const queued = counts.pending + counts.processing;
    const eta = this.rate.secondsLeft(queued, now);
    return {
      found: counts.total,
      queued,
      done: this.tagged,
      failed: this.failed,
      photosPerSecond: this.rate.perSecond(now),
      etaSeconds: eta !== null && eta >= 1 && !this.paused ? eta : null,
      state: this.paused ? 'paused' : this.inRun ? 'running' : 'idle',
    };
  }

  private emitProgress(force = false): void {
    const now = Date.now();
    const wait = this.lastProgress + 250 - now;
    if (!force && wait > 0) {
      // Held back, not dropped: a batch that finishes just after the last event is still shown within 250 ms.
      this.heldProgress ??= setTimeout(() => {
        this.heldProgress = undefined;
        this.emitProgress(true);
      }, wait).unref();
      return;
    }
    clearTimeout(this.heldProgress);
    this.heldProgress = undefined;
    this.lastProgress = now;
    this.emit('progress', this.progress());
  }

  private async gate(): Promise<void> {
    while (this.paused && !this.cancelled) await new Promise<void>((wake) => this.resumeWaiters.push(wake));
  }

  private async runOnce(): Promise<void> {
    this.repo.requeueStale(this.model, this.signature);
    this.emitProgress(true);
    try {
      await this.decodeQueue();
      await this.inference;
    } finally {
      // Whatever was claimed but not finished (cancel, or a classifier failure) goes back to the queue: while the
      // claim is this process's, every photo in flight is its own.
      await this.inference.catch(() => undefined);
      this.inference = Promise.resolve();
      if (this.options.holdsClaim()) this.repo.resetInFlight();
    }
  }

  /**
   * Decodes the queue with `decoders` in flight while the previous batch is classified; one classifier run at a
   * time. Photos are claimed a few batches ahead as the decoders need them, so the decoders never wait for the
   * classifier to empty its queue between claims (which left a core idle at every claim).
   */
  private async decodeQueue(): Promise<void> {
    let batch: Prepared[] = [];
    const flush = async () => {
      const items = batch;
      batch = [];
      if (items.length === 0) return;
      // Batches queue behind each other, so `inference` always settles last: several decoders may flush at once.
      const previous = this.inference;
      this.inference = previous.then(() => this.classifyAndSave(items));
      // Handled here so a failure is thrown where it is awaited (the next flush, the end of the run), not unheard.
      this.inference.catch(() => undefined);
      // Backpressure: decode on only while at most one batch waits for the classifier.
      await previous;
    };
    let claimed: PhotoRow[] = [];
    let next = 0;
    const take = async (): Promise<PhotoRow | undefined> => {
      await this.gate();
      if (this.cancelled) return undefined;
      if (next >= claimed.length) {
        claimed = this.repo.claimPending(Math.max(32, this.options.batchSize * 4), this.options.waitingFolders());
        next = 0;
      }
      return claimed[next++];
    };
    const decoder = async () => {
      for (let photo = await take(); photo; photo = await take()) {
        const prepared = await this.prepare(photo);
        if (!prepared) continue;
        batch.push(prepared);
        if (batch.length >= this.options.batchSize) await flush();
      }
    };
    await Promise.all(Array.from({ length: this.options.decoders }, decoder));
    await flush();
  }

  /**
   * Opens, fingerprints and decodes one photo; a moved photo is relinked instead of decoded. The file is read
   * through one descriptor checked to be a regular file, and never held whole in memory.
   */
  private async prepare(claimed: PhotoRow): Promise<Prepared | undefined> {
    let photo = claimed;
    let print: string | undefined;
    try {
      let file: PhotoFile;
      try {
        file = await PhotoFile.open(photo.path);
      } catch (error) {
        // Its file is not there now (deleted, or on a drive unplugged or a share gone since the scan) while its
        // results are: they stay, and the next scan decides (missing when its walk does not find the file). Failing it
        // would delete them, and nothing reads a failed photo again when its drive is back.
        if (photo.modelId === null || !errorCode((error as Error).cause)) throw error;
        if (this.repo.keepTagged(photo)) {
          this.emit('warning', `${(error as Error).message} Its tags are kept until the next scan finds it, or not.`);
          this.finish([photo], 'kept');
        }
        return undefined;
      }
      let prepared: PreparedPhoto;
      try {
        print = await fingerprint(file);
        if (photo.fingerprint === null) {
          const relinked = this.repo.relinkMoved(photo, print);
          if (relinked) {
            const { photo: moved, sidecarChanged } = relinked;
            // Beside another sidecar, its keywords are read again: its file tags are the old place's.
            if (this.isCurrent(moved) && moved.taggers === this.signature && !sidecarChanged) {
              this.finish([moved], 'tagged');
              return undefined;
            }
            photo = moved;
          }
        }
        prepared = await preparePhoto(file, this.options.plan);
      } finally {
        await file.close();
      }
      const { decoded, exif, keywords, thumbnail } = prepared;
      for (const problem of keywords.problems) this.emit('warning', problem);
      await this.writeThumbnail(print, thumbnail);
      const metadata = {
        fingerprint: print,
        format: decoded.format,
        width: decoded.originalWidth,
        height: decoded.originalHeight,
        orientation: decoded.orientation ?? null,
        takenAt: exif.takenAt,
        camera: exif.camera,
        // Keywords that could not be read leave those stored as they are, until the next scan reads them.
        ...(keywords.readable
          ? { fileTags: keywords.keywords.map(this.options.keywordTag), sidecar: keywords.sidecar }
          : { sidecar: KEYWORDS_UNREAD }),
      };
      return { photo, pixels: this.pixelsFor(photo, print, decoded, exif), metadata };
    } catch (error) {
      const reason =
        error instanceof PhotoError ? error.message : `Cannot tag ${photo.path}: ${(error as Error).message}`;
      if (this.repo.saveFailed(photo, reason, print)) this.finish([photo], 'failed');
      return undefined;
    }
  }

  private async writeThumbnail(print: string, jpeg: Buffer): Promise<void> {
    const file = thumbnailPath(this.options.thumbnailsDir, print);
    // Owner only, like the private photos they show (folders this makes; Windows ignores the modes).
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    // Copies of one photo share a fingerprint and may be decoded at the same time: each write has its own
    // temporary name, and the rename makes whichever lands last the thumbnail (they are the same pixels).
    const temporary = `${file}.${randomUUID()}.tmp`;
    await writeFile(temporary, jpeg, { mode: 0o600 });
    await rename(temporary, file);
  }

  private isCurrent(photo: PhotoRow): boolean {
    return photo.modelId === this.model.id && photo.modelVersion === this.model.version;
  }

  /**
   * What the taggers take: a photo whose very content the library's model already tagged runs only the secondary
   * taggers it lacks (a tagger added or updated since), beside the categories it has; a changed photo runs all.
   */
  private pixelsFor(photo: PhotoRow, print: string, decoded: DecodedPhoto, exif: ExifFacts): PhotoPixels {
    const held = new Set(parseSignature(photo.taggers).map(refKey));
    const run: PhotoPixels['run'] =
      this.isCurrent(photo) && photo.fingerprint === print
        ? {
            primary: false,
            taggers: this.taggers.filter((ref) => !held.has(refKey(ref))).map((ref) => ref.id),
            categories: this.repo.modelCategories(photo.id, this.model),
          }
        : { primary: true };
    return photoPixels(decoded, { ...exif.exposure, camera: exif.camera }, run);
  }

  private async classifyAndSave(items: Prepared[]): Promise<void> {
    const tags = await this.tagger.tag(items.map((item) => item.pixels));
    const saved = new Set(
      this.repo.saveTaggedBatch(
        items.map((item, i) => ({ photo: item.photo, metadata: item.metadata, tags: tags[i]! })),
        this.model,
        this.taggers,
      ),
    );
    // Removed or changed while it was read: its thumbnail may now belong to no photo.
    for (const item of items) if (!saved.has(item.photo)) this.repo.trashThumbnail(item.metadata.fingerprint);
    this.finish(
      items.filter((item) => saved.has(item.photo)).map((item) => item.photo),
      'tagged',
    );
  }

  /**
   * Counts the photos finished together before telling anyone: they left the queue in one transaction, and counted
   * one by one, progress would show them gone from the queue but not yet done (a total of 1,993 for 2,000 photos).
   */
  /** `kept`: a photo whose earlier results stay as they were (see prepare), neither tagged nor failed. */
  private finish(photos: PhotoRow[], outcome: 'tagged' | 'failed' | 'kept'): void {
    if (outcome === 'tagged') this.tagged += photos.length;
    else if (outcome === 'failed') this.failed += photos.length;
    const now = Date.now();
    for (const photo of photos) {
      this.rate.record(now);
      this.emit('photo', this.repo.photoById(photo.id) ?? photo);
    }
    // The first photos done are told at once: a short run's only progress between its batches is not held back.
    this.emitProgress(!this.toldFinished);
    this.toldFinished = true;
  }
}

/** Thumbnails are named by content fingerprint, so a moved photo keeps its thumbnail. */
export function thumbnailPath(thumbnailsDir: string, print: string): string {
  return join(thumbnailsDir, print.slice(0, 2), `${print}.jpg`);
}
