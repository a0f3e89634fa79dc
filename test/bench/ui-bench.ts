/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The callbacks passed to page.evaluate run in Chromium.
/**
 * UI benchmark: a synthetic library of 100,000 tagged photos written straight into a fresh database, served by
 * the real web server, measured in Debian's Chromium. Prints figures; asserts nothing.
 *
 *   npm run bench:ui [-- --photos N]
 *
 * Goals (issue 4): first grid painted under 1 s, tag filter under 50 ms, scrolling at 50 frames per second or more.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { Library } from '../../src-main/library/library.js';
import { startWebServer } from '../../src-main/web/web-server.js';
import { assertBuilt, launchChromium } from '../e2e/serve-process.js';
import { createSyntheticLibrary } from './synthetic-library.js';

const { values } = parseArgs({ options: { photos: { type: 'string', default: '100000' } } });
const PHOTOS = Number(values.photos);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const line = (label: string, value: string, goal = '') =>
  process.stdout.write(`  ${label.padEnd(44)} ${value.padStart(12)}${goal ? `   (goal ${goal})` : ''}\n`);

/**
 * Runs in the page from its first moment: notes when ten captioned tiles are in the document, when the frame
 * showing them has been painted (the second animation frame after), and when every visible thumbnail has loaded.
 */
const FIRST_GRID_PROBE = `(() => {
  const times = (globalThis.firstGrid = {});
  const check = () => {
    const now = performance.now();
    if (times.captions === undefined && document.querySelectorAll('[role=gridcell] .caption').length >= 10) {
      times.captions = now;
      requestAnimationFrame(() => requestAnimationFrame(() => (times.painted = performance.now())));
    }
    const grid = document.querySelector('[role=grid]');
    if (times.captions !== undefined && grid) {
      const bottom = grid.getBoundingClientRect().bottom;
      const visible = [...document.querySelectorAll('[role=gridcell] img')].filter(
        (img) => img.getBoundingClientRect().top < bottom,
      );
      if (visible.length > 0 && visible.every((img) => img.complete)) times.thumbnails = now;
    }
    if (times.thumbnails === undefined) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();`;

