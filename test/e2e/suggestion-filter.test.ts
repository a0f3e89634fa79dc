import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ApiArgs, ApiMethod } from '../../src-main/api/contract.js';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { photo, PHOTOS_DIR, tempDir } from '../helpers.js';
import {
  callApi,
  openTaggedFolder,
  startServedPage,
  stopServedPage,
  type ServedPage,
  type ServeProcess,
} from './serve-process.js';

const FIXTURES = readdirSync(PHOTOS_DIR).filter((name) => /\.(jpg|bmp)$/.test(name));
const TAUGHT = ['parrot.jpg', 'owl.jpg', 'eagle.jpg'];
/** The fixtures' fourth bird: the own label is suggested on it once the other three carry it. */
const FOURTH_BIRD = 'bird.bmp';
const LABEL = { kind: 'label' as const, id: userLabelId('Feathered'), name: 'Feathered' };

describe("the filter bar's choice of suggested photos, in Chromium over the real engine", () => {
  let server: ServeProcess;
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  const dir = tempDir('phototag-e2e-suggested-');
  const photosDir = join(dir, 'Garden');
  const api = <M extends ApiMethod>(method: M, args: ApiArgs<M>) => callApi(server, method, args);
  const shown = (count: number) =>
    page
      .getByTestId('photo-count')
      .filter({ hasText: new RegExp(`^${count} photos?$`) })
      .waitFor();
  const choice = (name: string) =>
    page.getByRole('group', { name: 'Suggested photos' }).getByRole('button', { name, exact: true });

  before(async () => {
    mkdirSync(photosDir);
    for (const name of FIXTURES) copyFileSync(photo(name), join(photosDir, name));
    served = await startServedPage({ dir, problems, allowedErrors: /404 \(Not Found\)/ });
    ({ server, page } = served);
    await openTaggedFolder(served, photosDir, FIXTURES.length);
    const { photos } = await api('queryPhotos', { limit: 100 });
    const ids = photos.filter((tile) => TAUGHT.includes(tile.name)).map((tile) => tile.id);
    await api('correct', { photos: { ids }, action: { type: 'add', tag: LABEL } });
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('shows the photos a label is suggested on with those carrying it, or alone, each marked', async () => {
    await page
      .getByRole('navigation', { name: 'Library' })
      .getByRole('button', { name: `${LABEL.name}, ${TAUGHT.length} photos`, exact: true })
      .click();
    await shown(TAUGHT.length);
    assert.equal(await choice('Tagged').getAttribute('aria-pressed'), 'true', 'the tagged photos alone at first');

    await choice('And suggested').click();
    await shown(TAUGHT.length + 1);
    const fourth = page.getByRole('gridcell', {
      name: new RegExp(`^${FOURTH_BIRD}, .*, suggested Feathered\\? \\d+%$`),
    });
    await fourth.waitFor();
    const taught = page.getByRole('gridcell', { name: new RegExp(`^${TAUGHT[0]}, `) });
    assert.doesNotMatch(
      (await taught.getAttribute('aria-label')) ?? '',
      /suggested/,
      'a tagged photo is no suggestion',
    );

    await choice('Suggested only').click();
    await shown(1);
    await fourth.waitFor();

    await choice('Tagged').click();
    await shown(TAUGHT.length);
    await fourth.waitFor({ state: 'detached' });
  });
});
