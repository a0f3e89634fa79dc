import { EventEmitter } from 'node:events';
import { availableParallelism, homedir } from 'node:os';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { ClassifierInfo } from '../classifier/classifier.js';
import { classifierOnly, taggerPlan, type TaggerPlan } from '../taggers/tagger-plan.js';
import { TaggerWorker } from '../taggers/tagger-worker-client.js';
import { SimilarityIndex } from '../features/similarity-index.js';
import { TimelineReader } from '../db/timeline-reader.js';
import { defaultDatabasePath, openDatabase, type Db } from '../db/database.js';
import {
  PhotoRepository,
  type ScannedFile,
  type Folder,
  type FolderRemoval,
  type ModelRef,
  type SearchHit,
} from '../db/photo-repository.js';
import {
  checkDemoAgreed,
  chooseModel,
  defaultModelDirs,
  listModels,
  type ModelDirs,
  type ModelEntry,
} from '../models/model-catalog.js';
import {
  taggedWith,
  TaggingPipeline,
  thumbnailPath,
  type Progress,
  type RunSummary,
} from '../pipeline/tagging-pipeline.js';
import { scanFolderBatches } from './folder-scanner.js';
import { ScanComparison } from './scan-comparison.js';
import { caseInsensitiveNames, expandHome, isUnder, suggestedFolders, systemFolderReason } from './folder-rules.js';
import { FAILURE_RULES } from '../imaging/photo-error.js';
import { errorCode, fileErrorReason } from '../file-errors.js';
import { concurrencyLimit } from '../imaging/concurrency-limit.js';
import { byDeadline, inTime, LATE } from './in-time.js';
import { FolderWatcher, type FolderWatcherOptions, type PhotoFile } from './folder-watcher.js';
import { TaggingLock } from './tagging-lock.js';
import { resolveTag } from './tag-resolver.js';
import { XmpSync } from '../xmp/xmp-sync.js';
import { currentSidecarStamp } from '../xmp/sidecar-file.js';
import { readKeywords } from '../pipeline/photo-facts.js';
import { isPhotoPath } from './photo-formats.js';
import { knownTags, searchedTags } from './tag-search.js';
import type { Tag } from '../db/correction-repository.js';
import type { FolderScan } from '../api/contract.js';
import { loadLabelSet, type LabelSet } from '../models/label-sets.js';

export interface LibraryOptions {
  /** The SQLite file; defaults to library.sqlite in the per-user data folder. */
  dbPath?: string;
  modelDirs?: ModelDirs;
  /** A model id to use instead of the library's saved choice or the default. */
  modelId?: string;
  /** Threads for one inference; the rest of the cores decode. */
  threads?: number;
  decoders?: number;
  batchSize?: number;
  /**
   * false: only the library's model tags (the benchmark's "classifier alone"); by default the specialists, the
   * face detector and the scene rules run beside it.
   */
  secondaryTaggers?: boolean;
  /** better-sqlite3 binding built for Electron, when running inside it. */
  nativeBinding?: string;
  /** Only read the library (show, search, export): it may be read-only, and nothing in it changes. */
  readonly?: boolean;
}

export interface ScanSummary {
  found: number;
  added: number;
  changed: number;
  missing: number;
  /** Photos found unchanged whose keywords were read again, as their XMP sidecar appeared, changed or went. */
  rereadKeywords: number;
  problems: { path: string; message: string }[];
}

/** A folder's scan under way, and the one asked for meanwhile that follows it (see Library.scan). */
interface FolderScans {
  running: Promise<ScanSummary>;
  /** Stops the running scan: its folder leaves the library (removed, or taken in by a folder added). */
  abort: AbortController;
  next?: Promise<ScanSummary>;
  /** The onReread of everyone who asked for the scan that follows: each hears its counts. */
  nextReread: ((count: number) => void)[];
}

const emptySummary = (): ScanSummary => ({
  found: 0,
  added: 0,
  changed: 0,
  missing: 0,
  rereadKeywords: 0,
  problems: [],
});

interface LibraryEvents {
  progress: [Progress];
  /** Something the user should see that did not stop the work (an unreadable folder, polling fallback). */
  warning: [string];
  /** The set of photos or their tags changed. */
  changed: [];
}

const MODEL_SETTING = 'model';
/** How many photos the watcher looks at (stat, and its folder listed for a shared stem's sidecar) at once. */
const WATCH_LOOKS = 8;
/**
 * How many photos a re-read of keywords reads at once (see rereadKeywords): the file reads and exifr's and the XMP
 * parser's waits on them overlap on the thread pool.
 */
const REREAD_LOOKS = 8;
/** How many photos' keywords read again are stored in one transaction. */
const REREAD_BATCH = 256;
/** How many photos whose keywords could not be read a library remembers having warned about (see rereadKeywords). */
const UNREAD_WARNED = 1_000;
/** Folders added to the library, removed ones too, newest first, as a JSON array: the add-folder form offers them. */
const RECENT_FOLDERS_SETTING = 'recent-folders';
const RECENT_FOLDERS = 10;

/** How a folder joined the library (see Library.joinFolder). */
export interface FolderJoin {
  /** The folder asked for, made absolute. */
  path: string;
  /** The library folder that holds it now. */
  folder: Folder;
  /**
   * added: a new library folder. already: it was one. inside: a library folder holds it already. merged: a new
   * library folder that took in the library folders below it (`absorbed`), their photos kept as they were.
   */
  outcome: 'added' | 'already' | 'inside' | 'merged';
  absorbed: string[];
}

/** What the user is told of a folder added: null when it simply joined. */
export function folderJoinNote(join: FolderJoin): string | null {
  switch (join.outcome) {
    case 'added':
      return null;
    case 'already':
      return `${join.path} is already in the library.`;
    case 'inside':
      return `${join.path} is already in the library, inside ${join.folder.path}.`;
    case 'merged':
      return (
        `${join.path} now holds the library folder${join.absorbed.length === 1 ? '' : 's'} ` +
        `${join.absorbed.join(', ')}, with their photos, tags and corrections.`
      );
  }
}
/** Set once the thumbnails folder has been swept whole (libraries from before thumbnails were removed with photos). */
const THUMBNAILS_SWEPT_SETTING = 'thumbnails-swept';
/** The FAILURE_RULES the library's failed photos were last read under. */
const FAILURE_RULES_SETTING = 'failure-rules';

/**
 * How long close() waits for the scans, the run, the watcher and the sidecar writes, and removeFolder for the scans. A
 * file-system call that never returns (a stat on a hard-mounted network share that is gone) would hold them for
 * ever, and the app's quit or the folder's removal with them: past this, they go on without. A stopped scan that
 * wakes writes nothing (see ScanComparison), though its folder's id may be another folder's by then; a cancelled
 * run saves a result only on the very row and file version it read; a write still tried fails against the closed
 * database, unheard (see walkFolder's catch).
 */
