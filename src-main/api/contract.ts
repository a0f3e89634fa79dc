import { z } from 'zod';

/**
 * The one API contract between the engine and every face of it: method names, a zod schema per request, the
 * result of each method, and the events. The API service implements it, the HTTP server and the Electron IPC
 * binding carry it, the renderer's client is typed by it. Nothing here imports Node: the renderer bundles it.
 *
 * Every transport moves the same two things:
 *   - a call: `dispatch(method, args)` answers an ApiResponse envelope and never throws, so an error keeps its
 *     code and message across IPC and HTTP alike;
 *   - events: one stream of ApiEvent.
 */

/** Electron: `ipcMain.handle(API_CHANNEL, (_event, method, args) => service.dispatch(method, args))`. */
export const API_CHANNEL = 'phototag:api';
/** Electron: the main process sends every ApiEvent to the window on this channel. */
export const EVENT_CHANNEL = 'phototag:event';
/** Electron: the native folder picker behind PhototagBridge.chooseFolder; answers a path or undefined. */
export const CHOOSE_FOLDER_CHANNEL = 'phototag:choose-folder';
/** Electron: thumbnails and photos are served by id through this protocol (see mediaPath). */
export const MEDIA_PROTOCOL = 'phototag-media';
/** Web mode: the path every media URL starts with. */
export const WEB_MEDIA_ROOT = '/media';

export type MediaKind = 'thumb' | 'photo';

/** "thumb/42": a media route names a kind and a numeric photo id, nothing else. */
export const mediaPath = (kind: MediaKind, photoId: number) => `${kind}/${photoId}`;

/** The thumbnail version of a photo with this content fingerprint (see PhotoTile.thumbVersion). */
export const thumbVersionOf = (fingerprint: string | null) => fingerprint?.slice(0, 16) ?? null;

/** Parses a media route ("thumb/42"); anything but a known kind and a canonical positive integer is refused. */
export function parseMediaPath(path: string): { kind: MediaKind; photoId: number } | undefined {
  const match = /^(thumb|photo)\/([1-9][0-9]{0,14})$/.exec(path);
  if (!match) return undefined;
  return { kind: match[1] as MediaKind, photoId: Number(match[2]) };
}

// ---------------------------------------------------------------------------------------------------------------
// Shared shapes

const photoId = z.number().int().positive();
/** A confidence threshold, 0 to 1. */
const minScore = z.number().min(0).max(1);
/**
 * The confidence a tag needs to count until the user says otherwise: where the app's threshold starts and what
 * `phototag search` uses without --min-score, so both find the same photos.
 */
export const DEFAULT_MIN_SCORE = 0.3;

/** A label (a model class, "Golden retriever") or a category (an everyday roll-up, "Dog"), by its taxonomy id. */
export const tagRefSchema = z.strictObject({
  kind: z.enum(['label', 'category']),
  id: z.string().min(1).max(200),
});
export type TagRef = z.infer<typeof tagRefSchema>;

/**
 * A tag as a correction names it: a model class ("n02099601"), a category ("dog"), or one of the user's own labels
 * ("user:rex", as labelSuggestions offers it for a new name), with its display name.
 */
export const tagSchema = z.strictObject({
  kind: z.enum(['label', 'category']),
  id: z.string().trim().min(1, 'id must not be empty').max(200),
  name: z.string().trim().min(1, 'name must not be empty').max(100),
});
export type Tag = z.infer<typeof tagSchema>;

/**
 * What a correction does to a tag on each photo: confirm it (it becomes the user's, shown with a check mark),
 * reject it (it leaves the photo), add one the model did not give (a class, a category or an own label), or
 * replace one with another (a reject and an add, undone together).
 */
export const correctionActionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('confirm'), tag: tagSchema }),
  z.strictObject({ type: z.literal('reject'), tag: tagSchema }),
  z.strictObject({ type: z.literal('add'), tag: tagSchema }),
  z.strictObject({ type: z.literal('replace'), from: tagSchema, to: tagSchema }),
]);
export type CorrectionAction = z.infer<typeof correctionActionSchema>;

