import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Progress } from '../../src-main/api/contract.js';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

describe('tagging progress', () => {
  it('says no time left until a rate is measured over enough photos: never "about 0 s" from the first few', async () => {
    const dir = tempDir('phototag-progress-');
    const photos = join(dir, 'photos');
    mkdirSync(photos);
    for (const name of ['dog.jpg', 'cat_720p.jpg', 'parrot.jpg', 'owl.jpg'])
      copyFileSync(photo(name), join(photos, name));
    const library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
      // Two batches: progress comes between them, with photos left.
      batchSize: 2,
    });
    const events: Progress[] = [];
    library.on('progress', (progress) => events.push(progress));
    try {
      await library.scan(await library.addFolder(photos));
      const run = await library.tag();
      assert.equal(run.tagged, 4);
      const running = events.filter((progress) => progress.state === 'running' && progress.queued > 0);
      assert.ok(
        running.some((progress) => progress.done > 0),
        'progress came while photos were left',
      );
      assert.deepEqual(
        running.map((progress) => progress.etaSeconds),
        running.map(() => null),
      );
      assert.deepEqual(events.at(-1), { ...events.at(-1)!, found: 4, queued: 0, done: 4, etaSeconds: null });
    } finally {
      await library.close();
    }
  });
});
