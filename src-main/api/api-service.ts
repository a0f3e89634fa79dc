import { hostname } from 'node:os';
import { basename, isAbsolute } from 'node:path';
import type { z } from 'zod';
import { BrowseRepository } from '../db/browse-repository.js';
import type { Folder } from '../db/photo-repository.js';
import type { Library } from '../library/library.js';
import {
  isApiMethod,
  requestSchemas,
  thumbVersionOf,
  type ApiError,
  type ApiErrorCode,
  type ApiEvent,
  type ApiMethod,
  type ApiRequest,
  type ApiResponse,
  type ApiResult,
  type FolderInfo,
  type LibrarySummary,
  type PhotoTile,
  type Progress,
  type TagList,
  type Warning,
} from './contract.js';

/** An error meant for the caller, with the contract's code. */
export class ApiServiceError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const RECENT_WARNINGS = 20;
/** "changed" comes once per tagged photo; views re-query on it, so it is passed on at most this often. */
const CHANGED_INTERVAL_MS = 300;

type Handlers = { [M in ApiMethod]: (request: ApiRequest<M>) => Promise<ApiResult<M>> | ApiResult<M> };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'the request'}: ${issue.message}`)
    .join('; ');
}

/**
 * The API over one Library, whatever carries it (HTTP in web mode, IPC in the desktop app): every request is
 * validated against the contract, answered as an ApiResponse envelope, and the engine's events come out as
 * ApiEvents. It also runs the engine in the background: watching the folders and tagging what is new.
 */
export class ApiService {
  private readonly browse: BrowseRepository;
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private readonly warnings: Warning[] = [];
  /** Tag counts by threshold: a full pass over the predictions, kept until the library changes. */
  private readonly tagLists = new Map<number, TagList>();
  private changedTimer: NodeJS.Timeout | undefined;
  private lastChanged = 0;
  private closed = false;
  private readonly handlers: Handlers;
  private readonly detach: () => void;

  constructor(private readonly library: Library) {
    this.browse = new BrowseRepository(library.db);
    const onProgress = (progress: Progress) => this.emit({ type: 'progress', progress });
    const onChanged = () => {
      this.tagLists.clear();
      this.changed();
    };
    const onWarning = (message: string) => this.warn(message);
    library.on('progress', onProgress);
    library.on('changed', onChanged);
    library.on('warning', onWarning);
    this.detach = () => {
      library.off('progress', onProgress);
      library.off('changed', onChanged);
      library.off('warning', onWarning);
    };
    this.handlers = {
      summary: () => this.summary(),
      addFolder: (request) => this.addFolder(request.path),
      removeFolder: (request) => this.removeFolder(request.folderId),
      queryPhotos: (request) => this.queryPhotos(request),
      photo: (request) => this.photo(request.id),
      tags: (request) => this.tagList(request.minScore),
      pause: async () => {
        // Before the first run there is no pipeline to pause yet: start one (it loads the model), paused.
        if (!this.library.tagging) await this.library.classifierInfo();
        this.library.tagging?.pause();
        return { progress: this.progress() };
      },
      resume: () => {
        this.library.tagging?.resume();
        return { progress: this.progress() };
      },
    };
  }

  /**
   * Answers one request. Never throws: a malformed request is a bad-request error naming what is wrong, an engine
   * failure an error with its message. This is what every transport calls.
   */
  async dispatch(method: string, args: unknown): Promise<ApiResponse> {
    if (typeof method !== 'string' || !isApiMethod(method)) {
      return this.failure('bad-request', `Unknown API method "${String(method)}".`);
    }
    const parsed = requestSchemas[method].safeParse(args ?? {});
    if (!parsed.success) {
      return this.failure('bad-request', `Invalid ${method} request: ${describeIssues(parsed.error)}.`);
    }
    try {
      const handler = this.handlers[method] as (request: unknown) => unknown;
      return { result: (await handler(parsed.data)) as ApiResult<typeof method> };
    } catch (error) {
      if (error instanceof ApiServiceError) return this.failure(error.code, error.message);
      return this.failure('internal', (error as Error).message ?? String(error));
    }
  }

  /** Typed call for in-process callers (tests, the CLI): the result, or an ApiServiceError. */
  async call<M extends ApiMethod>(method: M, args: z.input<(typeof requestSchemas)[M]>): Promise<ApiResult<M>> {
    const response = await this.dispatch(method, args);
    if ('error' in response) throw new ApiServiceError(response.error.code, response.error.message);
    return response.result as ApiResult<M>;
  }

  /** Every event the views need; returns the function that stops listening. */
  onEvent(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts the engine: watches every library folder, scans them for what changed while nobody watched, and tags
   * whatever is pending. Resolves once watching has begun; scanning and tagging go on in the background.
   */
  async start(): Promise<void> {
    await this.library.watch();
    this.background(async () => {
      await this.library.scanAll();
      await this.library.tag();
    });
  }

  /** Stops passing events on; the Library itself belongs to whoever opened it. */
  close(): void {
    this.closed = true;
    clearTimeout(this.changedTimer);
    this.detach();
    this.listeners.clear();
  }

  private failure(code: ApiErrorCode, message: string): { error: ApiError } {
    return { error: { code, message } };
  }

  private emit(event: ApiEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // One broken listener (a closed connection) must not keep the others from hearing.
        process.emitWarning(`Phototag: an event listener failed: ${(error as Error).message}`);
      }
    }
  }

  private changed(): void {
    // The event already scheduled comes after this change, so it covers it too.
    if (this.changedTimer) return;
    const wait = Math.max(0, this.lastChanged + CHANGED_INTERVAL_MS - Date.now());
    this.changedTimer = setTimeout(() => {
      this.changedTimer = undefined;
      this.lastChanged = Date.now();
      this.emit({ type: 'changed' });
    }, wait);
  }

  private warn(message: string): void {
    const warning = { message, at: Date.now() };
    this.warnings.unshift(warning);
    this.warnings.length = Math.min(this.warnings.length, RECENT_WARNINGS);
    this.emit({ type: 'warning', warning });
  }

  /** Runs engine work nobody waits for; its failure reaches the user as a warning. */
  private background(work: () => Promise<unknown>): void {
    work().catch((error: Error) => {
      if (!this.closed) this.warn(error.message);
    });
  }

  private progress(): Progress {
    const progress = this.library.progress();
    if (progress) return progress;
    const counts = this.library.repo.counts();
    return {
      found: counts.total,
      queued: counts.pending + counts.processing,
      done: 0,
      failed: 0,
      photosPerSecond: 0,
      etaSeconds: null,
      state: 'idle',
    };
  }

  private folderInfo(folder: Folder): FolderInfo {
    const summary = this.browse.folderSummaries().find((candidate) => candidate.id === folder.id);
    return summary ?? { ...folder, total: 0, done: 0, failed: 0, pending: 0 };
  }

  private tagList(minScore: number): TagList {
    let list = this.tagLists.get(minScore);
    if (!list) {
      list = {
        minScore,
        ...this.browse.tagCounts(minScore),
        untagged: this.browse.untaggedCount(minScore),
        failed: this.library.repo.counts().failed,
      };
      // Thresholds come from a slider in steps; a handful of them is all a session uses.
      if (this.tagLists.size >= 8) this.tagLists.clear();
      this.tagLists.set(minScore, list);
    }
    return list;
  }

  private async summary(): Promise<LibrarySummary> {
    let model: LibrarySummary['model'] = null;
    let modelProblem: string | null = null;
    try {
      const { manifest } = this.library.activeModel();
      model = { id: manifest.id, name: manifest.name, version: manifest.version };
    } catch (error) {
      modelProblem = (error as Error).message;
    }
    // Only once tagging has started: asking earlier would load the model just to name its provider.
    const executionProvider = this.library.tagging ? (await this.library.classifierInfo()).provider.used : null;
    return {
      counts: this.library.repo.counts(),
      folders: this.browse.folderSummaries(),
      model,
      modelProblem,
      executionProvider,
      watchMode: this.library.watchMode ?? null,
      progress: this.progress(),
      warnings: [...this.warnings],
      host: hostname(),
    };
  }

  private addFolder(path: string): { folder: FolderInfo } {
    if (!isAbsolute(path)) {
      throw new ApiServiceError('bad-request', `"${path}" is not a full path; give the folder's absolute path.`);
    }
    let folder: Folder;
    try {
      folder = this.library.addFolder(path);
    } catch (error) {
      throw new ApiServiceError('refused', (error as Error).message);
    }
    this.background(async () => {
      await this.library.watchFolder(folder);
      await this.library.scan(folder);
      await this.library.tag();
    });
    return { folder: this.folderInfo(folder) };
  }

  private async removeFolder(folderId: number): Promise<{ removed: true }> {
    const folder = this.library.repo.folders().find((candidate) => candidate.id === folderId);
    if (!folder) throw new ApiServiceError('not-found', `There is no library folder with id ${folderId}.`);
    await this.library.removeFolder(folder.path);
    return { removed: true };
  }

  private queryPhotos(request: ApiRequest<'queryPhotos'>): ApiResult<'queryPhotos'> {
    const { total, rows } = this.browse.page(request.filter, request.offset, request.limit);
    const tags = this.browse.tileTags(rows.map((row) => row.id));
    const photos = rows.map((row): PhotoTile => {
      const { topLabel, topCategory, labels } = tags.get(row.id)!;
      // A category sums its labels' probabilities, so it wins a tie with its own best label: "Dog", not "Beagle".
      const top =
        topCategory && (!topLabel || topCategory.score >= topLabel.score)
          ? { ...topCategory, kind: 'category' as const }
          : topLabel
            ? { ...topLabel, kind: 'label' as const }
            : null;
      return {
        id: row.id,
        name: basename(row.path),
        status: row.status,
        top: row.status === 'failed' ? null : top,
        labels,
        error: row.error,
        thumbVersion: row.status === 'failed' ? null : thumbVersionOf(row.fingerprint),
      };
    });
    return { total, offset: request.offset, photos };
  }

  private photo(id: number): ApiResult<'photo'> {
    const row = this.library.repo.photoById(id);
    if (!row || row.status === 'missing') throw new ApiServiceError('not-found', `There is no photo with id ${id}.`);
    const photo = this.library.repo.withTags(row);
    return {
      id: photo.id,
      name: basename(photo.path),
      path: photo.path,
      folderId: photo.folderId,
      status: photo.status,
      error: photo.error,
      fileSize: photo.size,
      format: photo.format,
      width: photo.width,
      height: photo.height,
      takenAt: photo.takenAt,
      camera: photo.camera,
      modifiedAt: photo.mtimeMs,
      model: photo.modelId && photo.modelVersion ? { id: photo.modelId, version: photo.modelVersion } : null,
      labels: photo.labels.map(({ id, name, score }) => ({ id, name, score })),
      categories: photo.categories.map(({ id, name, score }) => ({ id, name, score })),
      thumbVersion: photo.status === 'failed' ? null : thumbVersionOf(photo.fingerprint),
    };
  }
}