/**
 * Whether a filter's labels match where a learned label is only suggested (see SuggestedTag): "exclude", only the
 * photos carrying them; "include", those and the photos they are suggested on; "only", just the suggested ones.
 */
export const SUGGESTED_FILTERS = ['exclude', 'include', 'only'] as const;
export type SuggestedFilter = (typeof SUGGESTED_FILTERS)[number];

/**
 * Which photos the grid shows. Every one of `tags` must match (`match` "all"), or at least one ("any"), each with at
 * least `minScore`, or as `suggested` says; `status` narrows further: "untagged" is a photo not tagged yet, or
 * tagged with nothing reaching `minScore`; "failed" is a photo that could not be read (each carries its reason).
 */
export const photoFilterSchema = z.strictObject({
  tags: z.array(tagRefSchema).max(20).default([]),
  match: z.enum(['all', 'any']).default('all'),
  folderId: photoId.nullable().default(null),
  minScore: minScore.default(DEFAULT_MIN_SCORE),
  status: z.enum(['all', 'untagged', 'failed']).default('all'),
  suggested: z.enum(SUGGESTED_FILTERS).default('exclude'),
});
export type PhotoFilter = z.infer<typeof photoFilterSchema>;

export const MAX_PAGE = 500;

/**
 * The orders photos are listed in: by when they were taken (the EXIF date, else the file's modification time),
 * newest or oldest first, or in the order the library found them (folder by folder, by name).
 */
export const PHOTO_SORTS = ['newest', 'oldest', 'found'] as const;
export type PhotoSort = (typeof PHOTO_SORTS)[number];
const photoSort = z.enum(PHOTO_SORTS).default('newest');

/**
 * Where a page starts: just after the photo with this sort key and id. A page's `next` and a timeline section's
 * `after` are cursors; a client passes them back as they came.
 */
export const photoCursorSchema = z.strictObject({ key: z.number().int(), id: z.number().int().min(0) });
export type PhotoCursor = z.infer<typeof photoCursorSchema>;

/** Photos named one by one in a request; more are chosen by filter (see photoSelectionSchema). */
export const MAX_SELECTION = 5000;

/** Which photos a correction applies to: these ids, or every photo the filter matches but those in `except`. */
export const photoSelectionSchema = z.union([
  z.strictObject({ ids: z.array(photoId).min(1, 'choose at least one photo').max(MAX_SELECTION) }),
  z.strictObject({
    filter: photoFilterSchema,
    except: z.array(photoId).max(MAX_SELECTION).default([]),
  }),
]);
export type PhotoSelection = z.input<typeof photoSelectionSchema>;

