import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, Response } from 'playwright-core';
import { Library } from '../../src-main/library/library.js';
import { startWebServer, type WebServer } from '../../src-main/web/web-server.js';
import { photo, tempDir } from '../helpers.js';
import { callApi, launchChromium } from './serve-process.js';

const PHOTOS = ['dog.jpg', 'cat_720p.jpg'];
/** What is costly to answer at a million photos: the header's counts, every label's count, a filter's timeline. */
const COUNTED = ['summary', 'tags', 'timeline'] as const;
type Counted = (typeof COUNTED)[number];

describe('the page asks the engine for what it shows once, on opening and on each change', () => {
  let library: Library | undefined;
  let server: WebServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const asked: string[] = [];
  const problems: string[] = [];
  const dir = tempDir('phototag-e2e-requests-');

  /** How many times the page asked for each costly answer since the count was last cleared. */
  const tally = (): Record<Counted, number> => {
    const counts = { summary: 0, tags: 0, timeline: 0 };
    for (const method of asked) if ((COUNTED as readonly string[]).includes(method)) counts[method as Counted]++;
    return counts;
  };
  const dogCell = () => page.getByRole('gridcell', { name: /^dog\.jpg, / });

  before(async () => {
    const folder = join(dir, 'Photos');
    mkdirSync(folder);
    for (const name of PHOTOS) copyFileSync(photo(name), join(folder, name));
    process.env.PHOTOTAG_HOME = join(dir, 'home');
    library = Library.open({ dbPath: join(dir, 'library.sqlite') });
    await library.scan(await library.addFolder(folder));
    await library.tag();
    // No engine (no watcher, no run): nothing changes but what a test changes, so every request the page makes
    // answers the page's own opening or that change.
    server = await startWebServer({ library, port: 0, startEngine: false });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      const method = /^\/api\/(\w+)$/.exec(new URL(request.url()).pathname)?.[1];
      if (method && request.method() === 'POST') asked.push(method);
    });
    // A tag filter, kept for the next opening.
    await page.goto(server.url);
    await page
      .getByRole('region', { name: 'Categories' })
      .getByRole('button', { name: /^Dog, / })
      .click();
    await page
      .getByRole('grid', { name: 'Photos' })
      .getByRole('gridcell', { name: /^cat_720p/ })
      .waitFor({
        state: 'detached',
      });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await library?.close();
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('counts a tag filter and every tag once as the page opens, and again once for a change', async () => {
    asked.length = 0;
    const listening = page.waitForResponse((response) => response.url().endsWith('/api/events'));
    await page.reload();
    await listening;
    await dogCell().waitFor();
    await page
      .getByRole('region', { name: 'Categories' })
      .getByRole('button', { name: /^Dog, / })
      .waitFor();
    // The summary twice: the header at once, and again once the stream is open (a run may have ended between).
    assert.deepEqual(tally(), { summary: 2, tags: 1, timeline: 1 }, asked.join(' '));

    asked.length = 0;
    const [dog] = (await callApi(server!, 'queryPhotos', { filter: { tags: [{ kind: 'category', id: 'dog' }] } }))
      .photos;
    await callApi(server!, 'correct', {
      photos: { ids: [dog!.id] },
      action: { type: 'confirm', tag: { kind: 'category', id: 'dog', name: 'Dog' } },
    });
    await page.getByRole('gridcell', { name: /^dog\.jpg, Dog confirmed/ }).waitFor();
    // The change came with the counts the header shows: no summary.
    assert.deepEqual(tally(), { summary: 0, tags: 1, timeline: 1 }, asked.join(' '));
  });

  it('asks again once for what the page may have missed while its event stream was down', async () => {
    // The first stream ends as soon as it opened: the page connects again, having heard nothing meanwhile.
    await page.route(
      '**/api/events',
      (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body: 'retry: 100\n\n' }),
      { times: 1 },
    );
    const refreshed = responses(page, '/api/timeline', 2);
    asked.length = 0;
    await page.reload();
    await refreshed;
    // Once as the page opened, once as its stream opened again. The summary is not counted: asked as the page
    // opens, once the stream opened and again when it opened again, coalesced when an answer is still on its way.
    const { tags, timeline } = tally();
    assert.deepEqual({ tags, timeline }, { tags: 2, timeline: 2 }, asked.join(' '));
  });
});

/** Resolves when the page has had its `count`th answer from the API path `path` from now on. */
function responses(page: Page, path: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const listener = (response: Response) => {
      if (new URL(response.url()).pathname !== path || ++seen < count) return;
      page.off('response', listener);
      resolve();
    };
    page.on('response', listener);
  });
}
