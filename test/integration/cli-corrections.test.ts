import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { phototag } from '../cli.js';
import { photo, tempDir } from '../helpers.js';

interface ShownTag {
  id: string;
  name: string;
  score: number;
  source: 'model' | 'user';
}

describe('phototag label, corrections and export', () => {
  it('corrects labels from the command line, and show, search and corrections reflect it', () => {
    const home = tempDir();
    const folder = join(home, 'Pictures');
    mkdirSync(folder);
    for (const file of ['parrot.jpg', 'dog.jpg', 'hot_dog.jpg']) copyFileSync(photo(file), join(folder, file));
    const db = join(home, 'library.sqlite');
    assert.equal(phototag(home, ['tag', folder, '--db', db]).status, 0);
    const show = (file: string) =>
      (
        JSON.parse(phototag(home, ['show', join(folder, file), '--json', '--db', db]).stdout) as {
          labels: ShownTag[];
        }[]
      )[0]!;
    const dogTop = show('dog.jpg').labels[0]!;

    const run = (args: string[]) => {
      const result = phototag(home, [...args, '--db', db]);
      assert.equal(result.status, 0, result.stderr);
      return result.stdout;
    };
    assert.equal(run(['label', join(folder, 'parrot.jpg'), '--confirm', 'Macaw']), 'Confirmed Macaw on 1 photo.\n');
    assert.equal(
      run(['label', join(folder, 'dog.jpg'), '--reject', dogTop.id]),
      `Rejected ${dogTop.name} on 1 photo.\n`,
    );
    assert.equal(run(['label', join(folder, 'dog.jpg'), '--add', 'Rex']), 'Added Rex on 1 photo.\n');
    assert.equal(
      run(['label', join(folder, 'hot_dog.jpg'), '--replace', 'Hotdog', 'Lunch']),
      'Replaced Hotdog with Lunch on 1 photo.\n',
    );

    const parrot = show('parrot.jpg').labels;
    assert.deepEqual(parrot[0], { id: 'n01818515', name: 'Macaw', score: 1, source: 'user' });
    assert.ok(parrot.slice(1).every((label) => label.source === 'model'));
    const dog = show('dog.jpg').labels;
    assert.deepEqual(dog[0], { id: 'user:rex', name: 'Rex', score: 1, source: 'user' });
    assert.ok(!dog.some((label) => label.id === dogTop.id), 'the rejected label is gone');
    const lunch = show('hot_dog.jpg').labels;
    assert.equal(lunch[0]!.name, 'Lunch');
    assert.ok(!lunch.some((label) => label.name === 'Hotdog'));

    const found = JSON.parse(run(['search', 'Rex', '--json'])) as { path: string }[];
    assert.deepEqual(
      found.map((p) => p.path),
      [join(folder, 'dog.jpg')],
    );

    const corrections = JSON.parse(run(['corrections', '--json'])) as {
      kind: string;
      tag: { name: string };
      model: unknown;
    }[];
    assert.deepEqual(
      corrections.map((c) => [c.kind, c.tag.name]),
      [
        ['confirm', 'Macaw'],
        ['reject', dogTop.name],
        ['add', 'Rex'],
        ['reject', 'Hotdog'],
        ['add', 'Lunch'],
      ],
    );
    assert.ok(corrections[0]!.model, 'a confirmation records the prediction it overrides');

    const unknown = phototag(home, ['label', join(folder, 'dog.jpg'), '--confirm', 'Spaceship', '--db', db]);
    assert.equal(unknown.status, 1);
    assert.match(
      unknown.stderr,
      /"Spaceship" is neither a class of the imagenet-1k label set, a category, nor one of your own labels/,
    );
    assert.equal(phototag(home, ['label', join(folder, 'dog.jpg'), '--db', db]).status, 2);

    const out = join(home, 'dataset');
    const exported = run(['export', '--format', 'imagefolder', '--out', out, '--validation', '0']);
    assert.match(exported, /Exported 3 examples of 3 classes from 3 photos/);
    assert.deepEqual(readdirSync(join(out, 'train')).sort(), ['lunch', 'macaw', 'rex']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.format, 'imagefolder');

    const refused = phototag(home, ['export', '--format', 'csv', '--out', out, '--db', db]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /already holds a Phototag export.*--force/);
    run(['export', '--format', 'csv', '--out', out, '--force']);
    assert.deepEqual(readdirSync(out).sort(), ['labels.csv', 'manifest.json']);
    assert.equal(phototag(home, ['export', '--format', 'parquet', '--out', out, '--db', db]).status, 2);
  });

  it('never deletes what is not an earlier export, even with --force', () => {
    const home = tempDir();
    const folder = join(home, 'Pictures');
    mkdirSync(folder);
    copyFileSync(photo('parrot.jpg'), join(folder, 'parrot.jpg'));
    const db = join(home, 'library.sqlite');
    assert.equal(phototag(home, ['tag', folder, '--db', db]).status, 0);
    assert.equal(phototag(home, ['label', join(folder, 'parrot.jpg'), '--confirm', 'Macaw', '--db', db]).status, 0);
    const exportTo = (out: string) =>
      phototag(home, ['export', '--format', 'csv', '--out', out, '--force', '--db', db]);

    const intoLibrary = exportTo(folder);
    assert.equal(intoLibrary.status, 1);
    assert.match(
      intoLibrary.stderr,
      /^phototag: .*Pictures is inside the library folder .*Pictures: the exported photos/,
    );
    assert.deepEqual(readdirSync(folder), ['parrot.jpg']);

    const mine = join(home, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'thesis.txt'), 'years of work');
    const notAnExport = exportTo(mine);
    assert.equal(notAnExport.status, 1);
    assert.match(notAnExport.stderr, /mine holds files that are not a Phototag export/);
    assert.deepEqual(readdirSync(mine), ['thesis.txt']);

    const file = join(mine, 'thesis.txt');
    assert.equal(exportTo(file).stderr, `phototag: ${file} is a file, not a folder.\n`);
  });
});
