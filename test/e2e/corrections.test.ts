/// <reference lib="dom" />
// The callbacks passed to page.evaluate run in Chromium.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { ApiArgs, ApiMethod, ExportClassSummary } from '../../src-main/api/contract.js';
import { decodePhoto } from '../../src-main/imaging/decode.js';
import { photo, ROOT, tempDir } from '../helpers.js';
import {
  callApi,
  gridShows,
  startServedPage,
  stopServedPage,
  type ServedPage,
  type ServeProcess,
  TAGGING_TIMEOUT,
} from './serve-process.js';

const SHOTS = join(ROOT, 'test-results');
const PHOTOS = [
  'dog.jpg',
  'cat_720p.jpg',
  'parrot.jpg',
  'hot_dog.jpg',
  'owl.jpg',
  'eagle.jpg',
  'sunflower.bmp',
  'kite_and_cold.jpg',
];
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('correcting labels, reviewing and exporting in Chromium, over the real engine', () => {
  let server: ServeProcess;
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  const ids: Record<string, number> = {};
  // Here, not in before(): tempDir's clean-up belongs to the suite.
  const dir = tempDir('phototag-e2e-corrections-');
  const photosDir = join(dir, 'Pets');
  const exportDir = join(dir, 'exports', 'dataset');
  /** The photo view's corrections of dog.jpg, which the undo test takes back. */
  const dogCorrections = { category: '', rejected: '' };

  /** Asks the server directly, as the truth the UI must show. */
  const api = <M extends ApiMethod>(method: M, args: ApiArgs<M>) => callApi(server, method, args);

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `corrections-${name}.png`) });
  const cells = () => page.getByRole('grid', { name: 'Photos' }).getByRole('gridcell');
  const cell = (name: string) => page.getByRole('gridcell', { name: new RegExp(`^${escape(name)}, `) });
  const cellCount = (n: number) => gridShows(page, n);
  const toast = (text: string | RegExp) => page.getByRole('status').filter({ hasText: text });
  /** The sidebar button of a tag: "Rex, 1 photos". */
  const tagButton = (name: string, count: number) =>
    page
      .getByRole('navigation', { name: 'Library' })
      .getByRole('button', { name: `${name}, ${count} photos`, exact: true });
  const region = (scope: Locator, name: string) => scope.getByRole('region', { name, exact: true });

  before(async () => {
    mkdirSync(photosDir);
    for (const name of PHOTOS) copyFileSync(photo(name), join(photosDir, name));
    mkdirSync(SHOTS, { recursive: true });
    served = await startServedPage({
      dir,
      problems,
      // An export into a folder that holds files answers 409 on purpose; nothing else may fail.
      allowedErrors: /(404 \(Not Found\)|409 \(Conflict\))/,
    });
    ({ server, page } = served);
    await api('addFolder', { path: photosDir });
    await page.goto(server.url);
    await page
      .getByText(`All caught up: ${PHOTOS.length} photos tagged`, { exact: true })
      .waitFor({ timeout: TAGGING_TIMEOUT });
    await cellCount(PHOTOS.length);
    for (const tile of (await api('queryPhotos', { limit: 100 })).photos) ids[tile.name] = tile.id;
  });

  after(() => stopServedPage(served));

  it('confirms, rejects and adds labels in the photo view; check marks, counts and filters follow', async () => {
    const before = await api('photo', { id: ids['dog.jpg']! });
    const category = before.categories[0]!;
    const rejected = before.labels[1]!;
    const tagsBefore = await api('tags', { minScore: 0.3 });
    assert.equal(category.name, 'Dog', `dog.jpg is a dog: ${JSON.stringify(before.categories)}`);
    assert.equal(category.source, 'model');
    Object.assign(dogCorrections, { category: category.name, rejected: rejected.name });

    await cell('dog.jpg').click();
    const dialog = page.getByRole('dialog', { name: 'Photo dog.jpg' });
    await dialog.waitFor();
    await dialog.getByRole('meter', { name: category.name, exact: true }).waitFor();

    await region(dialog, 'Categories')
      .getByRole('button', { name: `Confirm ${category.name}`, exact: true })
      .click();
    await region(dialog, 'Categories')
      .getByRole('group', { name: `${category.name}, confirmed` })
      .waitFor();
    await toast(`Confirmed ${category.name}.`).waitFor();
    assert.equal(await dialog.getByRole('meter', { name: category.name, exact: true }).count(), 0, 'no percentage');

    await region(dialog, 'Labels')
      .getByRole('button', { name: `Reject ${rejected.name}`, exact: true })
      .click();
    await dialog.getByRole('meter', { name: rejected.name, exact: true }).waitFor({ state: 'detached' });
    await toast(`Rejected ${rejected.name}.`).waitFor();

    await dialog.getByRole('button', { name: 'Add label…' }).click();
    const picker = dialog.getByRole('combobox', { name: 'Add a label to dog.jpg' });
    await picker.fill('Rex');
    await dialog.getByRole('option', { name: /Add “Rex” as your own label/ }).waitFor();
    await shot('1-add-own-label');
    await picker.press('Enter');
    await region(dialog, 'Labels').getByRole('group', { name: 'Rex, confirmed' }).waitFor();
    await toast('Added Rex.').waitFor();
    await shot('2-photo-view-corrected');

    const after = await api('photo', { id: ids['dog.jpg']! });
    assert.deepEqual(
      after.labels.filter((label) => label.source === 'user').map((label) => [label.name, label.score]),
      [['Rex', 1]],
    );
    assert.ok(!after.labels.some((label) => label.id === rejected.id), 'the rejected label is gone');
    assert.deepEqual(after.categories[0], { ...category, score: 1, source: 'user' });

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // The sidebar counts follow: the own label appears, the rejected label loses this photo.
    const rejectedBefore = tagsBefore.labels.find((tag) => tag.id === rejected.id);
    if (rejectedBefore && rejectedBefore.count > 1) await tagButton(rejected.name, rejectedBefore.count - 1).waitFor();
    else if (rejectedBefore) await tagButton(rejected.name, 1).waitFor({ state: 'detached' });
    await tagButton('Rex', 1).click();
    await cellCount(1);
    assert.equal(await cells().first().getAttribute('aria-label'), 'dog.jpg, Dog confirmed');
    await page.getByRole('list', { name: 'Active filters' }).getByText('Rex').waitFor();
    await shot('3-filter-own-label');
  });

  it('undoes corrections one step at a time, from the keyboard and the toast', async () => {
    await page.getByRole('grid', { name: 'Photos' }).focus();
    await page.keyboard.press('Control+z');
    await toast('Undone: Added Rex.').waitFor();
    await page.getByText('No photos match these filters.').waitFor();
    // Rex leaves "Your labels" (which keeps the keywords the photos' files carry, such as "Brasil").
    await tagButton('Rex', 1).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await cellCount(PHOTOS.length);

    // The rejected label comes back, then the category is the model's again.
    await page.keyboard.press('Control+z');
    await toast(`Undone: Rejected ${dogCorrections.rejected}.`).waitFor();
    const dog = await api('photo', { id: ids['dog.jpg']! });
    assert.ok(
      dog.labels.some((label) => label.name === dogCorrections.rejected),
      'the rejected label is back',
    );
    assert.equal(dog.categories[0]!.source, 'user', 'one step at a time');
    await page.keyboard.press('Control+z');
    await toast(`Undone: Confirmed ${dogCorrections.category}.`).waitFor();
    assert.equal((await api('photo', { id: ids['dog.jpg']! })).categories[0]!.source, 'model');
    assert.equal((await api('summary', {})).canUndo, false);
    await page.getByRole('gridcell', { name: /^dog\.jpg, Dog \d+%$/ }).waitFor();

    // The toast's Undo button does the same as the keys.
    await cell('owl.jpg').click();
    const dialog = page.getByRole('dialog', { name: 'Photo owl.jpg' });
    // The model's best label: owl.jpg's file carries keywords of its own ("Brasil"), which are the user's already.
    const owlLabel = (await api('photo', { id: ids['owl.jpg']! })).labels.find((label) => label.source === 'model')!;
    await region(dialog, 'Labels')
      .getByRole('button', { name: `Confirm ${owlLabel.name}`, exact: true })
      .click();
    await region(dialog, 'Labels')
      .getByRole('group', { name: `${owlLabel.name}, confirmed` })
      .waitFor();
    await toast(`Confirmed ${owlLabel.name}.`).getByRole('button', { name: 'Undo' }).click();
    await toast(`Undone: Confirmed ${owlLabel.name}.`).waitFor();
    await region(dialog, 'Labels').getByRole('meter', { name: owlLabel.name, exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('selects photos with Ctrl+click, Shift+click and Ctrl+A, labels them together, and clears with Escape', async () => {
    await cell('cat_720p.jpg').click({ modifiers: ['Control'] });
    await cell('parrot.jpg').click({ modifiers: ['Control'] });
    const bar = page.getByRole('toolbar', { name: 'Selection' });
    await bar.getByText('2 photos selected').waitFor();
    assert.equal(await cell('cat_720p.jpg').getAttribute('aria-selected'), 'true');
    await bar.getByRole('button', { name: 'Add label…' }).click();
    const picker = bar.getByRole('combobox', { name: 'Add to 2 photos' });
    await picker.fill('Receipts');
    await bar.getByRole('option', { name: /Add “Receipts” as your own label/ }).waitFor();
    await shot('4-selection');
    await picker.press('Enter');
    await toast('Added Receipts on 2 photos.').waitFor();
    await bar.waitFor({ state: 'detached' });
    await tagButton('Receipts', 2).waitFor();

    // A range, from the last photo clicked to the one Shift+clicked.
    const names = (
      await cells().evaluateAll((nodes) => nodes.map((node) => node.getAttribute('aria-label') ?? ''))
    ).map((label) => label.split(', ')[0]!);
    await cell(names[1]!).click({ modifiers: ['Control'] });
    await cell(names[4]!).click({ modifiers: ['Shift'] });
    await bar.getByText('4 photos selected').waitFor();
    await page.keyboard.press('Escape');
    await bar.waitFor({ state: 'detached' });
    assert.equal(await cell(names[2]!).getAttribute('aria-selected'), 'false');

    await page.getByRole('grid', { name: 'Photos' }).focus();
    await page.keyboard.press('Control+a');
    await bar.getByText(`${PHOTOS.length} photos selected`).waitFor();
    await page.keyboard.press('Escape');
    await bar.waitFor({ state: 'detached' });
  });

  it('reviews the least certain photos from the keyboard, with the count of what is left', async () => {
    const queue = await api('reviewQueue', { limit: 100 });
    assert.equal(queue.left, PHOTOS.length - 2, 'the two photos labelled Receipts are reviewed');
    const margins = queue.photos.map((item) => item.margin);
    assert.deepEqual(
      margins,
      [...margins].sort((a, b) => a - b),
    );
    const [first, second, third, fourth] = queue.photos;

    await page.getByRole('button', { name: /^Review/ }).click();
    const review = page.getByRole('dialog', { name: 'Review' });
    const left = review.getByTestId('review-left');
    const heading = review.getByRole('heading', { level: 2 });
    await review.getByRole('heading', { name: first!.name, exact: true }).waitFor();
    assert.equal((await left.innerText()).trim(), `${queue.left} left`);
    await review.getByRole('button', { name: `Confirm ${first!.labels[1]!.name}`, exact: true }).waitFor();
    await shot('5-review');

    // 2: the second label is the right one; the next photo comes.
    await page.keyboard.press('2');
    await review.getByRole('heading', { name: second!.name, exact: true }).waitFor();
    await review.getByText(`${queue.left - 1} left`).waitFor();
    const firstAfter = await api('photo', { id: first!.id });
    assert.deepEqual(
      firstAfter.labels.filter((label) => label.source === 'user').map((label) => label.id),
      [first!.labels[1]!.id],
    );

    // N: the top label is wrong; the photo stays, without it.
    await page.keyboard.press('n');
    await review.getByText(`${queue.left - 2} left`).waitFor();
    await review
      .getByRole('button', { name: `Confirm ${second!.labels[0]!.name}`, exact: true })
      .waitFor({ state: 'detached' });
    assert.equal(await heading.innerText(), second!.name);
    await shot('6-review-rejected');

    // → moves on; Space skips the photo for this pass.
    await page.keyboard.press('ArrowRight');
    await review.getByRole('heading', { name: third!.name, exact: true }).waitFor();
    await page.keyboard.press(' ');
    await review.getByRole('heading', { name: fourth!.name, exact: true }).waitFor();
    await review.getByText(`${queue.left - 3} left`).waitFor();

    // Enter confirms the top label.
    await page.keyboard.press('Enter');
    await review.getByText(`${queue.left - 4} left`).waitFor();
    assert.equal((await api('photo', { id: fourth!.id })).labels[0]!.source, 'user');

    await page.keyboard.press('Escape');
    await review.waitFor({ state: 'detached' });
    const toReview = (await api('summary', {})).toReview;
    assert.equal(toReview, queue.left - 3, 'the skipped photo is still to review');
    const { uncertain } = await api('summary', {});
    await page.getByRole('button', { name: `Review ${uncertain} uncertain` }).waitFor();
  });

  it('exports through the dialog, asks before replacing a folder that holds files, and writes a dataset', async () => {
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export for retraining' });
    await dialog.waitFor();
    assert.equal(await dialog.getByRole('radio', { name: /ImageFolder/ }).isChecked(), true);
    await dialog.getByRole('textbox', { name: 'Output folder on the server' }).fill(exportDir);
    await dialog.getByRole('checkbox', { name: /model’s labels at or above/ }).check();
    await dialog.getByRole('spinbutton', { name: /Minimum confidence/ }).fill('50');
    await dialog.getByRole('spinbutton', { name: 'Validation (%)' }).fill('50');
    await shot('7-export-dialog');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    const summary = dialog.getByRole('status');
    await summary.getByText(/^Exported \d+ photos?/).waitFor();
    await shot('8-export-summary');

    const manifest = JSON.parse(readFileSync(join(exportDir, 'manifest.json'), 'utf8')) as {
      photos: number;
      classes: ExportClassSummary[];
      options: { includeModelAbove: number; validation: number };
    };
    assert.equal(manifest.options.includeModelAbove, 0.5);
    assert.equal(manifest.options.validation, 0.5);
    const names = manifest.classes.map((c) => c.name);
    assert.ok(names.includes('Receipts'), names.join(', '));
    const receipts = manifest.classes.find((c) => c.name === 'Receipts')!;
    assert.deepEqual([receipts.train, receipts.validation], [1, 1]);
    // What the dialog shows is what the manifest says, class by class.
    const shown = await dialog
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => [...row.children].map((cell) => cell.firstChild?.textContent?.trim() ?? '')),
      );
    assert.deepEqual(
      shown,
      manifest.classes.map((c) => [c.name, String(c.train), String(c.validation)]),
    );
    let images = 0;
    for (const cls of manifest.classes) {
      for (const split of ['train', 'validation'] as const) {
        const folder = join(exportDir, split, cls.folder);
        const files = existsSync(folder) ? readdirSync(folder) : [];
        assert.equal(files.length, cls[split], `${split}/${cls.folder}`);
        for (const file of files) {
          // Copies of the originals: sharp, with the engine's own decoders for what sharp lacks (BMP).
          const decoded = await decodePhoto(join(folder, file), 16);
          assert.ok(decoded.width > 0 && decoded.height > 0, `${split}/${cls.folder}/${file} decodes`);
          images++;
        }
      }
    }
    assert.ok(images > 2, `${images} images`);

    // Again into the same folder: the dialog asks first, then replaces it.
    writeFileSync(join(exportDir, 'notes.txt'), 'left over');
    await dialog.getByRole('button', { name: 'Export again' }).click();
    await dialog.getByRole('checkbox', { name: /model’s labels at or above/ }).uncheck();
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    const confirm = dialog.getByRole('alert').filter({ hasText: 'already holds files' });
    await confirm.waitFor();
    await shot('9-export-confirm');
    assert.ok(existsSync(join(exportDir, 'notes.txt')), 'nothing is touched before the answer');
    await confirm.getByRole('button', { name: 'Replace' }).click();
    await summary.getByText(/^Exported \d+ photos?/).waitFor();
    assert.ok(!existsSync(join(exportDir, 'notes.txt')), 'the folder was replaced');
    const second = JSON.parse(readFileSync(join(exportDir, 'manifest.json'), 'utf8')) as {
      classes: ExportClassSummary[];
      options: Record<string, unknown>;
    };
    assert.ok(!('includeModelAbove' in second.options), 'only the corrections this time');
    assert.ok(second.classes.length < manifest.classes.length);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('names a class the library does not know, in the dialog, and exports nothing', async () => {
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export for retraining' });
    const out = join(dir, 'exports', 'unknown-class');
    await dialog.getByRole('textbox', { name: 'Output folder on the server' }).fill(out);
    await dialog.getByRole('textbox', { name: 'Only these classes' }).fill('Dog, Nope');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    await dialog.getByRole('alert').filter({ hasText: '"Nope" is not a class of this library' }).waitFor();
    assert.equal(existsSync(out), false);
    await dialog.getByRole('textbox', { name: 'Only these classes' }).fill('');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('looks right in the dark theme too', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await cell('dog.jpg').click();
    const dialog = page.getByRole('dialog', { name: 'Photo dog.jpg' });
    const dog = await api('photo', { id: ids['dog.jpg']! });
    await region(dialog, 'Labels')
      .getByRole('button', { name: `Confirm ${dog.labels[0]!.name}`, exact: true })
      .click();
    await region(dialog, 'Labels')
      .getByRole('group', { name: `${dog.labels[0]!.name}, confirmed` })
      .waitFor();
    // Replace: a wrong label makes way for the right one, chosen from the autocomplete.
    const wrong = dog.labels[1]!;
    await region(dialog, 'Labels')
      .getByRole('button', { name: `Replace ${wrong.name}…`, exact: true })
      .click();
    const picker = dialog.getByRole('combobox', { name: `Replace ${wrong.name} with` });
    await picker.fill('golden');
    await dialog.getByRole('option', { name: /^Golden retriever/ }).waitFor();
    await picker.press('Enter');
    await region(dialog, 'Labels').getByRole('group', { name: 'Golden retriever, confirmed' }).waitFor();
    await dialog.getByRole('meter', { name: wrong.name, exact: true }).waitFor({ state: 'detached' });
    await toast(`Replaced ${wrong.name} with Golden retriever.`).waitFor();
    await shot('10-dark-photo-view');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: /^Review/ }).click();
    const review = page.getByRole('dialog', { name: 'Review' });
    await review
      .getByRole('button', { name: /^Confirm / })
      .first()
      .waitFor();
    await shot('11-dark-review');
    await page.keyboard.press('Escape');
    await review.waitFor({ state: 'detached' });
    await cell('dog.jpg').click({ modifiers: ['Control'] });
    await page.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Confirm…' }).click();
    await page.getByRole('toolbar', { name: 'Selection' }).getByRole('option').first().waitFor();
    await shot('12-dark-selection');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.getByRole('dialog', { name: 'Export for retraining' }).waitFor();
    await shot('13-dark-export');
    await page.keyboard.press('Escape');
  });

  it('removing a folder asks first, says what is kept, and adding it again brings its corrections back', async () => {
    const [folder] = (await api('summary', {})).folders;
    assert.ok(folder!.corrected > 0, 'the tests before corrected some photos');
    const removeButton = page.getByRole('button', { name: 'Remove folder Pets', exact: true });
    const confirm = page.getByRole('dialog', { name: 'Remove “Pets” from the library?' });
    await removeButton.click();
    await confirm.getByText(`Its ${PHOTOS.length} photos leave the library. The files stay on disk.`).waitFor();
    await confirm
      .getByText(
        `Your corrections on ${folder!.corrected} photo${folder!.corrected === 1 ? '' : 's'} are kept, and come back if you add the folder again.`,
      )
      .waitFor();
    await shot('14-remove-folder');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    assert.equal((await api('summary', {})).folders.length, 1, 'Escape keeps the folder');

    await removeButton.click();
    await confirm.getByRole('button', { name: 'Remove folder', exact: true }).click();
    await cellCount(0);
    assert.deepEqual((await api('summary', {})).folders, []);

    await api('addFolder', { path: photosDir });
    await page
      .getByText(`All caught up: ${PHOTOS.length} photos tagged`, { exact: true })
      .waitFor({ timeout: TAGGING_TIMEOUT });
    assert.equal((await api('summary', {})).folders[0]!.corrected, folder!.corrected);
  });

  it('ran without page errors or refused content (CSP)', () => {
    assert.deepEqual(problems, []);
  });
});
