import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, watch } from 'node:fs';
import { on } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { ApiArgs, ApiMethod } from '../../src-main/api/contract.js';
import { photo, tempDir } from '../helpers.js';
import {
  callApi,
  openTaggedFolder,
  startServedPage,
  stopServedPage,
  type ServedPage,
  type ServeProcess,
} from './serve-process.js';

const PHOTOS = ['dog.jpg', 'parrot.jpg'];
/** How long a file written in the background may take to appear. */
const WRITE_TIMEOUT = 60_000;

/** What Debian's ExifTool reads as a file's XMP-dc:Subject: the keywords other photo apps see. */
function subjects(path: string): string[] {
  const result = spawnSync('exiftool', ['-j', '-G1', '-XMP-dc:Subject', path], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const [read] = JSON.parse(result.stdout) as { 'XMP-dc:Subject'?: string | string[] }[];
  return ([] as string[]).concat(read!['XMP-dc:Subject'] ?? []).map(String);
}

/**
 * Resolves once `holds` does, trying now and after each change in `folder`: sidecars are written in the background,
 * a moment after what changed them, through a temporary file renamed into place.
 */
async function whenFolder(folder: string, holds: () => boolean, what: string): Promise<void> {
  const watcher = watch(folder);
  // Listening before the first try: a change in between is not lost.
  const changes = on(watcher, 'change', { signal: AbortSignal.timeout(WRITE_TIMEOUT) });
  try {
    if (holds()) return;
    for await (const _ of changes) if (holds()) return;
  } catch (error) {
    throw new Error(`${what}: not so within ${WRITE_TIMEOUT / 1000} s (${(error as Error).message})`);
  } finally {
    watcher.close();
  }
}

/**
 * Whether a label's words flow as one sentence: its code (a file name) follows the words before it on their line,
 * or starts the next line where they do, rather than standing apart in a column of its own.
 */
async function readsAsOneSentence(label: Locator): Promise<boolean> {
  return label.evaluate((element) => {
    const code = element.querySelector('code')!.getBoundingClientRect();
    const words = document.createRange();
    words.setStartBefore(element.querySelector('input')!.nextSibling!);
    words.setEndBefore(element.querySelector('code')!);
    const lines = Array.from(words.getClientRects()).filter((rect) => rect.width > 0);
    const first = lines[0]!;
    const last = lines.at(-1)!;
    const followsOnItsLine = Math.abs(code.top - last.top) < 4 && code.left - last.right < 8;
    return followsOnItsLine || (code.top >= last.bottom - 1 && Math.abs(code.left - first.left) < 1);
  });
}

describe('XMP sidecars turned on, set and off from the sidebar, as ExifTool reads them, in Chromium', () => {
  let server: ServeProcess;
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  const dir = tempDir('phototag-e2e-xmp-');
  const photosDir = join(dir, 'Pictures');
  const path = (name: string) => join(photosDir, name);
  const sidecar = (name: string) => path(`${name}.xmp`);

  const api = <M extends ApiMethod>(method: M, args: ApiArgs<M>) => callApi(server, method, args);
  const section = () => page.getByRole('group').filter({ has: page.getByText(/^XMP sidecars/) });
  const toggle = (name: string | RegExp) => section().getByRole('checkbox', { name });
  const toast = (text: string) => page.getByRole('status').filter({ hasText: text });
  /** The section's line of how many photos wait to be written (not the threshold's output, also a status). */
  const statusLine = () => section().locator('p[role=status]');
  const status = (text: string) => statusLine().filter({ hasText: text });

  async function correct(name: string, act: (dialog: Locator) => Promise<void>) {
    await page.getByRole('gridcell', { name: new RegExp(`^${name.replace('.', '\\.')}, `) }).click();
    const dialog = page.getByRole('dialog', { name: `Photo ${name}` });
    await dialog.waitFor();
    await act(dialog);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }

  async function addLabel(name: string, label: string) {
    await correct(name, async (dialog) => {
      await dialog.getByRole('button', { name: 'Add label…' }).click();
      const picker = dialog.getByRole('combobox', { name: `Add a label to ${name}` });
      await picker.fill(label);
      await dialog.getByRole('option', { name: new RegExp(`Add “${label}” as your own label`) }).waitFor();
      await picker.press('Enter');
      await toast(`Added ${label}.`).waitFor();
    });
  }

  before(async () => {
    mkdirSync(photosDir);
    for (const name of PHOTOS) copyFileSync(photo(name), path(name));
    served = await startServedPage({ dir, problems, allowedErrors: /404 \(Not Found\)/ });
    ({ server, page } = served);
    await openTaggedFolder(served, photosDir, PHOTOS.length);
    await page.getByText(/^XMP sidecars/).click();
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('writes a sidecar beside each photo once turned on, from the threshold set, saying how many wait until written', async () => {
    assert.ok(!existsSync(sidecar('dog.jpg')), 'nothing is written before it is turned on');
    const slider = section().getByRole('slider', { name: /^Model's tags from/ });
    await slider.focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    await section().locator('output', { hasText: /^30%$/ }).waitFor();
    await toggle('Write tags to XMP').check();
    await status(`${PHOTOS.length} to write`).waitFor();
    await page.getByText('XMP sidecars · on', { exact: true }).waitFor();
    assert.deepEqual((await api('xmpSettings', {})).settings, {
      enabled: true,
      threshold: 0.3,
      intoFiles: false,
      keepOriginal: true,
    });

    await whenFolder(photosDir, () => PHOTOS.every((name) => existsSync(sidecar(name))), 'a sidecar beside each photo');
    await status('All written').waitFor();
    const dogId = (await api('queryPhotos', {})).photos.find((tile) => tile.name === 'dog.jpg')!.id;
    const category = (await api('photo', { id: dogId })).categories[0]!;
    assert.ok(category.score >= 0.3, `${category.name} reaches the threshold: ${category.score}`);
    const written = subjects(sidecar('dog.jpg'));
    assert.ok(written.includes(category.name), `${category.name} in ${written.join(', ')}`);
    assert.deepEqual(subjects(path('dog.jpg')), [], 'the photo itself is left as it was');
  });

  it('follows a correction made in the photo view: an added label joins the sidecar, a rejected one leaves', async () => {
    await addLabel('dog.jpg', 'Good boy');
    await whenFolder(photosDir, () => subjects(sidecar('dog.jpg')).includes('Good boy'), 'Good boy in the sidecar');
    const [first] = subjects(sidecar('dog.jpg'));
    assert.equal(first, 'Good boy', "the user's own label comes first");

    const model = subjects(sidecar('dog.jpg')).find((subject) => subject !== 'Good boy')!;
    await correct('dog.jpg', async (dialog) => {
      await dialog
        .getByRole('button', { name: `Reject ${model}`, exact: true })
        .first()
        .click();
      await toast(`Rejected ${model}.`).waitFor();
    });
    await whenFolder(photosDir, () => !subjects(sidecar('dog.jpg')).includes(model), `${model} gone from the sidecar`);
    assert.equal((await api('xmpSettings', {})).pending, 0, 'nothing left to write');
    await status('All written').waitFor();
  });

  it('writes nothing once turned off, and writes into the photo files too when that is asked for', async () => {
    await toggle('Write tags to XMP').uncheck();
    await page.getByText('XMP sidecars', { exact: true }).waitFor();
    await statusLine().waitFor({ state: 'detached' });
    await addLabel('dog.jpg', 'Rex');
    // Off, a change queues nothing: no write can follow it.
    assert.equal((await api('xmpSettings', {})).pending, 0);
    assert.ok(!subjects(sidecar('dog.jpg')).includes('Rex'), 'the sidecar is left as it was');

    await toggle(/^Also into the photo files/).check();
    await toggle(/^Keep each original/).waitFor();
    assert.equal(await toggle(/^Keep each original/).isChecked(), true, "ExifTool's copy is kept unless unticked");
    assert.ok(await readsAsOneSentence(section().locator('label', { hasText: 'Keep each original' })));
    assert.ok(!existsSync(path('dog.jpg_original')), 'nothing is written while sidecars are off');
    await toggle('Write tags to XMP').check();
    await whenFolder(
      photosDir,
      () => existsSync(path('dog.jpg_original')) && subjects(path('dog.jpg')).includes('Rex'),
      'Rex in dog.jpg itself, its original kept',
    );
    assert.deepEqual(subjects(path('dog.jpg_original')), [], 'the original is as it came');
    await whenFolder(photosDir, () => subjects(sidecar('dog.jpg')).includes('Rex'), 'Rex in the sidecar too');
    await status('All written').waitFor();
  });
});