const STOP_WAIT_MS = 5_000;

/**
 * How long a folder's first look (its stat, the folder rules' realpath and statfs) may take before the folder is
 * taken for one that does not answer: adding it is refused (see joinFolder), and start-up goes on to the other
 * folders without it (see eachWorkingFolder). A drive waking from sleep answers within a few seconds.
 */
const ANSWER_WAIT_MS = 10_000;

/**
 * How long the add-folder form's suggestions wait for the folders they look at (see folderSuggestions): a folder that
 * has not answered by then is not offered, the form not held for it.
 */
const SUGGESTION_WAIT_MS = 2_000;

/** What a folder that does not answer may be, in its messages. */
const NOT_ANSWERING = 'a network share whose server is gone?';

/** What a look at a folder found (see Library.lookAt): its stat's failure or its kind, and the folder rules' refusal. */
interface FolderLook {
  error?: unknown;
  isFolder?: boolean;
  refusal: string | undefined;
}

/** Resolves once `work` has settled, or at `deadline` (a performance.now() time) if it has not by then. */
async function settledBy(deadline: number, work: (Promise<unknown> | undefined)[]): Promise<void> {
  await inTime(Promise.allSettled(work), deadline);
}

/**
 * The folder's device (st_dev), or undefined when it is not a folder that can be read. Asked through the thread
 * pool: a share that no longer answers (hard-mounted, its server gone) holds a pool thread, not the engine's.
 */
async function folderDevice(path: string): Promise<string | undefined> {
  const stats = await stat(path, { bigint: true }).catch(() => undefined);
  return stats?.isDirectory() ? String(stats.dev) : undefined;
}

/**
 * Why a scanned folder is not to be trusted with the photos it lacks, or undefined when it is healthy. A folder that
 * cannot be read, or that is suddenly empty, or that moved to another device and holds none of the photos it had,
 * is an unplugged drive or an unmounted share (its mount point left behind), never "everything deleted".
 */
function unavailability(folder: Folder, device: string, scan: { found: number; known: number; held: number }) {
  if (scan.held === 0) return undefined;
  if (scan.found === 0) return 'it is empty now';
  if (folder.device && folder.device !== device && scan.known === 0) {
    return 'it is on another device than before and holds none of its photos';
  }
  return undefined;
}

/**
 * Photos a tagging run classifies at once. A photo costs the models the same CPU at batches of 1 to 8, but the
 * decoders run at most two batches ahead of the classifier, so the first batch's wait and a run's end, where the
 * classifier works alone on the last batches while the other core idles, grow with it: at 8 the end of a run of the
 * default taggers took 0.3-0.9 s on one core, at 4 0.1-0.15 s.
 */
export const PIPELINE_BATCH = 4;

/**
 * Splits the cores between inference and decoding. On 2 cores, one inference thread beat two (they fought the
 * decoders), and two photos decoding at once beat one by 55-67% (npm run bench): decoding is most of the work,
 * and with a single photo in flight a core sat idle while that photo was read, hashed and written.
 */
export function threadPlan(cores = availableParallelism()): { threads: number; decoders: number } {
  const threads = Math.max(1, Math.floor(cores / 2));
  return { threads, decoders: Math.max(2, cores) };
}

/**
 * The engine behind every face of Phototag (CLI, web mode, desktop window): one library database, its folders,
 * scanning and watching them, and tagging what is new with the chosen model in a worker thread.
 */
export class Library extends EventEmitter<LibraryEvents> {
  readonly repo: PhotoRepository;
  readonly dbPath: string;
  readonly thumbnailsDir: string;
  readonly modelDirs: ModelDirs;
  /** Writes each photo's tags to XMP (its sidecar, and its file when asked) as they change, when that is on. */
  readonly xmp: XmpSync;
  private classifier: TaggerWorker | undefined;
  private pipeline: TaggingPipeline | undefined;
  /** The taggers' worker being loaded, which later callers join and close waits for (see tagger). */
  private loading: Promise<void> | undefined;
  private closed = false;
  private watcher: FolderWatcher | undefined;
  private taggingLock: TaggingLock | undefined;
  private similarityIndex: SimilarityIndex | undefined;
  private timelineReader: TimelineReader | undefined;
  /** --model: the model to tag with instead of the saved choice, until the library is switched to another. */
  private modelOverride: string | undefined;
  /** Library folders the folder rules refuse now, each named in a warning once. */
  private readonly refusedFolders = new Set<string>();
  /** The looks at folders under way, by path (see lookAt). */
  private readonly looks = new Map<string, Promise<FolderLook>>();
  /** Paths whose look has not answered in time and still has not (see lookedAt): each is warned about once. */
  private readonly silentPaths = new Set<string>();
  /** Library folders whose photos a run passed over while they were looked at (see waitingFolders): tagged after. */
  private readonly heldBack = new Set<string>();
  /**
   * Photos whose keywords could not be read for now, by path, with the stamp of their sidecar then (null: none): each
   * is read again at every scan and polling pass (every 30 s) until it can be, and warned about once for that stamp.
   */
  private readonly unreadWarned = new Map<string, string | null>();
  /**
   * How each folder's latest scan ended, by folder id. In memory, not in the database: it tells of this engine's run
   * only, every start scans each folder again at once (a drive may have come back meanwhile), and the CLI's processes
   * would only leave outcomes there that no window follows.
   */
  private readonly lastScans = new Map<number, FolderScan>();
  /** Each folder's scan under way, and the one asked for meanwhile that follows it (see scan). */
  private readonly scans = new Map<number, FolderScans>();
  /** Aborted as the library closes: every scan stops where it is, and none queued walks. */
  private readonly closing = new AbortController();
  /** Folders being removed (see removeFolder): a scan asked for meanwhile does not walk. */
  private readonly leaving = new Set<number>();

  private constructor(
    /** The library's database connection, for repositories beyond the photo repository (browsing). */
    readonly db: Db,
    private readonly options: LibraryOptions,
    dbPath: string,
  ) {
    super();
    this.dbPath = dbPath;
    this.repo = new PhotoRepository(db);
    this.modelDirs = options.modelDirs ?? defaultModelDirs();
    this.modelOverride = options.modelId;
    this.thumbnailsDir = join(dirname(dbPath), `${basename(dbPath, extname(dbPath))}-thumbnails`);
    this.xmp = new XmpSync({
      db,
      photoById: (id) => this.repo.photoById(id),
      labelSet: () => {
        try {
          return loadLabelSet(this.modelDirs.embedded, this.activeModel().manifest.labelSet);
        } catch {
          return null;
        }
      },
      warn: (message) => this.emit('warning', message),
      readonly: options.readonly === true,
    });
    // Every change of photos or tags may have queued sidecars (the database knows which): one pass per burst.
    this.on('changed', () => this.xmp.schedule());
  }

