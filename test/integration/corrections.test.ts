import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

async function taggedLibrary(files: string[]) {
  const dir = tempDir();
  const folder = join(dir, 'photos');
  mkdirSync(folder);
  for (const file of files) copyFileSync(photo(file), join(folder, file));
  const open = (modelId?: string) =>
    Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'm') },
      modelId,
    });
  const library = open();
  await library.scan(await library.addFolder(folder));
  await library.tag();
  return { library, folder, open };
}

describe('corrections', () => {
  it("are truth for tags, search and counts: confirmed and own labels are the user's, rejected ones are gone", async () => {
    const { library, folder } = await taggedLibrary(['parrot.jpg', 'dog.jpg']);
    try {
      const { repo } = library;
      const parrot = repo.photoByPath(join(folder, 'parrot.jpg'))!;
      const dog = repo.photoByPath(join(folder, 'dog.jpg'))!;
      const macaw = repo.withTags(parrot).labels[0]!;
      assert.deepEqual([macaw.name, macaw.source], ['Macaw', 'model']);
      const dogTop = repo.withTags(dog).labels[0]!;

      repo.corrections.apply([parrot.id], { type: 'confirm', tag: { kind: 'label', id: macaw.id, name: macaw.name } });
      repo.corrections.apply([dog.id], { type: 'reject', tag: { kind: 'label', id: dogTop.id, name: dogTop.name } });
      repo.corrections.apply([parrot.id, dog.id], {
        type: 'add',
        tag: { kind: 'label', id: userLabelId('Garden visitors'), name: 'Garden visitors' },
      });

      const parrotTags = repo.withTags(parrot);
      assert.deepEqual(
        parrotTags.labels.filter((l) => l.source === 'user').map((l) => [l.name, l.score]),
        [
          ['Garden visitors', 1],
          ['Macaw', 1],
        ].sort(),
      );
      assert.equal(parrotTags.labels.filter((l) => l.id === macaw.id).length, 1, 'a confirmed label is not doubled');
      assert.ok(!repo.withTags(dog).labels.some((l) => l.id === dogTop.id), 'a rejected label disappears');
      assert.ok(repo.withTags(dog).labels.length <= 5);

      assert.deepEqual(
        [...library.searchTags('garden visitors', 0.5).photos].map((h) => h.photo.id).sort(),
        [parrot.id, dog.id].sort(),
      );
      assert.deepEqual(
        [...library.searchTags(dogTop.id, 0).photos].map((h) => h.photo.id),
        [],
        'search follows the rejection',
      );

      const listed = repo.corrections.list();
      assert.equal(listed.length, 4);
      assert.deepEqual(listed[0]!.model, { id: 'mobilenet-v2-imagenet', version: '1', score: macaw.score });
      assert.equal(listed[0]!.path, parrot.path);
      assert.equal(listed[2]!.model, null, 'an own label overrides no prediction');
    } finally {
      await library.close();
    }
  });

  it('undo takes back the last action as a whole', async () => {
    const { library, folder } = await taggedLibrary(['hot_dog.jpg']);
    try {
      const { repo } = library;
      const photoRow = repo.photoByPath(join(folder, 'hot_dog.jpg'))!;
      const top = repo.withTags(photoRow).labels[0]!;
      repo.corrections.apply([photoRow.id], { type: 'confirm', tag: { kind: 'label', id: top.id, name: top.name } });
      repo.corrections.apply([photoRow.id], {
        type: 'replace',
        from: { kind: 'label', id: top.id, name: top.name },
        to: { kind: 'label', id: userLabelId('Lunch'), name: 'Lunch' },
      });
      assert.deepEqual(
        repo
          .withTags(photoRow)
          .labels.filter((l) => l.source === 'user')
          .map((l) => l.name),
        ['Lunch'],
      );
      assert.deepEqual(repo.corrections.undo(), [photoRow.id]);
      assert.deepEqual(
        repo
          .withTags(photoRow)
          .labels.filter((l) => l.source === 'user')
          .map((l) => l.name),
        [top.name],
      );
      repo.corrections.undo();
      assert.equal(repo.withTags(photoRow).labels[0]!.source, 'model');
      assert.deepEqual(repo.corrections.undo(), [], 'nothing left to undo');
    } finally {
      await library.close();
    }
  });

  it('survive re-tagging with another model and a file rename', async () => {
    const { library, folder, open } = await taggedLibrary(['parrot.jpg', 'cat.bmp']);
    const parrotPath = join(folder, 'parrot.jpg');
    let parrotId: number;
    try {
      const { repo } = library;
      const parrot = repo.photoByPath(parrotPath)!;
      parrotId = parrot.id;
      const labels = repo.withTags(parrot).labels;
      repo.corrections.apply([parrot.id], {
        type: 'confirm',
        tag: { kind: 'label', id: labels[0]!.id, name: 'Macaw' },
      });
      repo.corrections.apply([parrot.id], { type: 'reject', tag: { kind: 'category', id: 'bird', name: 'Bird' } });
      repo.corrections.apply([parrot.id], { type: 'add', tag: { kind: 'label', id: userLabelId('Rio'), name: 'Rio' } });
      library.useModel('resnet56-cifar10', { demoAgreed: true });
    } finally {
      await library.close();
    }
    mkdirSync(join(folder, 'renamed'));
    renameSync(parrotPath, join(folder, 'renamed', 'rio.jpg'));
    const reopened = open();
    try {
      await reopened.scanAll();
      await reopened.tag();
      const moved = reopened.repo.photoByPath(join(folder, 'renamed', 'rio.jpg'))!;
      assert.equal(moved.id, parrotId!);
      assert.equal(moved.modelId, 'resnet56-cifar10');
      const tags = reopened.repo.withTags(moved);
      assert.deepEqual(
        tags.labels
          .filter((l) => l.source === 'user')
          .map((l) => l.name)
          .sort(),
        ['Macaw', 'Rio'],
      );
      assert.ok(
        tags.labels.some((l) => l.source === 'model' && l.id === 'bird'),
        "the new model's labels are there",
      );
      assert.ok(!tags.categories.some((c) => c.id === 'bird'), 'the rejected category stays rejected after re-tagging');
      assert.equal(reopened.repo.corrections.list().length, 3);
    } finally {
      await reopened.close();
    }
  });
});
