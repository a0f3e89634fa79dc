/// <reference lib="dom" />
// The callbacks passed to page.evaluate run in Chromium.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import type { ApiArgs, ApiMethod } from '../../src-main/api/contract.js';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { decodePhoto } from '../../src-main/imaging/decode.js';
import { photo, PHOTOS_DIR, tempDir } from '../helpers.js';
import {
  callApi,
  holdRequests,
  openTaggedFolder,
  startServedPage,
  stopServedPage,
  TALL_VIEWPORT,
  type ServedPage,
  type ServeProcess,
} from './serve-process.js';

/** Three birds to teach an own label on; the other fixture photos (another bird among them) are the rest. */
const TAUGHT = ['parrot.jpg', 'owl.jpg', 'eagle.jpg'];
const FIXTURES = readdirSync(PHOTOS_DIR).filter((name) => /\.(jpg|bmp)$/.test(name));
/** Made in before(): birds mirrored (more bird photos, none the same picture), dog.jpg halved at quality 60. */
const MIRRORED = ['bird.bmp', 'owl.jpg', 'eagle.jpg'].map((from) => ({
  from,
  name: `mirrored-${from.replace(/\.\w+$/, '')}.jpg`,
}));
const DOG_COPY = 'dog-copy.jpg';
const TOTAL = FIXTURES.length + MIRRORED.length + 1;
const LABEL = 'Feathered';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('more like this, duplicates and the suggestions of an own label, in Chromium over the real engine', () => {
  let server: ServeProcess;
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  const ids: Record<string, number> = {};
  // Here, not in before(): tempDir's clean-up belongs to the suite.
  const dir = tempDir('phototag-e2e-learning-');
  const photosDir = join(dir, 'Garden');

  const api = <M extends ApiMethod>(method: M, args: ApiArgs<M>) => callApi(server, method, args);
  const cell = (name: string) => page.getByRole('gridcell', { name: new RegExp(`^${escape(name)}, `) });
  const toast = (text: string) => page.getByRole('status').filter({ hasText: text });
  const tagButton = (name: string, count: number) =>
    page
      .getByRole('navigation', { name: 'Library' })
      .getByRole('button', { name: `${name}, ${count} photos`, exact: true });
  const suggestions = () => page.getByRole('dialog', { name: 'Suggestions' });
  const question = () => suggestions().getByTestId('suggestion-question');
  const answered = () => suggestions().getByTestId('suggestion-answered');
  const left = () => suggestions().getByTestId('suggestions-left');
  /** The name of the photo asked about, from its caption: "bird.bmp, 93% sure". */
  async function asked(): Promise<string> {
    await question()
      .filter({ hasText: `Is this ${LABEL}?` })
      .waitFor();
    const caption = await question().locator('xpath=following-sibling::span').innerText();
    return caption.replace(/, \d+% sure$/, '');
  }

  async function leftIs(count: number) {
    await left()
      .filter({ hasText: new RegExp(`^${count} left$`) })
      .waitFor();
  }

  async function queueIds(): Promise<number[]> {
    const queue = await api('suggestionQueue', { label: userLabelId(LABEL), limit: 100 });
    return queue.suggestions.map((item) => item.id);
  }

  async function openSuggestions() {
    await page.getByRole('button', { name: 'Suggestions', exact: true }).click();
    await suggestions().waitFor();
  }

  /** The photos "More like this" shows in a photo view, best first, once it has found them. */
  async function alikeNames(dialog: Locator): Promise<string[]> {
    const alike = dialog.getByRole('region', { name: 'More like this' }).getByRole('button', { name: /^Open / });
    await alike.first().waitFor();
    const labels = await alike.evaluateAll((buttons) => buttons.map((button) => button.getAttribute('aria-label')));
    return labels.map((label) => /^Open (.+), \d+% alike$/.exec(label ?? '')![1]!);
  }

  async function closeOverlay(dialog: Locator) {
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }

  before(async () => {
    mkdirSync(photosDir);
    for (const name of FIXTURES) copyFileSync(photo(name), join(photosDir, name));
    for (const { from, name } of MIRRORED) {
      // sharp reads no BMP: the engine's own decoder does.
      const bird = await decodePhoto(photo(from), 4096);
      await sharp(bird.data, { raw: { width: bird.width, height: bird.height, channels: 3 } })
        .flop()
        .jpeg({ quality: 90 })
        .toFile(join(photosDir, name));
    }
    await sharp(photo('dog.jpg')).resize(130).jpeg({ quality: 60 }).toFile(join(photosDir, DOG_COPY));
    served = await startServedPage({
      dir,
      problems,
      allowedErrors: /404 \(Not Found\)/,
      // Tall enough for the grid to draw every photo at once, months apart as their dates are: the test clicks them.
      viewport: TALL_VIEWPORT,
    });
    ({ server, page } = served);
    await openTaggedFolder(served, photosDir, TOTAL);
    for (const tile of (await api('queryPhotos', { limit: 100 })).photos) ids[tile.name] = tile.id;
    assert.equal(Object.keys(ids).length, TOTAL);
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('lists other photos like this one, never the photo itself, and opens the one clicked', async () => {
    await cell('dog.jpg').click();
    const dialog = page.getByRole('dialog', { name: 'Photo dog.jpg' });
    const names = await alikeNames(dialog);
    assert.equal(names.length, 8, `as many as the strip shows: ${names.join(', ')}`);
    assert.ok(!names.includes('dog.jpg'), 'not the photo itself');
    assert.equal(names[0], DOG_COPY, `its copy looks most like it: ${names.join(', ')}`);

    await dialog.getByRole('button', { name: new RegExp(`^Open ${escape(DOG_COPY)}, `) }).click();
    const opened = page.getByRole('dialog', { name: `Photo ${DOG_COPY}` });
    await opened.getByRole('heading', { name: DOG_COPY }).waitFor();
    const back = await alikeNames(opened);
    assert.equal(back[0], 'dog.jpg', `and the photo it came from looks most like the copy: ${back.join(', ')}`);
    assert.ok(!back.includes(DOG_COPY));
    await closeOverlay(opened);
  });

  it('steps to the next photo while this one is still looking for photos like it, without an error', async () => {
    const first = await page.getByRole('gridcell').first().getAttribute('aria-label');
    const releaseAlike = await holdRequests(page, '**/api/similarPhotos');
    let releasePhoto = async () => {};
    try {
      await page.getByRole('gridcell').first().click();
      await page
        .getByRole('dialog', { name: `Photo ${first!.split(', ')[0]}` })
        .getByRole('region', { name: 'More like this' })
        .getByText('Looking…')
        .waitFor();
      // The answer for the photo left comes while the next one is on its way: neither is shown then.
      releasePhoto = await holdRequests(page, '**/api/photo');
      await page.keyboard.press('ArrowRight');
      await page.getByRole('dialog', { name: 'Photo', exact: true }).waitFor();
      const answered = page.waitForEvent('requestfinished', (request) => request.url().endsWith('/api/similarPhotos'));
      await releaseAlike();
      await answered;
      await releasePhoto();
      await alikeNames(page.getByRole('dialog'));
      assert.deepEqual(problems, [], 'no page errors');
      await closeOverlay(page.getByRole('dialog'));
    } finally {
      await releaseAlike();
      await releasePhoto();
    }
  });

  it('groups a resized, recompressed copy with its photo in Duplicates, and marks the larger one to keep', async () => {
    await page.getByRole('button', { name: 'Duplicates', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Duplicates' });
    await dialog
      .getByRole('status')
      .filter({ hasText: /held twice or more$/ })
      .waitFor();
    const group = dialog.getByTestId('duplicate-group').filter({ has: page.getByRole('img', { name: DOG_COPY }) });
    const members = group.getByRole('listitem');
    const rows = await members.evaluateAll((items) =>
      items.map((item) => ({
        name: item.querySelector('.name')?.textContent ?? '',
        best: item.textContent?.includes('Best: keep this one') ?? false,
      })),
    );
    assert.deepEqual(rows, [
      { name: 'dog.jpg', best: true },
      { name: DOG_COPY, best: false },
    ]);
    const grouped = await dialog
      .getByTestId('duplicate-group')
      .getByRole('img')
      .evaluateAll((images) => images.map((image) => image.getAttribute('alt')));
    assert.ok(
      MIRRORED.every(({ name }) => !grouped.includes(name)),
      `a mirrored photo is another picture, not a duplicate: ${grouped.join(', ')}`,
    );
    await closeOverlay(dialog);
  });

  it('asks "Is this Feathered?" after three birds are given it, and a yes or a no can be taken back', async () => {
    for (const name of TAUGHT) await cell(name).click({ modifiers: ['Control'] });
    const bar = page.getByRole('toolbar', { name: 'Selection' });
    await bar.getByText(`${TAUGHT.length} photos selected`).waitFor();
    await bar.getByRole('button', { name: 'Add label…' }).click();
    const picker = bar.getByRole('combobox', { name: `Add to ${TAUGHT.length} photos` });
    await picker.fill(LABEL);
    await bar.getByRole('option', { name: new RegExp(`Add “${LABEL}” as your own label`) }).waitFor();
    await picker.press('Enter');
    await toast(`Added ${LABEL} on ${TAUGHT.length} photos.`).waitFor();
    await tagButton(LABEL, TAUGHT.length).waitFor();

    await openSuggestions();
    const first = await asked();
    const queued = await queueIds();
    assert.ok(queued.length >= 2, `suggested on the other birds at least: ${queued.length}`);
    const otherBirds = ['bird.bmp', ...MIRRORED.map(({ name }) => name)];
    assert.ok(otherBirds.includes(first), `the first photo asked about is another bird: ${first}`);
    assert.ok(!TAUGHT.some((name) => queued.includes(ids[name]!)), 'never a photo it was taught on');
    await leftIs(queued.length);

    // Yes: the label is the user's on that photo, and it leaves the queue; Ctrl+Z takes it back, once.
    await suggestions().getByRole('button', { name: 'Yes (Y)' }).click();
    await answered()
      .filter({ hasText: `Added ${LABEL}.` })
      .waitFor();
    await leftIs(queued.length - 1);
    await tagButton(LABEL, TAUGHT.length + 1).waitFor();
    assert.ok(!(await queueIds()).includes(ids[first]!));
    await page.keyboard.press('Control+z');
    await answered()
      .filter({ hasText: `Undone: Added ${LABEL}.` })
      .waitFor();
    await leftIs(queued.length);
    await tagButton(LABEL, TAUGHT.length).waitFor();
    assert.equal(await asked(), first, 'the photo is asked again');
    await suggestions().getByRole('button', { name: 'Yes (Y)' }).click();
    await leftIs(queued.length - 1);
    await tagButton(LABEL, TAUGHT.length + 1).waitFor();

    // No: it leaves the queue; Undo asks it again; a second no stays.
    const second = await asked();
    assert.notEqual(second, first);
    await page.keyboard.press('n');
    await answered()
      .filter({ hasText: `${LABEL} will not be suggested on this photo again.` })
      .waitFor();
    await leftIs(queued.length - 2);
    assert.ok(!(await queueIds()).includes(ids[second]!));
    await answered().getByRole('button', { name: 'Undo' }).click();
    await answered()
      .filter({ hasText: `${LABEL} may be suggested on this photo again.` })
      .waitFor();
    await leftIs(queued.length - 1);
    assert.equal(await asked(), second, 'the photo is asked again');
    await suggestions().getByRole('button', { name: 'No (N)' }).click();
    await leftIs(queued.length - 2);
    await tagButton(LABEL, TAUGHT.length + 1).waitFor();
    await closeOverlay(suggestions());

    // Opened anew, neither comes back; the photo view shows the yes as the user's label, the no as nothing.
    await openSuggestions();
    await leftIs(queued.length - 2);
    const later = await queueIds();
    assert.ok(!later.includes(ids[first]!) && !later.includes(ids[second]!), 'answered photos are not asked again');
    await closeOverlay(suggestions());

    await cell(first).click();
    const yes = page.getByRole('dialog', { name: `Photo ${first}` });
    await yes
      .getByRole('region', { name: 'Labels' })
      .getByRole('group', { name: `${LABEL}, confirmed` })
      .waitFor();
    await closeOverlay(yes);
    await cell(second).click();
    const no = page.getByRole('dialog', { name: `Photo ${second}` });
    await no.getByRole('region', { name: 'More like this' }).getByRole('button').first().waitFor();
    assert.equal(await no.getByRole('group', { name: new RegExp(`^${LABEL}`) }).count(), 0, 'not a tag');
    assert.equal(await no.getByText(new RegExp(`^${LABEL} \\d+%\\?$`)).count(), 0, 'nor suggested any more');
    await closeOverlay(no);
  });
});