  static open(options: LibraryOptions = {}): Library {
    const dbPath = resolve(options.dbPath ?? defaultDatabasePath());
    const db = openDatabase(dbPath, { nativeBinding: options.nativeBinding, readonly: options.readonly });
    return new Library(db, options, dbPath);
  }

  models(): ModelEntry[] {
    return listModels(this.modelDirs);
  }

  /** The model this library tags with: --model, else the library's saved choice, else the best installed one. */
  activeModel(): ModelEntry {
    const models = this.models();
    return chooseModel(models, this.modelOverride ?? this.repo.getSetting(MODEL_SETTING));
  }

  /** A tag by id or name among the active model's classes, the categories and the user's own labels. */
  resolveTag(text: string, allowNew = false): Tag {
    return resolveTag(text, this.activeLabelSet(), this.repo.corrections.userLabels(), allowNew);
  }

  /** Every tag a search can name (see knownTags); `labelSet` is the active model's, when the caller holds it. */
  knownTags(labelSet: LabelSet | null = this.activeLabelSet()): Tag[] {
    return knownTags(labelSet, this.repo.storedTags(), this.repo.corrections.userLabels());
  }

  /**
   * What a search for `query` finds: the tags it means (none: no tag matches it), and the photos carrying any of
   * them at `minScore` or more, best first, with their tags, read as they are iterated, each as `keep` makes it
   * (see photosCarrying).
   */
  searchTags<T = SearchHit>(
    query: string,
    minScore: number,
    keep?: (hit: SearchHit) => T,
  ): { tags: Tag[]; photos: Iterable<T> } {
    const tags = searchedTags(query, this.knownTags());
    return { tags, photos: tags.length > 0 ? this.repo.photosCarrying(tags, minScore, keep) : [] };
  }

  private activeLabelSet(): LabelSet {
    return loadLabelSet(this.modelDirs.embedded, this.activeModel().manifest.labelSet);
  }

  /**
   * Saves the model choice, which from then on outranks --model too; the next run re-tags every photo with it. A
   * demonstration model only once the user agreed (see checkDemoAgreed).
   */
  useModel(id: string, { demoAgreed = false }: { demoAgreed?: boolean } = {}): ModelEntry {
    const entry = chooseModel(this.models(), id);
    checkDemoAgreed(entry, demoAgreed);
    this.repo.setSetting(MODEL_SETTING, id);
    this.modelOverride = undefined;
    return entry;
  }

  /**
   * Makes `id` the library's model at once (see useModel), in a process that goes on tagging (serve, the desktop
   * app): a run under way stops after the photos in flight, the old model's worker goes and the new model's is
   * loaded, so that the next tag() re-tags every photo from its first moment (a model that cannot load says so
   * here, to whoever switched).
   */
  async switchModel(id: string, options: { demoAgreed?: boolean } = {}): Promise<ModelEntry> {
    const entry = this.useModel(id, options);
    // The old model's load is let finish: joined, it would be the one tagging after the switch.
    await this.loading?.catch(() => undefined);
    const pausedBefore = this.pipeline?.isPaused ?? false;
    this.pipeline?.cancel();
    await this.pipeline?.whenIdle();
    // A pause pressed while the old run wound down counts too.
    const paused = pausedBefore || (this.pipeline?.isPaused ?? false);
    const { classifier } = this;
    this.pipeline = this.classifier = undefined;
    await classifier?.dispose();
    // Paused stays paused: the new model's run queues every photo and waits for the user to resume it.
    const { pipeline } = await this.tagger();
    if (paused) pipeline.pause();
    return entry;
  }

  /**
   * Similar photos, near-duplicates and learned labels over the features of the active model (a worker thread,
   * started on first use), and the model those features must come from.
   */
  similarity(): { index: SimilarityIndex; model: ModelRef } {
    const { manifest } = this.activeModel();
    // A worker that failed or stopped failed what it was asked; the next question starts a new one.
    if (!this.similarityIndex?.running) {
      this.similarityIndex = new SimilarityIndex({ dbPath: this.dbPath, nativeBinding: this.options.nativeBinding });
    }
    return { index: this.similarityIndex, model: { id: manifest.id, version: manifest.version } };
  }

  /** Counts the timelines in a thread of their own; started on first use, and again after it stopped. */
  timelines(): TimelineReader {
    if (!this.timelineReader?.running) {
      this.timelineReader = new TimelineReader({ dbPath: this.dbPath, nativeBinding: this.options.nativeBinding });
    }
    return this.timelineReader;
  }

  async classifierInfo(): Promise<ClassifierInfo> {
    return (await this.tagger()).classifier.info;
  }

  /**
   * The taggers' worker and the pipeline over it, loaded on first use. One load at a time, which close waits for:
   * a worker torn down while onnxruntime creates its sessions aborts the whole process ("terminate called after
   * throwing an instance of 'Napi::Error'"), as `phototag serve` stopped while its engine loaded did.
   */
  private async tagger(): Promise<{ classifier: TaggerWorker; pipeline: TaggingPipeline }> {
    for (;;) {
      if (this.closed) throw this.closedError();
      if (this.classifier && this.pipeline) return { classifier: this.classifier, pipeline: this.pipeline };
      this.loading ??= this.loadTagger().finally(() => (this.loading = undefined));
      await this.loading;
    }
  }

  private async loadTagger(): Promise<void> {
    const entry = this.activeModel();
    const cores = threadPlan();
    const threads = this.options.threads ?? cores.threads;
    const decoders = this.options.decoders ?? cores.decoders;
    sharp.concurrency(1);
    const plan = this.plan(entry);
    const worker = await TaggerWorker.start(plan, { modelsDir: this.modelDirs.embedded, threads });
    // Closed while it loaded, past close()'s wait: its sessions are made now, so it can be torn down.
    if (this.closed) {
      await worker.dispose();
      throw this.closedError();
    }
    this.classifier = worker;
    const labelSet = loadLabelSet(this.modelDirs.embedded, entry.manifest.labelSet);
    this.pipeline = new TaggingPipeline(this.repo, this.classifier, {
      plan,
      thumbnailsDir: this.thumbnailsDir,
      decoders,
      batchSize: this.options.batchSize ?? PIPELINE_BATCH,
      keywordTag: this.keywordTag(labelSet, this.repo.corrections.userLabels()),
      waitingFolders: () => {
        const waiting = this.repo.folders().filter((folder) => this.looks.has(folder.path));
        for (const folder of waiting) this.heldBack.add(folder.path);
        return waiting.map((folder) => folder.id);
      },
      holdsClaim: () => this.taggingLock !== undefined,
    });
    this.pipeline.on('progress', (progress) => this.emit('progress', progress));
    this.pipeline.on('photo', () => this.emit('changed'));
    this.pipeline.on('warning', (message) => this.emit('warning', message));
  }

