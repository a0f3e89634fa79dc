/// <reference lib="dom" />
// The callbacks passed to page.evaluate run in Chromium.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { ROOT, tempDir } from '../helpers.js';
import { callApi, startTaggedLibrary, stopServedPage, type ServedPage, WINDOW_SIZES } from './serve-process.js';

const SHOTS = join(ROOT, 'test-results');
/**
 * Enough photos of one month to fill the grid's first row at every size (six columns at 1400 px): photos without a
 * date taken, dated by their files, copied today; and one taken in June 2007 (face.jpg): two years on the timeline.
 */
const PHOTOS = [
  'face.jpg',
  'grace_hopper.bmp',
  'sunflower.bmp',
  'bird.bmp',
  'dragonfly.bmp',
  'dog.jpg',
  'cat_720p.jpg',
  'cat.bmp',
];
/** And a small phone. */
const SIZES = [...WINDOW_SIZES, { width: 360, height: 740 }];
/** The grid's gap between tiles: the most room the timeline's labels may leave beside the tiles. */
const TILE_GAP = 8;

describe('the window layout at every size, in Chromium', () => {
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  // Here, not in before(): tempDir's clean-up belongs to the suite.
  const dir = tempDir('phototag-e2e-layout-');

  async function boxOf(locator: Locator) {
    const box = await locator.boundingBox();
    assert.ok(box, 'the element is drawn');
    return box;
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    served = await startTaggedLibrary({ dir, folder: 'Holiday', photos: PHOTOS, problems });
    ({ page } = served);
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  for (const size of SIZES) {
    // The whole library: its first row is full at every size.
    it(`fills the width with the grid and the timeline, no empty band between, at ${size.width}×${size.height}`, async () => {
      await page.setViewportSize(size);
      const grid = page.getByRole('grid', { name: 'Photos' });
      const timeline = page.getByRole('slider', { name: 'Timeline' });
      await timeline.waitFor();
      const main = await boxOf(page.getByRole('main'));
      const gridBox = await boxOf(grid);
      const timelineBox = await boxOf(timeline);
      const firstRow = grid
        .getByRole('row')
        .filter({ has: page.getByRole('gridcell') })
        .first();
      const lastTile = await boxOf(firstRow.getByRole('gridcell').last());
      const year = await boxOf(timeline.getByText(/^\d{4}$/).first());
      assert.ok(
        Math.abs(timelineBox.x + timelineBox.width - (main.x + main.width)) <= 1,
        'the timeline ends the window',
      );
      assert.ok(Math.abs(gridBox.x + gridBox.width - timelineBox.x) <= 1, 'the grid runs up to the timeline');
      const band = year.x - (lastTile.x + lastTile.width);
      assert.ok(band >= 0 && band <= TILE_GAP + 2, `${band} px between the tiles and the years: a tile gap at most`);
    });
  }

  it('spreads the years down the timeline when the grid fits without scrolling', async () => {
    await page.setViewportSize(SIZES[0]!);
    const timeline = page.getByRole('slider', { name: 'Timeline' });
    // The photos without a date taken are dated by their files, copied today.
    const thisYear = String(new Date().getFullYear());
    const [recent, old] = await Promise.all([thisYear, '2007'].map((year) => boxOf(timeline.getByText(year))));
    const maxScroll = await page
      .getByRole('grid', { name: 'Photos' })
      .evaluate((grid) => grid.scrollHeight - grid.clientHeight);
    assert.equal(maxScroll, 0, 'the grid fits');
    assert.ok(
      old!.y - recent!.y > recent!.height,
      `2007 (${old!.y}) lies below ${thisYear} (${recent!.y}), not over it`,
    );
  });

  it('shows a filter in the header', async () => {
    // A filter puts its chip, the threshold and "Clear filters" in the header's row: the most it holds.
    await page.setViewportSize(SIZES[0]!);
    await page
      .getByRole('navigation', { name: 'Library' })
      .getByRole('button', { name: /^Bird\b/ })
      .click();
    await page.getByRole('heading', { name: 'Bird' }).waitFor();
  });

  for (const size of SIZES) {
    it(`puts the first month's year at the top of the timeline under a filter at ${size.width}×${size.height}`, async () => {
      await page.setViewportSize(size);
      const timeline = page.getByRole('slider', { name: 'Timeline' });
      const track = await boxOf(timeline);
      const year = await boxOf(timeline.getByText(/^\d{4}$/).first());
      assert.ok(year.y + year.height / 2 - track.y <= year.height, `the year at ${year.y}, the track from ${track.y}`);
    });

    it(`keeps everything in the header inside it under a filter at ${size.width}×${size.height}`, async () => {
      await page.setViewportSize(size);
      await page.getByRole('combobox', { name: 'Order' }).waitFor();
      const outside = await page.evaluate(() => {
        const header = document.querySelector('main > header')!.getBoundingClientRect();
        const parts = document.querySelectorAll('main > header > *, .filters > *, .tools > *, .progress > *');
        return [...parts]
          .map((element) => ({ element, box: element.getBoundingClientRect() }))
          .filter(({ box }) => box.width > 0 && box.height > 0)
          .filter(
            ({ box }) =>
              box.left < header.left - 0.5 ||
              box.right > header.right + 0.5 ||
              box.top < header.top - 0.5 ||
              box.bottom > header.bottom + 0.5,
          )
          .map(({ element, box }) => `${element.className || element.tagName}: ${box.left}..${box.right}`);
      });
      await page.screenshot({ path: join(SHOTS, `layout-header-${size.width}.png`) });
      assert.deepEqual(outside, [], `nothing runs off the ${size.width} px header`);
    });

    it(`keeps a full-window view's header, Close included, on the screen at ${size.width}×${size.height}`, async () => {
      await page.setViewportSize(size);
      await page.getByRole('button', { name: 'Suggestions', exact: true }).click();
      const close = page.getByRole('button', { name: 'Close', exact: true });
      const box = await boxOf(close);
      assert.ok(box.x >= 0 && box.x + box.width <= size.width, `Close at ${box.x}..${box.x + box.width}`);
      await close.click();
    });
  }

  it('keeps the paused progress and Resume clear of the buttons beside them at every size', async () => {
    await callApi(served!.server, 'pause', {});
    try {
      await page.getByRole('button', { name: 'Resume' }).waitFor();
      for (const size of SIZES) {
        await page.setViewportSize(size);
        const overlaps = await page.evaluate(() => {
          const boxes = [...document.querySelectorAll('.tools > :not(.progress), .progress > *')]
            .map((element) => ({
              name: element.textContent!.trim() || element.className,
              box: element.getBoundingClientRect(),
            }))
            .filter(({ box }) => box.width > 0 && box.height > 0);
          return boxes.flatMap((a, i) =>
            boxes
              .slice(i + 1)
              .filter(
                ({ box: b }) =>
                  a.box.left < b.right - 0.5 &&
                  b.left < a.box.right - 0.5 &&
                  a.box.top < b.bottom - 0.5 &&
                  b.top < a.box.bottom - 0.5,
              )
              .map((b) => `${a.name} over ${b.name}`),
          );
        });
        await page.screenshot({ path: join(SHOTS, `layout-paused-${size.width}.png`) });
        assert.deepEqual(overlaps, [], `nothing overlaps in the ${size.width} px header`);
      }
    } finally {
      await callApi(served!.server, 'resume', {});
    }
  });
});
