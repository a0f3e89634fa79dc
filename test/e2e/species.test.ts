/// <reference lib="dom" />
// The callbacks passed to evaluateAll run in Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { tempDir } from '../helpers.js';
import { startTaggedLibrary, stopServedPage, type ServedPage } from './serve-process.js';

/** eagle.jpg: the ImageNet class "Bald eagle" (n01614925) and the bird species "Bald Eagle" (iNaturalist). */
const PHOTOS = ['eagle.jpg', 'dog.jpg'];

describe('a species and a class of the same name are told apart in Chromium', () => {
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  // Here, not in before(): tempDir's clean-up belongs to the suite.
  const dir = tempDir('phototag-e2e-species-');
  const sidebar = () => page.getByRole('navigation', { name: 'Library' });

  before(async () => {
    served = await startTaggedLibrary({ dir, folder: 'Birds', photos: PHOTOS, problems });
    ({ page } = served);
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('lists the species under Species with its scientific name, and the class under Labels', async () => {
    const species = sidebar().getByRole('region', { name: 'Species' });
    const eagle = species.getByRole('button', { name: 'Bald Eagle, 1 photos', exact: true });
    await eagle.waitFor();
    assert.equal(await eagle.getAttribute('title'), 'Haliaeetus leucocephalus');
    const labels = sidebar().getByRole('region', { name: 'Labels' });
    await labels.getByRole('button', { name: 'Bald eagle, 1 photos', exact: true }).waitFor();
    assert.equal(await labels.getByRole('button', { name: /^Bald Eagle, / }).count(), 0, 'no species among labels');
  });

  it('marks the species in the tag search, and its filter shows the photo', async () => {
    await page.getByRole('combobox', { name: 'Search tags' }).fill('bald eagle');
    const options = page.getByRole('listbox', { name: 'Matching tags' }).getByRole('option');
    await options.nth(1).waitFor();
    const shown = await options.evaluateAll((nodes) =>
      nodes.map(
        (node) =>
          `${node.querySelector('.option-name')!.textContent} (${node.querySelector('.option-kind')!.textContent})`,
      ),
    );
    assert.deepEqual(shown.sort(), ['Bald Eagle (species)', 'Bald eagle (label)']);
    await options.filter({ hasText: 'species' }).click();
    await page.getByRole('heading', { name: 'Bald Eagle' }).waitFor();
    await page.getByRole('gridcell', { name: /^eagle\.jpg, / }).waitFor();
    assert.equal(await page.getByRole('gridcell').count(), 1);
  });

  it("names the species under its category in the tile's caption, and marks it among the tile's top labels", async () => {
    const tile = page.getByRole('gridcell', { name: /^eagle\.jpg, Bird · Bald Eagle \d+%$/ });
    await tile.hover();
    const card = tile.getByRole('group', { name: 'Top labels' });
    await card.getByRole('meter', { name: 'Bald Eagle (species)', exact: true }).waitFor();
    await card.getByRole('meter', { name: 'Bald eagle', exact: true }).waitFor();
    assert.equal(await card.getByText('species', { exact: true }).count(), 1, 'one species marked');
  });
});
