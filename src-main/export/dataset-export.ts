import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, link, mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { APP_NAME } from '../app-paths.js';
import { fileInTheWay } from '../file-errors.js';
import { decodePhoto, makeThumbnail } from '../imaging/decode.js';
import type { CorrectionRepository, ExampleRow, Tag } from '../db/correction-repository.js';
import { FeatureRepository } from '../db/feature-repository.js';
import type { Library } from '../library/library.js';
import { namedTags } from '../library/tag-search.js';
import { versionInfo } from '../version.js';

export type ExportFormat = 'imagefolder' | 'csv' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['imagefolder', 'csv', 'jsonl'];

export interface ExportOptions {
  format: ExportFormat;
  out: string;
  /** Machine labels at or above this score join the user's corrections, marked source "model". */
  includeModelAbove?: number;
  /** Only these classes (labels, categories or own labels, by id or name); all when absent. An unknown one is refused. */
  classes?: string[];
  /** Classes with fewer photos are left out. */
  minPerClass: number;
  /** Share of each class that goes to the validation split. */
  validation: number;
  seed: number;
  /** ImageFolder: re-encode as JPEG with the longer side at most this many pixels. */
  resize?: number;
  /** ImageFolder: hard-link the originals instead of copying them (when not resizing). */
  link: boolean;
  /**
   * Replace a previous Phototag export in the output folder; without it such a folder is refused (ExportExistsError).
   * A folder that holds anything else is never replaced.
   */
  overwrite: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ExportSource {
  corrections: CorrectionRepository;
  /** Every tag the library knows, which `classes` name (see Library.knownTags). */
  knownTags: () => Tag[];
  /** The library database the examples come from, recorded in the manifest. */
  libraryPath: string;
  /** The library's photo folders and its thumbnails folder: an export never goes into them nor replaces them. */
  folders: string[];
  thumbnailsDir: string;
  /** The labels on photos that a suggestion the user said yes to put there ("photoId:labelId"). */
  acceptedSuggestions: () => Set<string>;
}

/** What an export of this library reads from, and the places it has to keep clear of. */
export function exportSourceOf(
  library: Pick<Library, 'repo' | 'db' | 'dbPath' | 'thumbnailsDir' | 'knownTags'>,
): ExportSource {
  return {
    corrections: library.repo.corrections,
    knownTags: () => library.knownTags(),
    libraryPath: library.dbPath,
    folders: library.repo.folders().map((folder) => folder.path),
    thumbnailsDir: library.thumbnailsDir,
    acceptedSuggestions: () =>
      new Set(new FeatureRepository(library.db).accepted().map((answer) => `${answer.photoId}:${answer.labelId}`)),
  };
}

/** The user's labels that came from an accepted suggestion are marked "suggested": the user said yes to a guess. */
function markSuggested(rows: ExampleRow[], accepted: Set<string>): ExportRow[] {
  return rows.map((row) =>
    row.source === 'user' && row.kind === 'label' && accepted.has(`${row.photoId}:${row.id}`)
      ? { ...row, source: 'suggested' }
      : row,
  );
}

export interface ExportClass {
  kind: Tag['kind'];
  id: string;
  name: string;
  folder: string;
  train: number;
  validation: number;
}

export interface ExportManifest {
  format: ExportFormat;
  createdBy: string;
  library: string;
  options: Omit<ExportOptions, 'out' | 'overwrite' | 'onProgress'>;
  photos: number;
  examples: number;
  classes: ExportClass[];
  skipped: { path: string; reason: string }[];
}

/** The output folder holds a previous export: the caller asks the user before overwriting. */
export class ExportExistsError extends Error {
  override name = 'ExportExistsError';
}

/** The output folder is one an export must never write into or replace, whatever the user answers. */
export class ExportRefusedError extends Error {
  override name = 'ExportRefusedError';
}

/** A training example: a tag on a photo, the user's (or a suggestion the user said yes to) or the model's. */
type ExportRow = Omit<ExampleRow, 'source'> & { source: ExampleRow['source'] | 'suggested' };

interface Example extends ExportRow {
  split: 'train' | 'validation';
  cls: ExportClass;
}

const classKey = (row: { kind: string; id: string }) => `${row.kind}:${row.id}`;
const isWordNetId = (id: string) => /^n\d{8}$/.test(id);
const slug = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-') || 'class';

/** A small seeded PRNG (mulberry32): the same seed gives the same split on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (const char of text) h = Math.imul(h ^ char.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * The classes `names` choose, as class keys: each name is a label, a category or an own label, by id or name (any
 * case, plural or synonym, as search reads them); a name that is none of these is an error that says so.
 */
function chosenClasses(names: string[], known: Tag[]): Set<string> {
  const chosen = names.map((name) => ({ name, tags: namedTags(name, known) }));
  const unknown = chosen.filter((choice) => choice.tags.length === 0).map((choice) => `"${choice.name.trim()}"`);
  if (unknown.length > 0) {
    throw new ExportRefusedError(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a class of this library (no label, ` +
        'category or own label of that name); check the spelling of the classes to export.',
    );
  }
  return new Set(chosen.flatMap((choice) => choice.tags.map(classKey)));
}

/** Chooses the classes and splits each one's photos, stratified and seeded. */
function plan(
  rows: ExportRow[],
  wanted: Set<string> | undefined,
  options: ExportOptions,
): { classes: ExportClass[]; examples: Example[] } {
  const byClass = new Map<string, ExportRow[]>();
  for (const row of rows) {
    if (wanted && !wanted.has(classKey(row))) continue;
    const key = classKey(row);
    byClass.set(key, [...(byClass.get(key) ?? []), row]);
  }
  const classes: ExportClass[] = [];
  const examples: Example[] = [];
  const folders = new Set<string>();
  for (const key of [...byClass.keys()].sort()) {
    const members = byClass.get(key)!;
    if (members.length < options.minPerClass) continue;
    const first = members[0]!;
    let folder = slug(first.name);
    if (folders.has(folder)) folder = `${folder}-${slug(first.id)}`;
    folders.add(folder);
    const cls: ExportClass = { kind: first.kind, id: first.id, name: first.name, folder, train: 0, validation: 0 };
    const next = random(options.seed ^ hash(key));
    const shuffled = [...members].sort((a, b) => a.photoId - b.photoId);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    // Within one photo of the ratio, and never a class left with nothing to train on.
    const validation = Math.min(Math.round(shuffled.length * options.validation), Math.max(0, shuffled.length - 1));
    shuffled.forEach((row, i) => examples.push({ ...row, cls, split: i < validation ? 'validation' : 'train' }));
    cls.validation = validation;
    cls.train = shuffled.length - validation;
    classes.push(cls);
  }
  examples.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : classKey(a) < classKey(b) ? -1 : 1));
  return { classes, examples };
}

const csvCell = (value: string | number) => {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function writeCsv(dir: string, examples: Example[]): void {
  const header = ['path', 'label_id', 'label_name', 'source', 'score', 'model', 'split'];
  const lines = examples.map((e) =>
    [e.path, e.id, e.name, e.source, e.score, e.modelId ?? '', e.split].map(csvCell).join(','),
  );
  writeFileSync(join(dir, 'labels.csv'), [header.join(','), ...lines].join('\n') + '\n');
}

function writeJsonl(dir: string, examples: Example[], source: ExportSource): void {
  const byPhoto = new Map<number, Example[]>();
  for (const example of examples) byPhoto.set(example.photoId, [...(byPhoto.get(example.photoId) ?? []), example]);
  const lines = [...byPhoto.values()].map((group) => {
    const first = group[0]!;
    const tag = (t: { kind: string; id: string; name: string }) => ({
      kind: t.kind,
      id: t.id,
      name: t.name,
      ...(isWordNetId(t.id) ? { wordnet: t.id } : {}),
    });
    return JSON.stringify({
      path: first.path,
      split: first.split,
      labels: group.map((e) => ({ ...tag(e), source: e.source, score: e.score })),
      negatives: source.corrections.rejectedOf(first.photoId).map(tag),
      model: first.modelId ? { id: first.modelId, version: first.modelVersion } : null,
    });
  });
  writeFileSync(join(dir, 'labels.jsonl'), lines.join('\n') + (lines.length ? '\n' : ''));
}

/**
 * One image of an ImageFolder export. Asynchronous file calls, so a long export lets the process go on answering
 * (the progress events, the UI) between photos.
 */
async function writeImage(example: Example, target: string, options: ExportOptions): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  if (options.resize) {
    const decoded = await decodePhoto(example.path, options.resize);
    await writeFile(target, await makeThumbnail(decoded, options.resize, 90));
    return;
  }
  if (options.link) {
    try {
      await link(example.path, target);
      return;
    } catch {
      // Another file system (or no hard links there): copy instead.
    }
  }
  await copyFile(example.path, target);
}

async function writeImageFolder(
  dir: string,
  examples: Example[],
  options: ExportOptions,
  skipped: ExportManifest['skipped'],
) {
  let done = 0;
  for (const example of examples) {
    const name = `${example.photoId}-${basename(example.path, extname(example.path))}`;
    const target = join(
      dir,
      example.split,
      example.cls.folder,
      `${name}${options.resize ? '.jpg' : extname(example.path)}`,
    );
    try {
      await writeImage(example, target, options);
    } catch (error) {
      skipped.push({ path: example.path, reason: (error as Error).message });
      example.cls[example.split]--;
    }
    options.onProgress?.(++done, examples.length);
  }
}

const isInside = (child: string, parent: string) => {
  const path = relative(parent, child);
  return path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
};

/**
 * Refuses an output folder that would feed the export back into the library (inside one of its folders), or one
 * that replacing would destroy more than a dataset with: a folder holding a library folder, the library itself,
 * or the home folder.
 */
function refuseLibraryPlaces(out: string, source: ExportSource): void {
  for (const folder of source.folders) {
    if (isInside(out, folder)) {
      throw new ExportRefusedError(
        `${out} is inside the library folder ${folder}: the exported photos would join the library. Choose a folder outside it.`,
      );
    }
    if (isInside(folder, out))
      throw new ExportRefusedError(`${out} holds the library folder ${folder}; choose another folder.`);
  }
  if ([source.libraryPath, source.thumbnailsDir].some((path) => isInside(path, out))) {
    throw new ExportRefusedError(`${out} holds the Phototag library itself; choose another folder.`);
  }
  if (isInside(homedir(), out)) {
    throw new ExportRefusedError(`${out} holds your home folder; choose a folder for the dataset inside it.`);
  }
}

/** The nearest existing path on the way to `out` has to be a folder, or there is nowhere to put the export. */
function refuseFileInTheWay(out: string): void {
  const file = fileInTheWay(out);
  if (file) throw new ExportRefusedError(`${file} is a file, not a folder.`);
}

/** Recognised by the manifest every export writes: it is the only kind of folder an export may replace. */
function isPhototagExport(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Partial<ExportManifest>;
    return typeof manifest.createdBy === 'string' && manifest.createdBy.startsWith(`${APP_NAME} `);
  } catch {
    return false;
  }
}

/** An export goes into a new or empty folder, or replaces a previous export when allowed; never anything else. */
function checkOutFolder(out: string, source: ExportSource, overwrite: boolean): void {
  refuseLibraryPlaces(out, source);
  refuseFileInTheWay(out);
  if (!existsSync(out) || readdirSync(out).length === 0) return;
  if (!isPhototagExport(out)) {
    throw new ExportRefusedError(
      `${out} holds files that are not a Phototag export (it has no manifest.json written by Phototag), and an ` +
        'export only ever replaces an earlier export; choose a new or empty folder.',
    );
  }
  if (!overwrite) {
    throw new ExportExistsError(`${out} already holds a Phototag export; choose another folder or allow replacing it.`);
  }
}

/**
 * Exports the corrections (and, optionally, confident machine labels) as a dataset to retrain a model. The export
 * is deterministic (same library and options, same bytes), self-describing (manifest.json: counts per class and
 * split, options, source library), and atomic: it is built in `<out>.partial-<pid>` and renamed into place at the
 * end, so an interrupted export never leaves a folder that looks complete.
 */
export async function exportDataset(source: ExportSource, options: ExportOptions): Promise<ExportManifest> {
  const out = resolve(options.out);
  checkOutFolder(out, source, options.overwrite);
  const wanted = options.classes?.length ? chosenClasses(options.classes, source.knownTags()) : undefined;
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  for (const stale of readdirSync(parent).filter((name) => name.startsWith(`${basename(out)}.partial-`))) {
    rmSync(join(parent, stale), { recursive: true, force: true });
  }
  const staging = `${out}.partial-${process.pid}`;
  mkdirSync(staging);
  try {
    const rows = markSuggested(source.corrections.examples(options.includeModelAbove), source.acceptedSuggestions());
    const { classes, examples } = plan(rows, wanted, options);
    const skipped: ExportManifest['skipped'] = [];
    switch (options.format) {
      case 'imagefolder':
        await writeImageFolder(staging, examples, options, skipped);
        break;
      case 'csv':
        writeCsv(staging, examples);
        options.onProgress?.(examples.length, examples.length);
        break;
      case 'jsonl':
        writeJsonl(staging, examples, source);
        options.onProgress?.(examples.length, examples.length);
        break;
    }
    const { out: _out, overwrite: _overwrite, onProgress: _onProgress, ...recorded } = options;
    const manifest: ExportManifest = {
      format: options.format,
      createdBy: `${APP_NAME} ${versionInfo().version}`,
      library: source.libraryPath,
      options: recorded,
      photos: new Set(examples.map((e) => e.photoId)).size,
      examples: examples.length - skipped.length,
      classes,
      skipped,
    };
    writeFileSync(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    const previous = `${out}.old-${process.pid}`;
    if (existsSync(out)) renameSync(out, previous);
    renameSync(staging, out);
    rmSync(previous, { recursive: true, force: true });
    return manifest;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