  /**
   * The tag a keyword read from a file names: a class or category of the label set is that tag, any other an own
   * label. `ownLabels` is read once for many keywords, not for each (a read goes through every own label): an own
   * label made since, by the user or by another keyword, has the same id (its name's, in any case), and the stored
   * name is the one its keyword is stored with (CorrectionRepository.setFileTags).
   */
  private keywordTag(labelSet: LabelSet, ownLabels: Tag[]): (keyword: string) => Tag {
    return (keyword) => resolveTag(keyword, labelSet, ownLabels, true);
  }

  /**
   * Reads again the keywords of photos found unchanged but for their XMP sidecar (another program wrote, changed or
   * deleted it): the sidecar's and the photo's own, as tagging reads them, without decoding or tagging the photo, so
   * its model tags stay as they are. A sidecar that cannot be read is a warning, as when tagging; returns those. A
   * photo or sidecar that cannot be read now (permission, a lock, the disk) leaves the photo's file tags and stamp as
   * they were, so the next scan reads them again; it is warned about again only once its sidecar changed (see
   * unreadWarned). REREAD_LOOKS photos are read at once and REREAD_BATCH stored in one transaction: an upgraded
   * library's first scan reads every sidecar. A read is stored only if no other (the watcher's, a scan's, tagging's)
   * landed since it began, and read again if the one that landed was of another sidecar: whichever read began last
   * is the one kept.
   */
  private async rereadKeywords(files: ScannedFile[]): Promise<{ path: string; message: string }[]> {
    const warnings: { path: string; message: string }[] = [];
    if (files.length === 0) return warnings;
    const keywordTag = this.keywordTag(this.activeLabelSet(), this.repo.corrections.userLabels());
    const read: { file: ScannedFile; tags: Tag[]; sidecar: string | null; stored: string | null }[] = [];
    const again: ScannedFile[] = [];
    const store = () => {
      if (read.length > 0 && !this.closed) again.push(...this.repo.setFileKeywords(read.splice(0)));
    };
    const lane = concurrencyLimit(REREAD_LOOKS);
    for (let batch = files; batch.length > 0 && !this.closed; batch = again.splice(0)) {
      await Promise.all(
        batch.map((file) =>
          lane(async () => {
            const stored = this.closed ? undefined : this.repo.sidecarStampAt(file.path);
            if (stored === undefined) return;
            const { keywords, problems, sidecar, readable } = await readKeywords(file.path);
            const warn = readable || this.unreadWarned.get(file.path) !== (file.sidecar ?? null);
            for (const message of problems) {
              warnings.push({ path: file.path, message });
              if (warn) this.emit('warning', message);
            }
            if (readable) {
              this.unreadWarned.delete(file.path);
              read.push({ file, tags: keywords.map(keywordTag), sidecar, stored });
            } else if (warn) this.rememberUnread(file);
            if (read.length >= REREAD_BATCH) store();
          }),
        ),
      );
      store();
    }
    if (!this.closed) this.emit('changed');
    return warnings;
  }

  private rememberUnread(file: ScannedFile): void {
    this.unreadWarned.set(file.path, file.sidecar ?? null);
    if (this.unreadWarned.size > UNREAD_WARNED) this.unreadWarned.delete(this.unreadWarned.keys().next().value!);
  }

  /** What the library tags with: its model, and unless the options leave them out, the secondary taggers. */
  private plan(entry = this.activeModel()): TaggerPlan {
    return this.options.secondaryTaggers === false ? classifierOnly(entry) : taggerPlan(entry, this.modelDirs);
  }

  /** Adds a folder to the library (see joinFolder) and returns the library folder that holds it. */
  async addFolder(path: string): Promise<Folder> {
    return (await this.joinFolder(path)).folder;
  }

  /**
   * Adds a folder (an existing directory, neither the file system's root nor a system one; `~` is the home folder)
   * to the library, so that no photo is in two library folders: a folder inside a library folder is already there,
   * and a folder holding library folders takes them in, their photos kept as they are (nothing is read again). The
   * folder is looked at through the thread pool, for at most ANSWER_WAIT_MS: a share that no longer answers refuses
   * the folder, it does not hold the window.
   */
  async joinFolder(path: string): Promise<FolderJoin> {
    const absolute = resolve(expandHome(path));
    const cannot = (why: string) => new Error(`Cannot add ${absolute}: ${why}.`);
    // A folder on a share that is known not to answer is not asked again: each ask would hold one more pool thread.
    const silent = this.silentAround(absolute);
    if (silent && silent !== absolute) throw cannot(`${silent} does not answer (${NOT_ANSWERING})`);
    const look = await this.lookedAt(absolute);
    if (look === LATE) throw cannot(`it did not answer in ${ANSWER_WAIT_MS / 1000} s (${NOT_ANSWERING})`);
    if (look.error)
      throw cannot(errorCode(look.error) === 'ENOTDIR' ? 'it does not exist' : fileErrorReason(look.error));
    if (!look.isFolder) throw cannot('it is a file, not a folder');
    if (look.refusal) throw cannot(look.refusal);
    // From here on synchronous: no other add comes between reading the library's folders and writing the new one.
    if (this.closed) throw this.closedError();
    const folders = this.repo.folders();
    const holder = folders.find((folder) => isUnder(absolute, folder.path));
    if (holder) {
      return { path: absolute, folder: holder, outcome: holder.path === absolute ? 'already' : 'inside', absorbed: [] };
    }
    const inner = folders.filter((folder) => isUnder(folder.path, absolute));
    // Their scans stop, and write nothing more for folders that are gone (see walkFolder): the new folder's scan
    // walks their photos again.
    for (const absorbed of inner) this.leave(absorbed.id);
    let folder: Folder;
    try {
      folder = this.repo.addFolder(absolute, inner);
    } finally {
      // Taken in, or still the library's own when adding failed (a locked database): leaving no more either way.
      for (const absorbed of inner) this.leaving.delete(absorbed.id);
    }
    for (const absorbed of inner) this.lastScans.delete(absorbed.id);
    this.rememberFolder(absolute);
    this.emit('changed');
    const outcome = inner.length > 0 ? 'merged' : 'added';
    return { path: absolute, folder, outcome, absorbed: inner.map((f) => f.path) };
  }

