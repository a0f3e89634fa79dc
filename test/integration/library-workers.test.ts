import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { ApiService } from '../../src-main/api/api-service.js';
import { Library } from '../../src-main/library/library.js';
import type { WorkerClient } from '../../src-main/worker-client.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

const PHOTOS = ['dog.jpg', 'owl.jpg', 'parrot.jpg'];

/**
 * The thread behind a reader or index the library holds. Nothing in the engine stops one but its own dispose, so
 * the test stops it as a crash would: the thread exits, and the client only hears that it did.
 */
const threadOf = (holder: object): Worker => (holder as { worker: WorkerClient<unknown> }).worker.worker;

function openLibrary(dir: string): Library {
  return Library.open({
    dbPath: join(dir, 'library.sqlite'),
    modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
  });
}

describe("the library's worker threads", () => {
  const dir = tempDir('phototag-library-workers-');
  let library: Library;
  let service: ApiService;

  before(async () => {
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    for (const name of PHOTOS) copyFileSync(photo(name), join(folder, name));
    library = openLibrary(dir);
    service = new ApiService(library);
    await library.scan(await library.addFolder(folder));
  });

  after(async () => {
    service?.close();
    await library?.close();
  });

  it('starts a new timeline reader after its thread stopped, and the grid gets its timeline', async () => {
    const request = { sort: 'newest' } as const;
    const first = await service.call('timeline', request);
    assert.equal(first.total, PHOTOS.length);
    assert.equal(await threadOf(library.timelines()).terminate(), 1);
    assert.deepEqual(await service.call('timeline', request), first);
  });

  it('starts a new similarity worker after its thread stopped, and answers', async () => {
    const first = await service.call('duplicates', {});
    assert.equal(await threadOf(library.similarity().index).terminate(), 1);
    assert.deepEqual(await service.call('duplicates', {}), first);
  });

  it('closes only once a tagger that was loading has loaded: its thread is never torn down mid-load', async () => {
    // Tearing down onnxruntime while it creates a session aborts the whole process ("terminate called after
    // throwing an instance of 'Napi::Error'"), as `phototag serve` did when stopped while its engine loaded.
    const loading = openLibrary(tempDir('phototag-library-loading-'));
    let settled = false;
    const info = loading
      .classifierInfo()
      .then(
        () => 'loaded',
        (error: Error) => error.message,
      )
      .finally(() => (settled = true));
    await loading.close();
    assert.ok(settled, 'the load under way was over when close resolved');
    assert.match(await info, /^The library .* is closed\.$/, 'what loaded for a closed library is not used');
    await assert.rejects(loading.classifierInfo(), /is closed/);
  });
});
