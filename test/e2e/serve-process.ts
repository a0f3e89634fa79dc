import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ApiArgs, ApiMethod, ApiResult } from '../../src-main/api/contract.js';
import { photo, ROOT } from '../helpers.js';

export interface ServeProcess {
  /** The link serve printed: it carries the access token. */
  url: string;
  /** The access token every request needs, loopback included. */
  token: string;
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
export async function startServe(options: {
  dbPath: string;
  home: string;
  args?: string[];
  /** Variables on top of this process's (HOME, say). */
  env?: NodeJS.ProcessEnv;
}): Promise<ServeProcess> {
  assertBuilt();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'phototag.js'), 'serve', '--db', options.dbPath, '--port', '0', ...(options.args ?? [])],
    { env: { ...process.env, PHOTOTAG_HOME: options.home, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      // The whole link, up to the end of its line: a chunk may end inside it.
      const match = /(https?:\/\/\S+)\s/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`phototag serve exited (${code}) before listening:\n${output}`)));
  });
  const token = new URL(url).searchParams.get('token');
  if (!token) {
    await stop(child, exited);
    throw new Error(`phototag serve printed a link without its access token: ${url}`);
  }
  return {
    url,
    token,
    child,
    output: () => output,
    stop: () => stop(child, exited),
  };
}

/** SIGTERM, then the exit code of a graceful shutdown. */
function stop(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode === null) child.kill('SIGTERM');
  return exited;
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

/** Asks the server directly, as the truth the UI must show. */
export async function callApi<M extends ApiMethod>(
  server: Pick<ServeProcess, 'url' | 'token'>,
  method: M,
  args: ApiArgs<M>,
): Promise<ApiResult<M>> {
  const response = await fetch(new URL(`api/${method}`, server.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(args),
  });
  const body = (await response.json()) as { result: ApiResult<M> };
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.result;
}

/**
 * Holds the page's requests to this route (a glob) until the function returned is called; from then on they and any
 * later ones go through.
 */
export async function holdRequests(page: Page, url: string): Promise<() => Promise<void>> {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const handled: Promise<void>[] = [];
  await page.route(url, (route) => {
    const handling = held.then(() => route.continue());
    handled.push(handling);
    return handling;
  });
  return async () => {
    release();
    // Unrouted first, a held request would be let through twice.
    await Promise.all(handled);
    await page.unroute(url);
  };
}

/**
 * Waits until the grid shows `count` photos, each loaded: a tile whose page is still on its way is a placeholder
 * ("Photo 2, loading"), counted as a cell but naming no photo yet.
 */
export async function gridShows(page: Page, count: number): Promise<void> {
  await page.waitForFunction((n) => {
    const cells = [...document.querySelectorAll('[role=gridcell]')];
    return cells.length === n && cells.every((cell) => !cell.getAttribute('aria-label')?.endsWith(', loading'));
  }, count);
}

export interface ServedPage {
  server: ServeProcess;
  browser: Browser;
  page: Page;
}

/** The page's size unless a test asks for another. */
const VIEWPORT = { width: 1280, height: 860 };
/** The window sizes every layout is looked at in: a desktop, a small window, a phone. */
export const WINDOW_SIZES = [
  { width: 1400, height: 900 },
  { width: 800, height: 600 },
  { width: 390, height: 844 },
];
/** For a test that needs every photo of a small library drawn at once, under its month headers. */
export const TALL_VIEWPORT = { width: 1280, height: 2000 };

/**
 * Starts `phototag serve` on a library in `dir`, and a light Chromium page (not yet opened on it), 1280×860 unless
 * `viewport` says otherwise. Page errors, and console errors that `allowedErrors` does not match, are pushed to
 * `problems`.
 */
export async function startServedPage(options: {
  dir: string;
  problems: string[];
  allowedErrors: RegExp;
  env?: NodeJS.ProcessEnv;
  viewport?: { width: number; height: number };
}): Promise<ServedPage> {
  const server = await startServe({
    dbPath: join(options.dir, 'library.sqlite'),
    home: join(options.dir, 'home'),
    env: options.env,
  });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: options.viewport ?? VIEWPORT, colorScheme: 'light' });
    page.on('pageerror', (error) => options.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !options.allowedErrors.test(message.text())) {
        options.problems.push(message.text());
      }
    });
    return { server, browser, page };
  } catch (error) {
    await browser?.close();
    await server.stop();
    throw error;
  }
}

/** Generous: the first run loads the model; tagging itself takes a few seconds on two cores. */
export const TAGGING_TIMEOUT = 120_000;

/** Adds `folder` to the served library, opens the page on it and waits until its `photos` photos are tagged. */
export async function openTaggedFolder(served: ServedPage, folder: string, photos: number): Promise<void> {
  await callApi(served.server, 'addFolder', { path: folder });
  await served.page.goto(served.server.url);
  const caughtUp = `All caught up: ${photos} photos tagged`;
  try {
    await served.page.getByText(caughtUp, { exact: true }).waitFor({ timeout: TAGGING_TIMEOUT });
  } catch (error) {
    // What the page and the engine said instead, so that a failure far away (CI) can be understood from its log.
    const shown = await served.page
      .getByRole('progressbar', { name: 'Tagging progress' })
      .getAttribute('aria-valuetext', { timeout: 1000 })
      .catch(() => 'no progress bar');
    const engine = await callApi(served.server, 'summary', {}).then(
      ({ progress, counts }) => JSON.stringify({ progress, counts }),
      (reason: Error) => reason.message,
    );
    throw new Error(
      `"${caughtUp}" was not shown (${(error as Error).message.split('\n')[0]}); the page showed "${shown}", ` +
        `the engine says ${engine}; serve wrote:\n${served.server.output()}`,
    );
  }
}

/** Closes the browser, then stops the server and checks that it shut down cleanly. */
export async function stopServedPage(served: ServedPage | undefined): Promise<void> {
  await served?.browser.close();
  if (served) {
    const code = await served.server.stop();
    assert.equal(code, 0, `phototag serve did not shut down cleanly:\n${served.server.output()}`);
  }
}

/**
 * A served library of `photos` (names under test/fixtures/photos, copied into a folder `folder` of `dir`), and a page
 * open on it once every photo is tagged: "All caught up" in the header.
 */
export async function startTaggedLibrary(options: {
  dir: string;
  folder: string;
  photos: string[];
  problems: string[];
}): Promise<ServedPage> {
  const folder = join(options.dir, options.folder);
  mkdirSync(folder);
  for (const name of options.photos) copyFileSync(photo(name), join(folder, name));
  const served = await startServedPage({
    dir: options.dir,
    problems: options.problems,
    allowedErrors: /404 \(Not Found\)/,
  });
  try {
    await openTaggedFolder(served, folder, options.photos.length);
    return served;
  } catch (error) {
    await stopServedPage(served);
    throw error;
  }
}
