import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../app-paths.js';
import { DEFAULT_MIN_SCORE } from '../api/contract.js';
import { commands, type CommandContext } from './commands.js';
import { EXPORT_FORMATS, type ExportFormat } from '../export/dataset-export.js';
import { UsageError } from './usage-error.js';
import { writeLines } from './terminal.js';

export const USAGE = `Usage: phototag <command> [options]

Commands:
  tag <folder...>              add folders to the library, scan them and tag every photo
  watch <folder...>            tag, then keep watching the folders until interrupted (Ctrl+C)
  show <file-or-folder...>     labels and categories of photos (--json for machine-readable output)
  search <tag>                 photos carrying a label or category (--min-score S, --json)
  models list                  the models Phototag knows, and which one tags
  models pull <id>             download a model (resumable, verified by sha256)
  models use <id>              tag this library with that model from now on (a demonstration model: asks, or --yes)
  doctor                       versions, execution providers, database and model in use
  serve                        the library in a web browser: watches and tags in the background (--port, --host)
  label <photo...> --confirm <tag> | --reject <tag> | --add <name> | --replace <old> <new> | --remove <tag>
                               correct a photo's labels (tags by id or name: "n01818515", "Macaw", "Bird");
                               --remove takes your corrections of a tag back; a folder: asks, or --all
  undo                         take back the latest correction, as the app's Undo does
  corrections                  list every correction (--json)
  suggestions <label>          photos a learned own label is suggested on, best first (--limit N, --json)
  similar <photo>              the photos that look most like this one, best first (--limit N, --json)
  duplicates                   groups of photos that are the same picture, the one to keep first (--json)
  export --format imagefolder|csv|jsonl --out <dir>
                               export the corrections as a dataset to retrain a model
  xmp enable [--threshold S] [--into-files] [--overwrite-original] | disable
                               write tags to XMP sidecars (and into JPEG/TIFF/HEIC/DNG files) as they change
  xmp write <folder...>        write the photos' XMP now, as the setting says
  xmp status                   the XMP setting, and photos whose XMP waits to be written (--json)

Options:
  --db <file>        the library database (default: library.sqlite in the per-user data folder)
  --model <id>       tag with this model for this run
  --json             machine-readable output (show, search, models list, doctor)
  --min-score <S>    lowest score for search, 0 to 1 (default ${DEFAULT_MIN_SCORE}, as in the app)
  --port <N>         serve: the port to listen on (default 8417; 0 picks a free one)
  --host <H>         serve: the address to listen on (default 127.0.0.1); on any address, the browser
                     needs the access token in the link serve prints
  --limit <N>        suggestions, similar: at most N photos (default 20)
  --into <dir>       models pull: install into this models folder instead of the per-user one
                     (e.g. "models" before "npm run dist" to ship the model in the app)
  --all              label: correct every photo of a folder named, without asking
  --yes              models use: switch to a demonstration model without asking

XMP options:
  --threshold <S>            the model's tags scoring at least S are written (default 0.5); yours always are
  --into-files               also write into the photo files themselves (through ExifTool)
  --overwrite-original       with --into-files: keep no <name>_original copy of each file written

Export options:
  --include-model-above <S>  machine labels scoring at least S join the corrections (marked "model")
  --classes <a,b,...>        only these classes (ids or names)
  --min-per-class <N>        leave out classes with fewer photos (default 1)
  --validation <R>           share of each class in the validation split (default 0.2)
  --seed <N>                 seed of the split (default 1)
  --resize <PX>              imagefolder: re-encode as JPEG, longer side at most PX
  --link                     imagefolder: hard-link the originals instead of copying them
  --force                    replace an earlier Phototag export in the output folder without asking

  --verbose          show stack traces with errors
  -h, --help         this help
  -v, --version      the version

Exit codes: 0 all went well, 1 some photos failed (each is stored with its reason) or the command failed,
2 usage error.`;

