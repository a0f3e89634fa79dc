/// <reference lib="dom" />
// The callbacks passed to row().evaluate run in Chromium.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, Request, Route } from 'playwright-core';
import { photo, tempDir, until } from '../helpers.js';
import {
  callApi,
  holdRequests,
  startTaggedLibrary,
  stopServedPage,
  type ServedPage,
  TAGGING_TIMEOUT,
  WINDOW_SIZES,
} from './serve-process.js';

/** Where the sidebar's screenshots go, one per window size, for a person to look at. */
const SHOTS = '/tmp/shots-folders';
describe('a folder row says how its last scan went and rescans it on request, in Chromium', () => {
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  const dir = tempDir('phototag-e2e-folder-scan-');
  const folder = join(dir, 'Holiday');
  const away = join(dir, 'Holiday (unplugged)');

  const sidebar = () => page.getByRole('navigation', { name: 'Library' });
  const row = () =>
    sidebar()
      .getByRole('listitem')
      .filter({ has: page.getByRole('button', { name: /^Holiday\b/ }) });
  const rescan = () => sidebar().getByRole('button', { name: 'Rescan folder Holiday' });
  /** The line under the folder's name, which its button is described by. */
  const scanLine = () => row().locator('p');

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    served = await startTaggedLibrary({ dir, folder: 'Holiday', photos: ['dog.jpg', 'owl.jpg'], problems });
    ({ page } = served);
  });

  after(async () => {
    await stopServedPage(served);
    // The watcher's and the scan's warnings of the folder renamed away are the engine's to give, not page errors.
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('says what the scan after adding the folder found, and describes the folder button with it', async () => {
    await scanLine()
      .filter({ hasText: /^Scanned .+: 2 new$/ })
      .waitFor();
    const folderButton = row().getByRole('button', { name: /^Holiday\b/ });
    const described = await folderButton.getAttribute('aria-describedby');
    assert.equal(await page.locator(`#${described}`).textContent(), await scanLine().textContent());
  });

  it('shows the folder as not available when a rescan finds it gone, its photos kept', async () => {
    renameSync(folder, away);
    // The watcher hears its root go and stops watching it: nothing but a scan looks at it from now on.
    await until(
      async () =>
        (await callApi(served!.server, 'summary', {})).warnings.some((warning) =>
          warning.message.startsWith(`Phototag can no longer reach ${folder}`),
        ),
      'the watcher says it can no longer reach the folder',
    );
    // Held on their way to the engine, each let through in turn.
    const held: Route[] = [];
    await page.route('**/api/rescanFolder', (route) => void held.push(route));
    await rescan().focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await until(() => held.length === 2, 'both rescans are asked for');
    assert.equal(await scanLine().textContent(), 'Scanning…');
    // The page's requests but the second rescan held: the first rescan's, and the refresh after it.
    const asking = new Set<Request>();
    const answered = (request: Request) => void asking.delete(request);
    page.on('request', (request) => {
      if (/\/api\/(?!events|rescanFolder)/.test(request.url())) asking.add(request);
    });
    page.on('requestfinished', answered).on('requestfailed', answered);
    await held[0]!.continue();
    // The first rescan's answer is shown, the row marked not available, and the page has every answer it asked for.
    await sidebar().locator('li.unavailable').waitFor();
    await until(() => asking.size === 0, 'the refresh after the first rescan is answered');
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve)));
    assert.equal(await scanLine().textContent(), 'Scanning…', 'the second rescan is still under way');
    await held[1]!.continue();
    await page.unroute('**/api/rescanFolder');
    await scanLine()
      .filter({ hasText: 'Not available: it cannot be read or is gone — 2 photos kept until it is back' })
      .waitFor();
    // Said as it changes, the focus staying on Rescan.
    assert.equal(await scanLine().getAttribute('aria-live'), 'polite');
    assert.ok(await row().evaluate((item) => item.classList.contains('unavailable')), 'the row is marked');
    for (const name of ['dog.jpg', 'owl.jpg']) {
      await page.getByRole('gridcell', { name: new RegExp(`^${name.replace('.', '\\.')}, `) }).waitFor();
    }
    for (const size of WINDOW_SIZES) await shoot(size, 'unavailable');
  });

  it('finds a photo copied in once the folder is back, on Rescan, tags it and says what it found', async () => {
    renameSync(away, folder);
    copyFileSync(photo('cat.bmp'), join(folder, 'cat.bmp'));
    await page.setViewportSize(WINDOW_SIZES[0]!);
    const held = await holdRequests(page, '**/api/rescanFolder');
    await rescan().click();
    // Said, not only spun, while the folder not available is scanned again.
    await scanLine().filter({ hasText: 'Scanning…' }).waitFor();
    assert.ok(await row().evaluate((item) => item.classList.contains('unavailable')), 'not available until scanned');
    await held();
    await scanLine()
      .filter({ hasText: /^Scanned .+: 1 new$/ })
      .waitFor();
    assert.ok(!(await row().evaluate((item) => item.classList.contains('unavailable'))), 'available again');
    await page.getByRole('gridcell', { name: /^cat\.bmp, / }).waitFor({ timeout: TAGGING_TIMEOUT });
    await page.getByText('All caught up: 3 photos tagged', { exact: true }).waitFor({ timeout: TAGGING_TIMEOUT });
    for (const size of WINDOW_SIZES) await shoot(size, 'scanned');
  });

  /** The sidebar at `size`: docked beside the grid, or in a phone's width the drawer its menu button opens. */
  async function shoot(size: { width: number; height: number }, state: string) {
    await page.setViewportSize(size);
    const menu = page.getByRole('button', { name: /library sidebar$/ });
    if (size.width <= 720) {
      // The phone layout hides the sidebar as the window narrows, then the menu button opens it as a drawer.
      await sidebar().waitFor({ state: 'hidden' });
      await menu.click();
    }
    await sidebar().waitFor();
    await rescan().waitFor();
    await row().scrollIntoViewIfNeeded();
    const nav = await sidebar().boundingBox();
    assert.ok(nav, 'the sidebar is drawn');
    // Nothing of the folder row runs past the sidebar's edge, nor anything in it past the row's.
    const item = await row().boundingBox();
    assert.ok(item && item.x + item.width <= nav.x + nav.width + 0.5, `the row fits at ${size.width}`);
    const outside = await row().evaluate((li) => {
      const box = li.getBoundingClientRect();
      return [...li.querySelectorAll('*')]
        .filter((element) => {
          const inner = element.getBoundingClientRect();
          return inner.left < box.left - 0.5 || inner.right > box.right + 0.5;
        })
        .map((element) => element.outerHTML.slice(0, 80));
    });
    assert.deepEqual(outside, [], `nothing in the row runs past it at ${size.width}`);
    await page.screenshot({ path: join(SHOTS, `sidebar-${state}-${size.width}x${size.height}.png`) });
    if (size.width <= 720) await page.keyboard.press('Escape');
  }
});
