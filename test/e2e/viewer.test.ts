/// <reference lib="dom" />
// The callbacks passed to page.evaluate run in Chromium.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import type { ApiArgs, ApiMethod } from '../../src-main/api/contract.js';
import { photo, ROOT, tempDir } from '../helpers.js';
import {
  callApi,
  startServedPage,
  stopServedPage,
  type ServedPage,
  type ServeProcess,
  TAGGING_TIMEOUT,
} from './serve-process.js';

const SHOTS = join(ROOT, 'test-results');
/** A 12 MP portrait (made in before()), a 1080p landscape, and a photo smaller than any stage. */
const TALL = { name: 'portrait.jpg', width: 3000, height: 4000 };
const WIDE = { name: 'cat_1080p.jpg', width: 1920, height: 1080 };
const SMALL = { name: 'dog.jpg', width: 260, height: 380 };
const PHOTOS = [TALL, WIDE, SMALL];
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

describe('the photo viewer and the sidebar at every window size, in Chromium', () => {
  let server: ServeProcess;
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  /** Photos the tests add through the sidebar, one a folder. */
  let addedPhotos = 0;
  // Here, not in before(): tempDir's clean-up belongs to the suite.
  const dir = tempDir('phototag-e2e-viewer-');
  const photosDir = join(dir, 'Trip');

  const api = <M extends ApiMethod>(method: M, args: ApiArgs<M>) => callApi(server, method, args);
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `viewer-${name}.png`) });
  const cell = (name: string) => page.getByRole('gridcell', { name: new RegExp(`^${escape(name)}, `) });
  const viewer = (name: string) => page.getByRole('dialog', { name: `Photo ${name}` });
  const sidebar = () => page.getByRole('navigation', { name: 'Library' });
  const menuButton = () => page.getByRole('button', { name: /library sidebar$/ });
  /** The photo as drawn: the one image with alt text (the thumbnail under it has none). */
  // The photo itself, not the thumbnails of "More like this" after it.
  const shownImage = (dialog: Locator) => dialog.getByRole('img').first();

  async function boxOf(locator: Locator): Promise<Box> {
    const box = await locator.boundingBox();
    assert.ok(box, 'the element is drawn');
    return box;
  }

  /** Opens a photo from the grid and waits until its full image has replaced the thumbnail. */
  async function openPhoto(name: string): Promise<Locator> {
    await cell(name).click();
    const dialog = viewer(name);
    await dialog.waitFor();
    await fullImageLoaded(dialog);
    return dialog;
  }

  async function fullImageLoaded(dialog: Locator) {
    const image = shownImage(dialog);
    await image.waitFor();
    await page.waitForFunction(
      (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
      await image.elementHandle(),
    );
    await dialog.getByRole('status', { name: 'Loading the full photo' }).waitFor({ state: 'detached' });
  }

  async function closePhoto(dialog: Locator) {
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }

  function assertInside(box: Box, outer: Box, what: string) {
    const slack = 0.5;
    assert.ok(
      box.x >= outer.x - slack &&
        box.y >= outer.y - slack &&
        box.x + box.width <= outer.x + outer.width + slack &&
        box.y + box.height <= outer.y + outer.height + slack,
      `${what}: ${JSON.stringify(box)} lies inside ${JSON.stringify(outer)}`,
    );
  }

  function assertShape(box: Box, shape: { width: number; height: number }, what: string) {
    const ratio = box.width / box.height / (shape.width / shape.height);
    assert.ok(Math.abs(ratio - 1) < 0.01, `${what}: ${box.width}×${box.height} keeps ${shape.width}×${shape.height}`);
  }

  /** Where a screen point falls on the photo, as fractions of its width and height. */
  const fractionAt = (box: Box, point: { x: number; y: number }) => ({
    x: (point.x - box.x) / box.width,
    y: (point.y - box.y) / box.height,
  });

  async function assertNoSideways(what: string) {
    const widths = await page.evaluate(() => ({
      document: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
      window: window.innerWidth,
    }));
    assert.ok(
      widths.document <= widths.window && widths.body <= widths.window,
      `${what}: nothing wider than the ${widths.window} px window (${JSON.stringify(widths)})`,
    );
  }

  /** Waits until the library holds `total` photos, every one tagged (or failed): the grid stops moving. */
  async function tagged(total: number) {
    // The page asks the server itself (its cookie carries the token).
    await page.waitForFunction(
      async (total) => {
        const response = await fetch('api/summary', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        });
        const { result } = (await response.json()) as {
          result: { counts: { total: number; done: number; failed: number } };
        };
        return result.counts.total === total && result.counts.done + result.counts.failed === total;
      },
      total,
      { polling: 250, timeout: TAGGING_TIMEOUT },
    );
  }

  before(async () => {
    mkdirSync(photosDir);
    await sharp(photo('parrot.jpg'))
      .resize(TALL.width, TALL.height, { fit: 'fill' })
      .jpeg({ quality: 80 })
      .toFile(join(photosDir, TALL.name));
    copyFileSync(photo(WIDE.name), join(photosDir, WIDE.name));
    copyFileSync(photo(SMALL.name), join(photosDir, SMALL.name));
    mkdirSync(SHOTS, { recursive: true });
    served = await startServedPage({ dir, problems, allowedErrors: /404 \(Not Found\)/ });
    ({ server, page } = served);
    await api('addFolder', { path: photosDir });
    await page.goto(server.url);
    await tagged(PHOTOS.length);
    for (const { name } of PHOTOS) await cell(name).waitFor();
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  for (const size of [
    { width: 1400, height: 900 },
    { width: 800, height: 600 },
    { width: 1400, height: 500 },
  ]) {
    it(`fits a tall, a wide and a small photo whole and in shape at ${size.width}×${size.height}`, async () => {
      await page.setViewportSize(size);
      for (const shape of PHOTOS) {
        const dialog = await openPhoto(shape.name);
        const image = await boxOf(shownImage(dialog));
        const stage = await boxOf(shownImage(dialog).locator('..'));
        assertInside(image, { x: 0, y: 0, ...size }, shape.name);
        assertInside(image, stage, `${shape.name} on its stage`);
        assertShape(image, shape, shape.name);
        // Contained: as large as the stage allows, one side filling it.
        const fills = Math.abs(image.width - stage.width) < 1 || Math.abs(image.height - stage.height) < 1;
        assert.ok(fills, `${shape.name}: ${JSON.stringify(image)} fills ${JSON.stringify(stage)} one way`);
        assert.equal(
          await shownImage(dialog).locator('..').locator('img').count(),
          1,
          'the thumbnail is gone once the photo has loaded',
        );
        if (shape === TALL) await shot(`${size.width}x${size.height}-portrait`);
        await closePhoto(dialog);
      }
    });
  }

  it('shows the thumbnail fitted while the full photo loads, then the photo with no spinner over it', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const pattern = /\/media\/photo\//;
    await page.route(pattern, async (route) => {
      await held;
      await route.continue();
    });
    const dialog = viewer(TALL.name);
    try {
      // A fresh page: the photo shown before must come over the network (routing keeps it out of the HTTP cache).
      await page.reload();
      await cell(TALL.name).click();
      const thumbnail = dialog.locator('img[alt=""]');
      await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('[role=dialog] img[alt=""]');
        return img !== null && img.complete && img.naturalWidth > 0;
      });
      assertShape(await boxOf(thumbnail), TALL, 'the thumbnail, scaled up to the fit');
      assertInside(await boxOf(thumbnail), { x: 0, y: 0, width: 1400, height: 900 }, 'the thumbnail');
      await dialog.getByRole('status', { name: 'Loading the full photo' }).waitFor();
      release();
      await fullImageLoaded(dialog);
      await thumbnail.waitFor({ state: 'detached' });
      assert.equal(await shownImage(dialog).evaluate((img) => getComputedStyle(img).opacity), '1');
    } finally {
      release();
      await page.unroute(pattern);
      if (await dialog.isVisible()) await closePhoto(dialog);
    }
  });

  it('zooms with + and a double click at the pointer, pans by dragging and arrow keys, and 0 fits again', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    const dialog = await openPhoto(TALL.name);
    const image = shownImage(dialog);
    const fitted = await boxOf(image);

    await page.keyboard.press('+');
    const larger = await boxOf(image);
    assert.ok(larger.width > fitted.width * 1.4, `+ enlarges: ${fitted.width} -> ${larger.width}`);
    assertShape(larger, TALL, 'zoomed by +');
    await page.keyboard.press('-');
    assert.ok(Math.abs((await boxOf(image)).width - fitted.width) < 1, '- takes it back');

    // A double click zooms in on the spot clicked: the photo's pixel under the pointer stays under it.
    const at = { x: fitted.x + fitted.width * 0.3, y: fitted.y + fitted.height * 0.25 };
    await page.mouse.dblclick(at.x, at.y);
    const zoomed = await boxOf(image);
    assert.ok(zoomed.width > fitted.width * 2, `a double click zooms in: ${fitted.width} -> ${zoomed.width}`);
    const before = fractionAt(fitted, at);
    const after = fractionAt(zoomed, at);
    assert.ok(
      Math.abs(before.x - after.x) < 0.005 && Math.abs(before.y - after.y) < 0.005,
      `the same spot under the pointer: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`,
    );
    await shot('zoomed');

    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    await page.mouse.move(at.x + 120, at.y + 90, { steps: 4 });
    await page.mouse.up();
    const dragged = await boxOf(image);
    assert.ok(Math.abs(dragged.x - zoomed.x - 120) < 1 && Math.abs(dragged.y - zoomed.y - 90) < 1, 'a drag pans it');

    // Zoomed, the arrow keys move the photo instead of stepping to the next one.
    await page.keyboard.press('ArrowRight');
    const panned = await boxOf(image);
    assert.ok(panned.x < dragged.x, `ArrowRight shows more of the right side: ${dragged.x} -> ${panned.x}`);
    assert.equal(panned.y, dragged.y);
    await viewer(TALL.name).waitFor();

    await page.mouse.move(at.x, at.y);
    await page.mouse.wheel(0, 300);
    assert.ok((await boxOf(image)).width < panned.width, 'the wheel zooms out');

    await page.keyboard.press('0');
    const refitted = await boxOf(image);
    assert.ok(Math.abs(refitted.width - fitted.width) < 1 && Math.abs(refitted.x - fitted.x) < 1, '0 fits it again');
    await page.mouse.move(at.x, at.y);
    await page.mouse.wheel(0, -300);
    assert.ok((await boxOf(image)).width > fitted.width, 'the wheel zooms in');
    await page.mouse.dblclick(at.x, at.y);
    assert.ok(Math.abs((await boxOf(image)).width - fitted.width) < 1, 'a double click on a zoomed photo fits it');

    // Fitted, the arrow keys step through the photos again.
    const [position, total] = (await dialog.getByText(/^\d+ of \d+$/).innerText()).split(' of ').map(Number);
    await page.keyboard.press(position! < total! ? 'ArrowRight' : 'ArrowLeft');
    await dialog.waitFor({ state: 'detached' });
    await closePhoto(page.getByRole('dialog', { name: /^Photo / }));
  });

  it('zooms with a two-finger pinch on a touch screen, around the fingers', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    const dialog = await openPhoto(TALL.name);
    const image = shownImage(dialog);
    const fitted = await boxOf(image);
    const touch = await page.context().newCDPSession(page);
    const centre = { x: fitted.x + fitted.width / 2, y: fitted.y + fitted.height / 2 };
    const fingers = (spread: number) => [
      { x: centre.x - spread, y: centre.y, id: 1 },
      { x: centre.x + spread, y: centre.y, id: 2 },
    ];
    await touch.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 2 });
    await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(40) });
    for (const spread of [60, 80, 100, 120]) {
      await touch.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(spread) });
    }
    await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await touch.send('Emulation.setTouchEmulationEnabled', { enabled: false });
    await touch.detach();
    const pinched = await boxOf(image);
    assert.ok(
      pinched.width > fitted.width * 2.5,
      `fingers 3× apart zoom about 3×: ${fitted.width} -> ${pinched.width}`,
    );
    const before = fractionAt(fitted, centre);
    const after = fractionAt(pinched, centre);
    assert.ok(
      Math.abs(before.x - after.x) < 0.01 && Math.abs(before.y - after.y) < 0.01,
      `the spot between the fingers stays there: ${JSON.stringify(before)} vs ${JSON.stringify(after)}`,
    );
    await closePhoto(dialog);
  });

  it('hides the docked sidebar with the menu button in a wide window, giving the grid its width', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    await sidebar().waitFor();
    const grid = page.getByRole('grid', { name: 'Photos' });
    const docked = await boxOf(grid);
    await page.getByRole('button', { name: 'Hide the library sidebar' }).click();
    await sidebar().waitFor({ state: 'hidden' });
    assert.ok((await boxOf(grid)).width > docked.width + 200, 'the grid takes the room');
    await page.getByRole('button', { name: 'Show the library sidebar' }).click();
    await sidebar().waitFor();
    assert.equal((await boxOf(grid)).width, docked.width);
  });

  for (const size of [
    { width: 390, height: 844 },
    { width: 360, height: 740 },
  ]) {
    it(`reaches the sidebar from its menu button at ${size.width}×${size.height}, and nothing is cut off`, async () => {
      await page.setViewportSize(size);
      const window = { x: 0, y: 0, ...size };
      await page.reload();
      await cell(TALL.name).waitFor();
      assert.equal(await sidebar().isVisible(), false, 'a phone shows the photos, not the sidebar');
      await assertNoSideways('the grid');
      assertInside(await boxOf(page.locator('header')), window, 'the header');

      // A category: the drawer closes over the photos it chose.
      await menuButton().click();
      await sidebar().waitFor();
      assertInside(await boxOf(sidebar()), window, 'the open sidebar');
      await assertNoSideways('the open sidebar');
      if (size.width === 390) await shot(`${size.width}x${size.height}-sidebar`);
      const category = sidebar().getByRole('region', { name: 'Categories' }).getByRole('button').first();
      // Its accessible name is "Cat, 2 photos".
      const name = (await category.getAttribute('aria-label'))!.split(',')[0]!;
      await category.click();
      await sidebar().waitFor({ state: 'hidden' });
      await page.getByRole('list', { name: 'Active filters' }).getByText(name).waitFor();

      // The view already chosen closes it too; the category chosen again leaves the filter.
      await menuButton().click();
      await sidebar()
        .getByRole('button', { name: /^All photos/ })
        .click();
      await sidebar().waitFor({ state: 'hidden' });
      await menuButton().click();
      await category.click();
      await sidebar().waitFor({ state: 'hidden' });
      await page.getByRole('list', { name: 'Active filters' }).getByText(name).waitFor({ state: 'detached' });

      // Escape and a tap beside the drawer close it too, giving the menu button back its focus.
      await menuButton().click();
      await sidebar().waitFor();
      await page.keyboard.press('Escape');
      await sidebar().waitFor({ state: 'hidden' });
      assert.equal(await menuButton().evaluate((button) => button === document.activeElement), true);
      await menuButton().click();
      await page.mouse.click(size.width - 10, size.height / 2);
      await sidebar().waitFor({ state: 'hidden' });

      // Add folder, from the drawer.
      await menuButton().click();
      await sidebar().getByRole('button', { name: 'Add a folder' }).click();
      const form = sidebar().getByRole('form', { name: 'Add folder' });
      const added = size.width === 390 ? 'More' : 'Extra';
      mkdirSync(join(dir, added));
      copyFileSync(photo('owl.jpg'), join(dir, added, 'owl.jpg'));
      await form.getByRole('combobox', { name: 'Folder path on the server' }).fill(join(dir, added));
      await form.getByRole('button', { name: 'Add folder' }).click();
      await sidebar()
        .getByRole('button', { name: new RegExp(`^${added}`) })
        .waitFor();
      addedPhotos++;
      await tagged(PHOTOS.length + addedPhotos);
      await assertNoSideways('the add-folder form');

      // Review, from the drawer: it opens over the closed drawer, whole.
      await sidebar()
        .getByRole('button', { name: /^Review/ })
        .click();
      const review = page.getByRole('dialog', { name: 'Review' });
      await review.waitFor();
      assert.equal(await sidebar().isVisible(), false);
      await fullImageLoaded(review);
      assertInside(await boxOf(shownImage(review)), window, 'the photo under review');
      await assertNoSideways('the review');
      await page.keyboard.press('Escape');
      await review.waitFor({ state: 'detached' });

      // The photo view and a selection fit too: whichever photo the tile opens, as tagging may still reorder them.
      await cell(WIDE.name).click();
      const dialog = page.getByRole('dialog', { name: /^Photo / });
      await fullImageLoaded(dialog);
      assertInside(await boxOf(shownImage(dialog)), window, 'the photo');
      for (const name of ['Close', 'Previous photo', 'Next photo']) {
        assertInside(await boxOf(dialog.getByRole('button', { name, exact: true })), window, name);
      }
      await assertNoSideways('the photo view');
      if (size.width === 390) await shot(`${size.width}x${size.height}-photo`);
      await closePhoto(dialog);
      await cell(WIDE.name).click({ modifiers: ['ControlOrMeta'] });
      const bar = page.getByRole('toolbar', { name: 'Selection' });
      await bar.waitFor();
      assertInside(await boxOf(bar), window, 'the selection bar');
      await assertNoSideways('the selection bar');
      await page.keyboard.press('Escape');
      await bar.waitFor({ state: 'detached' });
    });
  }
});
