import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { Library } from '../../src-main/library/library.js';
import { thumbnailPath } from '../../src-main/pipeline/tagging-pipeline.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

describe('thumbnails', () => {
  it(
    'are private to their owner, like the photos: folders 0700, files 0600',
    { skip: process.platform === 'win32' && 'Windows has no POSIX file modes' },
    async () => {
      const dir = tempDir();
      const folder = join(tempDir(), 'private');
      mkdirSync(folder);
      copyFileSync(photo('dog.jpg'), join(folder, 'dog.jpg'));
      chmodSync(join(folder, 'dog.jpg'), 0o600);
      const library = Library.open({
        dbPath: join(dir, 'library.sqlite'),
        modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
      });
      try {
        await library.scan(await library.addFolder(folder));
        assert.equal((await library.tag()).tagged, 1);
        const thumbnail = thumbnailPath(
          library.thumbnailsDir,
          library.repo.photoByPath(join(folder, 'dog.jpg'))!.fingerprint!,
        );
        const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
        assert.equal(mode(library.thumbnailsDir), '700');
        assert.equal(mode(dirname(thumbnail)), '700');
        assert.equal(mode(thumbnail), '600');
      } finally {
        await library.close();
      }
    },
  );
});
