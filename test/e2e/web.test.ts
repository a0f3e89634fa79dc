/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The callbacks passed to page.evaluate run in Chromium.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ApiArgs, ApiMethod, PhotoTile } from '../../src-main/api/contract.js';
import { PHOTOS_DIR, ROOT, tempDir } from '../helpers.js';
import { writeHostileFiles } from '../hostile-files.js';
import { openDatabase } from '../../src-main/db/database.js';
import { Library } from '../../src-main/library/library.js';
import { startWebServer, type WebServer } from '../../src-main/web/web-server.js';
import {
  callApi,
  gridShows,
  holdRequests,
  launchChromium,
  startServedPage,
  stopServedPage,
  TALL_VIEWPORT,
  type ServedPage,
  type ServeProcess,
  TAGGING_TIMEOUT,
} from './serve-process.js';

const SHOTS = join(ROOT, 'test-results');
const HOSTILE = ['notes.jpg', 'truncated.jpg'];
const screenshot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `web-${name}.png`) });

describe('web mode in Chromium, over the real engine', () => {
  let server: ServeProcess;
  let served: ServedPage | undefined;
  let page: Page;
  let photosDir: string;
  const reasons = new Map<string, RegExp>();
  const problems: string[] = [];
  let photoCount = 0;

  /** Asks the server directly, as the truth the UI must show. */
  const api = <M extends ApiMethod>(method: M, args: ApiArgs<M>) => callApi(server, method, args);

  const cells = () => page.getByRole('grid', { name: 'Photos' }).getByRole('gridcell');
  const shot = (name: string) => screenshot(page, name);
  const cellLabels = async () =>
    (await cells().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''))).sort();

  // Here, not in before(): tempDir's clean-up belongs to the suite.
  const dir = tempDir('phototag-e2e-');

  before(async () => {
    photosDir = join(dir, 'My Photos');
    mkdirSync(photosDir);
    for (const name of readdirSync(PHOTOS_DIR).filter((file) => /\.(jpg|bmp)$/.test(file))) {
      copyFileSync(join(PHOTOS_DIR, name), join(photosDir, name));
      photoCount++;
    }
    const hostileDir = join(dir, 'hostile');
    mkdirSync(hostileDir);
    const written = writeHostileFiles(hostileDir);
    for (const name of HOSTILE) {
      copyFileSync(join(hostileDir, name), join(photosDir, name));
      reasons.set(name, written[join(hostileDir, name)]!);
      photoCount++;
    }
    mkdirSync(SHOTS, { recursive: true });
    served = await startServedPage({
      dir,
      problems,
      // A refused Content-Security-Policy shows up here: the UI must work under the strict one.
      allowedErrors: /404 \(Not Found\)/,
      // Tall enough for the grid to draw every fixture, months apart as their dates are, at once.
      viewport: TALL_VIEWPORT,
    });
    ({ server, page } = served);
  });

  after(() => stopServedPage(served));

  it('starts empty and says how to add a folder', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Add a photo folder' }).waitFor();
    await shot('1-empty');
  });

  it('keeps the access token in a __Host- cookie for this port, out of the address bar', async () => {
    const origin = new URL(server.url).origin;
    assert.equal(page.url(), `${origin}/`);
    const cookies = await page.context().cookies(origin);
    assert.deepEqual(
      cookies.map(({ name, value, domain, path, httpOnly, secure, sameSite }) => ({
        name,
        value,
        domain,
        path,
        httpOnly,
        secure,
        sameSite,
      })),
      [
        {
          name: `__Host-phototag_token_${new URL(server.url).port}`,
          value: server.token,
          domain: '127.0.0.1',
          path: '/',
          httpOnly: true,
          secure: true,
          sameSite: 'Strict',
        },
      ],
    );
    const anonymous = await fetch(`${origin}/api/summary`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(anonymous.status, 401, 'without the token, even on loopback');
  });

  it('adds a folder by its path on the server, and tagging progress runs to completion', async () => {
    await page.getByRole('combobox', { name: 'Folder path on the server' }).fill(photosDir);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByRole('button', { name: 'My Photos', exact: false }).first().waitFor();
    const tagged = photoCount - HOSTILE.length;
    await page
      .getByText(`All caught up: ${tagged} photos tagged, ${HOSTILE.length} could not be read`)
      .waitFor({ timeout: TAGGING_TIMEOUT });
    const bar = page.getByRole('progressbar', { name: 'Tagging progress' });
    assert.equal(await bar.getAttribute('aria-valuenow'), String(photoCount));
    assert.equal(await bar.getAttribute('aria-valuemax'), String(photoCount));
    await shot('2-tagged');
  });

  it('counts one way everywhere: the header and the folder, photos below the threshold, the uncertain ones to review', async () => {
    const summary = await api('summary', {});
    const { untagged } = await api('tags', { minScore: 0.3 });
    const sidebar = page.getByRole('navigation', { name: 'Library' });
    // "Untagged" beside "All caught up" read as a contradiction: these are tagged below the threshold.
    await sidebar.getByRole('button', { name: `Below 30% ${untagged}`, exact: true }).waitFor();
    assert.ok(
      summary.uncertain > 0 && summary.uncertain < summary.toReview,
      `${summary.uncertain} of ${summary.toReview} are uncertain`,
    );
    await sidebar.getByRole('button', { name: `Review ${summary.uncertain} uncertain`, exact: true }).waitFor();
    const folder = sidebar.getByRole('button', { name: /^My Photos/ });
    assert.equal((await folder.locator('.count').innerText()).trim(), String(summary.folders[0]!.total));
    assert.equal((await page.getByTestId('photo-count').innerText()).trim(), `${summary.counts.total} photos`);
    assert.equal(summary.counts.total, photoCount);
    const done = await page.getByText(/^All caught up/).innerText();
    assert.equal(
      done,
      `All caught up: ${summary.counts.done} photos tagged, ${summary.counts.failed} could not be read`,
    );
  });

  /** A tile's caption as the grid writes it: "Bird · House Finch", "People · 3", "Dog". */
  const caption = (top: NonNullable<PhotoTile['top']>) => (top.detail ? `${top.name} · ${top.detail.name}` : top.name);

  it('shows every photo in the grid with its top tag and confidence', async () => {
    const { photos } = await api('queryPhotos', { limit: 100 });
    assert.equal((await api('timeline', {})).total, photoCount);
    const expected = photos
      .map((photo: PhotoTile) =>
        photo.status === 'failed'
          ? `${photo.name}, failed: ${photo.error}`
          : // A keyword in the photo's file (owl.jpg carries some) is the user's already, as a correction is.
            photo.top!.source !== 'model'
            ? `${photo.name}, ${caption(photo.top!)} confirmed`
            : `${photo.name}, ${caption(photo.top!)} ${Math.round((photo.top!.detail?.score ?? photo.top!.score) * 100)}%`,
      )
      .sort();
    await gridShows(page, photoCount);
    assert.deepEqual(await cellLabels(), expected);
    // What a person sees in these photos (test/fixtures/photos/README.md).
    for (const [name, tag] of [
      ['cat_720p.jpg', 'Cat'],
      ['dog.jpg', 'Dog'],
      ['hot_dog.jpg', 'Food'],
    ] as const) {
      assert.match(
        await page.getByRole('gridcell', { name: new RegExp(`^${name.replace('.', '\\.')}, `) }).innerText(),
        new RegExp(`${tag} \\d+%`),
      );
    }
    await page.getByRole('gridcell', { name: /^dog\.jpg, / }).hover();
    await page
      .getByRole('gridcell', { name: /^dog\.jpg, / })
      .getByRole('meter')
      .first()
      .waitFor();
    await shot('3-grid-hover');
  });

  it('finds tags as people type them, and says when a tag is unknown or carried by no photo', async () => {
    const search = page.getByRole('combobox', { name: 'Search tags' });
    const suggestions = page.getByRole('listbox', { name: 'Matching tags' });
    const notice = (text: string) => page.getByRole('status').filter({ hasText: text });
    await search.fill('cats');
    await suggestions.getByRole('option').first().getByText('Cat', { exact: true }).waitFor();
    await search.fill('xyzzy');
    await notice('No tag matches "xyzzy".').waitFor();
    await search.fill('retriever');
    await notice('"Flat-coated retriever", "Curly-coated retriever" and 3 more are known but no photo').waitFor();
    await search.fill('person');
    await suggestions.getByRole('option').first().getByText('People', { exact: true }).waitFor();
    await shot('4-search');
    await search.press('Enter');
    const chips = page.getByRole('list', { name: 'Active filters' });
    await chips.getByText('People').waitFor();
    await page.getByRole('button', { name: 'Remove filter People' }).press('Enter');
    await chips.getByText('People').waitFor({ state: 'detached' });
  });

  it('filters by a category: exactly the matching photos', async () => {
    const tags = await api('tags', { minScore: 0.3 });
    const cat = tags.categories.find((tag) => tag.id === 'cat');
    assert.ok(cat, `no Cat category among ${tags.categories.map((tag) => tag.name).join(', ')}`);
    const { photos } = await api('queryPhotos', { filter: { tags: [{ kind: 'category', id: 'cat' }] }, limit: 100 });
    assert.equal(photos.length, cat.count);
    for (const name of ['cat.bmp', 'cat_720p.jpg', 'cat_1080p.jpg'])
      assert.ok(
        photos.some((p) => p.name === name),
        name,
      );

    await page.getByRole('button', { name: `Cat, ${cat.count} photos`, exact: true }).click();
    await page.getByText(`${cat.count} photos`, { exact: true }).waitFor();
    await gridShows(page, cat.count);
    const shown = (await cellLabels()).map((label) => label.split(', ')[0]).sort();
    assert.deepEqual(shown, photos.map((photo) => photo.name).sort());
    await page.getByRole('list', { name: 'Active filters' }).getByText('Cat').waitFor();
    await shot('4-filter-cat');
  });

  it('opens a photo with every prediction and its confidence, steps with the arrow keys, closes with Escape', async () => {
    const names = (
      await cells().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''))
    ).map((label) => label.split(', ')[0]!);
    await cells().first().click();
    const dialog = page.getByRole('dialog', { name: `Photo ${names[0]}` });
    await dialog.waitFor();
    const { photos } = await api('queryPhotos', { filter: { tags: [{ kind: 'category', id: 'cat' }] }, limit: 100 });
    const detail = await api('photo', { id: photos.find((photo) => photo.name === names[0])!.id });
    const meters = dialog.getByRole('meter');
    await meters.first().waitFor();
    assert.equal(await meters.count(), detail.labels.length + detail.categories.length);
    for (const score of [...detail.categories, ...detail.labels]) {
      const meter = dialog.getByRole('meter', { name: score.name, exact: true }).first();
      assert.equal(await meter.getAttribute('aria-valuenow'), String(Math.round(score.score * 100)));
    }
    await dialog.getByText(detail.path).waitFor();
    const image = dialog.getByRole('img').first();
    await image.waitFor();
    await page.waitForFunction(
      (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
      await image.elementHandle(),
    );
    await shot('5-photo-view');

    await page.keyboard.press('ArrowRight');
    await page.getByRole('dialog', { name: `Photo ${names[1]}` }).waitFor();
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('dialog', { name: `Photo ${names[0]}` }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  it('narrows the grid to the photos with people from the People category, captioned with their faces', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    const people = (await api('tags', { minScore: 0.3 })).categories.find((tag) => tag.id === 'people');
    assert.ok(people, 'a People category in the sidebar');
    const filter = { tags: [{ kind: 'category' as const, id: 'people' }] };
    const { photos } = await api('queryPhotos', { filter, limit: 100 });
    assert.deepEqual(photos.map((photo) => photo.name).sort(), ['face.jpg', 'grace_hopper.bmp']);

    await page.getByRole('button', { name: `People, ${people.count} photos`, exact: true }).click();
    await gridShows(page, people.count);
    assert.deepEqual((await cellLabels()).map((label) => label.split(', ')[0]).sort(), [
      'face.jpg',
      'grace_hopper.bmp',
    ]);
    const faces = (await api('photo', { id: photos.find((photo) => photo.name === 'face.jpg')!.id })).faces;
    assert.match(
      await page.getByRole('gridcell', { name: /^face\.jpg, / }).innerText(),
      new RegExp(`People · ${faces} \\d+%`),
    );
    await shot('4-filter-people');
  });

  it('lists the photos that failed, each with its reason, and the filter survives a reload', async () => {
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByRole('button', { name: /^Failed/ }).click();
    await gridShows(page, HOSTILE.length);
    for (const name of HOSTILE) {
      const cell = page.getByRole('gridcell', { name: new RegExp(`^${name.replace('.', '\\.')}, failed: `) });
      assert.match((await cell.getAttribute('aria-label'))!, reasons.get(name)!);
    }
    await shot('6-failed');

    await page.reload();
    await gridShows(page, HOSTILE.length);
    assert.equal(await page.getByRole('button', { name: /^Failed/ }).getAttribute('aria-pressed'), 'true');

    await page.getByRole('gridcell', { name: /^notes\.jpg, / }).click();
    const dialog = page.getByRole('dialog', { name: 'Photo notes.jpg' });
    await dialog.getByText('Could not be tagged').waitFor();
    assert.match(await dialog.getByRole('alert').innerText(), reasons.get('notes.jpg')!);
    await shot('7-failed-photo');
    await page.keyboard.press('Escape');
  });

  it('moves through the grid with the keyboard and opens with Enter', async () => {
    await page.getByRole('button', { name: /^All photos/ }).click();
    await gridShows(page, photoCount);
    const labels = await cells().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''));
    await page.getByRole('grid', { name: 'Photos' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: `Photo ${labels[1]!.split(', ')[0]}` }).waitFor();
    await page.keyboard.press('Escape');
  });

  const month = new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const monthTitle = (key: string | null) =>
    key ? month.format(Date.UTC(Number(key.slice(0, 4)), Number(key.slice(5, 7)) - 1, 1)) : 'Date unknown';
  const headings = () =>
    page
      .getByRole('grid', { name: 'Photos' })
      .getByRole('heading')
      .evaluateAll((nodes) => nodes.map((node) => node.textContent ?? ''));

  it('shows the photos newest first under a header for each month, and oldest first on request', async () => {
    await page.getByRole('button', { name: /^All photos/ }).click();
    await gridShows(page, photoCount);
    const newest = await api('timeline', {});
    assert.deepEqual(
      await headings(),
      newest.sections.map((section) => monthTitle(section.month)),
    );
    const first = await api('queryPhotos', { limit: 1 });
    assert.match((await cells().first().getAttribute('aria-label'))!, new RegExp(`^${first.photos[0]!.name}, `));

    await page.getByRole('combobox', { name: 'Order' }).selectOption({ label: 'Oldest first' });
    const oldest = await api('timeline', { sort: 'oldest' });
    await page.waitForFunction(
      (first) => document.querySelector('[role=grid] h2')?.textContent === first,
      monthTitle(oldest.sections[0]!.month),
    );
    assert.deepEqual(
      await headings(),
      oldest.sections.map((section) => monthTitle(section.month)),
    );
    await shot('9-oldest-first');
    await page.getByRole('combobox', { name: 'Order' }).selectOption({ label: 'Newest first' });
    await page.waitForFunction(
      (first) => document.querySelector('[role=grid] h2')?.textContent === first,
      monthTitle(newest.sections[0]!.month),
    );
  });

  it('names what the grid shows in its header, highlights it in the sidebar, and never moves the grid', async () => {
    const grid = page.getByRole('grid', { name: 'Photos' });
    const tops = async () => ({
      grid: await grid.evaluate((node) => node.getBoundingClientRect().top),
      export: await page.getByRole('button', { name: 'Export…' }).evaluate((node) => node.getBoundingClientRect().top),
    });
    const title = (text: string) => page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor();
    const pressed = (name: RegExp) => page.getByRole('button', { name }).first().getAttribute('aria-pressed');
    await title('All photos');
    const unfiltered = await tops();
    const { categories } = await api('tags', { minScore: 0.3 });
    const [cat, dog] = ['cat', 'dog'].map((id) => categories.find((tag) => tag.id === id)!);
    assert.ok(cat && dog, 'Cat and Dog among the categories');

    await page.getByRole('button', { name: `Cat, ${cat.count} photos`, exact: true }).click();
    await title('Cat');
    assert.deepEqual(await tops(), unfiltered, 'the first chip moves neither the grid nor Export');
    assert.equal(await pressed(/^All photos/), 'false');
    assert.equal(await pressed(/^Cat, /), 'true');

    await page.getByRole('button', { name: `Dog, ${dog.count} photos`, exact: true }).click();
    await title('Cat + Dog');
    await page.getByRole('button', { name: 'Any tag' }).click();
    await title('Cat or Dog');
    const either = await api('timeline', {
      filter: {
        tags: [
          { kind: 'category', id: 'cat' },
          { kind: 'category', id: 'dog' },
        ],
        match: 'any',
      },
    });
    const names = async (id: string) =>
      (await api('queryPhotos', { filter: { tags: [{ kind: 'category', id }] }, limit: 100 })).photos.map(
        (p) => p.name,
      );
    assert.equal(either.total, new Set([...(await names('cat')), ...(await names('dog'))]).size);
    await page.getByText(`${either.total} photos`, { exact: true }).waitFor();
    await gridShows(page, either.total);
    assert.deepEqual(await tops(), unfiltered, 'two chips and the toggle move nothing either');
    await shot('10-cat-or-dog');

    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByRole('button', { name: /^My Photos/ }).click();
    await title('My Photos folder');
    assert.equal(await pressed(/^All photos/), 'false');
    assert.deepEqual(await tops(), unfiltered);
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await title('All photos');
    assert.equal(await pressed(/^All photos/), 'true');
  });

  it('follows the dark theme of the OS', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(background, 'rgb(15, 17, 21)');
    await shot('8-dark');
  });

  it('ran without page errors or refused content (CSP)', () => {
    assert.deepEqual(problems, []);
  });
});