/** A numeric option within [min, max], or undefined when it was not given. */
function numberOption(value: string | undefined, name: string, min: number, max: number, integer = false) {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !(number >= min && number <= max) || (integer && !Number.isInteger(number))) {
    throw new UsageError(`${name} takes ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
  }
  return number;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        model: { type: 'string' },
        json: { type: 'boolean', default: false },
        'min-score': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        into: { type: 'string' },
        limit: { type: 'string' },
        confirm: { type: 'string' },
        reject: { type: 'string' },
        add: { type: 'string' },
        replace: { type: 'string' },
        remove: { type: 'string' },
        all: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        threshold: { type: 'string' },
        'into-files': { type: 'boolean', default: false },
        'overwrite-original': { type: 'boolean', default: false },
        format: { type: 'string' },
        out: { type: 'string' },
        'include-model-above': { type: 'string' },
        classes: { type: 'string' },
        'min-per-class': { type: 'string' },
        validation: { type: 'string' },
        seed: { type: 'string' },
        resize: { type: 'string' },
        link: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The folder the user typed the command in, when npm ran it from elsewhere: npm runs a package's scripts in the
 * package's folder and passes the user's folder as INIT_CWD, so `npm run phototag -- show ./photo.jpg` means the
 * user's ./photo.jpg, not the checkout's. A script of another package (the user's own package.json) is left in that
 * package's folder, where its paths were written.
 */
function npmUserFolder(): string | undefined {
  const { INIT_CWD: folder, npm_lifecycle_event: script, npm_package_json: packageJson } = process.env;
  if (!folder || !script) return undefined;
  if (packageJson && resolve(packageJson) !== join(packageRoot(), 'package.json')) return undefined;
  return folder;
}

function enterUserFolder(): void {
  const folder = npmUserFolder();
  if (!folder) return;
  try {
    process.chdir(folder);
  } catch (error) {
    throw new Error(`Cannot work in ${folder}, the folder npm was started in: ${(error as Error).message}.`);
  }
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    // Before anything reads a path: every relative path the user gave is relative to this folder.
    enterUserFolder();
    const { values, positionals } = parse(argv);
    verbose = values.verbose;
    if (values.version) {
      const { version } = (await import('../version.js')).versionInfo();
      writeLines(process.stdout, version);
      return 0;
    }
    const [name, ...args] = positionals;
    if (values.help || !name) {
      writeLines(values.help ? process.stdout : process.stderr, ...USAGE.split('\n'));
      return values.help ? 0 : 2;
    }
    const command = commands[name];
    if (!command) throw new UsageError(`Unknown command "${name}".`);
    const format = values.format as ExportFormat | undefined;
    if (format !== undefined && !EXPORT_FORMATS.includes(format)) {
      throw new UsageError(`--format takes ${EXPORT_FORMATS.join(', ')}.`);
    }
    const context: CommandContext = {
      args,
      dbPath: values.db,
      modelId: values.model,
      json: values.json,
      minScore: numberOption(values['min-score'], '--min-score', 0, 1) ?? DEFAULT_MIN_SCORE,
      port: numberOption(values.port, '--port', 0, 65535, true),
      host: values.host,
      into: values.into,
      limit: numberOption(values.limit, '--limit', 1, 10_000, true) ?? 20,
      label: {
        confirm: values.confirm,
        reject: values.reject,
        add: values.add,
        replace: values.replace,
        remove: values.remove,
      },
      all: values.all,
      yes: values.yes,
      xmp: {
        threshold: numberOption(values.threshold, '--threshold', 0, 1),
        intoFiles: values['into-files'],
        overwriteOriginal: values['overwrite-original'],
      },
      export: {
        format,
        out: values.out,
        includeModelAbove: numberOption(values['include-model-above'], '--include-model-above', 0, 1),
        classes: values.classes
          ?.split(',')
          .map((name) => name.trim())
          .filter(Boolean),
        minPerClass: numberOption(values['min-per-class'], '--min-per-class', 1, 1e9, true) ?? 1,
        validation: numberOption(values.validation, '--validation', 0, 1) ?? 0.2,
        seed: numberOption(values.seed, '--seed', 0, 2 ** 32 - 1, true) ?? 1,
        resize: numberOption(values.resize, '--resize', 16, 100_000, true),
        link: values.link,
        force: values.force,
      },
    };
    return await command(context);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLines(process.stderr, `phototag: ${error.message}`, 'Run "phototag --help" for usage.');
      return 2;
    }
    const message = (error as Error).message ?? String(error);
    // The message may carry a file name: it stays one escaped line, above the stack's own lines.
    const frames = verbose ? ((error as Error).stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)) : [];
    writeLines(process.stderr, `phototag: ${message}`, ...frames);
    return 1;
  }
}
