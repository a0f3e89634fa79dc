/// <reference lib="dom" />
// The callbacks passed to page.evaluate run in Chromium.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { phototag } from '../cli.js';
import { ROOT, tempDir } from '../helpers.js';
import { describeDownload, downloadPayload, OFFLINE_URL } from '../model-downloads.js';
import {
  callApi,
  startTaggedLibrary,
  stopServedPage,
  type ServedPage,
  type ServeProcess,
  TAGGING_TIMEOUT,
} from './serve-process.js';

const SHOTS = join(ROOT, 'test-results');
const PHOTOS = ['dog.jpg', 'owl.jpg', 'cat.bmp'];
/** The slow download sends this much, then waits until the test has seen it in the picker. */
const HALF = Math.floor(downloadPayload.length / 2);

describe('the model picker in Chromium, over the real engine', () => {
  let server: ServeProcess;
  let served: ServedPage | undefined;
  let page: Page;
  const problems: string[] = [];
  // Here, not in before(): tempDir's clean-up belongs to the suite.
  const dir = tempDir('phototag-e2e-models-');
  // The served library's per-user folder (see startServedPage), where downloaded models go.
  const home = join(dir, 'home');
  /** The slow download's answer, held after its first half; sends the rest. */
  let sendRest: (() => void) | undefined;
  const slowServer = createServer((_request, response: ServerResponse) => {
    response.writeHead(200, { 'content-length': String(downloadPayload.length) });
    response.write(downloadPayload.subarray(0, HALF));
    sendRest = () => response.end(downloadPayload.subarray(HALF));
  });

  const picker = () => page.getByRole('navigation', { name: 'Library' }).locator('details.models');
  const models = () => picker().getByRole('list', { name: 'Models' });
  const model = (name: string) => models().getByRole('listitem').filter({ hasText: name });

  /** Every model the photos were last tagged with, asked of the server. */
  async function taggedWith(): Promise<string[]> {
    const { photos } = await callApi(server, 'queryPhotos', { limit: 100 });
    const details = await Promise.all(photos.map((tile) => callApi(server, 'photo', { id: tile.id })));
    return [
      ...new Set(
        details.map((detail) => (detail.status === 'done' ? (detail.model?.id ?? 'no model') : detail.status)),
      ),
    ];
  }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    const { port } = slowServer.address() as AddressInfo;
    describeDownload(join(home, 'models'), 'slow', `http://127.0.0.1:${port}/model.onnx`);
    describeDownload(join(home, 'models'), 'offline', OFFLINE_URL);
    served = await startTaggedLibrary({ dir, folder: 'Pets', photos: PHOTOS, problems });
    ({ server, page } = served);
  });

  after(async () => {
    await stopServedPage(served);
    slowServer.close();
    assert.deepEqual(problems, [], 'no page errors');
  });

  it('lists the models: the one in use, the demos marked, the downloads with their size and nothing fetched', async () => {
    await picker().locator('summary').click();
    await model('MobileNetV2').getByText('In use').waitFor();
    for (const demo of ['ResNet-20 (CIFAR-10)', 'ResNet-56 (CIFAR-10)']) {
      await model(demo).getByText('Demo: knows 10 classes at 32x32').waitFor();
    }
    assert.equal(await model('MobileNetV2').getByText(/^Demo/).count(), 0);
    await model('ResNet-18 v2 (ImageNet)').getByText('45 MB download').waitFor();
    await model('ResNet-18 v2 (ImageNet)').getByRole('button', { name: 'Download' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'models-picker.png') });
    const listed = await callApi(server, 'models', {});
    assert.equal(listed.models.find((entry) => entry.id === 'resnet18-v2-imagenet')?.status, 'available');
  });

  it('asks before a demonstration model tags the library, and Cancel changes nothing', async () => {
    await page.getByRole('button', { name: 'Use ResNet-20 (CIFAR-10)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tag with a demonstration model?' });
    await dialog.getByText(/^A demonstration model: it knows only the 10 CIFAR-10 classes/).waitFor();
    await dialog.getByText(/Every photo in this library is tagged again with ResNet-20 \(CIFAR-10\)/).waitFor();
    await page.screenshot({ path: join(SHOTS, 'models-confirm.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await callApi(server, 'summary', {})).model?.id, 'mobilenet-v2-imagenet');
    await model('MobileNetV2').getByText('In use').waitFor();
  });

  it('switches on a yes and re-tags every photo with the new model, the progress showing', async () => {
    // Every text the progress bar shows from now on, however briefly.
    await page.evaluate(() => {
      const meter = document.querySelector('[role="progressbar"][aria-label="Tagging progress"]')!;
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => seen.push(meter.getAttribute('aria-valuetext') ?? '')).observe(meter, {
        attributes: true,
        attributeFilter: ['aria-valuetext'],
      });
    });
    await page.getByRole('button', { name: 'Use ResNet-20 (CIFAR-10)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tag with a demonstration model?' });
    await dialog.getByRole('button', { name: 'Use the demo model' }).click();
    await picker()
      .getByRole('status')
      .filter({ hasText: 'This library now tags with ResNet-20 (CIFAR-10): every photo is tagged again with it.' })
      .waitFor();
    await model('ResNet-20 (CIFAR-10)').getByText('In use').waitFor();
    await picker().locator('summary').filter({ hasText: 'ResNet-20 (CIFAR-10) · demo' }).waitFor();
    // The run showed its progress and is over.
    await page.waitForFunction(
      (count) => {
        const seen = (window as unknown as { progressSeen: string[] }).progressSeen;
        return (
          seen.some((text) => text.startsWith('Tagging · ')) && seen.at(-1) === `All caught up: ${count} photos tagged`
        );
      },
      PHOTOS.length,
      { timeout: TAGGING_TIMEOUT },
    );
    assert.deepEqual(await taggedWith(), ['resnet20-cifar10']);
  });

  it('switches back to a model meant for photos without asking', async () => {
    await page.getByRole('button', { name: 'Use MobileNetV2 (embedded)' }).click();
    await model('MobileNetV2').getByText('In use').waitFor();
    assert.equal(await page.getByRole('dialog').count(), 0, 'no question for a model meant to tag photos');
    assert.equal((await callApi(server, 'summary', {})).model?.id, 'mobilenet-v2-imagenet');
  });

  it('downloads on a click, showing the bytes done of the total and the share as they come', async () => {
    if ((await picker().getAttribute('open')) === null) await picker().locator('summary').click();
    await model('Test download slow').getByRole('button', { name: 'Download' }).click();
    const bar = model('Test download slow').getByRole('progressbar', { name: 'Downloading Test download slow' });
    await bar.and(page.locator(`[aria-valuenow="${HALF}"]`)).waitFor();
    assert.equal(await bar.getAttribute('aria-valuemax'), String(downloadPayload.length));
    // A rate shows once a second of the download is measured; how soon that is depends on the machine.
    const shown = /^534 KB of 1\.0 MB · 50%( · [\d.]+ [KMG]?B\/s)?$/;
    assert.match((await bar.getAttribute('aria-valuetext')) ?? '', shown);
    assert.match(await model('Test download slow').locator('.progress').innerText(), shown);
    await page.screenshot({ path: join(SHOTS, 'models-downloading.png') });
    sendRest!();
    await picker().getByRole('status').filter({ hasText: 'Downloaded Test download slow.' }).waitFor();
    await model('Test download slow').getByRole('button', { name: 'Use Test download slow' }).waitFor();
    assert.equal(await bar.count(), 0, 'the progress goes with the download');
  });

  it('offline, a download fails with the words of "phototag models pull"', async () => {
    const earlier = problems.length;
    await model('Test download offline').getByRole('button', { name: 'Download' }).click();
    const alert = picker().getByRole('alert');
    await alert.waitFor();
    const cli = phototag(home, ['models', 'pull', 'offline']);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /^phototag: Cannot download offline: the DNS lookup of phototag-test\.invalid /);
    assert.equal(`phototag: ${await alert.innerText()}\n`, cli.stderr);
    // The refusal comes as HTTP 409, which Chromium logs as a resource that failed: the one error expected here.
    assert.deepEqual(problems.splice(earlier), [
      'Failed to load resource: the server responded with a status of 409 (Conflict)',
    ]);
  });
});
