import { hostname } from 'node:os';
import { basename, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { BrowseRepository, type SuggestedPhotos } from '../db/browse-repository.js';
import { dataVersion } from '../db/database.js';
import type { Suggestion } from '../features/similarity-index.js';
import { userLabelId, type CorrectionAction as StoredAction } from '../db/correction-repository.js';
import { FeatureRepository } from '../db/feature-repository.js';
import type { Folder, PhotoRow } from '../db/photo-repository.js';
import { ReviewRepository } from '../db/review-repository.js';
import { exportDataset, ExportExistsError, ExportRefusedError, exportSourceOf } from '../export/dataset-export.js';
import {
  asSuggestedTag,
  duplicateGroups,
  filterSuggestions,
  similarPhotos,
  suggestedPhotos,
  suggestedTags,
} from '../features/photo-similarity.js';
import { folderJoinNote, type FolderJoin, type Library } from '../library/library.js';
import { expandHome } from '../library/folder-rules.js';
import { MATCH_QUALITIES, matchTags, nothingFound, type MatchQuality } from '../library/tag-search.js';
import { loadLabelSet, type LabelSet } from '../models/label-sets.js';
import { demoMark, primaryModels } from '../models/model-catalog.js';
import { pullModel } from '../models/model-download.js';
import {
  isApiMethod,
  categoryDetail,
  isShown,
  requestSchemas,
  thumbVersionOf,
  type ApiError,
  type ApiErrorCode,
  type ApiEvent,
  type ApiMethod,
  type ApiRequest,
  type ApiResponse,
  type ApiResult,
  type CorrectionAction,
  type FolderInfo,
  type LibraryCounts,
  type LibrarySummary,
  type ModelChoice,
  type PhotoFilter,
  type PhotoSort,
  type PhotoTile,
  type Progress,
  type SuggestedTag,
  type Tag,
  type TagList,
  type TagSuggestion,
  type Timeline,
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

const photoIdsOf = (suggestions: Suggestion[][]): SuggestedPhotos =>
  suggestions.map((list) => list.map((suggestion) => suggestion.photoId));

const RECENT_WARNINGS = 20;
/**
 * "changed" comes once per tagged photo; views re-query on it, so it is passed on at most this often: at 36 photos
 * a second, what the views ask for then stays a small share of the thread that also feeds the decoders.
 */
const CHANGED_INTERVAL_MS = 1000;
/**
 * How often the service asks the library whether another process wrote to it: a correction or an undo by the CLI
 * while the window is open, a tagging run that had the library before this one. SQLite's data_version changes only
 * with another connection's commits, so asking costs one pragma, and the engine's own changes never answer it.
 */
const OTHERS_INTERVAL_MS = 1000;
/** Export progress comes once per photo; it is passed on at most this often. */
const EXPORT_PROGRESS_INTERVAL_MS = 100;
const CORRECTION_VERBS = { confirm: 'Confirmed', reject: 'Rejected', add: 'Added', remove: 'Removed' } as const;

/** "Confirmed Dog", "Added Rex on 3 photos", "Replaced Beagle with Rex": what a correction step did. */
function describeCorrection(action: CorrectionAction | StoredAction, photos: number): string {
  const done =
    action.type === 'replace'
      ? `Replaced ${action.from.name} with ${action.to.name}`
      : `${CORRECTION_VERBS[action.type]} ${action.tag.name}`;
  return photos === 1 ? done : `${done} on ${photos.toLocaleString('en')} photos`;
}

/** A tag known only by its name, for describing a step that is undone. */
const namedTag = (name: string): Tag => ({ kind: 'label', id: name, name });

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
  private readonly review: ReviewRepository;
  private readonly features: FeatureRepository;
  /** The label set of each model that was active, read once. */
  private readonly labelSets = new Map<string, LabelSet>();
  /** The output folder of the export under way. */
  private exporting: string | undefined;
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private readonly warnings: Warning[] = [];
  private changedTimer: NodeJS.Timeout | undefined;
  private lastChanged = 0;
  private closed = false;
  private readonly handlers: Handlers;
  private readonly detach: () => void;

  constructor(private readonly library: Library) {
    this.browse = new BrowseRepository(library.db);
    this.review = new ReviewRepository(library.db);
    this.features = new FeatureRepository(library.db);
    const onProgress = (progress: Progress) => this.emit({ type: 'progress', progress });
    const onChanged = () => this.changed();
    const onWarning = (message: string) => this.warn(message);
    const onXmp = () => this.emit({ type: 'xmp', status: library.xmp.status() });
    library.on('progress', onProgress);
    library.on('changed', onChanged);
    library.on('warning', onWarning);
    library.xmp.on('written', onXmp);
    // Another process's writes are changes like the engine's own: the views show them within a second or two.
    const othersVersion = (): number | undefined => {
      try {
        // The library belongs to whoever opened it and may close before this service does.
        return library.db.open ? dataVersion(library.db) : undefined;
      } catch {
        // The disk under the library failed: the engine's own reads and writes say so; this asks again next time.
        return undefined;
      }
    };
    let seen = othersVersion();
    const others = setInterval(() => {
      const version = othersVersion();
      if (version === undefined || version === seen) return;
      seen = version;
      this.changed();
    }, OTHERS_INTERVAL_MS);
    others.unref();
    this.detach = () => {
      clearInterval(others);
      library.off('progress', onProgress);
      library.off('changed', onChanged);
      library.off('warning', onWarning);
      library.xmp.off('written', onXmp);
    };
    this.handlers = {
      summary: () => this.summary(),
      addFolder: (request) => this.addFolder(request.path),
      folderSuggestions: () => this.library.folderSuggestions(),
      removeFolder: (request) => this.removeFolder(request.folderId),
      rescanFolder: (request) => this.rescanFolder(request.folderId),
      queryPhotos: (request) => this.queryPhotos(request),
      timeline: (request) => this.timeline(request.filter, request.sort),
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
      correct: (request) => this.correct(request),
      undo: () => this.undo(),
      labelSuggestions: (request) => this.labelSuggestions(request.query, request.limit),
      findTags: (request) => this.findTags(request.query, request.minScore, request.limit),
      reviewQueue: (request) => this.reviewQueue(request.exclude, request.limit),
      exportDataset: (request) => this.exportDataset(request),
      similarPhotos: (request) => this.similarPhotos(request.id, request.limit),
      duplicates: () => this.duplicates(),
      suggestionQueue: (request) => this.suggestionQueue(request),
      answerSuggestion: (request) => this.answerSuggestion(request),
      forgetAnswer: (request) => this.forgetAnswer(request),
      xmpSettings: () => this.library.xmp.status(),
      setXmpSettings: (request) => this.library.xmp.configure(request),
      models: () => ({ models: this.modelChoices() }),
      useModel: (request) => this.useModel(request.id, request.demoAgreed),
      pullModel: (request) => this.pullModel(request.id),
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
   * Starts the engine: makes this process the one that tags the library (rejecting, with who does, while another
   * Phototag is), then in the background watches every library folder, scans them for what changed while nobody
   * watched, and tags whatever is pending. Placing the watches walks every folder, 1.5 s for 20,000 of them, so
   * the URL or the window does not wait for it; a photo changed meanwhile is found by the scan that follows.
   */
  async start(): Promise<void> {
    this.library.claimTagging(process.versions.electron ? 'the desktop app' : 'serve');
    this.background(async () => {
      await this.library.watch();
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
      // The library may close before this service does: then there is nothing left to tell.
      if (!this.library.db.open) return;
      this.lastChanged = Date.now();
      let counts: LibraryCounts | null = null;
      try {
        counts = this.counts();
      } catch {
        // Without counts, the views ask for the summary, and its answer says why the library cannot be read.
      }
      this.emit({ type: 'changed', counts });
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
    return this.library.progress() ?? this.library.idleProgress();
  }

  private folderInfo(folder: Folder): FolderInfo {
    const summary = this.folders().find((candidate) => candidate.id === folder.id);
    return (
      summary ?? {
        ...folder,
        total: 0,
        done: 0,
        failed: 0,
        pending: 0,
        corrected: 0,
        ...this.library.folderScan(folder.id),
      }
    );
  }

  /** Every library folder with its photos counted and its scans, as the folder list shows them. */
  private folders(): FolderInfo[] {
    return this.browse.folderSummaries().map((folder) => ({ ...folder, ...this.library.folderScan(folder.id) }));
  }

  /** Read from the kept counts (migration 8): a pass over the tags, whatever the library's size. */
  private tagList(minScore: number): TagList {
    return this.library.db.transaction(() => ({
      minScore,
      ...this.browse.tagCounts(minScore),
      untagged: this.browse.untaggedCount(minScore),
      failed: this.library.repo.counts().failed,
    }))();
  }

  /** The library's counts from one snapshot, read from the kept counts: a pass over the folders. */
  private counts(): LibraryCounts {
    return this.library.db.transaction(() => ({
      counts: this.library.repo.counts(),
      folders: this.folders(),
      toReview: this.review.count(),
      uncertain: this.review.uncertain(),
      canUndo: this.library.repo.corrections.canUndo(),
    }))();
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
      ...this.counts(),
      model,
      modelProblem,
      executionProvider,
      watchMode: this.library.watchMode ?? null,
      progress: this.progress(),
      warnings: [...this.warnings],
      host: hostname(),
    };
  }

  private async addFolder(path: string): Promise<ApiResult<'addFolder'>> {
    // Relative to what? The engine's working folder means nothing to whoever typed it.
    if (!isAbsolute(expandHome(path))) {
      throw new ApiServiceError('bad-request', `"${path}" is not a full path; give the folder's absolute path.`);
    }
    let joined: FolderJoin;
    try {
      joined = await this.library.joinFolder(path);
    } catch (error) {
      throw new ApiServiceError('refused', (error as Error).message);
    }
    const { folder, outcome, absorbed } = joined;
    if (outcome === 'added' || outcome === 'merged') {
      this.background(async () => {
        await this.library.watchFolder(folder, absorbed);
        await this.library.scan(folder);
        await this.library.tag();
      });
    }
    return { folder: this.folderInfo(folder), note: folderJoinNote(joined) };
  }

  private libraryFolder(folderId: number): Folder {
    const folder = this.library.repo.folders().find((candidate) => candidate.id === folderId);
    if (!folder) throw new ApiServiceError('not-found', `There is no library folder with id ${folderId}.`);
    return folder;
  }

  private async removeFolder(folderId: number): Promise<ApiResult<'removeFolder'>> {
    return { removed: true, ...(await this.library.removeFolder(this.libraryFolder(folderId).path)) };
  }

  /** The scan start-up runs, of one folder, now; the call waits for it, the tagging after it does not. */
  private async rescanFolder(folderId: number): Promise<ApiResult<'rescanFolder'>> {
    const folder = this.libraryFolder(folderId);
    // As start-up skips it (see Library.eachWorkingFolder): walking a system folder could take minutes and gigabytes.
    const refusal = await this.library.rescanRefusal(folder);
    if (refusal) throw new ApiServiceError('refused', `${folder.path} is not scanned: ${refusal}.`);
    await this.library.scan(folder);
    // Removed, or taken in by a folder added, while it was scanned: the scan stopped, and there is no row to show.
    if (!this.library.holds(folder)) {
      throw new ApiServiceError('not-found', `${folder.path} was removed from the library while it was scanned.`);
    }
    this.background(() => this.library.tag());
    return { folder: this.folderInfo(folder) };
  }

  /** The suggestions of the filter's labels, when it asks for them (see PhotoFilter.suggested). */
  private async suggestedFor(filter: PhotoFilter): Promise<Suggestion[][]> {
    return filter.suggested === 'exclude' ? [] : filterSuggestions(this.library, filter.tags);
  }

  /**
   * The timeline, counted by the library's reader thread (from kept counts where they answer it): a tag's pass over
   * its photos, or the sum over a million photos' months, holds up neither the pages asked for meanwhile nor the
   * tagging results written here.
   */
  private async timeline(filter: PhotoFilter, sort: PhotoSort): Promise<Timeline> {
    return this.library.timelines().timeline(filter, sort, photoIdsOf(await this.suggestedFor(filter)));
  }

  private async queryPhotos(request: ApiRequest<'queryPhotos'>): Promise<ApiResult<'queryPhotos'>> {
    const { filter, sort, after, offset, limit } = request;
    const suggestions = await this.suggestedFor(filter);
    const { rows, next } = this.browse.page(filter, sort, after, offset, limit, photoIdsOf(suggestions));
    const onPage = new Set(rows.map((row) => row.id));
    const suggestedOn = new Map<number, SuggestedTag[]>();
    for (const suggestion of suggestions.flat()) {
      if (!onPage.has(suggestion.photoId)) continue;
      suggestedOn.set(suggestion.photoId, [...(suggestedOn.get(suggestion.photoId) ?? []), asSuggestedTag(suggestion)]);
    }
    const tags = this.browse.tileTags(rows.map((row) => row.id));
    const photos = rows.map((row): PhotoTile => {
      const tileTags = tags.get(row.id)!;
      // Only what is shown: the best label is the first of those left (the user's first, then by score).
      const labels = tileTags.labels.filter(isShown);
      const topLabel = labels[0];
      const topCategory = tileTags.topCategory && isShown(tileTags.topCategory) ? tileTags.topCategory : undefined;
      // A category sums its labels' probabilities, so it wins a tie with its own best label: "Dog", not "Beagle".
      const top =
        topCategory && (!topLabel || topCategory.score >= topLabel.score)
          ? {
              ...topCategory,
              kind: 'category' as const,
              detail: categoryDetail(topCategory.id, labels, tileTags.faces),
            }
          : topLabel
            ? { ...topLabel, kind: 'label' as const, detail: null }
            : null;
      return {
        id: row.id,
        name: basename(row.path),
        status: row.status,
        top: row.status === 'failed' ? null : top,
        labels,
        suggested: suggestedOn.get(row.id) ?? [],
        error: row.error,
        thumbVersion: row.status === 'failed' ? null : thumbVersionOf(row.fingerprint),
      };
    });
    return { photos, next };
  }

  private async photo(id: number): Promise<ApiResult<'photo'>> {
    const row = this.library.repo.photoById(id);
    if (!row || row.status === 'missing') throw new ApiServiceError('not-found', `There is no photo with id ${id}.`);
    const photo = this.library.repo.withTags(row);
    const suggested = (await suggestedTags(this.library, [id])).get(id) ?? [];
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
      labels: photo.labels,
      categories: photo.categories,
      faces: photo.faces,
      suggested,
      thumbVersion: photo.status === 'failed' ? null : thumbVersionOf(photo.fingerprint),
    };
  }

  /** The active model's label set; null when no model is installed (the summary says why). */
  private labelSet(): LabelSet | null {
    let labelSetId: string;
    try {
      labelSetId = this.library.activeModel().manifest.labelSet;
    } catch {
      return null;
    }
    let labelSet = this.labelSets.get(labelSetId);
    if (!labelSet) {
      labelSet = loadLabelSet(this.library.modelDirs.embedded, labelSetId);
      this.labelSets.set(labelSetId, labelSet);
    }
    return labelSet;
  }

  /**
   * The tag a correction names, with its canonical name: a class of the active model, a category, one of the
   * user's own labels (its id made from its name), or a tag the library already holds from another model.
   */
  private canonicalTag(tag: Tag): Tag {
    const labelSet = this.labelSet();
    if (tag.kind === 'label' && tag.id.startsWith('user:')) {
      const id = userLabelId(tag.name);
      if (tag.id !== id) {
        throw new ApiServiceError('bad-request', `The own label "${tag.name}" has the id "${id}", not "${tag.id}".`);
      }
      // The same label typed with another case keeps the name it was first given.
      return { kind: 'label', id, name: this.library.repo.corrections.ownLabelName(id) ?? tag.name };
    }
    const fromSet =
      tag.kind === 'label'
        ? labelSet?.labels.find((label) => label.id === tag.id)
        : labelSet?.categories.find((category) => category.id === tag.id);
    const name = fromSet?.name ?? this.review.knownName(tag.kind, tag.id);
    if (name === undefined) {
      throw new ApiServiceError(
        'bad-request',
        tag.kind === 'label'
          ? `"${tag.id}" is not a class of the ${labelSet?.id ?? 'active'} label set; add it as your own label instead.`
          : `There is no category "${tag.id}".`,
      );
    }
    return { kind: tag.kind, id: tag.id, name };
  }

  private async selectedPhotos(photos: ApiRequest<'correct'>['photos']): Promise<number[]> {
    if ('filter' in photos) {
      const except = new Set(photos.except);
      const suggested = photoIdsOf(await this.suggestedFor(photos.filter));
      const ids = this.browse.ids(photos.filter, suggested).filter((id) => !except.has(id));
      if (ids.length === 0) throw new ApiServiceError('refused', 'No photo matches the selection.');
      return ids;
    }
    const ids = [...new Set(photos.ids)];
    const existing = this.review.existing(ids);
    const unknown = ids.filter((id) => !existing.has(id));
    if (unknown.length > 0) {
      throw new ApiServiceError(
        'not-found',
        unknown.length === 1
          ? `There is no photo with id ${unknown[0]}.`
          : `There are no photos with ids ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', …' : ''}.`,
      );
    }
    return ids;
  }

  private async correct(request: ApiRequest<'correct'>): Promise<ApiResult<'correct'>> {
    const ids = await this.selectedPhotos(request.photos);
    const { action: requested } = request;
    const action: CorrectionAction =
      requested.type === 'replace'
        ? { type: 'replace', from: this.canonicalTag(requested.from), to: this.canonicalTag(requested.to) }
        : { type: requested.type, tag: this.canonicalTag(requested.tag) };
    if (action.type === 'replace' && action.from.kind === action.to.kind && action.from.id === action.to.id) {
      throw new ApiServiceError('bad-request', `Replacing "${action.from.name}" with itself changes nothing.`);
    }
    this.library.repo.corrections.apply(ids, action);
    this.library.emit('changed');
    return { photos: ids.length, message: `${describeCorrection(action, ids.length)}.`, canUndo: true };
  }

  private undo(): ApiResult<'undo'> {
    const step = this.library.repo.corrections.lastStepParts();
    const photoIds = this.library.repo.corrections.undo();
    if (photoIds.length > 0) this.library.emit('changed');
    const taken = step.find((part) => part.kind === 'reject' || part.kind === 'remove');
    const given = step.find((part) => part.kind === 'confirm' || part.kind === 'add');
    const action: StoredAction | undefined =
      taken && given && step.length === 2
        ? { type: 'replace', from: namedTag(taken.name), to: namedTag(given.name) }
        : step[0] && { type: step[0].kind, tag: namedTag(step[0].name) };
    return {
      photoIds,
      message:
        photoIds.length === 0 || !action
          ? 'There is nothing to undo.'
          : `Undone: ${describeCorrection(action, photoIds.length)}.`,
      canUndo: this.library.repo.corrections.canUndo(),
    };
  }

  private labelSuggestions(query: string, limit: number): ApiResult<'labelSuggestions'> {
    const labelSet = this.labelSet();
    const own: TagSuggestion[] = this.library.repo.corrections
      .userLabels()
      .map((tag) => ({ ...tag, kind: 'label', source: 'own' }));
    const categories: TagSuggestion[] = (labelSet?.categories ?? []).map((category) => ({
      kind: 'category',
      id: category.id,
      name: category.name,
      source: 'category',
    }));
    const classes: TagSuggestion[] = (labelSet?.labels ?? []).map((label) => ({
      kind: 'label',
      id: label.id,
      name: label.name,
      source: 'class',
    }));
    // Own labels, then categories, then classes: the order of each group decides ties.
    const all = [...own, ...categories, ...classes];
    if (!query.trim()) return { suggestions: all.slice(0, limit), newLabel: null };
    const matches = matchTags(query, all);
    const exact = matches.some((match) => match.quality === 'exact');
    const name = query.trim().replace(/\s+/g, ' ');
    return {
      suggestions: matches.slice(0, limit).map((match) => match.tag),
      newLabel: exact || name.length > 100 ? null : { kind: 'label', id: userLabelId(name), name },
    };
  }

  /**
   * The tags a search box query means, with their photos at the threshold: the tags the filter can show, best
   * match first and, among equal matches, the most photos first.
   */
  private findTags(query: string, minScore: number, limit: number): ApiResult<'findTags'> {
    if (!query.trim()) return { tags: [], notice: null };
    const list = this.tagList(minScore);
    const counts = new Map([...list.categories, ...list.labels].map((tag) => [`${tag.kind}:${tag.id}`, tag.count]));
    const matches = matchTags(query, this.library.knownTags(this.labelSet()));
    const rank = (quality: MatchQuality) => MATCH_QUALITIES.indexOf(quality);
    const carried = matches
      .map(({ tag, quality }) => ({ tag, quality, count: counts.get(`${tag.kind}:${tag.id}`) ?? 0 }))
      .filter((match) => match.count > 0)
      .sort((a, b) => rank(a.quality) - rank(b.quality) || b.count - a.count);
    if (carried.length > 0) {
      const tags = carried
        .slice(0, limit)
        .map(({ tag, count }) => ({ kind: tag.kind, id: tag.id, name: tag.name, count }));
      return { tags, notice: null };
    }
    const best = matches.filter((match) => match.quality === matches[0]?.quality).map((match) => match.tag);
    return { tags: [], notice: nothingFound(query, best, minScore) };
  }

  private reviewQueue(exclude: number[], limit: number): ApiResult<'reviewQueue'> {
    const { left, rows } = this.review.queue(exclude, limit);
    const labels = this.review.labelsOf(rows.map((row) => row.id));
    return {
      left,
      photos: rows.map((row) => ({
        id: row.id,
        name: basename(row.path),
        thumbVersion: thumbVersionOf(row.fingerprint),
        margin: row.margin,
        labels: labels.get(row.id) ?? [],
      })),
    };
  }

  private knownPhoto(id: number): PhotoRow {
    const row = this.library.repo.photoById(id);
    if (!row || row.status === 'missing') throw new ApiServiceError('not-found', `There is no photo with id ${id}.`);
    return row;
  }

  private async similarPhotos(id: number, limit: number): Promise<ApiResult<'similarPhotos'>> {
    const row = this.knownPhoto(id);
    // A photo not tagged yet (or failed) simply has none yet.
    if (row.status !== 'done') return { photos: [] };
    const found = await similarPhotos(this.library, row, limit).catch((error: Error) => {
      throw new ApiServiceError('refused', error.message);
    });
    return {
      photos: found.map(({ photo, score }) => ({
        id: photo.id,
        name: basename(photo.path),
        thumbVersion: thumbVersionOf(photo.fingerprint),
        score,
      })),
    };
  }

  private async duplicates(): Promise<ApiResult<'duplicates'>> {
    const groups = await duplicateGroups(this.library);
    return {
      groups: groups.map((group) =>
        group.map((photo, i) => ({
          id: photo.id,
          name: basename(photo.path),
          path: photo.path,
          thumbVersion: thumbVersionOf(photo.fingerprint),
          width: photo.width,
          height: photo.height,
          fileSize: photo.size,
          best: i === 0,
        })),
      ),
    };
  }

  private async suggestionQueue(request: ApiRequest<'suggestionQueue'>): Promise<ApiResult<'suggestionQueue'>> {
    const { index, model } = this.library.similarity();
    const labels = await index.learned(model);
    const { left, suggestions } = await suggestedPhotos(this.library, request.label, request.limit, request.exclude);
    return {
      labels,
      left,
      suggestions: suggestions.map(({ photo, labelId, labelName, score }) => ({
        id: photo.id,
        name: basename(photo.path),
        thumbVersion: thumbVersionOf(photo.fingerprint),
        label: { kind: 'label', id: labelId, name: labelName },
        score,
      })),
    };
  }

  /** A yes adds the label (an undoable correction); a no is remembered apart, as an own label cannot be rejected. */
  private answerSuggestion(request: ApiRequest<'answerSuggestion'>): ApiResult<'answerSuggestion'> {
    this.knownPhoto(request.photoId);
    const tag = this.canonicalTag(request.label);
    this.features.answer(request.photoId, tag.id, request.accept, request.score);
    if (request.accept) this.library.repo.corrections.apply([request.photoId], { type: 'add', tag });
    this.library.emit('changed');
    return {
      message: request.accept ? `Added ${tag.name}.` : `${tag.name} will not be suggested on this photo again.`,
    };
  }

  private forgetAnswer(request: ApiRequest<'forgetAnswer'>): ApiResult<'forgetAnswer'> {
    this.knownPhoto(request.photoId);
    const tag = this.canonicalTag(request.label);
    if (!this.features.forgetNo(request.photoId, tag.id)) {
      throw new ApiServiceError('not-found', `No "no" to ${tag.name} on this photo is left to take back.`);
    }
    this.library.emit('changed');
    return { message: `${tag.name} may be suggested on this photo again.` };
  }

  /** The primary models (specialists only add detail, whatever the library's model), as `models list` shows them. */
  private modelChoices(): ModelChoice[] {
    let active: string | undefined;
    try {
      active = this.library.activeModel().manifest.id;
    } catch {
      // No model installed: none is active, and the summary says why.
    }
    return primaryModels(this.library.models()).map((entry) => {
      const { id, name, size, demo } = entry.manifest;
      const mark = demoMark(entry, this.library.modelDirs.embedded);
      return {
        id,
        name,
        size,
        status: entry.installed ? (entry.embedded ? 'embedded' : 'installed') : 'available',
        active: id === active,
        demo: demo && mark ? { mark, note: demo } : null,
      };
    });
  }

  private knownModel(id: string): ModelChoice {
    const choice = this.modelChoices().find((model) => model.id === id);
    if (!choice) throw new ApiServiceError('not-found', `There is no model "${id}" this library can tag with.`);
    return choice;
  }

  private async useModel(id: string, demoAgreed: boolean): Promise<ApiResult<'useModel'>> {
    const { name } = this.knownModel(id);
    // Not agreed to (a demonstration model), or not installed yet: the message says which.
    await this.library.switchModel(id, { demoAgreed }).catch((error: Error) => {
      throw new ApiServiceError('refused', error.message);
    });
    this.background(() => this.library.tag());
    return {
      models: this.modelChoices(),
      message: `This library now tags with ${name}: every photo is tagged again with it.`,
    };
  }

  private async pullModel(id: string): Promise<ApiResult<'pullModel'>> {
    const { name, status } = this.knownModel(id);
    if (status === 'available') {
      const entry = this.library.models().find((model) => model.manifest.id === id)!;
      await pullModel(entry, {
        userDir: this.library.modelDirs.user,
        // The progress `models pull` shows, for the model picker.
        onProgress: (progress) => this.emit({ type: 'modelDownload', ...progress }),
      }).catch((error: Error) => {
        throw new ApiServiceError('refused', error.message);
      });
    }
    return {
      models: this.modelChoices(),
      message: status === 'available' ? `Downloaded ${name}.` : `${name} is already installed.`,
    };
  }

  private async exportDataset(request: ApiRequest<'exportDataset'>): Promise<ApiResult<'exportDataset'>> {
    if (!isAbsolute(request.out)) {
      throw new ApiServiceError('bad-request', `"${request.out}" is not a full path; give the folder's absolute path.`);
    }
    const out = resolve(request.out);
    if (this.exporting) {
      throw new ApiServiceError('refused', `An export to ${this.exporting} is still running; wait for it to finish.`);
    }
    this.exporting = out;
    let lastProgress = 0;
    try {
      const manifest = await exportDataset(exportSourceOf(this.library), {
        format: request.format,
        out,
        includeModelAbove: request.includeModelAbove ?? undefined,
        classes: request.classes.length > 0 ? request.classes : undefined,
        minPerClass: request.minPerClass,
        validation: request.validation,
        seed: request.seed,
        resize: request.resize ?? undefined,
        link: request.link,
        overwrite: request.overwrite,
        onProgress: (done, total) => {
          const now = Date.now();
          if (done < total && now - lastProgress < EXPORT_PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          this.emit({ type: 'exportProgress', out, done, total });
        },
      });
      return {
        format: manifest.format,
        out,
        photos: manifest.photos,
        examples: manifest.examples,
        classes: manifest.classes.map(({ kind, id, name, folder, train, validation }) => ({
          kind,
          id,
          name,
          folder,
          train,
          validation,
        })),
        skipped: manifest.skipped,
      };
    } catch (error) {
      if (error instanceof ExportExistsError) throw new ApiServiceError('exists', error.message);
      if (error instanceof ExportRefusedError) throw new ApiServiceError('refused', error.message);
      throw error;
    } finally {
      this.exporting = undefined;
    }
  }
}