/** Scrolls the grid by `step` pixels every frame for `seconds`, counting the frames the page actually produced. */
async function scrollFps(page: Page, step: number, seconds: number) {
  return page.evaluate(
    ({ step, seconds }) =>
      new Promise<{ fps: number; frames: number; longFrames: number; worstMs: number; scrolledPx: number }>(
        (resolve) => {
          const grid = document.querySelector<HTMLElement>('[role=grid]')!;
          const startTop = grid.scrollTop;
          const start = performance.now();
          let last = start;
          let frames = 0;
          let longFrames = 0;
          let worst = 0;
          const tick = (now: number) => {
            const gap = now - last;
            if (frames > 0) {
              worst = Math.max(worst, gap);
              if (gap > 1000 / 30) longFrames++;
            }
            last = now;
            frames++;
            if (now - start >= seconds * 1000) {
              const elapsed = (now - start) / 1000;
              resolve({
                fps: frames / elapsed,
                frames,
                longFrames,
                worstMs: worst,
                scrolledPx: grid.scrollTop - startTop,
              });
              return;
            }
            grid.scrollTop += step;
            requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        },
      ),
    { step, seconds },
  );
}

async function main(): Promise<void> {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'phototag-ui-bench-'));
  process.env.PHOTOTAG_HOME = join(dir, 'home');
  try {
    let started = performance.now();
    const synthetic = await createSyntheticLibrary(dir, PHOTOS);
    process.stdout.write(
      `Synthetic library: ${PHOTOS.toLocaleString('en')} photos written in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `filtering by "${synthetic.commonCategory.name}" (${synthetic.commonCategory.count.toLocaleString('en')} photos).\n`,
    );
    const library = Library.open({ dbPath: synthetic.dbPath });
    // No engine: the synthetic photos have no files, and a scan would find them gone.
    const server = await startWebServer({ library, port: 0, startEngine: false });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      // tsx compiles this file with esbuild's keepNames, whose __name() helper the browser lacks.
      await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
      // Timed inside the page, frame by frame: polling from the test would add its own round trips.
      await context.addInitScript(FIRST_GRID_PROBE);
      const page = await context.newPage();

      process.stdout.write('\nFirst grid (fresh browser context, cold thumbnails)\n');
      await page.goto(server.url);
      const firstGrid = (await page
        .waitForFunction(() => (globalThis as { firstGrid?: { thumbnails?: number } }).firstGrid?.thumbnails)
        .then(() => page.evaluate(() => (globalThis as { firstGrid?: unknown }).firstGrid))) as {
        captions: number;
        painted: number;
        thumbnails: number;
      };
      const timeline = await page.evaluate(() => {
        const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const firstPage = performance
          .getEntriesByType('resource')
          .find((entry) => entry.name.endsWith('/api/queryPhotos')) as PerformanceResourceTiming | undefined;
        return {
          scripts: navigation.domContentLoadedEventEnd,
          requested: firstPage?.requestStart ?? NaN,
          answered: firstPage?.responseEnd ?? NaN,
        };
      });
      line('  page and script loaded (DOMContentLoaded)', ms(timeline.scripts));
      line(
        '  first page of photos requested / answered',
        `${timeline.requested.toFixed(0)} / ${timeline.answered.toFixed(0)} ms`,
      );
      line('  tiles with captions in the document', ms(firstGrid.captions));
      line('navigation to grid with captions painted', ms(firstGrid.painted), '< 1000 ms');
      line('navigation to visible thumbnails loaded', ms(firstGrid.thumbnails));

      process.stdout.write(`\nTag filter ("${synthetic.commonCategory.name}", 100,000 photos)\n`);
      const filter = { tags: [{ kind: 'category' as const, id: synthetic.commonCategory.id }], minScore: 0.3 };
      const serverTimes: number[] = [];
      for (let i = 0; i < 20; i++) {
        started = performance.now();
        await server.service.call('queryPhotos', { filter, offset: 0, limit: 150 });
        serverTimes.push(performance.now() - started);
      }
      line('server: queryPhotos (first page + total), median', ms(median(serverTimes)), '< 50 ms');
      const deepTimes: number[] = [];
      for (let i = 0; i < 10; i++) {
        started = performance.now();
        await server.service.call('queryPhotos', { filter, offset: synthetic.commonCategory.count - 150, limit: 150 });
        deepTimes.push(performance.now() - started);
      }
      line('server: queryPhotos, last page, median', ms(median(deepTimes)));
      const two = { ...filter, tags: [...filter.tags, { kind: 'category' as const, id: 'dog' }] };
      const twoTimes: number[] = [];
      for (let i = 0; i < 10; i++) {
        started = performance.now();
        await server.service.call('queryPhotos', { filter: two, offset: 0, limit: 150 });
        twoTimes.push(performance.now() - started);
      }
      line('server: two tags at once, median', ms(median(twoTimes)));
      const tagTimes: number[] = [];
      // A new threshold each time: the service keeps counts until the library changes, this measures computing them.
      for (let i = 1; i <= 10; i++) {
        started = performance.now();
        await server.service.call('tags', { minScore: i / 20 });
        tagTimes.push(performance.now() - started);
      }
      line('server: tag list with counts (uncached), median', ms(median(tagTimes)));
      const roundTrips = await page.evaluate(async (filter) => {
        const times: number[] = [];
        for (let i = 0; i < 20; i++) {
          const start = performance.now();
          const response = await fetch('api/queryPhotos', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ filter, offset: 0, limit: 150 }),
          });
          await response.json();
          times.push(performance.now() - start);
        }
        return times;
      }, filter);
      line('round trip from the page (HTTP + JSON), median', ms(median(roundTrips)));
      const button = page.getByRole('button', { name: new RegExp(`^${synthetic.commonCategory.name}, `) });
      await button.waitFor();
      const clickToGrid = await page.evaluate(async (count) => {
        const start = performance.now();
        const target = [...document.querySelectorAll('button[aria-pressed]')].find((node) =>
          node.getAttribute('aria-label')?.startsWith(`${count.name}, `),
        ) as HTMLButtonElement;
        target.click();
        const wanted = `${count.count.toLocaleString()} photos`;
        return new Promise<number>((resolve) => {
          const check = () => {
            const shown = document.querySelector('[data-testid=photo-count]')?.textContent?.trim();
            if (shown === wanted && document.querySelectorAll('[role=gridcell] .caption').length > 0) {
              requestAnimationFrame(() => resolve(performance.now() - start));
            } else requestAnimationFrame(check);
          };
          check();
        });
      }, synthetic.commonCategory);
      line('click on the category to filtered grid painted', ms(clickToGrid));
      await page.getByRole('button', { name: 'Clear filters' }).first().click();
      await page.waitForFunction(
        (n) => document.querySelector('[data-testid=photo-count]')?.textContent?.includes(n),
        PHOTOS.toLocaleString(),
      );

      process.stdout.write('\nScrolling the whole-library grid (requestAnimationFrame count)\n');
      for (const [label, step] of [
        ['steady scroll, 1,800 px/s', 30],
        ['fast scroll, 12,000 px/s', 200],
        ['fling, 48,000 px/s (pages load mid-scroll)', 800],
      ] as const) {
        const result = await scrollFps(page, step, 4);
        line(label, `${result.fps.toFixed(1)} fps`, '>= 50 fps');
        line('  frames over 33 ms / worst frame', `${result.longFrames} / ${result.worstMs.toFixed(0)} ms`);
      }
      const domSize = await page.evaluate(() => document.querySelectorAll('*').length);
      line('DOM elements while showing 100,000 photos', domSize.toLocaleString('en'));
    } finally {
      await browser.close();
      await server.close();
      await library.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
