import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { photo, ROOT, tempDir } from './helpers.js';

export const PHOTOTAG = join(ROOT, 'bin', 'phototag.js');

export interface CliResult {
  status: number | null;
  /** The signal that ended the command, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The folder the command starts in (the test's own by default). */
  cwd?: string;
  /** Variables on top of the test's environment (npm's INIT_CWD, say). */
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (only root can), to meet permissions that root would override. */
  user?: { uid: number; gid: number };
}

/**
 * The environment of a phototag child: its own per-user folder, and none of npm's variables, so that a test run
 * through `npm test` behaves like one run by hand unless the test sets them itself.
 */
function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|INIT_CWD$)/.test(name)));
  return { ...env, PHOTOTAG_HOME: home, ...extra };
}

/** Runs the real `phototag` command (the compiled CLI), with its own per-user folder. */
export function phototag(home: string, args: string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [PHOTOTAG, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    env: cliEnv(home, options.env),
    ...options.user,
    timeout: 120_000,
  });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A fresh home with a folder of these fixture photos and a place for its library; `run` runs phototag on that
 * library and checks the exit status it ends with.
 */
export function cliLibrary(files: string[]) {
  const home = tempDir();
  const folder = join(home, 'Pictures');
  mkdirSync(folder);
  for (const file of files) copyFileSync(photo(file), join(folder, file));
  const db = join(home, 'library.sqlite');
  const run = (args: string[], status = 0) => {
    const result = phototag(home, [...args, '--db', db]);
    assert.equal(result.status, status, `phototag ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  return { home, folder, db, run };
}

export function phototagAsync(home: string, args: string[], options: Pick<CliOptions, 'env'> = {}) {
  return spawn(process.execPath, [PHOTOTAG, ...args], {
    env: cliEnv(home, options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface TerminalResult {
  status: number | null;
  /** What the terminal showed: stdout, stderr and the echo of what was typed. */
  shown: string;
}

/**
 * Runs the real `phototag` on a terminal of its own (util-linux `script` gives it a pseudo-terminal, as a user's
 * shell has), typing `typed` into it; what the terminal shows, stdout and stderr together, comes back.
 */
export function phototagOnTerminal(home: string, args: string[], typed: string): TerminalResult {
  const quoted = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, PHOTOTAG, ...args].map(quoted).join(' ');
  const result = spawnSync('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    encoding: 'utf8',
    input: typed,
    env: cliEnv(home),
    timeout: 120_000,
  });
  return { status: result.status, shown: result.stdout.replace(/\r\n/g, '\n') };
}
