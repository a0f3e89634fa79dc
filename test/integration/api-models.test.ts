import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiService } from '../../src-main/api/api-service.js';
import type { ApiEvent, ModelChoice, Progress } from '../../src-main/api/contract.js';
import { Library } from '../../src-main/library/library.js';
import { phototag } from '../cli.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { describeDownload, downloadPayload, OFFLINE_URL } from '../model-downloads.js';

const PHOTOS = ['dog.jpg', 'owl.jpg'];

describe('the model picker through the API, with the real models', () => {
  const home = tempDir('phototag-api-models-');
  const userDir = join(home, 'models');
  // One model served here, one from a host that never resolves, as offline.
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': String(downloadPayload.length) }).end(downloadPayload);
  });
  let library: Library;
  let service: ApiService;
  const progress: Progress[] = [];

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    describeDownload(userDir, 'served-test', `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.onnx`);
    describeDownload(userDir, 'offline-test', OFFLINE_URL);
    mkdirSync(join(home, 'photos'));
    for (const name of PHOTOS) copyFileSync(photo(name), join(home, 'photos', name));
    library = Library.open({
      dbPath: join(home, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: userDir },
    });
    service = new ApiService(library);
    service.onEvent((event) => {
      if (event.type === 'progress') progress.push(event.progress);
    });
  });

  after(async () => {
    service?.close();
    await library?.close();
    server.close();
  });

  /** Resolves once a progress event says the run is over and every photo carries `modelId`'s tags. */
  const taggedWith = (modelId: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        const rows = PHOTOS.map((name) => library.repo.photoByPath(join(home, 'photos', name)));
        if (rows.every((row) => row?.status === 'done' && row.modelId === modelId)) {
          stop();
          resolve();
        }
      };
      const stop = service.onEvent((event) => {
        if (event.type === 'progress' && event.progress.state === 'idle') check();
      });
    });

  const listed = async () =>
    Object.fromEntries((await service.call('models', {})).models.map((model) => [model.id, model])) as Record<
      string,
      ModelChoice
    >;

  it('lists the models a library can tag with: shipped, to download with their size, the demos marked', async () => {
    const models = await listed();
    assert.deepEqual(Object.keys(models).sort(), [
      'mobilenet-v2-imagenet',
      'offline-test',
      'resnet18-v2-imagenet',
      'resnet20-cifar10',
      'resnet50-v1-int8-imagenet',
      'resnet56-cifar10',
      'served-test',
    ]);
    assert.equal(models['inat-bird'], undefined, 'a specialist is no library model');
    assert.deepEqual(
      Object.values(models)
        .filter((model) => model.active)
        .map((model) => model.id),
      ['mobilenet-v2-imagenet'],
    );
    assert.equal(models['mobilenet-v2-imagenet']!.status, 'embedded');
    assert.equal(models['mobilenet-v2-imagenet']!.demo, null);
    assert.deepEqual(
      [models['resnet18-v2-imagenet']!.status, models['resnet18-v2-imagenet']!.size],
      ['available', 46806737],
    );
    for (const id of ['resnet20-cifar10', 'resnet56-cifar10']) {
      assert.equal(models[id]!.demo?.mark, 'Demo: knows 10 classes at 32x32');
      assert.match(models[id]!.demo!.note, /^A demonstration model: it knows only the 10 CIFAR-10 classes/);
    }
  });

  it('refuses a demonstration model until the user agreed, then re-tags every photo with it, progress showing', async () => {
    const first = taggedWith('mobilenet-v2-imagenet');
    await service.call('addFolder', { path: join(home, 'photos') });
    await first;

    await assert.rejects(service.call('useModel', { id: 'resnet20-cifar10' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'refused');
      assert.match(
        error.message,
        /^A demonstration model: .* Agree to it first to tag this library with resnet20-cifar10/,
      );
      return true;
    });
    assert.equal((await listed())['mobilenet-v2-imagenet']!.active, true, 'nothing changed');

    progress.length = 0;
    const retagged = taggedWith('resnet20-cifar10');
    const switched = await service.call('useModel', { id: 'resnet20-cifar10', demoAgreed: true });
    assert.match(switched.message, /now tags with ResNet-20 \(CIFAR-10\)/);
    assert.deepEqual(
      switched.models.filter((model) => model.active).map((model) => model.id),
      ['resnet20-cifar10'],
    );
    await retagged;
    assert.ok(
      progress.some((p) => p.state === 'running' && p.queued === PHOTOS.length),
      'the re-tagging shows its progress from its start',
    );
    assert.deepEqual(
      progress.map((p) => p.photosPerSecond),
      progress.map(() => 0),
      'two photos make no rate',
    );
    assert.equal((await service.call('summary', {})).model?.id, 'resnet20-cifar10');
  });

  it('keeps a paused run paused across a model switch: the new model queues every photo and waits for resume', async () => {
    await service.call('pause', {});
    const queued = new Promise<Progress>((resolve) => {
      const stop = service.onEvent((event) => {
        if (event.type !== 'progress' || event.progress.queued !== PHOTOS.length) return;
        stop();
        resolve(event.progress);
      });
    });
    await service.call('useModel', { id: 'mobilenet-v2-imagenet' });
    const first = await queued;
    assert.equal(first.state, 'paused', 'the new model’s run waits from its first moment');
    assert.equal(first.done, 0);
    assert.equal((await service.call('summary', {})).progress.state, 'paused');
    for (const name of PHOTOS) {
      assert.equal(library.repo.photoByPath(join(home, 'photos', name))?.modelId, 'resnet20-cifar10', name);
    }
    const retagged = taggedWith('mobilenet-v2-imagenet');
    assert.equal((await service.call('resume', {})).progress.state, 'running');
    await retagged;
  });

  it('downloads a model only when asked, and offline says what failed as "models pull" does', async () => {
    await assert.rejects(service.call('useModel', { id: 'served-test' }), /not installed yet/);
    const downloads: ApiEvent[] = [];
    const stop = service.onEvent((event) => event.type === 'modelDownload' && downloads.push(event));
    const pulled = await service.call('pullModel', { id: 'served-test' });
    stop();
    assert.equal(pulled.message, 'Downloaded Test download served-test.');
    const size = downloadPayload.length;
    assert.deepEqual(downloads.at(-1), { type: 'modelDownload', modelId: 'served-test', received: size, total: size });
    assert.equal(pulled.models.find((model) => model.id === 'served-test')?.status, 'installed');

    let apiMessage = '';
    await assert.rejects(service.call('pullModel', { id: 'offline-test' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'refused');
      apiMessage = error.message;
      return true;
    });
    assert.match(apiMessage, /^Cannot download offline-test: the DNS lookup of phototag-test\.invalid /);
    const cli = phototag(home, ['models', 'pull', 'offline-test']);
    assert.equal(cli.status, 1);
    assert.equal(cli.stderr, `phototag: ${apiMessage}\n`);
  });

  it('answers an unknown model with not-found', async () => {
    await assert.rejects(service.call('useModel', { id: 'nope' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'not-found');
      assert.equal(error.message, 'There is no model "nope" this library can tag with.');
      return true;
    });
  });
});
