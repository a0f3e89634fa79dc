import { existsSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { errorCode, fileInTheWay, isFolder } from '../file-errors.js';
import type { SuggestedFilter, SuggestedTag } from '../api/contract.js';
import { MIN_LABEL_EXAMPLES } from '../features/label-learner.js';
import {
  duplicateGroups,
  similarPhotos,
  suggestedPhotos,
  suggestedSearchHits,
  suggestedTags,
} from '../features/photo-similarity.js';
import * as ort from '../classifier/onnxruntime.js';
import { providerStates } from '../classifier/execution-providers.js';
import sharp from 'sharp';
import { categoryDetail, type XmpSettings } from '../api/contract.js';
import type { Folder, Hit, ListedPhoto, PhotoRow, SearchHit } from '../db/photo-repository.js';
import { folderJoinNote, Library, type FolderJoin } from '../library/library.js';
import { nothingFound } from '../library/tag-search.js';
import { pullModel } from '../models/model-download.js';
import { defaultDatabasePath } from '../db/database.js';
import { demoMark, findModel } from '../models/model-catalog.js';
import { isUnder } from '../library/folder-rules.js';
import { versionInfo } from '../version.js';
import type { XmpWriteSummary } from '../xmp/xmp-sync.js';
import { isOwnLabel, type CorrectionAction } from '../db/correction-repository.js';
import { ApiService } from '../api/api-service.js';
import {
  exportDataset,
  ExportExistsError,
  exportSourceOf,
  type ExportFormat,
  type ExportOptions,
} from '../export/dataset-export.js';
import { UsageError } from './usage-error.js';
import { commandHelp, isCommand, overview, unknownCommand, type CommandName } from './command-syntax.js';
import {
  byteSize,
  duration,
  jsonElement,
  linesText,
  percent,
  printable,
  progressText,
  StatusLine,
  writeEach,
  writeJson,
  writeJsonArray,
  writeJsonElements,
  writeLines,
  writeLinesOf,
} from './terminal.js';

export interface CommandContext {
  args: string[];
  /** suggestions, similar: at most this many photos. */
  limit: number;
  dbPath?: string;
  modelId?: string;
  json: boolean;
  minScore: number;
  /** search: whether photos a searched label is only suggested on are listed too, or alone. */
  suggested: SuggestedFilter;
  /** serve: where to listen. */
  port?: number;
  host?: string;
  /** models pull: the models folder to install into. */
  into?: string;
  label: { confirm?: string; reject?: string; add?: string; replace?: string; remove?: string };
  /** label: correct every photo of a folder named, without asking. */
  all: boolean;
  /** models use: switch to a demonstration model without asking. */
  yes: boolean;
  /** xmp enable: what to write. */
  xmp: { threshold?: number; intoFiles: boolean; overwriteOriginal: boolean };
  export: Omit<ExportOptions, 'format' | 'out' | 'overwrite' | 'onProgress'> & {
    format?: ExportFormat;
    out?: string;
    force: boolean;
  };
}

type Command = (context: CommandContext) => Promise<number>;

/** Whether the action takes the user's word back: a removal, or an own label rejected (see CorrectionRepository). */
const takesBack = (action: CorrectionAction) =>
  action.type === 'remove' || (action.type === 'reject' && isOwnLabel(action.tag));

const LABEL_VERBS = {
  confirm: ['Confirmed', 'Confirm'],
  reject: ['Rejected', 'Reject'],
  add: ['Added', 'Add'],
  remove: ['Removed', 'Remove'],
  replace: ['Replaced', 'Replace'],
} as const;

/** "Confirmed Macaw", "Removed Rex", "Replaced Hotdog with Lunch": what a label command did, or asks to do. */
function correctionText(action: CorrectionAction, mood: 'done' | 'asked'): string {
  const verb = (type: keyof typeof LABEL_VERBS) => LABEL_VERBS[type][mood === 'done' ? 0 : 1];
  if (action.type === 'replace') return `${verb('replace')} ${action.from.name} with ${action.to.name}`;
  return `${verb(takesBack(action) ? 'remove' : action.type)} ${action.tag.name}`;
}

const out = (...lines: string[]) => writeLines(process.stdout, ...lines);
const err = (...lines: string[]) => writeLines(process.stderr, ...lines);

const onTerminal = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

/** Asks on the terminal; anywhere else (a pipe, a script) the answer is no. */
async function askYesNo(question: string): Promise<boolean> {
  if (!onTerminal()) return false;
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${printable(question)} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/**
 * Goes on with a step the user should agree to: when its option (`--force`, `--all`, `--yes`) was given, or when
 * the user says yes on a terminal. Otherwise it stops, with `why` and, without a terminal to ask on, the option.
 */
async function agreed(question: string, option: { name: string; given: boolean }, why: string): Promise<void> {
  if (option.given) return;
  if (!onTerminal()) throw new Error(`${why} Run it again with ${option.name} to go ahead.`);
  if (!(await askYesNo(question))) throw new Error(`${why} Nothing was changed.`);
}

/**
 * Runs a command on the library. A command that only reads it opens it read-only: it works on a library it may
 * not write to, and changes nothing in it (no migration, no recovery of an interrupted run). Only a command that
 * 'creates' (tag, watch, serve) makes a new library, and says so; the others refuse a --db where there is none,
 * so that a mistyped path is not taken for an empty library.
 */
async function withLibrary<T>(
  context: CommandContext,
  access: 'reads' | 'writes' | 'creates',
  use: (library: Library) => Promise<T>,
): Promise<T> {
  const file = resolve(context.dbPath ?? defaultDatabasePath());
  const created = !existsSync(file);
  if (created && access !== 'creates' && context.dbPath !== undefined) {
    throw new Error(`No library at ${file}: check the --db path, or create one with "phototag tag <folder>".`);
  }
  refuseLibraryPath(file);
  const library = openLibrary(file, context.modelId, access === 'reads');
  try {
    const result = await use(library);
    if (created && access === 'creates') err(`Created a new library at ${file}.`);
    return result;
  } finally {
    await library.close();
  }
}

/**
 * A --db that no library can be made at, said as such rather than as SQLite's "unable to open database file" (a
 * folder given as the library is refused by openDatabase, for every caller).
 */
function refuseLibraryPath(file: string): void {
  const blocker = fileInTheWay(dirname(file));
  if (blocker) throw new Error(`${blocker} is a file, not a folder, so no library can be made at ${file}.`);
}

function openLibrary(file: string, modelId: string | undefined, readonly: boolean): Library {
  try {
    return Library.open({ dbPath: file, modelId, readonly });
  } catch (error) {
    // SQLite's own words name no file.
    if (errorCode(error) !== 'SQLITE_NOTADB') throw error;
    throw new Error(`${file} is not a Phototag library: it is no SQLite database.`);
  }
}

/**
 * The JSON contract of `show --json` and `search --json`, one element per photo; a search hit's `score`, and its
 * `source` when it is only suggested, come last. A key left undefined is no key in JSON.stringify's text: every
 * element has one shape, which V8 makes and writes faster than objects built of spreads, with the same bytes.
 */
export function photoJson(photo: ListedPhoto, suggested?: SuggestedTag[], hit?: { score: number }) {
  return {
    path: photo.path,
    model: photo.modelId,
    // The effective-tag rows already have exactly the contract's shape: id, name, score, source.
    labels: photo.labels,
    categories: photo.categories,
    faces: photo.faces,
    // Learned labels, apart from the tags: a suggestion is not a tag until the user says yes.
    suggested,
    error: photo.error || undefined,
    score: hit?.score,
    source: hit && suggested ? ('suggested' as const) : undefined,
  };
}

/** A tag's weight in text: the model's confidence, or "(yours)" for the user's own word, which is no score. */
const weight = (source: string, score: number) => (source === 'user' ? '(yours)' : percent(score));

function photoLines(photo: ListedPhoto): [string, string] {
  if (photo.status === 'failed') return [photo.path, `  failed: ${photo.error}`];
  if (photo.status !== 'done') return [photo.path, `  not tagged yet (${photo.status})`];
  const categories = photo.categories.slice(0, 3).map((c) => {
    const detail = categoryDetail(c.id, photo.labels, photo.faces);
    return `${c.name}${detail ? ` · ${detail.name}` : ''} ${weight(c.source, detail?.score ?? c.score)}`;
  });
  const labels = photo.labels.map((l) => `${l.name} ${weight(l.source, l.score)}`);
  return [photo.path, `  ${[categories.join(', '), labels.join(', ')].filter(Boolean).join('  |  ')}`];
}

/**
 * The photos and folders to read, each once and in the library's path order: one given below another is read with
 * it. A folder's photos all sort right after its path and a separator, a photo at its path, so reading these one
 * after another gives the order one query over all of them would (SQLite compares bytes, and so does this).
 */
function inPathOrder(library: Library, paths: string[]): string[] {
  const distinct = [...new Set(paths)];
  return distinct
    .filter((path) => !distinct.some((other) => other !== path && isUnder(path, other)))
    .map((path) => ({ path, key: Buffer.from(library.repo.photoByPath(path) ? path : path + sep) }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ path }) => path);
}

/**
 * Adds, scans and tags; the photos of these folders that failed decide the exit code. `holder` names this command
 * to another Phototag that finds the library busy.
 */
async function tagFolders(library: Library, folders: string[], holder: string): Promise<number> {
  if (folders.length === 0) throw new UsageError('Name at least one folder to tag.');
  // Before anything is added or scanned: a library that another Phototag is tagging is left as it is.
  library.claimTagging(holder, 'add the folder there');
  const joins: FolderJoin[] = [];
  // One after the other: a folder named after one that holds it is inside it.
  for (const folder of folders) joins.push(await library.joinFolder(folder));
  for (const note of joins.map(folderJoinNote)) if (note) out(note);
  // Each library folder once: two of the folders named may be in the same one.
  const added = [...new Map(joins.map(({ folder }) => [folder.id, folder])).values()];
  const status = new StatusLine();
  status.show('Scanning...');
  let found = 0;
  let reread = 0;
  for (const folder of added) {
    const scan = await library.scan(folder, (count) =>
      status.show(`Scanning... keywords read again for ${(reread + count).toLocaleString('en')} photos`),
    );
    found += scan.found;
    reread += scan.rereadKeywords;
    for (const problem of scan.problems) {
      status.clear();
      err(`warning: ${problem.message}`);
    }
  }
  // Loaded here, before Ctrl+C is taken over, and only when a photo waits to be tagged (see Library.tag).
  const info = library.hasQueue() ? await library.classifierInfo() : undefined;
  const onProgress = (progress: Parameters<typeof progressText>[0]) =>
    status.show(progressText(progress, status.width));
  library.on('progress', onProgress);
  // A photo tagged all the same, with a word on it: a sidecar whose keywords could not be read.
  const onWarning = (message: string) => {
    status.clear();
    err(`warning: ${message}`);
  };
  library.on('warning', onWarning);
  const interrupt = () => library.tagging?.cancel();
  process.once('SIGINT', interrupt);
  const summary = await library.tag().finally(() => {
    process.off('SIGINT', interrupt);
    library.off('progress', onProgress);
    library.off('warning', onWarning);
    status.clear();
  });
  const failed = listFailures(library, added);
  const model = info
    ? `model ${info.modelId}, execution provider ${info.provider.used}`
    : `model ${library.activeModel().manifest.id} (not loaded: nothing to tag)`;
  out(
    `${summary.cancelled ? 'Interrupted' : 'Done'}: ${found} photos found, ${summary.tagged} tagged, ` +
      `${summary.failed} failed this run in ${duration(summary.seconds)} ` +
      `(${summary.photosPerSecond.toFixed(1)} photos/s), ${model}.`,
  );
  if (reread > 0) {
    out(`Keywords read again for ${reread} photo${reread === 1 ? '' : 's'} whose XMP sidecar changed, not re-tagged.`);
  }
  if (summary.cancelled) return 1;
  return failed > 0 ? 1 : 0;
}

/** Failures named on the terminal after a run; the rest are counted (show gives each one's reason). */
const LISTED_FAILURES = 20;

/** Names the first failed photos of the folders, each with its reason, and returns how many failed in all. */
function listFailures(library: Library, folders: Folder[]): number {
  let failed = 0;
  let listed = 0;
  for (const folder of new Map(folders.map((folder) => [folder.id, folder])).values()) {
    const { count, first } = library.repo.failures(folder.id, LISTED_FAILURES - listed);
    for (const photo of first) err(`failed: ${photo.error}`);
    failed += count;
    listed += first.length;
  }
  if (failed > listed) {
    err(`...and ${failed - listed} more photos failed; "phototag show <folder>" gives each one's reason.`);
  }
  return failed;
}

export const commands: Record<CommandName, Command> = {
  help: async (context) => {
    const [name, ...extra] = context.args;
    if (extra.length) throw new UsageError('help takes one command at most.');
    if (name !== undefined && !isCommand(name)) throw unknownCommand(name);
    out(...(name === undefined ? overview() : commandHelp(name)));
    return 0;
  },

  tag: (context) => withLibrary(context, 'creates', (library) => tagFolders(library, context.args, 'phototag tag')),

  watch: (context) =>
    withLibrary(context, 'creates', async (library) => {
      await tagFolders(library, context.args, 'phototag watch');
      library.on('warning', (message) => err(`warning: ${message}`));
      const status = new StatusLine();
      library.on('progress', (progress) => {
        if (progress.state === 'idle') status.clear();
        else status.show(progressText(progress, status.width));
      });
      await library.watch();
      out(`Watching ${context.args.length} folder(s) (${library.watchMode}); press Ctrl+C to stop.`);
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
      status.clear();
      return 0;
    }),

  show: (context) =>
    withLibrary(context, 'reads', async (library) => {
      if (context.args.length === 0) throw new UsageError('Name at least one photo or folder to show.');
      const paths = context.args.map((arg) => resolve(arg));
      const unknown = paths.filter((path) => !library.repo.hasPhotosUnder(path));
      let failed = false;
      // A batch of rows at a time, their tags read as they are written: a whole library is never held at once.
      function* photos() {
        for (const root of inPathOrder(library, paths)) {
          for (const photo of library.repo.eachTaggedPhotoUnder(root)) {
            failed ||= photo.status === 'failed';
            yield photo;
          }
        }
      }
      if (context.json) {
        const suggested = await suggestedTags(library, null);
        await writeJsonArray(photos(), (photo) => photoJson(photo, suggested.get(photo.id) ?? []));
      } else await writeLinesOf(photos(), photoLines);
      for (const path of unknown) err(`phototag: ${path} is not in the library; add its folder with "phototag tag".`);
      return unknown.length > 0 || failed ? 1 : 0;
    }),

  search: (context) =>
    withLibrary(context, 'reads', async (library) => {
      const [query, ...extra] = context.args;
      if (!query || extra.length) throw new UsageError('search takes one tag (a label or category, e.g. "Dog").');
      // Each hit as the text written of it, made as its chunk is read (see photosCarrying).
      const json = (hit: SearchHit & { suggested?: SuggestedTag[] }) =>
        jsonElement(photoJson(hit.photo, hit.suggested, hit));
      const line = (hit: Hit<Pick<ListedPhoto, 'path'>> & { suggested?: SuggestedTag[] }) =>
        linesText([
          `${percent(hit.score).padStart(4)}  ${hit.photo.path}` +
            (hit.suggested ? `  (suggested: ${hit.suggested.map((tag) => tag.name).join(', ')})` : ''),
        ]);
      const { tags, photos } = library.searchTags(query, context.minScore, json);
      if (tags.length === 0) throw new Error(nothingFound(query, tags, context.minScore));
      const suggested =
        context.suggested === 'exclude' ? [] : await suggestedSearchHits(library, tags, context.minScore);
      // A line says a hit's score and path alone: its tags are not read.
      const carrying = context.json ? photos : library.repo.rowsCarrying(tags, context.minScore, line);
      let found = 0;
      // A chunk of rows at a time, their tags read as they are written: a million hits are never held at once. The
      // photos a label is suggested on (a few thousand at most) come after those carrying it.
      const hits = function* (): Generator<string> {
        for (const hit of context.suggested === 'only' ? [] : carrying) {
          found++;
          yield hit;
        }
        for (const hit of suggested) {
          found++;
          yield context.json ? json(hit) : line(hit);
        }
      };
      await (context.json ? writeJsonElements(hits()) : writeEach(hits()));
      if (found === 0) err(nothingFound(query, tags, context.minScore));
      return 0;
    }),

  models: (context) =>
    // Only "use" changes the library; "pull" writes to the models folder.
    withLibrary(context, context.args[0] === 'use' ? 'writes' : 'reads', async (library) => {
      const [action, id, ...extra] = context.args;
      if (extra.length) throw new UsageError(`Too many arguments for models ${action}.`);
      switch (action) {
        case 'list': {
          const models = library.models();
          const active = (() => {
            try {
              return library.activeModel().manifest.id;
            } catch {
              return undefined;
            }
          })();
          const rows = models.map((model) => ({
            id: model.manifest.id,
            name: model.manifest.name,
            labelSet: model.manifest.labelSet,
            size: model.manifest.size,
            status: model.installed ? (model.embedded ? 'embedded' : 'installed') : 'available',
            role: model.manifest.role,
            active: model.manifest.id === active,
            ...(model.manifest.demo
              ? { demo: model.manifest.demo, demoMark: demoMark(model, library.modelDirs.embedded) }
              : {}),
          }));
          if (context.json) await writeJsonArray(rows, (row) => row);
          else {
            for (const row of rows) {
              out(
                `${row.active ? '*' : row.role === 'specialist' ? '+' : row.demo ? '!' : ' '} ${row.id.padEnd(28)} ` +
                  `${row.status.padEnd(10)} ${byteSize(row.size).padStart(8)}  ${row.name}${row.demoMark ? ` (${row.demoMark})` : ''}`,
              );
            }
            out(
              '',
              '* tags this library. Download one with "phototag models pull <id>", choose with "phototag models use <id>".',
              '+ a specialist: it adds detail (species) to what the library model finds, on every library.',
              ...[...new Set(rows.flatMap((row) => row.demo ?? []))].map((note) => `! (demo) ${note}`),
            );
          }
          return 0;
        }
        case 'pull': {
          if (!id) throw new UsageError('models pull takes a model id (see "phototag models list").');
          const entry = findModel(library.models(), id);
          if (entry.installed && !entry.embedded && !context.into) {
            out(`${id} is already installed in ${entry.dir}.`);
            return 0;
          }
          const into = context.into && resolve(context.into);
          const blocker = into && fileInTheWay(into);
          if (blocker) throw new Error(`${blocker} is a file, not a folder: --into takes a models folder.`);
          const status = new StatusLine();
          const installed = await pullModel(entry, {
            userDir: into || library.modelDirs.user,
            onProgress: (p) => status.show(`Downloading ${id}: ${byteSize(p.received)} of ${byteSize(p.total)}`),
          }).finally(() => status.clear());
          out(`Installed ${id} (${byteSize(installed.manifest.size)}, sha256 verified) in ${installed.dir}.`);
          return 0;
        }
        case 'use': {
          if (!id) throw new UsageError('models use takes a model id (see "phototag models list").');
          const { demo } = findModel(library.models(), id).manifest;
          if (demo) {
            await agreed(
              `${demo} Tag this library with ${id} all the same?`,
              { name: '--yes', given: context.yes },
              demo,
            );
          }
          // Another Phototag tagging now goes on with the model it loaded: the library would say one, its photos another.
          library.claimTagging('phototag models use');
          const entry = library.useModel(id, { demoAgreed: true });
          out(`This library now tags with ${entry.manifest.id}; the next "phototag tag" re-tags every photo with it.`);
          return 0;
        }
        default:
          throw new UsageError('models takes "list", "pull <id>" or "use <id>".');
      }
    }),

  label: (context) =>
    withLibrary(context, 'writes', async (library) => {
      const { confirm, reject, add, replace, remove } = context.label;
      const given = [confirm, reject, add, replace, remove].filter((value) => value !== undefined);
      if (given.length !== 1) {
        throw new UsageError('label takes one of --confirm, --reject, --add, --replace or --remove.');
      }
      const targets = replace !== undefined ? context.args.slice(0, -1) : context.args;
      const replacement = replace !== undefined ? context.args.at(-1) : undefined;
      if (targets.length === 0 || (replace !== undefined && context.args.length < 2)) {
        throw new UsageError('label takes the photos to correct (and for --replace, the new label after them).');
      }
      const action: CorrectionAction =
        replace !== undefined
          ? { type: 'replace', from: library.resolveTag(replace), to: library.resolveTag(replacement!, true) }
          : confirm !== undefined
            ? { type: 'confirm', tag: library.resolveTag(confirm) }
            : reject !== undefined
              ? { type: 'reject', tag: library.resolveTag(reject) }
              : remove !== undefined
                ? { type: 'remove', tag: library.resolveTag(remove) }
                : { type: 'add', tag: library.resolveTag(add!, true) };
      const what = correctionText(action, 'done');
      const on = takesBack(action) ? 'from' : 'on';
      const photos: PhotoRow[] = [];
      for (const target of targets.map((path) => resolve(path))) {
        const found = library.repo.photosUnder(target);
        if (found.length === 0) throw new Error(`${target} is not in the library; tag its folder first.`);
        // A folder names every photo below it: that is agreed to, not taken for granted.
        if (!library.repo.photoByPath(target)) {
          const count = `${found.length} photo${found.length === 1 ? '' : 's'}`;
          await agreed(
            `${correctionText(action, 'asked')} ${on} all ${count} in ${target}?`,
            { name: '--all', given: context.all },
            `${target} is a folder of ${count}.`,
          );
        }
        photos.push(...found);
      }
      const changed = library.repo.corrections.apply(
        photos.map((photo) => photo.id),
        action,
      );
      const unchanged = photos.length - changed;
      out(
        `${what} ${on} ${changed} photo${changed === 1 ? '' : 's'}` +
          (unchanged > 0 ? ` (${unchanged} already said so).` : '.'),
      );
      return 0;
    }),

  undo: (context) =>
    withLibrary(context, 'writes', async (library) => {
      if (context.args.length) throw new UsageError('undo takes no arguments: it takes back the latest correction.');
      // The very undo of the app, so both take back the same step and say it the same way.
      const service = new ApiService(library);
      try {
        const { photoIds, message } = await service.call('undo', {});
        (photoIds.length > 0 ? out : err)(message);
        return photoIds.length > 0 ? 0 : 1;
      } finally {
        service.close();
      }
    }),

  suggestions: (context) =>
    withLibrary(context, 'reads', async (library) => {
      const [text, ...extra] = context.args;
      if (!text || extra.length) throw new UsageError('suggestions takes one label (e.g. "Rex").');
      const tag = library.resolveTag(text);
      const { index, model } = library.similarity();
      const learned = (await index.learned(model)).find((label) => label.id === tag.id);
      const { suggestions } = await suggestedPhotos(library, tag.id, context.limit);
      const rows = suggestions.map(({ photo, score }) => ({ path: photo.path, score }));
      if (context.json) await writeJsonArray(rows, (row) => row);
      else await writeLinesOf(rows, (row) => [`${percent(row.score).padStart(4)}  ${row.path}`]);
      if (!learned) {
        err(
          `Phototag has not learned ${tag.name} yet: give it to at least ${MIN_LABEL_EXAMPLES} tagged photos ` +
            '(phototag label <photo...> --add or --confirm).',
        );
      } else if (rows.length === 0) err(`No photo looks like your ${tag.name} photos enough to suggest it.`);
      return 0;
    }),

  similar: (context) =>
    withLibrary(context, 'reads', async (library) => {
      const [path, ...extra] = context.args;
      if (!path || extra.length) throw new UsageError('similar takes one photo.');
      const photo = library.repo.photoByPath(resolve(path));
      if (!photo && isFolder(resolve(path))) throw new UsageError(`${resolve(path)} is a folder, not a photo.`);
      if (!photo || photo.status === 'missing') {
        throw new Error(`${resolve(path)} is not in the library; add its folder with "phototag tag".`);
      }
      const rows = (await similarPhotos(library, photo, context.limit)).map((hit) => ({
        path: hit.photo.path,
        score: hit.score,
      }));
      if (context.json) await writeJsonArray(rows, (row) => row);
      else await writeLinesOf(rows, (row) => [`${percent(row.score).padStart(4)}  ${row.path}`]);
      return 0;
    }),

  duplicates: (context) =>
    withLibrary(context, 'reads', async (library) => {
      if (context.args.length) throw new UsageError('duplicates takes no arguments.');
      const groups = (await duplicateGroups(library)).map((group) => group.map((photo) => photo.path));
      if (context.json) await writeJsonArray(groups, (group) => group);
      else {
        await writeLinesOf(groups, ([best, ...copies]) => [
          `${best}  (keep: the most pixels, then the largest file)`,
          ...copies,
          '',
        ]);
        if (groups.length === 0) err('No two photos of the library are the same picture.');
      }
      return 0;
    }),

  corrections: (context) =>
    withLibrary(context, 'reads', async (library) => {
      if (context.args.length) throw new UsageError('corrections takes no arguments.');
      const corrections = library.repo.corrections.list();
      if (context.json) {
        await writeJsonArray(corrections, (c) => ({ ...c, createdAt: new Date(c.createdAt).toISOString() }));
      } else {
        for (const c of corrections) {
          const was = c.model ? ` (the model said ${percent(c.model.score)})` : '';
          out(
            `${new Date(c.createdAt).toISOString().slice(0, 16).replace('T', ' ')}  ${c.kind.padEnd(7)}  ${c.tag.name}${was}  ${c.path}`,
          );
        }
        if (corrections.length === 0) err('No corrections yet; correct labels with "phototag label" or in the app.');
      }
      return 0;
    }),

  export: (context) =>
    withLibrary(context, 'reads', async (library) => {
      const { format, out: folder, force, ...options } = context.export;
      if (!format || !folder) throw new UsageError('export takes --format imagefolder|csv|jsonl and --out <dir>.');
      const status = new StatusLine();
      const run = (overwrite: boolean) =>
        exportDataset(exportSourceOf(library), {
          ...options,
          format,
          out: folder,
          overwrite,
          onProgress: (done, total) => status.show(`Exporting ${done}/${total}`),
        }).finally(() => status.clear());
      let manifest;
      try {
        manifest = await run(force);
      } catch (error) {
        if (!(error instanceof ExportExistsError)) throw error;
        const question = `${resolve(folder)} holds an earlier Phototag export. Replace it?`;
        await agreed(question, { name: '--force', given: false }, error.message);
        manifest = await run(true);
      }
      for (const cls of manifest.classes) {
        out(
          `${cls.name.padEnd(28)} ${String(cls.train).padStart(6)} train ${String(cls.validation).padStart(6)} validation`,
        );
      }
      for (const skipped of manifest.skipped) err(`skipped: ${skipped.path}: ${skipped.reason}`);
      out(
        `Exported ${manifest.examples} examples of ${manifest.classes.length} classes from ${manifest.photos} photos ` +
          `to ${resolve(folder)} (${format}).`,
      );
      if (manifest.classes.length === 0)
        err('Nothing to export yet: correct some labels first, or use --include-model-above.');
      return 0;
    }),

  serve: (context) =>
    withLibrary(context, 'creates', async (library) => {
      if (context.args.length) throw new UsageError('serve takes no arguments; add folders in the web interface.');
      const { startWebServer } = await import('../web/web-server.js');
      // Before starting: the engine's first warnings (a library folder it skips) come while it starts, and a stop
      // asked for then is a clean one too, once the server is up (closing the library waits for the engine's load).
      library.on('warning', (message) => err(`warning: ${message}`));
      const stopped = new Promise<NodeJS.Signals>((stop) => {
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      const server = await startWebServer({ library, host: context.host, port: context.port });
      out(`Phototag is serving ${library.dbPath} at ${server.url}`);
      out('Open that link: every request needs the token it carries, which changes every time serve starts.');
      out('Press Ctrl+C to stop.');
      const signal = await stopped;
      err(`Stopping (${signal})...`);
      await server.close();
      return 0;
    }),

  doctor: (context) =>
    withLibrary(context, 'reads', async (library) => {
      const model = library.activeModel();
      const info = await library.classifierInfo();
      const providers = providerStates(info.provider);
      const usable = providers.filter(({ state }) => state === 'in use' || state === 'available');
      const report = {
        phototag: versionInfo().version,
        node: process.versions.node,
        platform: `${process.platform}/${process.arch}`,
        onnxruntime: ort.env.versions.common,
        sharp: sharp.versions.sharp,
        libvips: sharp.versions.vips,
        database: library.dbPath,
        modelsFolder: library.modelDirs.user,
        model: `${model.manifest.id} (${model.manifest.name})`,
        executionProviders: {
          available: usable.map(({ name }) => name),
          inUse: info.provider.used,
          tried: info.provider.attempts.map((a) => (a.reason ? `${a.name}: ${a.reason}` : `${a.name}: ok`)),
          providers,
        },
        threads: info.threads,
        photos: library.repo.counts(),
      };
      if (context.json) {
        writeJson(report);
        return 0;
      }
      const { executionProviders, photos, ...versions } = report;
      const line = (key: string, value: string) => out(`${key.padEnd(22)} ${value}`);
      // "modelsFolder" reads "models folder": the text is for people, the keys for --json.
      const words = (key: string) => key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
      for (const [key, value] of Object.entries(versions)) line(words(key), String(value));
      line('execution provider', `${executionProviders.inUse}`);
      for (const { name, state, reason } of providers) line(`  ${name}`, reason ? `${state}: ${reason}` : state);
      const { total, ...byStatus } = photos;
      const counts = Object.entries(byStatus).map(([status, n]) => `${n} ${status}`);
      line('photos', `${total} in all: ${counts.join(', ')}`);
      return 0;
    }),

  xmp: (context) =>
    // Only the setting changes the library: writing XMP reads it.
    withLibrary(context, ['enable', 'disable'].includes(context.args[0] ?? '') ? 'writes' : 'reads', (library) =>
      xmpCommand(library, context),
    ),
};

/** phototag xmp enable | disable | write <folder...> | status. */
async function xmpCommand(library: Library, context: CommandContext): Promise<number> {
  const [action, ...folders] = context.args;
  if (action !== 'write' && folders.length) throw new UsageError(`xmp ${action} takes no folders.`);
  switch (action) {
    case 'enable': {
      const { threshold, intoFiles, overwriteOriginal } = context.xmp;
      const { settings } = library.xmp.configure({
        enabled: true,
        ...(threshold !== undefined ? { threshold } : {}),
        intoFiles,
        keepOriginal: !overwriteOriginal,
      });
      out(`Writing tags to XMP: ${xmpSettingsText(settings)}.`);
      return xmpSummaryLines(await library.xmp.flush());
    }
    case 'disable':
      library.xmp.configure({ enabled: false });
      out('Tags are no longer written to XMP; the sidecars already written stay as they are.');
      return 0;
    case 'write': {
      if (folders.length === 0) throw new UsageError('xmp write takes the folders whose photos to write.');
      const photos = folders.flatMap((folder) => {
        const found = library.repo.photosUnder(resolve(folder));
        if (found.length === 0) throw new Error(`${resolve(folder)} is not in the library; tag it first.`);
        return found;
      });
      return xmpSummaryLines(await library.xmp.write(photos));
    }
    case 'status': {
      const status = library.xmp.status();
      if (context.json) writeJson(status);
      else {
        out(status.settings.enabled ? `On: ${xmpSettingsText(status.settings)}.` : 'Off.');
        out(`${photos(status.pending)} waiting for their XMP to be written.`);
      }
      return 0;
    }
    default:
      throw new UsageError('xmp takes "enable", "disable", "write <folder...>" or "status".');
  }
}

function xmpSettingsText(settings: XmpSettings): string {
  const into = settings.intoFiles
    ? `, and into the photo files${settings.keepOriginal ? ' (keeping each original as <name>_original)' : ''}`
    : '';
  return `your tags and the model's from ${percent(settings.threshold)}, in a sidecar beside each photo${into}`;
}

const photos = (count: number) => `${count} photo${count === 1 ? '' : 's'}`;

/** Prints what a write did; a file that could not be written makes the exit code 1. */
function xmpSummaryLines(summary: XmpWriteSummary): number {
  for (const failure of summary.failed) err(`failed: ${failure.message}`);
  const { written, unchanged, failed, sidecarOnly } = summary;
  out(`XMP written for ${photos(written)}, ${unchanged} unchanged, ${failed.length} failed.`);
  if (sidecarOnly.length > 0) {
    const formats = [...new Set(sidecarOnly)].sort().join(', ');
    const one = sidecarOnly.length === 1;
    out(
      `${photos(sidecarOnly.length)} (${formats}) ${one ? 'has its' : 'have their'} tags in ` +
        `${one ? 'its sidecar' : 'their sidecars'} only: Phototag writes into JPEG, TIFF, HEIC and DNG files.`,
    );
  }
  return failed.length > 0 ? 1 : 0;
}
