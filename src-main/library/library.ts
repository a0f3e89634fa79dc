import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { ClassifierWorker } from '../classifier/classifier-worker-client.js';
import type { ClassifierInfo, ImageClassifier } from '../classifier/classifier.js';
import { defaultDatabasePath, openDatabase, type Db } from '../db/database.js';
import { PhotoRepository, type Folder, type ScannedFile } from '../db/photo-repository.js';
import { chooseModel, defaultModelDirs, listModels, type ModelDirs, type ModelEntry } from '../models/model-catalog.js';
import { TaggingPipeline, type Progress, type RunSummary } from '../pipeline/tagging-pipeline.js';
import { scanFolder } from './folder-scanner.js';
import { systemFolderReason } from './folder-rules.js';
import { FolderWatcher } from './folder-watcher.js';
import { resolveTag } from './tag-resolver.js';
import type { Tag } from '../db/correction-repository.js';
import { loadLabelSet } from '../models/label-sets.js';

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
  problems: { path: string; message: string }[];
}

interface LibraryEvents {
  progress: [Progress];
  /** Something the user should see that did not stop the work (an unreadable folder, polling fallback). */
  warning: [string];
  /** The set of photos or their tags changed. */
  changed: [];
}

/** Photos that disappear are kept this long in case they reappear elsewhere (a move is a delete then an add). */
const MISSING_GRACE_MS = 10_000;
const MODEL_SETTING = 'model';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

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
  private classifier: ImageClassifier | undefined;
  private pipeline: TaggingPipeline | undefined;
  private watcher: FolderWatcher | undefined;
  /** Library folders the folder rules refuse now, each named in a warning once. */
  private readonly refusedFolders = new Set<string>();
  private purgeTimer: NodeJS.Timeout | undefined;

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
    this.thumbnailsDir = join(dirname(dbPath), `${basename(dbPath, extname(dbPath))}-thumbnails`);
  }

  static open(options: LibraryOptions = {}): Library {
    const dbPath = resolve(options.dbPath ?? defaultDatabasePath());
    const db = openDatabase(dbPath, { nativeBinding: options.nativeBinding, readonly: options.readonly });
    const library = new Library(db, options, dbPath);
    // A previous process may have died mid-batch: its photos go back to the queue (at the next writer's start).
    if (!options.readonly) library.repo.resetInFlight();
    return library;
  }

  models(): ModelEntry[] {
    return listModels(this.modelDirs);
  }

  /** The model this library tags with: --model, else the library's saved choice, else the best installed one. */
  activeModel(): ModelEntry {
    const models = this.models();
    return chooseModel(models, this.options.modelId ?? this.repo.getSetting(MODEL_SETTING));
  }

  /** A tag by id or name among the active model's classes, the categories and the user's own labels. */
  resolveTag(text: string, allowNew = false): Tag {
    const labelSet = loadLabelSet(this.modelDirs.embedded, this.activeModel().manifest.labelSet);
    return resolveTag(text, labelSet, this.repo.corrections.userLabels(), allowNew);
  }

  /** Saves the model choice; the next run re-tags every photo with it. */
  useModel(id: string): ModelEntry {
    const entry = chooseModel(this.models(), id);
    this.repo.setSetting(MODEL_SETTING, id);
    return entry;
  }

  async classifierInfo(): Promise<ClassifierInfo> {
    return (await this.tagger()).classifier.info;
  }

  private async tagger(): Promise<{ classifier: ImageClassifier; pipeline: TaggingPipeline }> {
    if (!this.classifier || !this.pipeline) {
      const entry = this.activeModel();
      const plan = threadPlan();
      const threads = this.options.threads ?? plan.threads;
      const decoders = this.options.decoders ?? plan.decoders;
      sharp.concurrency(1);
      this.classifier = await ClassifierWorker.start(entry, { modelsDir: this.modelDirs.embedded, threads });
      this.pipeline = new TaggingPipeline(this.repo, this.classifier, {
        manifest: entry.manifest,
        thumbnailsDir: this.thumbnailsDir,
        decoders,
        batchSize: this.options.batchSize ?? 8,
      });
      this.pipeline.on('progress', (progress) => this.emit('progress', progress));
      this.pipeline.on('photo', () => this.emit('changed'));
    }
    return { classifier: this.classifier, pipeline: this.pipeline };
  }

  /** Adds a folder (an absolute, existing directory, neither the file system's root nor a system one) to the library. */
  addFolder(path: string): Folder {
    const absolute = resolve(path);
    if (!existsSync(absolute)) throw new Error(`Cannot add ${absolute}: it does not exist.`);
    if (!isDirectory(absolute)) throw new Error(`Cannot add ${absolute}: it is a file, not a folder.`);
    const refusal = systemFolderReason(absolute);
    if (refusal) throw new Error(`Cannot add ${absolute}: ${refusal}.`);
    const folder = this.repo.addFolder(absolute);
    this.emit('changed');
    return folder;
  }

  /**
   * The library's folders, less those addFolder would refuse now (a system folder added by an older Phototag):
   * walking one could take minutes and gigabytes, so it is neither scanned nor watched, and a warning says why.
   */
  private workingFolders(): Folder[] {
    return this.repo.folders().filter((folder) => {
      const refusal = systemFolderReason(folder.path);
      if (refusal && !this.refusedFolders.has(folder.path)) {
        this.refusedFolders.add(folder.path);
        this.emit('warning', `Skipped the library folder ${folder.path}: ${refusal}; remove it from the library.`);
      }
      return refusal === undefined;
    });
  }

  async removeFolder(path: string): Promise<void> {
    const folder = this.repo.folders().find((candidate) => candidate.path === resolve(path));
    if (!folder) throw new Error(`${resolve(path)} is not a library folder.`);
    await this.watcher?.remove(folder.path);
    this.repo.removeFolder(folder.id);
    this.emit('changed');
  }

  /** Walks one folder and records new, changed and vanished photos; incremental by size and mtime. */
  async scan(folder: Folder, signal?: AbortSignal): Promise<ScanSummary> {
    const summary: ScanSummary = { found: 0, added: 0, changed: 0, missing: 0, problems: [] };
    if (!isDirectory(folder.path)) {
      // An unplugged drive or an unmounted share is not a folder emptied: its photos stay until it comes back.
      const message = `The library folder ${folder.path} is not available (an unplugged drive?); its photos are kept.`;
      summary.problems.push({ path: folder.path, message });
      this.emit('warning', message);
      return summary;
    }
    const seen = new Set<string>();
    let chunk: ScannedFile[] = [];
    const flush = () => {
      for (const outcome of this.repo.upsertScanned(folder.id, chunk)) {
        if (outcome === 'new') summary.added++;
        if (outcome === 'changed') summary.changed++;
      }
      chunk = [];
    };
    for await (const entry of scanFolder(folder.path, { signal })) {
      if (entry.type === 'problem') {
        summary.problems.push({ path: entry.path, message: entry.message });
        this.emit('warning', entry.message);
        continue;
      }
      summary.found++;
      seen.add(entry.path);
      chunk.push(entry);
      if (chunk.length >= 1000) flush();
    }
    flush();
    if (!signal?.aborted) summary.missing = this.repo.markUnseenMissing(folder.id, seen);
    this.emit('changed');
    return summary;
  }

  async scanAll(signal?: AbortSignal): Promise<ScanSummary> {
    const total: ScanSummary = { found: 0, added: 0, changed: 0, missing: 0, problems: [] };
    for (const folder of this.workingFolders()) {
      const summary = await this.scan(folder, signal);
      total.found += summary.found;
      total.added += summary.added;
      total.changed += summary.changed;
      total.missing += summary.missing;
      total.problems.push(...summary.problems);
    }
    return total;
  }

  /** Tags everything pending with the active model; photos that vanished for good leave the library after. */
  async tag(): Promise<RunSummary> {
    const { pipeline } = await this.tagger();
    const summary = await pipeline.run();
    this.schedulePurge();
    return summary;
  }

  get tagging(): TaggingPipeline | undefined {
    return this.pipeline;
  }

  progress(): Progress | undefined {
    return this.pipeline?.progress();
  }

  /** Watches every library folder (and folders added later through watchFolder) and tags what changes. */
  async watch(options: { settleMs?: number; pollIntervalMs?: number } = {}): Promise<void> {
    if (this.watcher) return;
    const folderOf = (path: string) =>
      this.repo
        .folders()
        .filter((folder) => path.startsWith(folder.path))
        .sort((a, b) => b.path.length - a.path.length)[0];
    this.watcher = new FolderWatcher(
      {
        onPhoto: (entry) => {
          const folder = folderOf(entry.path);
          if (!folder) return;
          const [outcome] = this.repo.upsertScanned(folder.id, [entry]);
          if (outcome !== 'unchanged') {
            this.emit('changed');
            void this.tag().catch((error: Error) => this.emit('warning', error.message));
          }
        },
        onRemoved: (path) => {
          if (this.repo.markMissingUnder(path) > 0) {
            this.emit('changed');
            this.schedulePurge();
          }
        },
        onWarning: (message) => this.emit('warning', message),
      },
      options,
    );
    for (const folder of this.workingFolders()) await this.watcher.add(folder.path);
  }

  async watchFolder(folder: Folder): Promise<void> {
    await this.watcher?.add(folder.path);
  }

  get watchMode(): 'native' | 'polling' | undefined {
    return this.watcher?.mode;
  }

  private schedulePurge(): void {
    clearTimeout(this.purgeTimer);
    this.purgeTimer = setTimeout(() => {
      if (this.pipeline?.isRunning) return this.schedulePurge();
      if (this.repo.purgeMissing(MISSING_GRACE_MS) > 0) this.emit('changed');
    }, MISSING_GRACE_MS + 100);
    this.purgeTimer.unref();
  }

  /** Removes photos that vanished, now: for one-shot runs that end before the grace period would. */
  purgeMissingNow(): number {
    return this.repo.purgeMissing(0);
  }

  async close(): Promise<void> {
    clearTimeout(this.purgeTimer);
    this.pipeline?.cancel();
    await this.pipeline?.whenIdle();
    await this.watcher?.close();
    await this.classifier?.dispose();
    this.db.close();
  }
}
