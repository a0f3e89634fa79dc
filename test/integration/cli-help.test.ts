import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, OPTIONS, optionsOf, type CommandName } from '../../src-main/cli/command-syntax.js';
import { phototag } from '../cli.js';
import { tempDir } from '../helpers.js';

const home = tempDir();
const names = Object.keys(COMMANDS) as CommandName[];

/** The lines of a help text's section ("Options:", "Examples:"), up to the blank line that ends it. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(title);
  assert.notEqual(start, -1, `${title} in:\n${text}`);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** Every option a command takes, as the command line would give it: `--out x`, `--json`. */
function everyOption(command: CommandName): string[] {
  return optionsOf(command)
    .filter((name) => name !== 'help')
    .flatMap((name) => (OPTIONS[name].type === 'string' ? [`--${name}`, 'x'] : [`--${name}`]));
}

/** A usage error's whole message: the sentence, then the command's usage and where its help is. */
const usageError = (sentence: string, usage: string, command: string) =>
  `phototag: ${sentence}\nUsage: phototag ${usage} [options]\nRun 'phototag ${command} --help' for more.\n`;

describe('phototag help', () => {
  it('gives each command its own help: usage, one line for every option its parser takes, and examples', () => {
    for (const name of names) {
      // Given every option the parser takes for it, the command still only prints its help: none is refused.
      const result = phototag(home, [name, ...everyOption(name), '--help']);
      assert.equal(result.status, 0, `${name}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: phototag ${name}\\b`), name);
      const options = section(result.stdout, 'Options:');
      assert.equal(options.length, optionsOf(name).length, `${name}: one line per option\n${result.stdout}`);
      for (const option of optionsOf(name)) {
        assert.ok(
          options.some((line) => new RegExp(`^  (-\\w, )?--${option}\\b.* \\w`).test(line)),
          `${name} --help describes --${option}`,
        );
      }
      const examples = section(result.stdout, 'Examples:');
      assert.ok(examples.length > 0 && examples.every((line) => line.startsWith(`  phototag ${name}`)), name);
    }
  });

  it('prints the same help for "help <command>", "<command> --help" and "<command> -h"', () => {
    for (const name of ['tag', 'export', 'label'] as const) {
      const help = phototag(home, ['help', name]);
      assert.equal(help.status, 0, help.stderr);
      assert.equal(help.stdout, phototag(home, [name, '--help']).stdout, name);
    }
    assert.equal(phototag(home, ['search', '-h']).stdout, phototag(home, ['help', 'search']).stdout);
    assert.notEqual(phototag(home, ['tag', '--help']).stdout, phototag(home, ['show', '--help']).stdout);
  });

  it('lists every command on one line under "phototag help", as --help and a bare phototag do', () => {
    const help = phototag(home, ['help']);
    assert.equal(help.status, 0, help.stderr);
    const lines = section(help.stdout, 'Commands:');
    assert.equal(lines.length, names.length);
    for (const name of names) {
      assert.equal(lines.filter((line) => line.startsWith(`  ${name} `)).length, 1, `${name}\n${help.stdout}`);
    }
    assert.equal(phototag(home, ['--help']).stdout, help.stdout);
    const bare = phototag(home, []);
    assert.equal(bare.status, 2);
    assert.equal(bare.stderr, help.stdout);
  });
});

/** What phototag said when it refused a command line, as it must: with exit code 2. */
function refused(args: string[]): string {
  const result = phototag(home, args);
  assert.equal(result.status, 2, `phototag ${args.join(' ')}: ${result.stderr}`);
  return result.stderr;
}

describe('phototag usage errors', () => {
  it('names an unknown option and the command it was given to, with that command usage', () => {
    assert.equal(
      refused(['tag', '--frobnicate']),
      usageError("Unknown option --frobnicate for 'tag'.", 'tag <folder...>', 'tag'),
    );
    assert.equal(
      refused(['show', '--jsno']),
      usageError("Unknown option --jsno for 'show'. Did you mean --json?", 'show <file-or-folder...>', 'show'),
    );
    assert.equal(
      refused(['tag', '--limit', '5']),
      usageError(
        "Unknown option --limit for 'tag': it is an option of suggestions, similar.",
        'tag <folder...>',
        'tag',
      ),
    );
  });

  it("says in words what node's parser would only hint at: a missing value, a dashed value, a value too many", () => {
    const cases: [string[], string][] = [
      [['search', 'dog', '--min-score'], '--min-score needs a value: --min-score <S>.'],
      [
        ['search', 'dog', '--min-score', '-1'],
        '--min-score needs a value: --min-score <S>, and -1 came next; write --min-score=-1 for a value that starts with a dash.',
      ],
      [['search', 'dog', '--json=yes'], '--json takes no value (--json, not --json=yes).'],
    ];
    const answers = cases.map(([args, sentence]) => {
      const said = refused(args);
      assert.equal(said, usageError(sentence, 'search <tag>', 'search'));
      return said;
    });
    const label = refused(['label', 'dog.jpg', '--confirm', '--all']);
    assert.match(label, /^phototag: --confirm needs a value: --confirm <tag>, and --all came next;/);
    assert.match(label, /\nUsage: phototag label <photo\.\.\.> --confirm <tag>.*\n {7}phototag label /);
    for (const said of [label, ...answers]) assert.doesNotMatch(said, /ambiguous|after '--'|ERR_PARSE_ARGS/);
  });

  it('says that an option needs a command when none was given', () => {
    assert.equal(
      refused(['--db', 'library.sqlite']),
      "phototag: --db needs a command, as in: phototag tag --db <file>.\nRun 'phototag help' for the commands.\n",
    );
  });

  it('shows the usage of a command called without what it needs', () => {
    assert.equal(refused(['tag']), usageError('Name at least one folder to tag.', 'tag <folder...>', 'tag'));
    assert.equal(
      refused(['export', '--out']),
      usageError('--out needs a value: --out <dir>.', 'export --format imagefolder|csv|jsonl --out <dir>', 'export'),
    );
  });

  it('suggests the nearest command for one it does not know', () => {
    assert.equal(
      refused(['serach', 'dog']),
      "phototag: Unknown command 'serach'. Did you mean 'search'?\nRun 'phototag help' for the commands.\n",
    );
    assert.match(refused(['tga']), /Did you mean 'tag'\?/);
    assert.match(refused(['help', 'exprot']), /^phototag: Unknown command 'exprot'\. Did you mean 'export'\?/);
    assert.equal(
      refused(['frobnicate']),
      "phototag: Unknown command 'frobnicate'.\nRun 'phototag help' for the commands.\n",
    );
  });
});
