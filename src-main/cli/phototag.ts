import { parseArgs } from 'node:util';
import { commands, type CommandContext } from './commands.js';

import { UsageError } from './usage-error.js';

export const USAGE = `Usage: phototag <command> [options]

Commands:
  tag <folder...>              add folders to the library, scan them and tag every photo
  watch <folder...>            tag, then keep watching the folders until interrupted (Ctrl+C)
  show <file-or-folder...>     labels and categories of photos (--json for machine-readable output)
  search <tag>                 photos carrying a label or category (--min-score S, --json)
  models list                  the models Phototag knows, and which one tags
  models pull <id>             download a model (resumable, verified by sha256)
  models use <id>              tag this library with that model from now on
  doctor                       versions, execution providers, database and model in use
  serve                        the library in a web browser: watches and tags in the background (--port, --host)

Options:
  --db <file>        the library database (default: library.sqlite in the per-user data folder)
  --model <id>       tag with this model for this run
  --json             machine-readable output (show, search, models list, doctor)
  --min-score <S>    lowest score for search, 0 to 1 (default 0.1)
  --port <N>         serve: the port to listen on (default 8417; 0 picks a free one)
  --host <H>         serve: the address to listen on (default 127.0.0.1); any other than loopback
                     requires the access token serve prints
  --verbose          show stack traces with errors
  -h, --help         this help
  -v, --version      the version

Exit codes: 0 all went well, 1 some photos failed (each is stored with its reason) or the command failed,
2 usage error.`;

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
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    const { values, positionals } = parse(argv);
    verbose = values.verbose;
    if (values.version) {
      const { version } = (await import('../version.js')).versionInfo();
      process.stdout.write(`${version}\n`);
      return 0;
    }
    const [name, ...args] = positionals;
    if (values.help || !name) {
      (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const command = commands[name];
    if (!command) throw new UsageError(`Unknown command "${name}".`);
    let minScore = 0.1;
    if (values['min-score'] !== undefined) {
      minScore = Number(values['min-score']);
      if (!(minScore >= 0 && minScore <= 1)) throw new UsageError('--min-score takes a number from 0 to 1.');
    }
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError('--port takes a number from 0 to 65535.');
    }
    const context: CommandContext = {
      args,
      dbPath: values.db,
      modelId: values.model,
      json: values.json,
      minScore,
      port,
      host: values.host,
    };
    return await command(context);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`phototag: ${error.message}\nRun "phototag --help" for usage.\n`);
      return 2;
    }
    const message = (error as Error).message ?? String(error);
    process.stderr.write(`phototag: ${verbose ? ((error as Error).stack ?? message) : message}\n`);
    return 1;
  }
}