  /**
   * Folders to offer when adding one, none already in the library: those added before (removed ones too), and where
   * photos usually are (see suggestedFolders) that are folders the library would take. Those are looked at (see
   * lookAt) for at most SUGGESTION_WAIT_MS in all: one on a share that does not answer is left out, not waited for.
   */
  async folderSuggestions(
    env: NodeJS.ProcessEnv = process.env,
    home = homedir(),
  ): Promise<{ recent: string[]; suggested: string[] }> {
    const deadline = performance.now() + SUGGESTION_WAIT_MS;
    // Not asked again on a share known not to answer, as for an add (see joinFolder). One that is late here is not
    // taken for silent: adding it waits its full ANSWER_WAIT_MS.
    const candidates = suggestedFolders(env, home).filter((path) => !this.silentAround(path));
    const looks = await Promise.all(candidates.map((path) => inTime(this.lookAt(path), deadline)));
    if (this.closed) throw this.closedError();
    const known = new Set(this.repo.folders().map((folder) => folder.path));
    const fresh = (path: string) => !known.has(path);
    const takes = (look: FolderLook | typeof LATE) => look !== LATE && look.isFolder === true && !look.refusal;
    const suggested = candidates.filter((path, index) => takes(looks[index]!) && fresh(path));
    return { recent: this.recentFolders().filter(fresh), suggested };
  }

  private recentFolders(): string[] {
    try {
      const paths = JSON.parse(this.repo.getSetting(RECENT_FOLDERS_SETTING) ?? '[]') as unknown;
      return Array.isArray(paths) ? paths.filter((path): path is string => typeof path === 'string') : [];
    } catch {
      return [];
    }
  }

  private rememberFolder(path: string): void {
    const recent = [path, ...this.recentFolders().filter((known) => known !== path)].slice(0, RECENT_FOLDERS);
    this.repo.setSetting(RECENT_FOLDERS_SETTING, JSON.stringify(recent));
  }

  /**
   * Runs `step` on each library folder in turn, less those addFolder would refuse now (a system folder added by an
   * older Phototag: walking one could take minutes and gigabytes, so it is neither scanned nor watched, and a warning
   * says why). Every folder is looked at (see lookAt) at once; one whose look has not answered within ANSWER_WAIT_MS
   * of the pass's start (a hard-mounted share gone: its stat waits) does not hold the others: a warning says so, and
   * its step runs once it answers, unless it has left the library or the library has closed by then. Resolves once
   * every folder that answered in time has had its step.
   */
  private async eachWorkingFolder(step: (folder: Folder) => Promise<void>): Promise<void> {
    const take = async (folder: Folder, refusal: string | undefined) => {
      if (refusal === undefined && !this.closed && this.holds(folder)) await step(folder);
    };
    const folders = this.repo.folders();
    const deadline = performance.now() + ANSWER_WAIT_MS;
    const looks = folders.map((folder) => this.folderRules(folder));
    for (const [index, folder] of folders.entries()) {
      if (this.closed) return;
      const looking = looks[index]!;
      // Found silent before (the watches' pass before the scans'): not waited for again, unless it has answered.
      const answer = await this.lookedAt(folder.path, looking, this.silentPaths.has(folder.path) ? 0 : deadline);
      if (answer !== LATE) {
        await take(folder, answer.refusal);
        continue;
      }
      void looking.then((look) => take(folder, look.refusal)).catch(this.warnUnlessClosed);
    }
  }

  /** A path found silent (see lookedAt) that `path` is, lies in, or holds. */
  private silentAround(path: string): string | undefined {
    return [...this.silentPaths].find((silent) => isUnder(path, silent) || isUnder(silent, path));
  }

  /**
   * Looks at a folder through the thread pool: its stat, then the folder rules (see systemFolderReason). One look at
   * a path at a time, whoever asks (start-up, an add, a rescan): a share that does not answer holds one of the pool's
   * four threads however often it is asked, not one more at each ask; every file call of the engine waits once they
   * are all held.
   */
  private lookAt(path: string): Promise<FolderLook> {
    let looking = this.looks.get(path);
    if (!looking) {
      looking = (async (): Promise<FolderLook> => {
        const found = await stat(path).then(
          (stats) => ({ isFolder: stats.isDirectory() }),
          (error: unknown) => ({ error }),
        );
        return { ...found, refusal: await systemFolderReason(path) };
      })().finally(() => {
        this.looks.delete(path);
        this.silentPaths.delete(path);
        // Its photos were passed over while it was looked at: the run takes them now, or a run is started for them.
        if (this.heldBack.delete(path)) this.tagWhatWaits();
      });
      this.looks.set(path, looking);
    }
    return looking;
  }

  /**
   * `looking` (a look at `path`; a new one unless given), or LATE when it has not answered by `deadline` (see
   * inTime; ANSWER_WAIT_MS from now unless given): the path is silent then, until it answers, and a library
   * folder's silence is warned about once.
   */
  private async lookedAt(
    path: string,
    looking: Promise<FolderLook> = this.lookAt(path),
    deadline = performance.now() + ANSWER_WAIT_MS,
  ): Promise<FolderLook | typeof LATE> {
    const answer = await inTime(looking, deadline);
    // Answered, or already silent, or answered just as the wait ended: nothing more to say.
    if (answer !== LATE || this.silentPaths.has(path) || !this.looks.has(path)) return answer;
    this.silentPaths.add(path);
    if (!this.closed && this.repo.folders().some((folder) => folder.path === path)) {
      this.emit(
        'warning',
        `The library folder ${path} does not answer (${NOT_ANSWERING}): the other folders go on without it, and ` +
          'it is watched and scanned once it answers.',
      );
    }
    return LATE;
  }

  /** The look at a library folder (see lookAt), the folder rules' refusal warned about once. */
  private folderRules(folder: Folder): Promise<FolderLook> {
    return this.lookAt(folder.path).then((look) => {
      if (look.refusal && !this.refusedFolders.has(folder.path)) {
        this.refusedFolders.add(folder.path);
        this.emit('warning', `Skipped the library folder ${folder.path}: ${look.refusal}; remove it from the library.`);
      }
      return look;
    });
  }

  /** Why a library folder is not to be rescanned now: as start-up would pass it over (see eachWorkingFolder). */
  async rescanRefusal(folder: Folder): Promise<string | undefined> {
    // Found silent before: not waited for again, unless it has answered.
    const looking = this.folderRules(folder);
    const look = await this.lookedAt(folder.path, looking, this.silentPaths.has(folder.path) ? 0 : undefined);
    if (look !== LATE) return look.refusal;
    // Scanned once it answers, as the warning says (see lookedAt), and what waited tagged.
    void looking
      .then(async (answered) => {
        if (answered.refusal !== undefined || this.closed || !this.holds(folder)) return;
        await this.scan(folder);
        this.tagWhatWaits();
      })
      .catch(this.warnUnlessClosed);
    return `it does not answer (${NOT_ANSWERING})`;
  }

  /** What is asked of a library once it is closed fails with. */
  private closedError(): Error {
    return new Error(`The library ${this.dbPath} is closed.`);
  }

  /** How background work that failed is heard: as a warning, unless the library closed meanwhile. */
  private readonly warnUnlessClosed = (error: Error): void => {
    if (!this.closed) this.emit('warning', error.message);
  };