export const EXPORT_FORMATS = ['imagefolder', 'csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Writing tags where other photo apps read them (digiKam, Lightroom, darktable, ExifTool): an XMP sidecar beside
 * each photo with its tags, the user's and the file's first, then the model's at `threshold` or more; with
 * `intoFiles`, also into the photo file itself (JPEG, TIFF, HEIC, DNG), keeping ExifTool's `_original` copy when
 * `keepOriginal` is set.
 */
export const xmpSettingsSchema = z.strictObject({
  enabled: z.boolean(),
  threshold: minScore,
  intoFiles: z.boolean(),
  keepOriginal: z.boolean(),
});
export type XmpSettings = z.infer<typeof xmpSettingsSchema>;

/** A model's id, as its manifest names it ("mobilenet-v2-imagenet"); an unknown one is not-found. */
const modelId = z.string().min(1).max(200);

// ---------------------------------------------------------------------------------------------------------------
// Requests: one schema per method. An empty object is still an object, so every call has the same shape.

export const requestSchemas = {
  /** Counts, folders with their progress, the model and execution provider, watch mode, recent warnings. */
  summary: z.strictObject({}),
  /**
   * Adds a folder by its path on the engine's machine (`~` is the home folder), then scans, watches and tags it in
   * the background. A folder inside a library folder is already in the library; one holding library folders takes
   * them in, with their photos as they are.
   */
  addFolder: z.strictObject({ path: z.string().trim().min(1, 'path must not be empty').max(4096) }),
  /** Folders to offer in the add-folder form: added before (removed ones too), and where photos usually are. */
  folderSuggestions: z.strictObject({}),
  removeFolder: z.strictObject({ folderId: photoId }),
  /**
   * Scans a library folder now, as start-up does, and answers once it is scanned (a scan of it under way is waited
   * for, then the folder is scanned again: never two at once); what it found is tagged in the background, progress
   * following.
   */
  rescanFolder: z.strictObject({ folderId: photoId }),
  /**
   * One page of the photos matching a filter in `sort` order: those after the cursor `after` (from the start when
   * null), skipping `offset` of them. Keyset paging: a page costs the same anywhere in a million photos, and a
   * photo added or removed meanwhile shifts no other page. How many there are is the timeline's to say.
   */
  queryPhotos: z.strictObject({
    filter: photoFilterSchema.default(() => photoFilterSchema.parse({})),
    sort: photoSort,
    after: photoCursorSchema.nullable().default(null),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(MAX_PAGE).default(100),
  }),
  /**
   * The photos matching a filter counted by section, in `sort` order: by month for the date orders, by blocks of
   * the library for "found". Each section says where its first page starts, so the grid can show any photo at once.
   */
  timeline: z.strictObject({
    filter: photoFilterSchema.default(() => photoFilterSchema.parse({})),
    sort: photoSort,
  }),
  /** Everything about one photo: every prediction, categories, metadata, the reason it failed. */
  photo: z.strictObject({ id: photoId }),
  /** Categories and labels with the number of photos carrying each at `minScore` or more, most frequent first. */
  tags: z.strictObject({ minScore: minScore.default(DEFAULT_MIN_SCORE) }),
  /**
   * The tags a search box query means (words, prefixes, plurals, synonyms: "retriever", "Dogs", "person"), best
   * match first, each with its photos at `minScore`; `notice` says why none is offered (no tag matches the query,
   * or those it matches carry no photo at `minScore`).
   */
  findTags: z.strictObject({
    query: z.string().max(200),
    minScore: minScore.default(DEFAULT_MIN_SCORE),
    limit: z.number().int().min(1).max(100).default(8),
  }),
  pause: z.strictObject({}),
  resume: z.strictObject({}),
  /** Confirms, rejects, adds or replaces a tag on one or many photos, as one undoable step. */
  correct: z.strictObject({ photos: photoSelectionSchema, action: correctionActionSchema }),
  /** Takes back the latest correction step, whichever photos it touched. */
  undo: z.strictObject({}),
  /**
   * Tags to offer as one types: the active model's classes, the categories and the user's own labels, best match
   * first. With a query that names none of them exactly, `newLabel` is the own label it would make ("Rex").
   */
  labelSuggestions: z.strictObject({
    query: z.string().max(200).default(''),
    limit: z.number().int().min(1).max(2000).default(20),
  }),
  /**
   * Photos the model tagged that nobody has reviewed yet (no correction of any tag), least certain first: the
   * smallest margin between the top two labels. `exclude` leaves out photos already skipped in this session.
   */
  reviewQueue: z.strictObject({
    exclude: z.array(photoId).max(MAX_SELECTION).default([]),
    limit: z.number().int().min(1).max(100).default(20),
  }),
  /** The photos that look most like this one, from their stored features, best first; the photo itself left out. */
  similarPhotos: z.strictObject({ id: photoId, limit: z.number().int().min(1).max(200).default(12) }),
  /** Groups of photos that are the same picture (resized, recompressed, cropped a little, brightened). */
  duplicates: z.strictObject({}),
  /**
   * The review queue of learned labels ("Is this Rex?"): photos suggested one of the labels Phototag learned from
   * the user's own labels and confirmed ones, most likely first; of one label, or of any with null. `exclude`
   * leaves out photos already skipped in this session.
   */
  suggestionQueue: z.strictObject({
    label: z.string().min(1).max(200).nullable().default(null),
    exclude: z.array(photoId).max(MAX_SELECTION).default([]),
    limit: z.number().int().min(1).max(100).default(20),
  }),
  /**
   * Answers one suggestion: yes adds the label to the photo (marked as an accepted suggestion, which exports can
   * tell), no rejects it there. Either is a correction like any other, undoable, and retrains the label.
   */
  answerSuggestion: z.strictObject({
    photoId,
    label: tagSchema,
    accept: z.boolean(),
    /** The suggestion's confidence, recorded with an accepted one. */
    score: z.number().min(0).max(1),
  }),
  /** Takes back a no to a suggestion: the label may be suggested on the photo again (a yes is undone by `undo`). */
  forgetAnswer: z.strictObject({ photoId, label: tagSchema }),
  /**
   * Writes the corrections (and optionally confident machine labels) as a dataset for retraining, into a folder on
   * the engine's machine; 'exportProgress' events follow it. A folder that holds an earlier export is refused with
   * the code "exists" unless `overwrite` is set: ask first. One that holds anything else, or the library, is "refused".
   */
  exportDataset: z.strictObject({
    format: z.enum(EXPORT_FORMATS),
    out: z.string().trim().min(1, 'out must not be empty').max(4096),
    /** Machine labels at or above this score join the corrections, marked as the model's. */
    includeModelAbove: minScore.nullable().default(null),
    /** Only these classes (ids or names); every class when empty. */
    classes: z.array(z.string().trim().min(1).max(200)).max(2000).default([]),
    minPerClass: z.number().int().min(1).max(1_000_000).default(1),
    /** Share of each class in the validation split. */
    validation: z.number().min(0).max(0.9).default(0.2),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** ImageFolder: re-encode as JPEG with the longer side at most this many pixels. */
    resize: z.number().int().min(16).max(8192).nullable().default(null),
    /** ImageFolder: hard-link the originals instead of copying them. */
    link: z.boolean().default(false),
    overwrite: z.boolean().default(false),
  }),
  /** Whether XMP sidecars are written for this library, and how (see xmpSettingsSchema), with what is pending. */
  xmpSettings: z.strictObject({}),
  /**
   * Changes how tags are written to XMP (the fields left out stay as they are). Turning it on, or changing what is
   * written, writes every photo's sidecar again in the background.
   */
  setXmpSettings: xmpSettingsSchema.partial(),
  /** The models this library can tag with: shipped, downloaded or to download, the active one marked. */
  models: z.strictObject({}),
  /**
   * Makes a model (installed) the library's model, and re-tags every photo with it in the background, progress
   * following. A demonstration model is refused unless `demoAgreed`: ask the user first, saying what it means.
   */
  useModel: z.strictObject({ id: modelId, demoAgreed: z.boolean().default(false) }),
  /** Downloads a model into the per-user models folder (only when the user asks); it does not switch to it. */
  pullModel: z.strictObject({ id: modelId }),
} as const;

export type ApiMethod = keyof typeof requestSchemas;
export const isApiMethod = (name: string): name is ApiMethod => Object.hasOwn(requestSchemas, name);

/** What a caller passes (defaults may be left out). */
export type ApiArgs<M extends ApiMethod> = z.input<(typeof requestSchemas)[M]>;
/** What the service receives after validation (defaults filled in). */
export type ApiRequest<M extends ApiMethod> = z.output<(typeof requestSchemas)[M]>;

// ---------------------------------------------------------------------------------------------------------------
// Results

export interface Score {
  id: string;
  /** The taxonomy's display name ("Golden retriever", "Beach & sea"). */
  name: string;
  score: number;
}

/**
 * A tag a photo carries once corrections are applied: the model's with its confidence, or the user's (confirmed,
 * or added) with score 1. Rejected tags are not there at all.
 */
export interface TagScore extends Score {
  /** "file": a keyword the photo's file or its XMP sidecar carried, the user's truth as a correction is. */
  source: 'model' | 'user' | 'file';
}

/**
 * The model's tags below this score are noise, not news: they would read "0%" or "1%" ("Reptile 1%, Fish 1%" under
 * a portrait). Scores show as whole percents, so from 0.015 a tag reads "2%"; 0.02 keeps a margin and still shows
 * the few percents the labels of an uncertain photo carry. Stored results keep everything (search and export
 * thresholds are their own); what is shown in the CLI, the API and the app starts here.
 */
export const MIN_SHOWN_SCORE = 0.02;

/** Whether a tag is shown: the user's and the file's always, the model's from MIN_SHOWN_SCORE. */
export const isShown = (tag: Pick<TagScore, 'score' | 'source'>) =>
  tag.source !== 'model' || tag.score >= MIN_SHOWN_SCORE;

export type PhotoStatus = 'pending' | 'processing' | 'done' | 'failed' | 'missing';

export interface StatusCounts {
  pending: number;
  processing: number;
  done: number;
  failed: number;
  missing: number;
  /** Every photo in the library, missing ones aside. */
  total: number;
}

export interface FolderInfo {
  id: number;
  path: string;
  total: number;
  done: number;
  failed: number;
  pending: number;
  /** Photos carrying corrections. Removing the folder keeps their corrections for when it is added again. */
  corrected: number;
  /** How the folder's latest scan since the engine started ended; null before its first. */
  lastScan: FolderScan | null;
  /** A scan of the folder is under way (at start-up, after it was added, or asked for by rescanFolder). */
  scanning: boolean;
}

/** What one scan of a library folder found (see Library.scan). */
export interface FolderScan {
  /** When it ended, in milliseconds since the epoch. */
  at: number;
  /** Photos found in it, of which new, and saved over since the scan before; photos gone from it since. */
  found: number;
  added: number;
  changed: number;
  missing: number;
  /** Files and subfolders that could not be read (each was a warning). */
  problems: number;
  /**
   * The folder's drive or share was not there (an unreadable, suddenly empty or other-device folder): why, in words
   * ("it cannot be read or is gone"), and how many photos are kept until it is back. Null when it was read.
   */
  unavailable: { reason: string; kept: number } | null;
}

export interface Progress {
  /** Photos in the library. */
  found: number;
  /** Photos waiting to be tagged, including those in flight. */
  queued: number;
  /** Tagged, and failed, in this run. */
  done: number;
  failed: number;
  photosPerSecond: number;
  /** Seconds left at the current rate; null until there is a rate. */
  etaSeconds: number | null;
  state: 'running' | 'paused' | 'idle';
}

export interface Warning {
  message: string;
  /** Milliseconds since the epoch. */
  at: number;
}

export interface LibrarySummary {
  counts: StatusCounts;
  folders: FolderInfo[];
  /** The model this library tags with; null when none is installed (the reason is in `modelProblem`). */
  model: { id: string; name: string; version: string } | null;
  modelProblem: string | null;
  /** The onnxruntime execution provider in use ("cpu", "cuda", ...); null until the classifier has started. */
  executionProvider: string | null;
  /** How folders are watched; null while they are not. */
  watchMode: 'native' | 'polling' | null;
  progress: Progress;
  /** The latest warnings, newest first. */
  warnings: Warning[];
  /** Web mode: paths typed into "Add folder" are paths on this machine. */
  host: string;
  /** Photos the model tagged that nobody reviewed yet (see reviewQueue). */
  toReview: number;
  /** Those of them the model was unsure of: its top label leads the second by less than half. */
  uncertain: number;
  /** Whether there is a correction step to undo. */
  canUndo: boolean;
}

/** The summary's counts, read together: the header, the folders and the review button agree. */
export type LibraryCounts = Pick<LibrarySummary, 'counts' | 'folders' | 'toReview' | 'uncertain' | 'canUndo'>;

/** One tile of the grid: enough to draw it and its hover card, nothing more. */
/**
 * What a category's caption adds: the species a specialist named on a photo of that category ("Bird · House Finch",
 * with the species' score), or the number of people's faces ("People · 3"). A specialist's labels detail the
 * category their id starts with ("bird:Haemorhous mexicanus" details "bird").
 */
export interface TagDetail {
  name: string;
  /** The detail's own score (a species'); null when the category's score stands (a face count). */
  score: number | null;
}

/** Categories whose caption carries the number of faces. */
const FACE_COUNTED = new Set(['people', 'group']);

/**
 * A species' scientific name: a specialist's labels are its category's id, then the scientific name
 * ("bird:Haliaeetus leucocephalus", named "Bald Eagle" beside the ImageNet class "Bald eagle"); null for any other
 * label (a model's class, the user's own "user:rex").
 */
export function scientificName(labelId: string): string | null {
  return /^(?!user:)[^:]+:(.+)$/.exec(labelId)?.[1] ?? null;
}

export function categoryDetail(categoryId: string, labels: readonly Score[], faces: number): TagDetail | null {
  if (FACE_COUNTED.has(categoryId)) return faces > 0 ? { name: String(faces), score: null } : null;
  const species = labels.find((label) => label.id.startsWith(`${categoryId}:`));
  return species ? { name: species.name, score: species.score } : null;
}

export interface PhotoTile {
  id: number;
  /** The file name, for labels and alt text. */
  name: string;
  status: PhotoStatus;
  /**
   * The tile's caption: the best category or label ("Dog", 0.94), with a category's detail ("Bird · House Finch");
   * null when nothing is known yet.
   */
  top: (TagScore & { kind: TagRef['kind']; detail: TagDetail | null }) | null;
  /** The user's labels, then the most probable of the model's, up to five. */
  labels: TagScore[];
  /** The filter's labels suggested on the photo, when the filter includes suggestions: apart from `labels`. */
  suggested: SuggestedTag[];
  /** Why the photo could not be tagged. */
  error: string | null;
  /**
   * Names the current thumbnail (null: none yet, as for a photo being tagged for the first time). Media URLs
   * carry it as ?v=, which lets the browser keep the thumbnail until the photo's content changes.
   */
  thumbVersion: string | null;
}

export interface PhotoPage {
  photos: PhotoTile[];
  /** Where the next page starts; null when this one reached the end. */
  next: PhotoCursor | null;
}

export interface TimelineSection {
  /** Names the section among its neighbours: its month for the date orders, its block ("#3") for "found". */
  key: string;
  /** "2024-05": the month its photos were taken in; null in library order. */
  month: string | null;
  count: number;
  /** The cursor its first page starts after (see queryPhotos); null for the first section. */
  after: PhotoCursor | null;
}

export interface Timeline {
  /** Every photo the filter matches. */
  total: number;
  sections: TimelineSection[];
}

export interface PhotoDetail {
  id: number;
  name: string;
  path: string;
  folderId: number;
  status: PhotoStatus;
  error: string | null;
  /** Bytes. */
  fileSize: number;
  format: string | null;
  width: number | null;
  height: number | null;
  /** As the camera wrote it (ISO 8601 when known). */
  takenAt: string | null;
  camera: string | null;
  /** Milliseconds since the epoch. */
  modifiedAt: number;
  model: { id: string; version: string } | null;
  /** The user's labels first, then the model's best up to five in all; rejected ones are gone. */
  labels: TagScore[];
  /** The user's categories first, then the model's by score. */
  categories: TagScore[];
  /** How many people's faces the photo shows. */
  faces: number;
  /** Learned labels suggested on the photo, most likely first: apart from its tags, never counted as them. */
  suggested: SuggestedTag[];
  thumbVersion: string | null;
}

/** A label Phototag learned from the user's corrections, suggested on a photo with its confidence. */
export interface SuggestedTag extends Score {
  source: 'suggested';
}

/** A photo that looks like another, with the cosine similarity of their features (1: the same). */
export interface SimilarPhoto {
  id: number;
  name: string;
  thumbVersion: string | null;
  score: number;
}

export interface DuplicatePhoto {
  id: number;
  name: string;
  path: string;
  thumbVersion: string | null;
  width: number | null;
  height: number | null;
  /** Bytes. */
  fileSize: number;
  /** The one to keep: the most pixels, then the largest file. */
  best: boolean;
}

export interface SuggestionItem {
  id: number;
  name: string;
  thumbVersion: string | null;
  /** The learned label suggested, and how sure its model is. */
  label: Tag;
  score: number;
}

export interface LearnedLabelInfo {
  id: string;
  name: string;
  /** Photos the user gave it on. */
  examples: number;
  /** Photos it is suggested on now. */
  suggested: number;
}

export interface SuggestionQueue {
  /** Every learned label, for choosing a queue. */
  labels: LearnedLabelInfo[];
  /** Suggestions still to answer, the excluded ones aside (those shown included). */
  left: number;
  suggestions: SuggestionItem[];
}

export interface TagCount {
  kind: TagRef['kind'];
  id: string;
  name: string;
  count: number;
}

export interface TagList {
  minScore: number;
  categories: TagCount[];
  labels: TagCount[];
  /** Photos the "untagged" filter shows at this threshold. */
  untagged: number;
  failed: number;
}

export interface CorrectionResult {
  /** Photos the step touched. */
  photos: number;
  /** What was done, as a sentence for an undo toast ("Confirmed Dog on 3 photos."). */
  message: string;
  canUndo: boolean;
}

export interface UndoResult {
  /** Photos the undone step had touched; none when there was nothing to undo. */
  photoIds: number[];
  message: string;
  canUndo: boolean;
}

/** A tag to offer: where it comes from tells the model's classes, the categories and the user's own labels apart. */
export interface TagSuggestion extends Tag {
  source: 'class' | 'category' | 'own';
}

export interface FoundTags {
  /** The matching tags that some photo carries at the threshold, best match first, then most photos first. */
  tags: TagCount[];
  /** Why no tag is offered, as a sentence; null when some are. */
  notice: string | null;
}

export interface LabelSuggestions {
  suggestions: TagSuggestion[];
  /** The user's own label the query would make, when it names no known tag exactly; null otherwise. */
  newLabel: Tag | null;
}

export interface ReviewItem {
  id: number;
  name: string;
  thumbVersion: string | null;
  /** Top label score minus the second's: the smaller, the less sure the model was. */
  margin: number;
  /** The model's top labels, best first. */
  labels: Score[];
}

export interface ReviewQueue {
  /** Photos still to review, the excluded ones aside (those shown included). */
  left: number;
  photos: ReviewItem[];
}

export interface ExportClassSummary {
  kind: TagRef['kind'];
  id: string;
  name: string;
  /** ImageFolder: the class's folder under train/ and validation/. */
  folder: string;
  train: number;
  validation: number;
}

export interface ExportSummary {
  format: ExportFormat;
  /** The output folder on the engine's machine. */
  out: string;
  photos: number;
  examples: number;
  classes: ExportClassSummary[];
  /** Photos that could not be exported, with the reason. */
  skipped: { path: string; reason: string }[];
}

export interface XmpStatus {
  settings: XmpSettings;
  /** Photos whose tags changed since their sidecar was last written. */
  pending: number;
}

/** A model a library can tag with, as the model picker lists it. */
export interface ModelChoice {
  id: string;
  name: string;
  /** The download's size in bytes. */
  size: number;
  /** "embedded": shipped in the app; "installed": downloaded; "available": can be downloaded. */
  status: 'embedded' | 'installed' | 'available';
  /** It tags this library. */
  active: boolean;
  /** A demonstration model: its mark ("Demo: knows 10 classes at 32x32") and what it means; null for the others. */
  demo: { mark: string; note: string } | null;
}

export interface ApiResults {
  summary: LibrarySummary;
  /** `note`: what became of it when it was not simply added ("already in the library"); null when it was. */
  addFolder: { folder: FolderInfo; note: string | null };
  /** Paths on the engine's machine, none of them a library folder now. */
  folderSuggestions: { recent: string[]; suggested: string[] };
  /** What left the library: its photos, of which `corrected` carried corrections (kept for a re-add). */
  removeFolder: { removed: true; photos: number; corrected: number };
  /** The folder after its scan: `lastScan` says what it found, or that it is not available. */
  rescanFolder: { folder: FolderInfo };
  queryPhotos: PhotoPage;
  timeline: Timeline;
  photo: PhotoDetail;
  tags: TagList;
  pause: { progress: Progress };
  resume: { progress: Progress };
  correct: CorrectionResult;
  undo: UndoResult;
  labelSuggestions: LabelSuggestions;
  findTags: FoundTags;
  reviewQueue: ReviewQueue;
  exportDataset: ExportSummary;
  similarPhotos: { photos: SimilarPhoto[] };
  duplicates: { groups: DuplicatePhoto[][] };
  suggestionQueue: SuggestionQueue;
  /** What was done, as a sentence ("Added Rex."); a yes is undone as any correction is, a no is no correction. */
  answerSuggestion: { message: string };
  /** What was taken back, as a sentence. */
  forgetAnswer: { message: string };
  xmpSettings: XmpStatus;
  setXmpSettings: XmpStatus;
  models: { models: ModelChoice[] };
  /** `message`: what was done, as a sentence. */
  useModel: { models: ModelChoice[]; message: string };
  pullModel: { models: ModelChoice[]; message: string };
}

export type ApiResult<M extends ApiMethod> = ApiResults[M];

// ---------------------------------------------------------------------------------------------------------------
// Errors and the response envelope

/**
 * bad-request: the request does not match the contract (unknown method, wrong types, missing fields);
 * not-found: what it names does not exist (a photo id, a folder);
 * refused: valid but not possible now (a path that is no folder, no model installed);
 * exists: the export folder holds an earlier export; ask the user, then repeat the call with `overwrite: true`;
 * internal: the engine failed; the message says what.
 */
export type ApiErrorCode = 'bad-request' | 'not-found' | 'refused' | 'exists' | 'internal';

export interface ApiError {
  code: ApiErrorCode;
  /** A sentence for the user. */
  message: string;
}

export type ApiResponse<M extends ApiMethod = ApiMethod> = { result: ApiResult<M> } | { error: ApiError };

/** The HTTP status that goes with each error code in web mode. */
export const HTTP_STATUS: Record<ApiErrorCode, number> = {
  'bad-request': 400,
  'not-found': 404,
  refused: 409,
  exists: 409,
  internal: 500,
};

// ---------------------------------------------------------------------------------------------------------------
// Events

export type ApiEvent =
  | { type: 'progress'; progress: Progress }
  /**
   * Photos, their tags or the folders changed: the counts after it come along (null: unknown, as after the
   * connection was lost; re-read the summary), and views re-query what else they show. At most one a second.
   */
  | { type: 'changed'; counts: LibraryCounts | null }
  | { type: 'warning'; warning: Warning }
  /** XMP was written in the background: what is on, and how many photos still wait, after that pass. */
  | { type: 'xmp'; status: XmpStatus }
  /** An export is under way: `done` of `total` examples written to `out`. A few per second at most. */
  | { type: 'exportProgress'; out: string; done: number; total: number }
  /** A model download under way (pullModel): `received` of `total` bytes. A few per second at most, and at the end. */
  | { type: 'modelDownload'; modelId: string; received: number; total: number }
  /** Desktop only: an application-menu item the window acts on. */
  | { type: 'menu'; command: MenuCommand };

/** What the desktop app's menu asks of the window. */
export type MenuCommand = 'export' | 'review' | 'undo' | 'selectAll';

// ---------------------------------------------------------------------------------------------------------------
// Electron preload

/**
 * The one object the Electron preload exposes as `window.phototag`. `call` forwards to API_CHANNEL and resolves
 * with the service's envelope; `onEvent` listens on EVENT_CHANNEL and returns the function that stops listening.
 */
export interface PhototagBridge {
  call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResponse<M>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** The file-system path of a dropped folder (Electron's webUtils.getPathForFile). */
  pathForFile?(file: File): string;
  /** Opens the native folder picker; undefined when cancelled. */
  chooseFolder?(): Promise<string | undefined>;
}

/** The full URL of a media item under the Electron protocol: `phototag-media://media/thumb/42?v=...`. */
export const electronMediaUrl = (kind: MediaKind, id: number, version?: string | null) =>
  `${MEDIA_PROTOCOL}://media/${mediaPath(kind, id)}${version ? `?v=${version}` : ''}`;
