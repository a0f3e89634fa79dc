import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliLibrary, phototag, phototagOnTerminal } from '../cli.js';

interface ShownTag {
  id: string;
  name: string;
  score: number;
  source: 'model' | 'user';
}

/** A library of these photos in a fresh home, tagged; `run` runs phototag on it and returns what it printed. */
function taggedLibrary(files: string[]) {
  const library = cliLibrary(files);
  library.run(['tag', library.folder]);
  return { ...library, run: (args: string[]) => library.run(args).stdout };
}

describe('phototag label, corrections and export', () => {
  it('corrects labels from the command line, and show, search and corrections reflect it', () => {
    const { home, folder, db, run } = taggedLibrary(['parrot.jpg', 'dog.jpg', 'hot_dog.jpg']);
    const show = (file: string) =>
      (
        JSON.parse(run(['show', join(folder, file), '--json'])) as {
          labels: ShownTag[];
        }[]
      )[0]!;
    const dogTop = show('dog.jpg').labels[0]!;

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

  it("exports the model's categories as classes, and names a class the library does not know", () => {
    const { home, db } = taggedLibrary(['dog.jpg', 'pets.jpg', 'parrot.jpg', 'hot_dog.jpg']);
    const exportClasses = (classes: string) =>
      phototag(home, [
        ...['export', '--format', 'csv', '--out', join(home, classes), '--db', db],
        ...['--include-model-above', '0.9', '--classes', classes],
      ]);

    const exported = exportClasses('Dog,Cat,Bird');
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(exported.stdout, /^Bird +1 train +0 validation\nDog +2 train +0 validation\n/);
    assert.match(exported.stdout, /Exported 3 examples of 2 classes from 3 photos/);

    const unknown = exportClasses('Dog,Nope');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /^phototag: "Nope" is not a class of this library/);
  });

  it('takes corrections back: --remove, a rejected own label, and undo as the app does it', () => {
    const { home, folder, db, run } = taggedLibrary(['parrot.jpg', 'dog.jpg']);
    const dog = join(folder, 'dog.jpg');
    const parrot = join(folder, 'parrot.jpg');
    const history = () =>
      (JSON.parse(run(['corrections', '--json'])) as { kind: string; tag: { name: string } }[]).map(
        (c) => `${c.kind} ${c.tag.name}`,
      );
    const labelsOf = (file: string) =>
      (JSON.parse(run(['show', file, '--json'])) as { labels: ShownTag[] }[])[0]!.labels;

    assert.equal(run(['label', dog, '--add', 'Rex']), 'Added Rex on 1 photo.\n');
    assert.equal(run(['label', dog, '--add', 'rex']), 'Added Rex on 0 photos (1 already said so).\n');
    assert.deepEqual(history(), ['add Rex'], 'repeating a label adds no history');
    const shown = run(['show', dog]);
    assert.match(shown, /Rex \(yours\)/, 'an own label reads as yours, not as a score');
    assert.doesNotMatch(shown, /Rex 100%/);

    assert.equal(run(['label', dog, '--reject', 'Rex']), 'Removed Rex from 1 photo.\n');
    assert.deepEqual(history(), [], 'a rejected own label is gone, and is no negative example');
    assert.ok(!labelsOf(dog).some((label) => label.name === 'Rex'));
    assert.equal(run(['undo']), 'Undone: Removed Rex.\n');
    assert.deepEqual(labelsOf(dog)[0], { id: 'user:rex', name: 'Rex', score: 1, source: 'user' });

    run(['label', parrot, '--confirm', 'Macaw']);
    assert.equal(run(['label', parrot, '--remove', 'Macaw']), 'Removed Macaw from 1 photo.\n');
    const macaw = labelsOf(parrot).find((label) => label.name === 'Macaw')!;
    assert.equal(macaw.source, 'model', "the model's own score shows again");
    assert.deepEqual(history(), ['add Rex']);

    assert.equal(run(['undo']), 'Undone: Removed Macaw.\n');
    assert.equal(run(['undo']), 'Undone: Confirmed Macaw.\n');
    assert.equal(run(['undo']), 'Undone: Added Rex.\n');
    assert.deepEqual(history(), []);
    const nothing = phototag(home, ['undo', '--db', db]);
    assert.equal(nothing.status, 1);
    assert.equal(nothing.stderr, 'There is nothing to undo.\n');
  });

  it('asks before correcting a whole folder or replacing an export; without a terminal, --all and --force say so', () => {
    const { home, folder, db, run } = taggedLibrary(['parrot.jpg', 'dog.jpg']);
    const corrections = () => JSON.parse(run(['corrections', '--json'])) as unknown[];

    const unasked = phototag(home, ['label', folder, '--add', 'Trip', '--db', db]);
    assert.equal(unasked.status, 1);
    assert.equal(unasked.stderr, `phototag: ${folder} is a folder of 2 photos. Run it again with --all to go ahead.\n`);
    assert.deepEqual(corrections(), []);

    const declined = phototagOnTerminal(home, ['label', folder, '--add', 'Trip', '--db', db], 'n\n');
    assert.equal(declined.status, 1);
    assert.match(declined.shown, new RegExp(`Add Trip on all 2 photos in ${folder}\\? \\[y/N\\]`));
    assert.match(declined.shown, /is a folder of 2 photos\. Nothing was changed\./);
    assert.deepEqual(corrections(), []);

    const agreed = phototagOnTerminal(home, ['label', folder, '--add', 'Trip', '--db', db], 'y\n');
    assert.equal(agreed.status, 0, agreed.shown);
    assert.match(agreed.shown, /Added Trip on 2 photos\./);
    const all = phototag(home, ['label', folder, '--remove', 'Trip', '--all', '--db', db]);
    assert.equal(all.stdout, 'Removed Trip from 2 photos.\n', all.stderr);

    run(['label', join(folder, 'dog.jpg'), '--add', 'Rex']);
    const out = join(home, 'dataset');
    const exportTo = ['export', '--format', 'csv', '--out', out, '--db', db];
    assert.equal(phototag(home, exportTo).status, 0);
    const kept = phototagOnTerminal(home, exportTo, 'n\n');
    assert.equal(kept.status, 1);
    assert.match(kept.shown, /dataset holds an earlier Phototag export\. Replace it\? \[y\/N\]/);
    const replaced = phototagOnTerminal(home, exportTo, 'y\n');
    assert.equal(replaced.status, 0, replaced.shown);
    assert.match(replaced.shown, /Exported 1 examples of 1 classes from 1 photos/);
  });

  it('never deletes what is not an earlier export, even with --force', () => {
    const { home, folder, db, run } = taggedLibrary(['parrot.jpg']);
    run(['label', join(folder, 'parrot.jpg'), '--confirm', 'Macaw']);
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
