import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { userLabelId } from '../../src-main/db/correction-repository.js';
import {
  exportDataset,
  ExportExistsError,
  ExportRefusedError,
  exportSourceOf,
  type ExportOptions,
  type ExportSource,
} from '../../src-main/export/dataset-export.js';
import { Library } from '../../src-main/library/library.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';

const defaults: Omit<ExportOptions, 'format' | 'out'> = {
  minPerClass: 1,
  validation: 0.25,
  seed: 7,
  link: false,
  overwrite: false,
};

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('exporting corrections as a dataset', () => {
  let library: Library;
  let source: ExportSource;
  let folder: string;

  before(async () => {
    const dir = tempDir();
    folder = join(dir, 'photos');
    mkdirSync(folder);
    // 9 macaws, 5 dogs, 3 hot dogs: enough per class to check a stratified split.
    const plan: [string, number][] = [
      ['parrot.jpg', 9],
      ['dog.jpg', 5],
      ['hot_dog.jpg', 3],
    ];
    for (const [file, count] of plan) {
      for (let i = 0; i < count; i++) copyFileSync(photo(file), join(folder, `${i}-${file}`));
    }
    library = Library.open({
      dbPath: join(dir, 'library.sqlite'),
      modelDirs: { embedded: MODELS_DIR, user: join(dir, 'm') },
    });
    await library.scan(await library.addFolder(folder));
    await library.tag();
    const { repo } = library;
    const ids = (file: string) =>
      repo
        .photosUnder(folder)
        .filter((p) => p.path.endsWith(`-${file}`))
        .map((p) => p.id);
    repo.corrections.apply(ids('parrot.jpg'), {
      type: 'confirm',
      tag: { kind: 'label', id: 'n01818515', name: 'Macaw' },
    });
    repo.corrections.apply(ids('dog.jpg'), {
      type: 'add',
      tag: { kind: 'label', id: userLabelId('Rex'), name: 'Rex' },
    });
    const dogTop = repo.withTags(repo.photoById(ids('dog.jpg')[0]!)!).labels.find((l) => l.source === 'model')!;
    repo.corrections.apply(ids('dog.jpg'), {
      type: 'reject',
      tag: { kind: 'label', id: dogTop.id, name: dogTop.name },
    });
    source = exportSourceOf(library);
  });
  after(() => library.close());

  it('writes an ImageFolder tree with a stratified, seeded split and a manifest that counts it', async () => {
    const out = join(tempDir(), 'dataset');
    const manifest = await exportDataset(source, { ...defaults, format: 'imagefolder', out });
    assert.deepEqual(
      manifest.classes.map((c) => [c.name, c.folder, c.train, c.validation]),
      [
        ['Macaw', 'macaw', 7, 2],
        ['Rex', 'rex', 4, 1],
      ],
      'only corrected labels by default; each split within one photo of 25% per class',
    );
    assert.equal(manifest.photos, 14);
    assert.deepEqual(manifest.skipped, []);
    assert.equal(manifest.library, library.dbPath);
    assert.equal(manifest.options.seed, 7);
    const written = files(out);
    assert.equal(written.filter((f) => f.startsWith('train/macaw/')).length, 7);
    assert.equal(written.filter((f) => f.startsWith('validation/macaw/')).length, 2);
    assert.equal(written.filter((f) => f.startsWith('validation/rex/')).length, 1);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')), manifest);
    for (const file of written.filter((f) => f.endsWith('.jpg'))) {
      const meta = await sharp(join(out, file)).metadata();
      assert.ok(meta.width! > 0, `${file} decodes`);
    }
  });

  it('is deterministic: the same library and options give the same bytes', async () => {
    const a = join(tempDir(), 'a');
    const b = join(tempDir(), 'b');
    await exportDataset(source, { ...defaults, format: 'imagefolder', out: a, resize: 64 });
    await exportDataset(source, { ...defaults, format: 'imagefolder', out: b, resize: 64 });
    assert.deepEqual(files(a), files(b));
    for (const file of files(a)) assert.ok(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file);
    const resized = await sharp(
      join(
        a,
        files(a).find((f) => f.startsWith('train/'))!,
      ),
    ).metadata();
    assert.ok(Math.max(resized.width!, resized.height!) <= 64);
    assert.equal(resized.format, 'jpeg');
  });

  it('writes CSV rows and JSON Lines with negatives, sources, models and WordNet ids', async () => {
    const csvDir = join(tempDir(), 'csv');
    await exportDataset(source, { ...defaults, format: 'csv', out: csvDir, includeModelAbove: 0.9 });
    const [header, ...rows] = readFileSync(join(csvDir, 'labels.csv'), 'utf8').trim().split('\n');
    assert.equal(header, 'path,label_id,label_name,source,score,model,split');
    const hotdogs = rows.filter((row) => row.includes('hot_dog.jpg') && row.includes(',Hotdog,'));
    assert.equal(hotdogs.length, 3, 'confident machine labels join when asked');
    assert.ok(
      hotdogs.every((row) => row.includes(',n07697537,Hotdog,model,') && row.includes(',mobilenet-v2-imagenet,')),
    );
    assert.ok(rows.some((row) => row.includes(',n01818515,Macaw,user,1,mobilenet-v2-imagenet,')));

    const jsonlDir = join(tempDir(), 'jsonl');
    await exportDataset(source, { ...defaults, format: 'jsonl', out: jsonlDir });
    const lines = readFileSync(join(jsonlDir, 'labels.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines.length, 14);
    const dog = lines.find((l) => l.path.endsWith('0-dog.jpg'));
    assert.deepEqual(
      dog.labels.map((l: { name: string; source: string }) => [l.name, l.source]),
      [['Rex', 'user']],
    );
    assert.equal(dog.negatives.length, 1);
    assert.match(dog.negatives[0].wordnet, /^n\d{8}$/);
    const macaw = lines.find((l) => l.path.endsWith('0-parrot.jpg'));
    assert.equal(macaw.labels[0].wordnet, 'n01818515');
    assert.deepEqual(macaw.model, { id: 'mobilenet-v2-imagenet', version: '1' });
    assert.ok(['train', 'validation'].includes(macaw.split));
  });

  it('keeps a class with a single photo in the training split, whatever the ratio', async () => {
    const { corrections } = library.repo;
    const [first] = library.repo.photosUnder(folder);
    corrections.apply([first!.id], { type: 'add', tag: { kind: 'label', id: userLabelId('Solo'), name: 'Solo' } });
    try {
      const out = join(tempDir(), 'single');
      const manifest = await exportDataset(source, { ...defaults, format: 'csv', out, validation: 0.9 });
      assert.deepEqual(
        manifest.classes.map((c) => [c.name, c.train, c.validation]),
        [
          ['Macaw', 1, 8],
          ['Rex', 1, 4],
          ['Solo', 1, 0],
        ],
      );
    } finally {
      corrections.undo();
    }
  });

  it('chooses classes and drops the ones with too few photos', async () => {
    const out = join(tempDir(), 'chosen');
    const manifest = await exportDataset(source, {
      ...defaults,
      format: 'csv',
      out,
      classes: ['macaw', 'Rex'],
      minPerClass: 6,
    });
    assert.deepEqual(
      manifest.classes.map((c) => c.name),
      ['Macaw'],
    );
  });

  it("counts the model's confident categories as classes, named as search reads them", async () => {
    const manifest = await exportDataset(source, {
      ...defaults,
      format: 'csv',
      out: join(tempDir(), 'categories'),
      includeModelAbove: 0.9,
      classes: ['Dogs', 'cat', 'BIRD'],
    });
    assert.deepEqual(
      manifest.classes.map((c) => [c.kind, c.name, c.train + c.validation]),
      [
        ['category', 'Bird', 9],
        ['category', 'Dog', 5],
      ],
    );
  });

  it('refuses a class the library does not know, naming it, before writing anything', async () => {
    const out = join(tempDir(), 'unknown');
    await assert.rejects(
      exportDataset(source, { ...defaults, format: 'csv', out, classes: ['Dog', 'Nope', 'Neither'] }),
      (error: Error) =>
        error instanceof ExportRefusedError && /^"Nope", "Neither" are not a class of this library/.test(error.message),
    );
    assert.equal(existsSync(out), false);
  });

  it('asks before replacing an earlier export, and an interrupted export leaves nothing that looks complete', async () => {
    const parent = tempDir();
    const out = join(parent, 'busy');
    await exportDataset(source, { ...defaults, format: 'jsonl', out });
    await assert.rejects(exportDataset(source, { ...defaults, format: 'csv', out }), ExportExistsError);
    assert.deepEqual(readdirSync(out).sort(), ['labels.jsonl', 'manifest.json']);
    await exportDataset(source, { ...defaults, format: 'csv', out, overwrite: true });
    assert.deepEqual(readdirSync(out).sort(), ['labels.csv', 'manifest.json']);

    const interrupted = join(parent, 'interrupted');
    const stop = (done: number) => {
      if (done === 3) throw new Error('disk full');
    };
    await assert.rejects(
      exportDataset(source, { ...defaults, format: 'imagefolder', out: interrupted, onProgress: stop }),
      /disk full/,
    );
    assert.equal(existsSync(interrupted), false);
    assert.deepEqual(readdirSync(parent).sort(), ['busy']);
  });

  it('never replaces a folder that is not an earlier export, even when told to overwrite', async () => {
    const out = join(tempDir(), 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const refused = (overwrite: boolean) =>
      assert.rejects(
        exportDataset(source, { ...defaults, format: 'csv', out, overwrite }),
        (error: Error) =>
          error instanceof ExportRefusedError && /holds files that are not a Phototag export/.test(error.message),
      );
    await refused(false);
    await refused(true);
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({ createdBy: 'Someone else 1.0' }));
    await refused(true);
    assert.deepEqual(readdirSync(out).sort(), ['keep.txt', 'manifest.json']);

    const empty = join(tempDir(), 'empty');
    mkdirSync(empty);
    await exportDataset(source, { ...defaults, format: 'csv', out: empty });
    assert.deepEqual(readdirSync(empty).sort(), ['labels.csv', 'manifest.json']);
  });

  it('refuses a library folder, a folder holding one, the library itself and the home folder', async () => {
    const cases: [string, RegExp][] = [
      [folder, /is inside the library folder/],
      [join(folder, 'dataset'), /is inside the library folder/],
      [dirname(folder), /holds the library folder/],
      [library.thumbnailsDir, /holds the Phototag library itself/],
      [library.dbPath, /holds the Phototag library itself/],
      [homedir(), /holds (your home folder|the library)/],
    ];
    for (const [out, message] of cases) {
      await assert.rejects(
        exportDataset(source, { ...defaults, format: 'csv', out, overwrite: true }),
        (error: Error) => error instanceof ExportRefusedError && message.test(error.message),
        out,
      );
    }
    assert.equal(readdirSync(folder).length, 17, 'the photos are all there');
  });

  it('says when the output folder is a file', async () => {
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'mine');
    for (const out of [file, join(file, 'dataset')]) {
      await assert.rejects(exportDataset(source, { ...defaults, format: 'csv', out }), {
        name: 'ExportRefusedError',
        message: `${file} is a file, not a folder.`,
      });
    }
    assert.equal(readFileSync(file, 'utf8'), 'mine');
  });
});
