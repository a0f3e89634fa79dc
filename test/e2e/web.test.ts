/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The callbacks passed to page.evaluate run in Chromium.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ApiArgs, ApiMethod, PhotoTile } from '../../src-main/api/contract.js';
import { PHOTOS_DIR, ROOT, tempDir } from '../helpers.js';
import { writeHostileFiles } from '../hostile-files.js';
import { callApi, startServedPage, stopServedPage, type ServedPage, type ServeProcess } from './serve-process.js';

const SHOTS = join(ROOT, 'test-results');
const HOSTILE = ['notes.jpg', 'truncated.jpg'];
/** Generous: the first run loads the model; tagging itself takes a few seconds on two cores. */
const TAGGING_TIMEOUT = 120_000;

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
  const cellLabels = async () =>
    (await cells().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''))).sort();
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `web-${name}.png`) });

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
    await page.getByRole('textbox', { name: 'Folder path on the server' }).fill(photosDir);
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
    const { photos, total } = await api('queryPhotos', { limit: 100 });
    assert.equal(total, photoCount);
    const expected = photos
      .map((photo: PhotoTile) =>
        photo.status === 'failed'
          ? `${photo.name}, failed: ${photo.error}`
          : `${photo.name}, ${caption(photo.top!)} ${Math.round((photo.top!.detail?.score ?? photo.top!.score) * 100)}%`,
      )
      .sort();
    await page.waitForFunction((n) => document.querySelectorAll('[role=gridcell]').length === n, photoCount);
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
    await page.waitForFunction((n) => document.querySelectorAll('[role=gridcell]').length === n, cat.count);
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
    const image = dialog.getByRole('img');
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
    await page.waitForFunction((n) => document.querySelectorAll('[role=gridcell]').length === n, people.count);
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
    await page.waitForFunction((n) => document.querySelectorAll('[role=gridcell]').length === n, HOSTILE.length);
    for (const name of HOSTILE) {
      const cell = page.getByRole('gridcell', { name: new RegExp(`^${name.replace('.', '\\.')}, failed: `) });
      assert.match((await cell.getAttribute('aria-label'))!, reasons.get(name)!);
    }
    await shot('6-failed');

    await page.reload();
    await page.waitForFunction((n) => document.querySelectorAll('[role=gridcell]').length === n, HOSTILE.length);
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
    await page.waitForFunction((n) => document.querySelectorAll('[role=gridcell]').length === n, photoCount);
    const labels = await cells().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''));
    await page.getByRole('grid', { name: 'Photos' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: `Photo ${labels[1]!.split(', ')[0]}` }).waitFor();
    await page.keyboard.press('Escape');
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
