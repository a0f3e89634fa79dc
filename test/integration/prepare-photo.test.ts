import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PhotoFile, withPhotoFile } from '../../src-main/imaging/photo-file.js';
import { findModel, listModels } from '../../src-main/models/model-catalog.js';
import { fingerprint } from '../../src-main/pipeline/photo-facts.js';
import { preparePhoto } from '../../src-main/pipeline/tagging-pipeline.js';
import { classifierOnly } from '../../src-main/taggers/tagger-plan.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

const plan = classifierOnly(
  findModel(listModels({ embedded: MODELS_DIR, user: join(MODELS_DIR, 'no-user-models') }), 'mobilenet-v2-imagenet'),
);

describe('preparing a photo for the taggers', () => {
  it(
    'takes a small photo, its EXIF and its keywords from the file that was opened, even once another file has its name',
    { skip: process.platform === 'win32' && 'Windows cannot rename a file over one that is open' },
    async () => {
      const dir = tempDir();
      const path = join(dir, 'dog.jpg');
      copyFileSync(photo('dog.jpg'), path);
      execFileSync('exiftool', [
        '-q',
        '-overwrite_original',
        '-DateTimeOriginal=2021:07:04 18:22:05',
        '-Make=Canon',
        '-Model=Canon EOS R5',
        '-XMP-dc:Subject=Rex',
        '-IPTC:Keywords=Holiday',
        path,
      ]);
      const expected = await withPhotoFile(path, (file) => preparePhoto(file, plan));
      assert.deepEqual(
        [expected.exif.takenAt, expected.exif.camera, expected.keywords.keywords],
        ['2021-07-04T18:22:05', 'Canon EOS R5', ['Rex', 'Holiday']],
      );

      const file = await PhotoFile.open(path);
      try {
        // Renamed over it, as a sync tool or an editor saves: the open file keeps the bytes it had.
        copyFileSync(photo('owl.jpg'), join(dir, 'saved.jpg'));
        renameSync(join(dir, 'saved.jpg'), path);
        const prepared = await preparePhoto(file, plan);
        assert.ok(prepared.decoded.data.equals(expected.decoded.data), 'the same pixels');
        assert.deepEqual(
          [prepared.decoded.originalWidth, prepared.decoded.originalHeight, prepared.exif, prepared.keywords],
          [expected.decoded.originalWidth, expected.decoded.originalHeight, expected.exif, expected.keywords],
        );
        assert.ok(prepared.thumbnail.equals(expected.thumbnail), 'the same thumbnail');
      } finally {
        await file.close();
      }
    },
  );

  it('reads a small photo once: what its fingerprint hashed is what it decodes, even when the file changes between', async () => {
    const dir = tempDir();
    const path = join(dir, 'dog.jpg');
    copyFileSync(photo('dog.jpg'), path);
    const [expectedPrint, expected] = await withPhotoFile(
      path,
      async (file) => [await fingerprint(file), await preparePhoto(file, plan)] as const,
    );
    const bytes = readFileSync(path);
    const file = await PhotoFile.open(path);
    try {
      const print = await fingerprint(file);
      // Written over in place (the same file, as an editor that saves into it): the open descriptor would read zeros.
      writeFileSync(path, Buffer.alloc(bytes.length));
      const prepared = await preparePhoto(file, plan);
      assert.equal(print, expectedPrint);
      assert.ok(prepared.decoded.data.equals(expected.decoded.data), 'the pixels it hashed');
    } finally {
      await file.close();
    }
  });
});
