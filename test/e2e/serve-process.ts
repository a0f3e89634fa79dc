import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../helpers.js';

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote, for failure messages. */
  output(): string;
  /** SIGTERM, then the exit code of a graceful shutdown. */
  stop(): Promise<number | null>;
}

/** The built CLI and web UI the tests drive; `npm test` builds both first. */
export function assertBuilt(): void {
  for (const file of ['dist/main/src-main/cli/main.js', 'dist/renderer/index.html']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run "npm run build" before this test.`);
  }
}

/** Starts `phototag serve` as a child process on a free port and resolves with the URL it prints. */
export async function startServe(options: { dbPath: string; home: string; args?: string[] }): Promise<ServeProcess> {
  assertBuilt();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'phototag.js'), 'serve', '--db', options.dbPath, '--port', '0', ...(options.args ?? [])],
    { env: { ...process.env, PHOTOTAG_HOME: options.home }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /https?:\/\/\S+/.exec(output);
      if (match) resolve(match[0]);
    });
    void exited.then((code) => reject(new Error(`phototag serve exited (${code}) before listening:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Debian's Chromium, as the project's end-to-end tests and benchmarks use it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