  /** Tags what waits, if anything does and the library is open: in the background, a failure said as a warning. */
  private tagWhatWaits(): void {
    if (this.closed || !this.hasQueue()) return;
    void this.tag().catch(this.warnUnlessClosed);
  }

  /**
   * Removes a folder from the library: its photos leave (the files stay on disk), their corrections are kept aside
   * and come back if the folder is added again. Returns what left.
   */
  async removeFolder(path: string): Promise<FolderRemoval> {
    const folder = this.repo.folders().find((candidate) => candidate.path === resolve(path));
    if (!folder) throw new Error(`${resolve(path)} is not a library folder.`);
    await this.watcher?.remove(folder.path);
    // Its scans stop and are let end before its rows go: a walk writing for a folder that is gone fails the database.
    this.leave(folder.id);
    try {
      // A scan asked for meanwhile takes the entry as it starts, and finds the folder leaving: it ends at once.
      const deadline = performance.now() + STOP_WAIT_MS;
      for (let scans = this.scans.get(folder.id); scans && performance.now() < deadline;) {
        await settledBy(deadline, [scans.running, scans.next]);
        const after = this.scans.get(folder.id);
        scans = after === scans ? undefined : after;
      }
      // Past the deadline, a scan still waiting on the share is let go: stopped, it writes nothing when it wakes
      // (see ScanComparison), the one queued behind it never walks, and a folder added later under the same id
      // scans without waiting for it.
      this.scans.delete(folder.id);
      const removal = this.repo.folderRemoval(folder.id);
      this.repo.removeFolder(folder.id);
      this.lastScans.delete(folder.id);
      this.rememberFolder(folder.path);
      this.emit('changed');
      await this.sweepThumbnails();
      return removal;
    } finally {
      this.leaving.delete(folder.id);
    }
  }

  /**
   * Whether the folder is in the library, and not being removed: a scan of it ended stopped when it is not. By id
   * and path: SQLite gives a folder added after a removal the removed one's id, and a caller may hold the folder
   * from before (start-up's list of folders, a rescan asked for as it was removed).
   */
  holds(folder: Pick<Folder, 'id' | 'path'>): boolean {
    return (
      !this.leaving.has(folder.id) &&
      this.repo.folders().some((held) => held.id === folder.id && held.path === folder.path)
    );
  }

  /** The folder is leaving the library: its running scan is aborted, and the one queued will not walk. */
  private leave(folderId: number): void {
    this.leaving.add(folderId);
    this.scans.get(folderId)?.abort.abort();
  }

  /**
   * Walks one folder and records new, changed and vanished photos; incremental by size and mtime, each folder
   * compared with the library's photos in it (see ScanComparison). Photos the walk does not find become missing
   * (hidden, kept in case they moved or their disk comes back); those already missing before a healthy walk began
   * leave the library. An unavailable folder changes nothing. `onReread` hears how many photos of the folder had
   * their keywords read again so far: an upgraded library's first scan reads every sidecar (see rereadKeywords).
   *
   * One scan of a folder at a time, whoever asks (start-up, a folder added, a rescan): a scan asked for while one
   * runs follows it, as it may have been asked for a change the running one has already passed, and every scan
   * asked for meanwhile is that same one, each caller's onReread hearing it. How it ended is kept (see folderScan).
   * A scan stops, and tells nothing, as its folder leaves the library or the library closes: it resolves with what
   * it had found, and one queued then resolves found nothing, without walking.
   */
  scan(folder: Folder, onReread?: (count: number) => void): Promise<ScanSummary> {
    if (this.closed) return Promise.reject(this.closedError());
    const scans = this.scans.get(folder.id);
    if (!scans) return this.startScan(folder, onReread ? [onReread] : []);
    if (onReread) scans.nextReread.push(onReread);
    // Whether the running scan failed or not, the one asked for after it is a scan of its own; unless the folder's
    // removal gave up waiting for the running one and let its entry go (see removeFolder): nothing of it walks then.
    const start = () =>
      this.scans.get(folder.id) === scans ? this.startScan(folder, scans.nextReread) : Promise.resolve(emptySummary());
    scans.next ??= scans.running.then(start, start);
    return scans.next;
  }

  /** How the folder's latest scan ended (null before its first), and whether one is under way. */
  folderScan(folderId: number): { lastScan: FolderScan | null; scanning: boolean } {
    return { lastScan: this.lastScans.get(folderId) ?? null, scanning: this.scans.has(folderId) };
  }

  private startScan(folder: Folder, rereads: readonly ((count: number) => void)[]): Promise<ScanSummary> {
    const abort = new AbortController();
    const signal = AbortSignal.any([this.closing.signal, abort.signal]);
    const onReread = (count: number) => rereads.forEach((heard) => heard(count));
    // Async, so a failing look at the database (holds) rejects this scan rather than throwing past its entry.
    const running = (async () =>
      this.closed || !this.holds(folder) ? emptySummary() : this.walkFolder(folder, signal, onReread))();
    const scans: FolderScans = { running, abort, nextReread: [] };
    this.scans.set(folder.id, scans);
    const ended = () => {
      // A scan asked for meanwhile takes the folder's place as it starts: none can start between the two.
      if (this.scans.get(folder.id) === scans && !scans.next) this.scans.delete(folder.id);
      // However it ended (found, unavailable, failed, stopped), the folder list stops saying it is scanned.
      if (!this.closed) this.emit('changed');
    };
    running.then(ended, ended);
    // The folder list says it is being scanned.
    if (!this.closed) this.emit('changed');
    return running;
  }

