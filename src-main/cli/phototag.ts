import { join, resolve } from 'node:path';
import { packageRoot } from '../app-paths.js';
import { DEFAULT_MIN_SCORE, SUGGESTED_FILTERS, type SuggestedFilter } from '../api/contract.js';
import type { CommandContext } from './commands.js';
import { EXPORT_FORMATS, type ExportFormat } from '../export/dataset-export.js';
import { UsageError } from './usage-error.js';
import { commandHelp, overview, parseCommandLine, usageLines, type CommandName } from './command-syntax.js';
import { writeLines } from './terminal.js';
import { fileErrorSentence } from '../file-errors.js';

/** A numeric option within [min, max], or undefined when it was not given. */
function numberOption(value: string | undefined, name: string, min: number, max: number, integer = false) {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !(number >= min && number <= max) || (integer && !Number.isInteger(number))) {
    throw new UsageError(`${name} takes ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
  }
  return number;
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

/** What follows a usage error: the command's usage and where to read more, or where to find the commands. */
function usageHint(command: CommandName | undefined): string[] {
  if (!command) return ["Run 'phototag help' for the commands."];
  return [...usageLines(command), `Run 'phototag ${command} --help' for more.`];
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  let given: CommandName | undefined;
  try {
    // Before anything reads a path: every relative path the user gave is relative to this folder.
    enterUserFolder();
    const { command, args, values } = parseCommandLine(argv);
    verbose = values.verbose;
    given = command;
    if (values.version) {
      const { version } = (await import('../version.js')).versionInfo();
      writeLines(process.stdout, version);
      return 0;
    }
    if (values.help) {
      writeLines(process.stdout, ...(command ? commandHelp(command) : overview()));
      return 0;
    }
    if (!command) {
      writeLines(process.stderr, ...overview());
      return 2;
    }
    const format = values.format as ExportFormat | undefined;
    if (format !== undefined && !EXPORT_FORMATS.includes(format)) {
      throw new UsageError(`--format takes ${EXPORT_FORMATS.join(', ')}.`);
    }
    const suggested = (values.suggested ?? 'exclude') as SuggestedFilter;
    if (!SUGGESTED_FILTERS.includes(suggested)) {
      throw new UsageError(`--suggested takes ${SUGGESTED_FILTERS.join(', ')}.`);
    }
    const context: CommandContext = {
      args,
      dbPath: values.db,
      modelId: values.model,
      json: values.json,
      minScore: numberOption(values['min-score'], '--min-score', 0, 1) ?? DEFAULT_MIN_SCORE,
      suggested,
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
    // Loaded only now: the engine (onnxruntime, sharp) is not needed to print help or refuse a command line.
    const { commands } = await import('./commands.js');
    return await commands[command](context);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLines(process.stderr, `phototag: ${error.message}`, ...usageHint(error.command ?? given));
      return 2;
    }
    // A file-system call's own message ("ENOTDIR: not a directory, mkdir ...") is said in words, naming the path.
    const message = fileErrorSentence(error) ?? (error as Error).message ?? String(error);
    // The message may carry a file name: it stays one escaped line, above the stack's own lines.
    const frames = verbose ? ((error as Error).stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)) : [];
    writeLines(process.stderr, `phototag: ${message}`, ...frames);
    return 1;
  }
}
