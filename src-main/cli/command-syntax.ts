import { parseArgs } from 'node:util';
import { DEFAULT_MIN_SCORE } from '../api/contract.js';
import { EXPORT_FORMATS } from '../export/dataset-export.js';
import { UsageError } from './usage-error.js';

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  default?: boolean;
  /** What the value stands for, as help writes it: `--out <dir>`. */
  value?: string;
  /** One line of help. */
  help: string;
}

/**
 * Every option of the command line: the parser's configuration and the help's text are both this table, so that
 * the help lists exactly what the parser takes.
 */
export const OPTIONS = {
  db: {
    type: 'string',
    value: 'file',
    help: 'the library database (default: library.sqlite in the per-user data folder)',
  },
  model: { type: 'string', value: 'id', help: "tag with this model for this run, instead of the library's" },
  json: { type: 'boolean', default: false, help: 'machine-readable output (JSON)' },
  'min-score': {
    type: 'string',
    value: 'S',
    help: `the lowest score, 0 to 1 (default ${DEFAULT_MIN_SCORE}, as in the app)`,
  },
  port: { type: 'string', value: 'N', help: 'the port to listen on (default 8417; 0 picks a free one)' },
  host: {
    type: 'string',
    value: 'H',
    help: 'the address to listen on (default 127.0.0.1); elsewhere, browsers need the token serve prints',
  },
  into: { type: 'string', value: 'dir', help: 'pull: install into this models folder instead of the per-user one' },
  limit: { type: 'string', value: 'N', help: 'at most N photos (default 20)' },
  suggested: {
    type: 'string',
    value: 'exclude|include|only',
    help: 'photos a learned label is only suggested on: left out (default), listed too, or alone',
  },
  confirm: { type: 'string', value: 'tag', help: 'the tag is right' },
  reject: { type: 'string', value: 'tag', help: 'the tag is wrong (one of your own labels: removed)' },
  add: { type: 'string', value: 'name', help: 'add a tag: a known one, or a label of your own' },
  replace: { type: 'string', value: 'old', help: 'replace the tag <old> with <new>, named after the photos' },
  remove: { type: 'string', value: 'tag', help: 'take your corrections of the tag back' },
  all: { type: 'boolean', default: false, help: 'correct every photo of a folder named, without asking' },
  yes: { type: 'boolean', default: false, help: 'use: switch to a demonstration model without asking' },
  threshold: {
    type: 'string',
    value: 'S',
    help: "enable: the model's tags scoring at least S are written (default 0.5); yours always are",
  },
  'into-files': {
    type: 'boolean',
    default: false,
    help: 'enable: also write into the photo files themselves (through ExifTool)',
  },
  'overwrite-original': {
    type: 'boolean',
    default: false,
    help: 'with --into-files: keep no <name>_original copy of each file written',
  },
  format: { type: 'string', value: EXPORT_FORMATS.join('|'), help: 'the kind of dataset to write' },
  out: { type: 'string', value: 'dir', help: 'the folder to write it to: new, empty, or an earlier export' },
  'include-model-above': {
    type: 'string',
    value: 'S',
    help: 'machine labels scoring at least S join the corrections (marked "model")',
  },
  classes: { type: 'string', value: 'a,b,...', help: 'only these classes (ids or names)' },
  'min-per-class': { type: 'string', value: 'N', help: 'leave out classes with fewer photos (default 1)' },
  validation: { type: 'string', value: 'R', help: 'share of each class in the validation split (default 0.2)' },
  seed: { type: 'string', value: 'N', help: 'seed of the split (default 1)' },
  resize: { type: 'string', value: 'PX', help: 'imagefolder: re-encode as JPEG, longer side at most PX' },
  link: { type: 'boolean', default: false, help: 'imagefolder: hard-link the originals instead of copying them' },
  force: { type: 'boolean', default: false, help: 'replace an earlier Phototag export there without asking' },
  verbose: { type: 'boolean', default: false, help: 'show stack traces with errors' },
  help: { type: 'boolean', short: 'h', default: false, help: 'this help' },
  version: { type: 'boolean', short: 'v', default: false, help: 'the version' },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

interface CommandSpec {
  /** The command's line in the overview, after "phototag ". */
  synopsis: string;
  /** Its usage lines, after "phototag ", when the synopsis does not say it all. */
  usage?: string[];
  summary: string;
  /** The options it takes, besides those every command takes. */
  options: OptionName[];
  examples: string[];
}

/** Every command but help opens a library. */
const LIBRARY: OptionName[] = ['db', 'model'];
/** Taken by every command. */
const EVERY_COMMAND: OptionName[] = ['verbose', 'help'];
/** Taken with no command at all. */
const NO_COMMAND: OptionName[] = ['version', ...EVERY_COMMAND];

export const COMMANDS = {
  tag: {
    synopsis: 'tag <folder...>',
    summary: 'add folders to the library, scan them and tag every photo',
    options: LIBRARY,
    examples: ['phototag tag ~/Pictures', 'phototag tag ~/Pictures /media/card/DCIM --db ~/photos.sqlite'],
  },
  watch: {
    synopsis: 'watch <folder...>',
    summary: 'tag, then keep watching the folders until interrupted (Ctrl+C)',
    options: LIBRARY,
    examples: ['phototag watch ~/Pictures'],
  },
  show: {
    synopsis: 'show <file-or-folder...>',
    summary: 'labels and categories of photos',
    options: ['json', ...LIBRARY],
    examples: ['phototag show ~/Pictures/parrot.jpg', 'phototag show ~/Pictures --json > tags.json'],
  },
  search: {
    synopsis: 'search <tag>',
    summary: 'photos carrying a label or category, best first',
    options: ['min-score', 'suggested', 'json', ...LIBRARY],
    examples: [
      'phototag search dog',
      'phototag search "golden retriever" --min-score 0.5 --json',
      'phototag search Rex --suggested include',
    ],
  },
  models: {
    synopsis: 'models list|pull|use [<id>]',
    usage: ['models list', 'models pull <id>', 'models use <id>'],
    summary: 'the models Phototag knows; download one; tag this library with one',
    options: ['json', 'into', 'yes', ...LIBRARY],
    examples: ['phototag models list', 'phototag models pull resnet50-v1-int8-imagenet'],
  },
  doctor: {
    synopsis: 'doctor',
    summary: 'versions, execution providers, database and model in use',
    options: ['json', ...LIBRARY],
    examples: ['phototag doctor', 'phototag doctor --json'],
  },
  serve: {
    synopsis: 'serve',
    summary: 'the library in a web browser: watches and tags in the background',
    options: ['port', 'host', ...LIBRARY],
    examples: ['phototag serve', 'phototag serve --port 0 --db ~/photos.sqlite'],
  },
  label: {
    synopsis: 'label <photo...> --<action> <tag>',
    usage: [
      'label <photo...> --confirm <tag> | --reject <tag> | --add <name> | --remove <tag>',
      'label <photo...> --replace <old> <new>',
    ],
    summary: 'correct labels: confirm, reject, add, remove or replace a tag (by id or name)',
    options: ['confirm', 'reject', 'add', 'replace', 'remove', 'all', ...LIBRARY],
    examples: ['phototag label ~/Pictures/parrot.jpg --confirm Macaw', 'phototag label ~/Pictures/Rex --add Rex --all'],
  },
  undo: {
    synopsis: 'undo',
    summary: "take back the latest correction, as the app's Undo does",
    options: LIBRARY,
    examples: ['phototag undo'],
  },
  corrections: {
    synopsis: 'corrections',
    summary: 'list every correction',
    options: ['json', ...LIBRARY],
    examples: ['phototag corrections --json'],
  },
  suggestions: {
    synopsis: 'suggestions <label>',
    summary: 'photos a learned own label is suggested on, best first',
    options: ['limit', 'json', ...LIBRARY],
    examples: ['phototag suggestions Rex --limit 5'],
  },
  similar: {
    synopsis: 'similar <photo>',
    summary: 'the photos that look most like this one, best first',
    options: ['limit', 'json', ...LIBRARY],
    examples: ['phototag similar ~/Pictures/dog.jpg --limit 10'],
  },
  duplicates: {
    synopsis: 'duplicates',
    summary: 'groups of photos that are the same picture, the one to keep first',
    options: ['json', ...LIBRARY],
    examples: ['phototag duplicates --json'],
  },
  export: {
    synopsis: 'export --format <F> --out <dir>',
    usage: [`export --format ${EXPORT_FORMATS.join('|')} --out <dir>`],
    summary: 'export the corrections as a dataset to retrain a model',
    options: [
      'format',
      'out',
      'include-model-above',
      'classes',
      'min-per-class',
      'validation',
      'seed',
      'resize',
      'link',
      'force',
      ...LIBRARY,
    ],
    examples: [
      'phototag export --format imagefolder --out ~/datasets/pets --resize 512',
      'phototag export --format csv --out ~/datasets/pets --include-model-above 0.9 --classes Dog,Cat',
    ],
  },
  xmp: {
    synopsis: 'xmp enable|disable|write|status',
    usage: [
      'xmp enable [--threshold S] [--into-files] [--overwrite-original]',
      'xmp disable',
      'xmp write <folder...>',
      'xmp status',
    ],
    summary: 'write tags to XMP sidecars (and into the files) as they change, for other apps',
    options: ['threshold', 'into-files', 'overwrite-original', 'json', ...LIBRARY],
    examples: ['phototag xmp enable --threshold 0.6', 'phototag xmp write ~/Pictures'],
  },
  help: {
    synopsis: 'help [command]',
    summary: "the commands, or one command's options and examples",
    options: [],
    examples: ['phototag help export'],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** The options a command takes (or, with none, the command line does), in the order its help lists them. */
export function optionsOf(command: CommandName | undefined): OptionName[] {
  return command === undefined ? NO_COMMAND : [...COMMANDS[command].options, ...EVERY_COMMAND];
}

const optionName = (name: OptionName) => {
  const spec: OptionSpec = OPTIONS[name];
  return `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` <${spec.value}>` : ''}`;
};

/** Two columns, the second starting where the longest first one ends. */
function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
}

export function usageLines(command: CommandName): string[] {
  const spec: CommandSpec = COMMANDS[command];
  return (spec.usage ?? [spec.synopsis]).map(
    (line, i) => `${i === 0 ? 'Usage:' : '      '} phototag ${line} [options]`,
  );
}

/** `phototag <command> --help`, as `phototag help <command>` prints it too. */
export function commandHelp(command: CommandName): string[] {
  const spec: CommandSpec = COMMANDS[command];
  return [
    ...usageLines(command),
    '',
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    '',
    'Options:',
    ...table(optionsOf(command).map((name) => [optionName(name), OPTIONS[name].help])),
    '',
    'Examples:',
    ...spec.examples.map((example) => `  ${example}`),
  ];
}

/** `phototag help`: every command in one line. */
export function overview(): string[] {
  return [
    'Usage: phototag <command> [options]',
    '',
    'Commands:',
    ...table(Object.values(COMMANDS).map((spec): [string, string] => [spec.synopsis, spec.summary])),
    '',
    'Options:',
    ...table(NO_COMMAND.map((name) => [optionName(name), OPTIONS[name].help])),
    '',
    "Run 'phototag help <command>' (or 'phototag <command> --help') for its options and examples.",
    'Exit codes: 0 all went well, 1 some photos failed (each is stored with its reason) or the command failed,',
    '2 a usage error.',
  ];
}

/** The number of single-character edits (a swap of two neighbours counts as one) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
      }
    }
  }
  return rows[a.length]![b.length]!;
}

/** The candidate a typo most likely meant, if one is close enough to be worth suggesting. */
function nearest(word: string, candidates: readonly string[]): string | undefined {
  const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(word, candidate) }));
  const best = scored.sort((a, b) => a.distance - b.distance)[0];
  return best && best.distance <= Math.min(2, Math.floor(word.length / 3) || 1) ? best.candidate : undefined;
}

