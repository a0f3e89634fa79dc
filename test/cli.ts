import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const PHOTOTAG = join(ROOT, 'bin', 'phototag.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `phototag` command (the compiled CLI), with its own per-user folder. */
export function phototag(home: string, args: string[]): CliResult {
  const result = spawnSync(process.execPath, [PHOTOTAG, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PHOTOTAG_HOME: home },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function phototagAsync(home: string, args: string[]) {
  return spawn(process.execPath, [PHOTOTAG, ...args], {
    env: { ...process.env, PHOTOTAG_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