  private async walkFolder(folder: Folder, signal: AbortSignal, onReread: (count: number) => void) {
    const summary = emptySummary();
    /** Files and subfolders the walk could not read, as the outcome counts them: sidecars' problems aside. */
    let unread = 0;
    const reread = async (files: ScannedFile[]) => {
      if (files.length === 0) return;
      summary.rereadKeywords += files.length;
      summary.problems.push(...(await this.rereadKeywords(files)));
      onReread(summary.rereadKeywords);
    };
    const held = this.repo.presentInFolder(folder.id);
    const device = await folderDevice(folder.path);
    // Stopped while the share kept the answer: it tells nothing, not even that the folder is unavailable.
    if (signal.aborted) return summary;
    /** How the scan ended, kept for the folder list (see folderScan); an aborted one tells nothing. */
    const record = (unavailable: FolderScan['unavailable'] = null) => {
      if (signal.aborted || !this.holds(folder)) return;
      const { found, added, changed, missing } = summary;
      const outcome = { found, added, changed, missing, problems: unread, unavailable };
      this.lastScans.set(folder.id, { at: Date.now(), ...outcome });
    };
    const unavailable = (why: string) => {
      // Said apart from the problems with its files.
      record({ reason: why, kept: held });
      const message =
        `The library folder ${folder.path} is not available (${why}: an unplugged drive or an unmounted share?); ` +
        `its ${held.toLocaleString('en')} photo${held === 1 ? ' is' : 's are'} kept until it is back.`;
      summary.problems.push({ path: folder.path, message });
      this.emit('warning', message);
      return summary;
    };
    if (device === undefined) return unavailable('it cannot be read or is gone');
    const comparison = new ScanComparison(this.repo, folder.id, signal);
    try {
      for await (const entries of scanFolderBatches(folder.path, { signal, onFolder: comparison.enter })) {
        // A batch the share gave back after the stop: not a word of its files.
        signal.throwIfAborted();
        for (const entry of entries) {
          if (entry.type === 'photo') {
            comparison.photo(entry);
            continue;
          }
          summary.problems.push({ path: entry.path, message: entry.message });
          unread++;
          comparison.problem(entry.path);
          this.emit('warning', entry.message);
        }
        await reread(comparison.takeSidecarChanges());
      }
      comparison.finish();
      await reread(comparison.takeSidecarChanges());
      const { found, added, changed, known } = comparison;
      Object.assign(summary, { found, added, changed });
      if (signal.aborted) return summary;
      const why = comparison.unread.has(folder.path)
        ? 'it cannot be read'
        : unavailability(folder, device, { found, known, held });
      if (why) return unavailable(why);
      // Missing before this walk and not found by it (a found one is no longer missing): gone for good.
      const purged = this.repo.purgeMissing(folder.id);
      summary.missing = await comparison.markMissing();
      // Photos the listing left out but the second look found, saved over meanwhile, are counted with the others.
      Object.assign(summary, { found: comparison.found, changed: comparison.changed });
      this.repo.setFolderDevice(folder.id, device);
      if (purged > 0) await this.sweepThumbnails();
    } catch (error) {
      // Stopped (see scan): the listing's abort, or a write for a folder taken in by another since, says nothing.
      if (signal.aborted) return summary;
      // The library's database failing, not the folder: nothing is taken for gone, and the words say which.
      if (!errorCode(error)?.startsWith('SQLITE_')) throw error;
      const reason = (error as Error).message;
      throw new Error(`Cannot compare ${folder.path} with the library ${this.dbPath}: ${reason}.`, { cause: error });
    }
    record();
    return summary;
  }

  /**
   * Scans every working library folder, one after another (see eachWorkingFolder); resolves with what the scans that
   * ended by then found. A folder that answers later is scanned then, and what it found is tagged, as the watcher
   * has what changes tagged.
   */
  async scanAll(): Promise<ScanSummary> {
    const total = emptySummary();
    let counted = true;
    await this.eachWorkingFolder(async (folder) => {
      const summary = await this.scan(folder);
      if (!counted) {
        // Its photos waited (see waitingFolders), and what the scan found joins them.
        this.tagWhatWaits();
        return;
      }
      total.found += summary.found;
      total.added += summary.added;
      total.changed += summary.changed;
      total.missing += summary.missing;
      total.rereadKeywords += summary.rereadKeywords;
      total.problems.push(...summary.problems);
    });
    counted = false;
    return total;
  }

  /**
   * Tags everything pending with the active model; thumbnails no photo shows any more are deleted after. The
   * taggers' worker is loaded for the first photo to tag: its models cost 2 s of CPU and 180 MB, which a rescan
   * that found nothing new does without.
   */
  async tag(): Promise<RunSummary> {
    this.claimTagging();
    if (!this.pipeline && !this.loading && !this.hasQueue()) {
      await this.sweepThumbnails();
      // A run of nothing ends as a pipeline's does, idle: who waits for the run's end hears it.
      this.emit('progress', this.idleProgress());
      return { tagged: 0, failed: 0, seconds: 0, photosPerSecond: 0, cancelled: false };
    }
    const { pipeline } = await this.tagger();
    const summary = await pipeline.run();
    await this.sweepThumbnails();
    return summary;
  }

  /**
   * Whether a run would find photos to tag: pending ones, and those tagged with another model or other secondary
   * taggers than the library's now, which this puts back in the queue, as a run does first.
   */
  hasQueue(): boolean {
    const { model, signature } = taggedWith(this.plan());
    this.repo.requeueStale(model, signature);
    const { pending, processing } = this.repo.counts();
    return pending + processing > 0;
  }

  /**
   * Makes this process the one that tags this library, until close; `holder` is how another Phototag names it when
   * it finds the library busy ("phototag tag", "serve"). Throws, naming the holder, while another one is tagging, and
   * what to do there instead if `instead` says ("add the folder there").
   */
  claimTagging(holder = 'engine', instead?: string): void {
    if (this.taggingLock) return;
    const onLost = (message: string) => {
      // Tagging on would make two writers; the next run claims the library again, or says who holds it.
      this.taggingLock = undefined;
      this.pipeline?.cancel();
      this.emit('warning', message);
    };
    this.taggingLock = TaggingLock.claim(this.db, holder, onLost, instead);
    // The tagger before may have died mid-batch: its photos go back to the queue. Only here, once no live tagger
    // holds them: any process opening the library to write (phototag label while the app tags) would have them
    // tagged twice.
    this.repo.resetInFlight();
    this.retryOutdatedFailures();
  }

  /** Failed photos whose reasons older failure rules gave are read again, once (see FAILURE_RULES). */
  private retryOutdatedFailures(): void {
    if (this.repo.getSetting(FAILURE_RULES_SETTING) === String(FAILURE_RULES)) return;
    this.repo.requeueFailed();
    this.repo.setSetting(FAILURE_RULES_SETTING, String(FAILURE_RULES));
  }

  get tagging(): TaggingPipeline | undefined {
    return this.pipeline;
  }

  progress(): Progress | undefined {
    return this.pipeline?.progress();
  }

  /** What the progress reads while no tagging pipeline is loaded: the photos counted, nothing run. */
  idleProgress(): Progress {
    const counts = this.repo.counts();
    const queued = counts.pending + counts.processing;
    return { found: counts.total, queued, done: 0, failed: 0, photosPerSecond: 0, etaSeconds: null, state: 'idle' };
  }