/**
 * A library of `count` photos, one an hour from 1990 on (photo-000001.jpg the oldest), written straight into a fresh
 * database: no files, no tags. What scrolling and jumping through a large library needs, in a second or two.
 */
function writeDatedLibrary(dir: string, count: number): string {
  const dbPath = join(dir, 'library.sqlite');
  const db = openDatabase(dbPath);
  db.prepare('INSERT INTO folders (id, path, added_at) VALUES (1, ?, 0)').run(join(dir, 'Camera'));
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
     INSERT INTO photos (folder_id, path, size, mtime_ms, taken_at, status)
     SELECT 1, @folder || '/photo-' || printf('%06d', i) || '.jpg', 1000, 0,
       strftime('%Y-%m-%dT%H:%M:%S', '1990-01-01', '+' || i || ' hours'), 'done' FROM n`,
  ).run({ count, folder: join(dir, 'Camera') });
  db.close();
  return dbPath;
}

describe('a library of 300,000 photos in Chromium, by time', () => {
  const PHOTOS = 300_000;
  const dir = tempDir('phototag-e2e-large-');
  let library: Library;
  let server: WebServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const grid = () => page.getByRole('grid', { name: 'Photos' });
  const name = (n: number) => `photo-${String(n).padStart(6, '0')}.jpg`;

  /** The cell of this photo is drawn inside the grid's viewport. */
  async function inView(photo: string) {
    const cell = grid().getByRole('gridcell', { name: new RegExp(`^${photo.replace('.', '\\.')}, `) });
    await cell.waitFor();
    const [box, frame] = [await cell.boundingBox(), await grid().boundingBox()];
    assert.ok(
      box && frame && box.y >= frame.y - 1 && box.y + box.height <= frame.y + frame.height + 1,
      `${photo} in view`,
    );
  }

  before(async () => {
    process.env.PHOTOTAG_HOME ??= join(dir, 'home');
    mkdirSync(SHOTS, { recursive: true });
    library = Library.open({ dbPath: writeDatedLibrary(dir, PHOTOS) });
    // No engine: the photos have no files, and a scan would find them gone.
    server = await startWebServer({ library, port: 0, startEngine: false });
    browser = await launchChromium();
    // Two columns: rows of 300,000 photos reach far beyond what Chromium lets an element scroll.
    page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(server.url);
    // The first page comes before the timeline that places all 300,000 photos: the timeline at the edge says it came.
    await page.getByRole('slider', { name: 'Timeline' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await library?.close();
  });

  it('scrolls to its very last photo, though its rows are taller than Chromium lets an element scroll', async () => {
    await inView(name(PHOTOS));
    const sizes = await grid().evaluate((node) => ({
      scroll: node.scrollHeight,
      rows: Number(node.getAttribute('aria-rowcount')),
      // From one row of photos to the next.
      row: (() => {
        const [a, b] = [...node.querySelectorAll('[role=row]:has([role=gridcell])')];
        return b!.getBoundingClientRect().top - a!.getBoundingClientRect().top;
      })(),
    }));
    assert.ok(sizes.rows * sizes.row > 2 ** 25, `${sizes.rows} rows of ${sizes.row} px are over 2^25 px`);
    assert.ok(sizes.scroll < 2 ** 25, `a scroll height Chromium keeps (${sizes.scroll} px)`);
    await grid().evaluate((node) => (node.scrollTop = node.scrollHeight));
    await inView(name(1));
    await screenshot(page, 'large-1-last-photo');

    await grid().focus();
    await page.keyboard.press('Home');
    await inView(name(PHOTOS));
    await page.keyboard.press('End');
    await inView(name(1));
  });

  it('jumps to a year from the timeline at the right edge, and month by month from the keyboard', async () => {
    const timeline = await server.service.call('timeline', {});
    const firstOf = async (month: string) => {
      const section = timeline.sections.find((candidate) => candidate.month === month)!;
      return (await server.service.call('queryPhotos', { after: section.after, limit: 1 })).photos[0]!.name;
    };
    const scrubber = page.getByRole('slider', { name: 'Timeline' });
    // The years labelled where they have room; one from the middle of the library.
    const years = await scrubber.getByText(/^\d{4}$/).allInnerTexts();
    const year = Number(years[Math.floor(years.length / 2)]);
    await scrubber.getByText(String(year), { exact: true }).click();
    assert.equal(await scrubber.getAttribute('aria-valuetext'), `December ${year}`);
    await grid()
      .getByRole('heading', { name: `December ${year}` })
      .waitFor();
    await inView(await firstOf(`${year}-12`));
    await screenshot(page, 'large-2-december');

    await scrubber.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await scrubber.getAttribute('aria-valuetext'), `October ${year}`);
    await grid()
      .getByRole('heading', { name: `October ${year}` })
      .waitFor();
    await inView(await firstOf(`${year}-10`));
    await page.keyboard.press('PageDown');
    assert.equal(await scrubber.getAttribute('aria-valuetext'), `December ${year - 1}`);
    await inView(await firstOf(`${year - 1}-12`));
  });

  const hold = (url: string) => holdRequests(page, url);

  it('shows the first photos of a new order while its timeline is still being counted', async () => {
    const releaseTimelines = await hold('**/api/timeline');
    try {
      await page.getByRole('combobox', { name: 'Order' }).selectOption({ label: 'Oldest first' });
      await inView(name(1));
      assert.equal(await grid().getByRole('heading').count(), 0, 'no month headers before the timeline');
      assert.equal(await page.getByRole('slider', { name: 'Timeline' }).count(), 0, 'no timeline yet');
      await releaseTimelines();
      await grid().getByRole('heading', { name: 'January 1990' }).waitFor();
      await inView(name(1));
    } finally {
      await releaseTimelines();
    }
  });

  /** The nth request to this API route from now on. */
  const nthRequest = (url: string, n: number) => {
    let seen = 0;
    return page.waitForRequest((request) => request.url().endsWith(url) && ++seen === n);
  };
  const order = (label: 'Newest first' | 'Oldest first') =>
    page.getByRole('combobox', { name: 'Order' }).selectOption({ label });

  // On opening, the grid's first page and timeline are asked for; a change while they are on their way asks for the
  // timeline again, as every change does while photos are tagged.
  it('keeps the first page when a refresh comes before it, as a change does while the library opens', async () => {
    await order('Newest first');
    await inView(name(PHOTOS));
    const releaseTimelines = await hold('**/api/timeline');
    const releasePages = await hold('**/api/queryPhotos');
    try {
      const opened = nthRequest('/api/timeline', 1);
      const refreshed = nthRequest('/api/timeline', 2);
      await page.reload();
      await opened;
      library.emit('changed');
      await refreshed;
      await releasePages();
      await inView(name(PHOTOS));
      assert.equal(await page.getByRole('slider', { name: 'Timeline' }).count(), 0, 'before either timeline');
    } finally {
      await releasePages();
      await releaseTimelines();
    }
    await page.getByRole('slider', { name: 'Timeline' }).waitFor();
    await inView(name(PHOTOS));
  });

  it('places the first page in its months when a refresh came between it and the timeline', async () => {
    await order('Oldest first');
    await inView(name(1));
    const releaseTimelines = await hold('**/api/timeline');
    let releasePages = async () => {};
    try {
      await page.reload();
      await inView(name(1));
      // Its months' own pages wait: until they come, the first page is all there is to show in them.
      releasePages = await hold('**/api/queryPhotos');
      const refreshed = nthRequest('/api/timeline', 1);
      library.emit('changed');
      await refreshed;
      await releaseTimelines();
      await grid().getByRole('heading', { name: 'January 1990' }).waitFor();
      await inView(name(1));
    } finally {
      await releasePages();
      await releaseTimelines();
    }
  });

  it('ran without page errors', () => {
    assert.deepEqual(problems, []);
  });
});

describe('adding a folder in the web form', () => {
  const dir = tempDir('phototag-e2e-folders-');
  // The server's user: a home folder with the usual places for photos.
  const home = join(dir, 'user');
  const problems: string[] = [];
  let served: ServedPage | undefined;

  before(async () => {
    for (const folder of ['Pictures', 'Photos']) mkdirSync(join(home, folder), { recursive: true });
    copyFileSync(join(PHOTOS_DIR, 'dog.jpg'), join(home, 'Pictures', 'dog.jpg'));
    served = await startServedPage({ dir, problems, allowedErrors: /404 \(Not Found\)/, env: { HOME: home } });
    await served.page.goto(served.server.url);
  });

  after(() => stopServedPage(served));

  it('offers the usual folders, takes "~/Pictures" as typed, and says when a folder is in the library already', async () => {
    const { page } = served!;
    const offered = page.getByTestId('folder-suggestions').locator('option');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="folder-suggestions"] option').length > 0);
    assert.deepEqual(await offered.evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)), [
      join(home, 'Pictures'),
      join(home, 'Photos'),
    ]);
    const addFolder = async (typed: string) => {
      // A combobox: the path field offers folders as it is typed in.
      const path = page.getByRole('combobox', { name: 'Folder path on the server' });
      await path.fill(typed);
      await path.press('Enter');
    };
    await addFolder('~/Pictures');
    await page.getByRole('button', { name: 'Pictures', exact: false }).first().waitFor();
    // Now the sidebar's form, behind its button.
    await page.getByRole('button', { name: 'Add a folder' }).click();
    await addFolder('~/Pictures');
    await page
      .getByRole('status')
      .filter({ hasText: `${join(home, 'Pictures')} is already in the library.` })
      .waitFor();
    assert.deepEqual(problems, []);
  });
});