const didYouMean = (suggestion: string | undefined) => (suggestion ? ` Did you mean ${suggestion}?` : '');

function unknownOptionMessage(raw: string, name: string, command: CommandName | undefined): string {
  const where = command ? ` for '${command}'` : '';
  const owners = Object.entries(COMMANDS)
    .filter(([, spec]) => (spec.options as readonly string[]).includes(name))
    .map(([owner]) => owner);
  if (raw.startsWith('--') && owners.length > 0) {
    if (!command) return `${raw} needs a command, as in: phototag ${owners[0]} ${optionName(name as OptionName)}.`;
    return `Unknown option ${raw}${where}: it is an option of ${owners.join(', ')}.`;
  }
  const suggestion = nearest(name, optionsOf(command));
  return `Unknown option ${raw}${where}.${didYouMean(suggestion && `--${suggestion}`)}`;
}

/** A name that is no command, with the command it most likely meant. */
export function unknownCommand(name: string): UsageError {
  const suggestion = nearest(name, Object.keys(COMMANDS));
  return new UsageError(`Unknown command '${name}'.${didYouMean(suggestion && `'${suggestion}'`)}`);
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** What is wrong with an option as given, in words, or undefined when it is fine. */
function optionProblem(token: Extract<Token, { kind: 'option' }>, command: CommandName | undefined) {
  const { name, rawName, value, inlineValue } = token;
  if (!(optionsOf(command) as string[]).includes(name)) return unknownOptionMessage(rawName, name, command);
  const spec: OptionSpec = OPTIONS[name as OptionName];
  if (spec.type === 'boolean') {
    return value === undefined ? undefined : `${rawName} takes no value (${rawName}, not ${rawName}=${value}).`;
  }
  const wanted = `${rawName} needs a value: ${rawName} <${spec.value}>`;
  if (value === undefined) return `${wanted}.`;
  if (!inlineValue && value.startsWith('-')) {
    return `${wanted}, and ${value} came next; write ${rawName}=${value} for a value that starts with a dash.`;
  }
  return undefined;
}

/**
 * Reads the command line against the table above. Every mistake is a UsageError in words, naming the command it
 * was made in: node's parser's own messages (about '--' and ambiguous arguments) would mean little to a user.
 */
export function parseCommandLine(argv: string[]) {
  const loose = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const first = loose.tokens.find((token) => token.kind === 'positional')?.value;
  if (first !== undefined && !isCommand(first)) throw unknownCommand(first);
  const command = first;
  for (const token of loose.tokens) {
    const problem = token.kind === 'option' ? optionProblem(token, command) : undefined;
    if (problem) throw new UsageError(problem, command);
  }
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  return { command, args: positionals.slice(1), values };
}
