import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { phototag } from '../cli.js';
import { photo, tempDir, until } from '../helpers.js';
import {
  callApi,
  holdRequests,
  startServedPage,
  startTaggedLibrary,
  stopServedPage,
  type ServedPage,
  TAGGING_TIMEOUT,
} from './serve-process.js';

const PHOTOS = ['dog.jpg', 'owl.jpg'];

/** Resolves once the engine has tagged every photo it knows of and is idle: the page's own view is not asked. */
async function whenEngineIdle(served: ServedPage, photos: number): Promise<void> {
  const idle = async () => {
    const { progress, counts } = await callApi(served.server, 'summary', {});
    return progress.state === 'idle' && progress.queued === 0 && counts.done === photos;
  };
  await until(idle, `the engine has tagged ${photos} photos and is idle`, { timeoutMs: TAGGING_TIMEOUT });
}

describe('the header follows the engine in Chromium, whatever the order in which answers and events arrive', () => {
  let served: ServedPage | undefined;
  const problems: string[] = [];
  const dir = tempDir('phototag-e2e-live-');
  const folder = join(dir, 'Photos');

  before(async () => {
    mkdirSync(folder);
    for (const name of PHOTOS) copyFileSync(photo(name), join(folder, name));
    served = await startServedPage({ dir, problems, allowedErrors: /404 \(Not Found\)/ });
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('shows a run that ended before the page could listen to the engine as ended', async () => {
    const { server, page } = served!;
    // The page's event stream connects only once the run is over: nothing it hears then tells of the run.
    let connect!: () => void;
    const connected = new Promise<void>((resolve) => (connect = resolve));
    await page.route('**/api/events', async (route) => {
      await connected;
      await route.continue();
    });
    await callApi(server, 'pause', {});
    await callApi(server, 'addFolder', { path: folder });
    await page.goto(server.url);
    await page.getByText(`Paused · 0 of ${PHOTOS.length}`, { exact: true }).waitFor();

    await callApi(server, 'resume', {});
    await whenEngineIdle(served!, PHOTOS.length);
    connect();
    await page.getByText(`All caught up: ${PHOTOS.length} photos tagged`, { exact: true }).waitFor();
    await page.getByRole('gridcell', { name: /^dog\.jpg, / }).waitFor();
  });
});

describe('the grid in Chromium when something between the page and the engine holds the event stream back', () => {
  let served: ServedPage | undefined;
  const problems: string[] = [];
  const dir = tempDir('phototag-e2e-held-stream-');

  before(async () => {
    served = await startTaggedLibrary({ dir, folder: 'Photos', photos: PHOTOS, problems });
  });

  after(async () => {
    await stopServedPage(served);
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('shows the photos, says live updates are not reaching the page, and follows changes once they do', async () => {
    const { server, page } = served!;
    // As a proxy that buffers text/event-stream does: the stream's request gets no answer at all.
    const release = await holdRequests(page, '**/api/events');
    await page.reload();
    for (const name of PHOTOS) await page.getByRole('gridcell', { name: new RegExp(`^${name}, `) }).waitFor();
    const notice = page.getByRole('status').filter({ hasText: 'Live updates are not reaching this page' });
    await notice.waitFor();

    await release();
    await notice.waitFor({ state: 'detached' });
    const [dog] = (await callApi(server, 'queryPhotos', { filter: { tags: [{ kind: 'category', id: 'dog' }] } }))
      .photos;
    await callApi(server, 'correct', {
      photos: { ids: [dog!.id] },
      action: { type: 'confirm', tag: { kind: 'category', id: 'dog', name: 'Dog' } },
    });
    await page.getByRole('gridcell', { name: /^dog\.jpg, Dog confirmed/ }).waitFor();
  });

  it('says live updates are not reaching the page when the stream drops and its reconnection is held', async () => {
    const { server, page } = served!;
    // The first stream opens and ends at once, as a dropped connection does, and asks the browser to reconnect
    // after 0.1 s; a proxy then holds the reconnection's request without an answer.
    let streams = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reconnected: Promise<void> | undefined;
    await page.route('**/api/events', (route) => {
      if (streams++ === 0) return route.fulfill({ contentType: 'text/event-stream', body: 'retry: 100\n\n' });
      reconnected = released.then(() => route.continue());
      return reconnected;
    });
    await page.reload();
    await page.getByRole('gridcell', { name: /^owl\.jpg, / }).waitFor();
    const notice = page.getByRole('status').filter({ hasText: 'Live updates are not reaching this page' });
    await notice.waitFor();
    assert.ok(streams >= 2, 'the notice came for the held reconnection, not the first stream');

    release();
    await notice.waitFor({ state: 'detached' });
    await reconnected;
    await page.unroute('**/api/events');
    await callApi(server, 'pause', {});
    await page.getByText(/^Paused · /).waitFor();
  });

  it('shows a correction made with the CLI while the page is open, without a reload', async () => {
    const { page } = served!;
    // The model's Dog, or the one the test before confirmed.
    await page.getByRole('gridcell', { name: /^dog\.jpg, Dog / }).waitFor();
    const dog = join(dir, 'Photos', 'dog.jpg');
    const label = phototag(join(dir, 'home'), ['label', dog, '--reject', 'Dog', '--db', join(dir, 'library.sqlite')]);
    assert.equal(label.stdout, 'Rejected Dog on 1 photo.\n', label.stderr);
    // Rejected, another tag leads.
    await page.getByRole('gridcell', { name: /^dog\.jpg, (?!Dog )/ }).waitFor({ timeout: 10_000 });
  });
});