  /**
   * Watches every library folder (and folders added later through watchFolder) and tags what changes. The watcher
   * finds an event's photos with names compared as the file system does (caseInsensitive, the platform's default).
   */
  async watch(
    options: Pick<FolderWatcherOptions, 'settleMs' | 'pollIntervalMs' | 'forcePolling'> & {
      caseInsensitive?: boolean;
    } = {},
  ): Promise<void> {
    if (this.watcher) return;
    const { caseInsensitive = caseInsensitiveNames, ...watching } = options;
    const folderOf = (path: string) =>
      this.repo
        .folders()
        .filter((folder) => path.startsWith(folder.path))
        .sort((a, b) => b.path.length - a.path.length)[0];
    const warn = (error: Error) => this.emit('warning', error.message);
    /** A photo the watcher asked about, recorded with its sidecar as it is now: how it compares with the library's row. */
    const photoSeen = async (path: string, seen: PhotoFile | null) => {
      if (!folderOf(path)) return undefined;
      const stats =
        seen ??
        (await stat(path).then(
          (found) => (found.isFile() ? found : undefined),
          () => undefined,
        ));
      if (!stats) return undefined;
      const file = {
        path,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        sidecar: await currentSidecarStamp(path, caseInsensitive),
      };
      // Its folder as it is now: removed meanwhile, or another under the removed one's id, it is not that folder's.
      const folder = this.closed ? undefined : folderOf(path);
      if (!folder) return undefined;
      const [outcome] = this.repo.upsertScanned(folder.id, [file]);
      return { file, outcome };
    };
    /**
     * The photos the watcher asked to look at, by path (with the stats it saw settle, or null: stat it), taken as one
     * batch: a burst (Lightroom's "Save metadata" over 10,000 photos) is looked at WATCH_LOOKS photos at a time, its
     * keywords read with one label set, and reported as one change.
     */
    const asked = new Map<string, PhotoFile | null>();
    /**
     * Names by folder whose photos (`<name>` and `<name>.<extension>`, see photosNamed) join the next batch: found as
     * it is taken, each folder's at once: where names ignore case, those not found as they are take one pass over it.
     */
    const named = new Map<string, Set<string>>();
    const ask = (path: string, entry: PhotoFile | null) => {
      if (entry || !asked.has(path)) asked.set(path, entry);
    };
    let draining = false;
    const drain = async () => {
      try {
        while ((asked.size > 0 || named.size > 0) && !this.closed) {
          for (const [folder, names] of named)
            for (const path of this.repo.photosNamed(folder, [...names], caseInsensitive)) ask(path, null);
          named.clear();
          const batch = [...asked];
          asked.clear();
          const lane = concurrencyLimit(WATCH_LOOKS);
          const seen = await Promise.all(
            batch.map(([path, entry]) => lane(() => photoSeen(path, entry)).catch((error: Error) => void warn(error))),
          );
          if (this.closed) return;
          const reread = seen.flatMap((look) => (look?.outcome === 'sidecar' ? [look.file] : []));
          await this.rereadKeywords(reread);
          if (seen.some((look) => look?.outcome === 'new' || look?.outcome === 'changed')) {
            this.emit('changed');
            void this.tag().catch(warn);
          }
        }
      } finally {
        // Events that come while a batch is looked at join the loop's next one; after it, they start a drain.
        draining = false;
      }
    };
    const schedule = () => {
      if (draining) return;
      draining = true;
      // On the next turn, so that the rest of the events the watcher reports in this pass join the batch.
      setImmediate(() => void drain().catch(warn));
    };
    const lookAt = (path: string, entry: PhotoFile) => {
      ask(path, entry);
      schedule();
    };
    const lookAtNamed = (folder: string, name: string) => {
      const names = named.get(folder);
      if (names) names.add(name);
      else named.set(folder, new Set([name]));
      schedule();
    };
    /** A photo came or went: which photo owns `<stem>.xmp` may change for the others of its stem (see sidecarPaths). */
    const sameStem = (path: string) => lookAtNamed(dirname(path), basename(path, extname(path)));
    this.watcher = new FolderWatcher(
      {
        onPhoto: (entry) => {
          lookAt(entry.path, entry);
          sameStem(entry.path);
        },
        // The photos the sidecar may belong to (photo.jpg for photo.jpg.xmp, photo.<any> for photo.xmp), names
        // compared as the file system does, are looked at again; which one owns it, the rules of sidecarPaths decide.
        onSidecar: (path) => lookAtNamed(dirname(path), basename(path).slice(0, -'.xmp'.length)),
        // Hidden, not deleted: a move shows up as a removal then an addition, and an unmounted drive as removals.
        // The next healthy scan of the folder removes what is still missing.
        onRemoved: (path) => {
          if (this.repo.markMissingUnder(path) > 0) this.emit('changed');
          if (isPhotoPath(path)) sameStem(path);
        },
        onWarning: (message) => this.emit('warning', message),
        knownPhotos: (folder) => this.repo.photosInFolder(folder, () => undefined),
      },
      watching,
    );
    const watcher = this.watcher;
    await this.eachWorkingFolder((folder) => watcher.add(folder.path));
  }

  /** Watches a folder just added; the watches of the library folders it took in give way to its own. */
  async watchFolder(folder: Folder, absorbed: readonly string[] = []): Promise<void> {
    for (const path of absorbed) await this.watcher?.remove(path);
    await this.watcher?.add(folder.path);
  }

  get watchMode(): 'native' | 'polling' | undefined {
    return this.watcher?.mode;
  }

  /**
   * Deletes the thumbnails that no photo of the library shows any more (their photo left or changed). Only between
   * runs: a photo being read may be about to claim a thumbnail that nothing points to yet. The first sweep of a
   * library walks the whole folder, for thumbnails left by versions that did not delete them.
   */
  private async sweepThumbnails(): Promise<void> {
    if (this.pipeline?.isRunning) return;
    const trashed = this.repo.takeTrashedThumbnails();
    await Promise.all(trashed.map((print) => rm(thumbnailPath(this.thumbnailsDir, print), { force: true })));
    if (this.repo.getSetting(THUMBNAILS_SWEPT_SETTING)) return;
    const files = await readdir(this.thumbnailsDir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const file of files) {
      const print = /^([0-9a-f]{64})\.jpg$/.exec(file.name)?.[1];
      const unused = print ? !this.repo.hasFingerprint(print) : file.isFile() && file.name.endsWith('.tmp');
      if (unused && file.isFile()) await rm(join(file.parentPath, file.name), { force: true });
    }
    this.repo.setSetting(THUMBNAILS_SWEPT_SETTING, '1');
  }

  async close(): Promise<void> {
    this.closed = true;
    const deadline = performance.now() + STOP_WAIT_MS;
    // A scan walking on would write to a closed database ("The database connection is not open").
    this.closing.abort();
    await settledBy(
      deadline,
      [...this.scans.values()].flatMap(({ running, next }) => [running, next]),
    );
    // Not work to count as holding the process at exit (see inTime): a model load reads no share, in its worker.
    await byDeadline(Promise.allSettled([this.loading]), deadline);
    this.pipeline?.cancel();
    await settledBy(deadline, [this.pipeline?.whenIdle(), this.watcher?.close()]);
    await this.classifier?.dispose();
    await this.similarityIndex?.dispose();
    await this.timelineReader?.dispose();
    // Queued sidecars are written; one to a share that no longer answers is given up at the deadline, and it and
    // those not reached stay queued for the next start.
    await settledBy(deadline, [this.xmp.close()]);
    this.xmp.stop();
    this.taggingLock?.release();
    this.db.close();
  }
}
