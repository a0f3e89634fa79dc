import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { openDatabase } from '../../src-main/db/database.js';
import { readKeywords, type FileKeywords } from '../../src-main/pipeline/photo-facts.js';
import { Library } from '../../src-main/library/library.js';
import { cliLibrary, phototag } from '../cli.js';
import { beforeSidecarStamps, MODELS_DIR, photo, ROOT, runAsNobody, tempDir } from '../helpers.js';

interface ShownTag {
  id: string;
  name: string;
  score: number;
  source: 'model' | 'user' | 'file';
}

interface Shown {
  path: string;
  labels: ShownTag[];
  categories: ShownTag[];
}

/** Debian's ExifTool, as another photo app would read (or write) the files: `-G1` names each tag's group. */
function exiftool(...args: string[]): string {
  const result = spawnSync('exiftool', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** What ExifTool reads of a file, as lists: {"XMP-dc:Subject": [...], ...}. */
function exiftoolTags(path: string, ...tags: string[]): Record<string, string[]> {
  const [read] = JSON.parse(exiftool('-j', '-G1', '-a', ...tags.map((tag) => `-${tag}`), path)) as Record<
    string,
    unknown
  >[];
  return Object.fromEntries(
    Object.entries(read!)
      .filter(([key]) => key !== 'SourceFile')
      .map(([key, value]) => [key, ([] as unknown[]).concat(value).map(String)]),
  );
}

/** A library home with a folder of fixture photos and the library database. */
function library(files: string[]) {
  const lib = cliLibrary(files);
  const show = (file: string) =>
    (JSON.parse(lib.run(['show', join(lib.folder, file), '--json']).stdout) as Shown[])[0]!;
  return { ...lib, show, path: (file: string) => join(lib.folder, file) };
}

/** The names of a photo's tags from one source, sorted. */
const namesFrom = (tags: ShownTag[], source: ShownTag['source']) =>
  tags
    .filter((tag) => tag.source === source)
    .map((tag) => tag.name)
    .sort();

const REREAD = /Keywords read again for (\d+) photos? whose XMP sidecar changed, not re-tagged\./;

describe('XMP: keywords already in the files, and sidecars other photo apps read', () => {
  it('shows keywords ExifTool wrote into a JPEG and into a sidecar as tags from the file, mapped to known tags', () => {
    const lib = library(['dog.jpg', 'parrot.jpg']);
    exiftool(
      '-q',
      '-overwrite_original',
      '-XMP-dc:Subject=Golden retriever',
      '-XMP-dc:Subject=Holiday',
      '-IPTC:Keywords=Holiday',
      '-IPTC:Keywords=Grandma',
      lib.path('dog.jpg'),
    );
    // digiKam's sidecar name; ExifTool makes the sidecar from scratch.
    exiftool('-q', '-XMP-dc:Subject=Rex', '-XMP-dc:Subject=Dog', lib.path('parrot.jpg.xmp'));
    lib.run(['tag', lib.folder]);

    const dog = lib.show('dog.jpg');
    const fromFile = (tags: ShownTag[]) => tags.filter((tag) => tag.source === 'file');
    assert.deepEqual(
      fromFile(dog.labels)
        .map(({ id, name, score }) => ({ id, name, score }))
        .sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: 'n02099601', name: 'Golden retriever', score: 1 },
        { id: 'user:grandma', name: 'Grandma', score: 1 },
        { id: 'user:holiday', name: 'Holiday', score: 1 },
      ],
    );
    const parrot = lib.show('parrot.jpg');
    assert.deepEqual(
      fromFile(parrot.labels).map((tag) => tag.id),
      ['user:rex'],
    );
    assert.deepEqual(
      fromFile(parrot.categories).map((tag) => tag.id),
      ['dog'],
      'a keyword naming a category is that category',
    );

    // Filterable like any tag, and no correction of the user's.
    const found = JSON.parse(lib.run(['search', 'Holiday', '--json']).stdout) as { path: string }[];
    assert.deepEqual(
      found.map((hit) => hit.path),
      [lib.path('dog.jpg')],
    );
    assert.deepEqual(JSON.parse(lib.run(['corrections', '--json']).stdout), []);

    // Rejected, a file's keyword is overruled (the file keeps it); undone, it is the file's again, not the user's.
    const holiday = () => lib.show('dog.jpg').labels.filter((tag) => tag.name === 'Holiday');
    lib.run(['label', lib.path('dog.jpg'), '--reject', 'Holiday']);
    assert.deepEqual(holiday(), []);
    lib.run(['undo']);
    assert.deepEqual(
      holiday().map((tag) => tag.source),
      ['file'],
    );

    // The user's truth in exports: corrections only, and the file's keywords are there.
    const out = join(lib.home, 'export');
    lib.run(['export', '--format', 'csv', '--out', out]);
    const csv = readFileSync(join(out, 'labels.csv'), 'utf8');
    assert.match(csv, /dog\.jpg,user:holiday,Holiday,file,1/);
    assert.match(csv, /parrot\.jpg,dog,Dog,file,1/);
  });

  it("shows keywords ExifTool wrote into a HEIC's own XMP as tags from the file", () => {
    const lib = library([]);
    execFileSync('heif-enc', ['-q', '80', '-o', lib.path('cat.heic'), photo('cat_720p.jpg')]);
    exiftool('-q', '-overwrite_original', '-XMP-dc:Subject+=Grandma', '-XMP-dc:Subject+=Holiday', lib.path('cat.heic'));
    const tagged = lib.run(['tag', lib.folder]);
    assert.doesNotMatch(tagged.stderr, /cat\.heic/, 'no warning about the HEIC');

    assert.deepEqual(
      lib
        .show('cat.heic')
        .labels.filter((tag) => tag.source === 'file')
        .map((tag) => tag.id)
        .sort(),
      ['user:grandma', 'user:holiday'],
    );
  });

  it('writes sidecars ExifTool reads, keeps what other programs wrote in theirs, and writes nothing the second time', () => {
    const lib = library(['dog.jpg', 'parrot.jpg', 'hot_dog.jpg']);
    // Another program's sidecars: digiKam's name for the parrot, Lightroom's for the hot dog.
    exiftool(
      '-q',
      '-XMP-xmp:Rating=4',
      '-XMP-dc:Subject=Holiday',
      '-XMP-lr:HierarchicalSubject=Places|Beach',
      lib.path('parrot.jpg.xmp'),
    );
    exiftool('-q', '-XMP-xmp:Label=Red', lib.path('hot_dog.xmp'));
    const photoBytes = ['dog.jpg', 'parrot.jpg', 'hot_dog.jpg'].map((file) => readFileSync(lib.path(file)));
    lib.run(['tag', lib.folder]);
    lib.run(['label', lib.path('dog.jpg'), '--add', 'Rex']);
    const enabled = lib.run(['xmp', 'enable', '--threshold', '0.3']).stdout;
    assert.match(enabled, /XMP written for 3 photos, 0 unchanged, 0 failed\./);

    const dog = lib.show('dog.jpg');
    const expected = [
      ...dog.labels.filter((tag) => tag.source !== 'model' || tag.score >= 0.3),
      ...dog.categories.filter((tag) => tag.source !== 'model' || tag.score >= 0.3),
    ].map((tag) => tag.name);
    assert.ok(expected.includes('Rex') && expected.includes('Dog'), expected.join(', '));
    const written = exiftoolTags(lib.path('dog.jpg.xmp'), 'XMP-dc:Subject', 'XMP-lr:HierarchicalSubject');
    assert.deepEqual([...written['XMP-dc:Subject']!].sort(), [...expected].sort());
    assert.ok(written['XMP-lr:HierarchicalSubject']!.includes('Phototag|Dog'));
    assert.ok(written['XMP-lr:HierarchicalSubject']!.includes('Phototag|Rex'));
    assert.ok(written['XMP-lr:HierarchicalSubject']!.some((path) => /^Phototag\|Dog\|[^|]+$/.test(path)));

    const parrot = exiftoolTags(
      lib.path('parrot.jpg.xmp'),
      'XMP-xmp:Rating',
      'XMP-dc:Subject',
      'XMP-lr:HierarchicalSubject',
    );
    assert.deepEqual(parrot['XMP-xmp:Rating'], ['4']);
    assert.equal(parrot['XMP-dc:Subject']![0], 'Holiday');
    assert.ok(parrot['XMP-dc:Subject']!.includes('Bird'), parrot['XMP-dc:Subject']!.join(', '));
    assert.equal(parrot['XMP-lr:HierarchicalSubject']![0], 'Places|Beach');
    assert.ok(parrot['XMP-lr:HierarchicalSubject']!.includes('Phototag|Bird'));
    // Lightroom's name is merged into, not doubled by digiKam's.
    assert.ok(!existsSync(lib.path('hot_dog.jpg.xmp')));
    const hotDog = exiftoolTags(lib.path('hot_dog.xmp'), 'XMP-xmp:Label', 'XMP-dc:Subject');
    assert.deepEqual(hotDog['XMP-xmp:Label'], ['Red']);
    assert.ok(hotDog['XMP-dc:Subject']!.length > 0);

    // The photos themselves are never touched.
    ['dog.jpg', 'parrot.jpg', 'hot_dog.jpg'].forEach((file, i) =>
      assert.ok(readFileSync(lib.path(file)).equals(photoBytes[i]!), file),
    );

    const sidecars = ['dog.jpg.xmp', 'parrot.jpg.xmp', 'hot_dog.xmp'].map((file) => ({
      bytes: readFileSync(lib.path(file)),
      mtime: statSync(lib.path(file)).mtimeMs,
    }));
    assert.match(lib.run(['xmp', 'write', lib.folder]).stdout, /XMP written for 0 photos, 3 unchanged, 0 failed\./);
    ['dog.jpg.xmp', 'parrot.jpg.xmp', 'hot_dog.xmp'].forEach((file, i) => {
      assert.ok(readFileSync(lib.path(file)).equals(sidecars[i]!.bytes), file);
      assert.equal(statSync(lib.path(file)).mtimeMs, sidecars[i]!.mtime, file);
    });

    // Reading the sidecar back (its photo changed, so it is read again), Phototag's own keywords are not the user's.
    const later = new Date(statSync(lib.path('parrot.jpg')).mtimeMs + 60_000);
    utimesSync(lib.path('parrot.jpg'), later, later);
    lib.run(['tag', lib.folder]);
    assert.deepEqual(
      lib
        .show('parrot.jpg')
        .labels.filter((tag) => tag.source === 'file')
        .map((tag) => tag.name),
      ['Holiday'],
    );
  });

  it("photo.jpg and photo.png beside one photo.xmp each get their own sidecar, and neither reads the other's", async () => {
    const lib = library(['dog.jpg']);
    execFileSync('mv', [lib.path('dog.jpg'), lib.path('photo.jpg')]);
    await sharp(photo('parrot.jpg')).png().toFile(lib.path('photo.png'));
    exiftool('-q', '-XMP-dc:Subject=Lightroom keyword', lib.path('photo.xmp'));
    const lightroom = readFileSync(lib.path('photo.xmp'));
    lib.run(['tag', lib.folder]);
    for (const file of ['photo.jpg', 'photo.png']) {
      assert.deepEqual(
        lib.show(file).labels.filter((tag) => tag.source === 'file'),
        [],
        `${file} does not take photo.xmp's keyword`,
      );
    }

    assert.match(lib.run(['xmp', 'enable']).stdout, /XMP written for 2 photos, 0 unchanged, 0 failed\./);
    assert.deepEqual(readFileSync(lib.path('photo.xmp')), lightroom, 'photo.xmp is left as it was');
    const subjects = (file: string) => exiftoolTags(lib.path(file), 'XMP-dc:Subject')['XMP-dc:Subject'] ?? [];
    assert.ok(subjects('photo.jpg.xmp').includes('Dog'), subjects('photo.jpg.xmp').join(', '));
    assert.ok(subjects('photo.png.xmp').includes('Bird'), subjects('photo.png.xmp').join(', '));
    assert.match(lib.run(['xmp', 'write', lib.folder]).stdout, /XMP written for 0 photos, 2 unchanged, 0 failed\./);
  });

  it("a Lightroom photo.xmp beside photo.CR2 and photo.jpg stays the RAW's: the JPEG gets photo.jpg.xmp", async () => {
    const lib = library(['dog.jpg']);
    execFileSync('mv', [lib.path('dog.jpg'), lib.path('photo.jpg')]);
    writeFileSync(lib.path('photo.CR2'), 'a RAW file Phototag does not read');
    exiftool('-q', '-XMP-dc:Subject=Lightroom keyword', lib.path('photo.xmp'));
    const lightroom = readFileSync(lib.path('photo.xmp'));
    lib.run(['tag', lib.folder]);
    assert.deepEqual(
      lib.show('photo.jpg').labels.filter((tag) => tag.source === 'file'),
      [],
      "the JPEG does not take the RAW's keyword",
    );
    assert.match(lib.run(['xmp', 'enable']).stdout, /XMP written for 1 photo, 0 unchanged, 0 failed\./);
    assert.deepEqual(readFileSync(lib.path('photo.xmp')), lightroom, "the RAW's sidecar is left as it was");
    assert.ok(existsSync(lib.path('photo.jpg.xmp')));
  });

  it("a photo.xmp beside photo.jpg, a Live Photo's photo.MOV and ExifTool's photo.jpg_original stays the JPEG's", () => {
    const lib = library(['dog.jpg']);
    execFileSync('mv', [lib.path('dog.jpg'), lib.path('photo.jpg')]);
    writeFileSync(lib.path('photo.MOV'), 'a movie');
    writeFileSync(lib.path('photo.jpg_original'), 'an original ExifTool kept');
    exiftool('-q', '-XMP-dc:Subject=Grandma', lib.path('photo.xmp'));
    lib.run(['tag', lib.folder]);
    assert.deepEqual(
      lib
        .show('photo.jpg')
        .labels.filter((tag) => tag.source === 'file')
        .map((tag) => tag.name),
      ['Grandma'],
    );
  });

  it('sidecars follow corrections: a removed tag leaves, an added one joins, with nothing left waiting', () => {
    const lib = library(['dog.jpg']);
    lib.run(['tag', lib.folder]);
    lib.run(['xmp', 'enable', '--threshold', '0.3']);
    const subjects = () => exiftoolTags(lib.path('dog.jpg.xmp'), 'XMP-dc:Subject')['XMP-dc:Subject'] ?? [];
    assert.ok(subjects().includes('Dog'));

    lib.run(['label', lib.path('dog.jpg'), '--reject', 'Dog']);
    lib.run(['label', lib.path('dog.jpg'), '--add', 'Good boy']);
    assert.ok(!subjects().includes('Dog'), subjects().join(', '));
    assert.ok(subjects().includes('Good boy'), subjects().join(', '));
    assert.deepEqual(JSON.parse(lib.run(['xmp', 'status', '--json']).stdout), {
      settings: { enabled: true, threshold: 0.3, intoFiles: false, keepOriginal: true },
      pending: 0,
    });

    lib.run(['xmp', 'disable']);
    lib.run(['label', lib.path('dog.jpg'), '--add', 'Rex']);
    assert.ok(!subjects().includes('Rex'), 'nothing is written once it is off');
  });

  it('two processes writing the same queue write each photo once', async () => {
    const lib = library(['dog.jpg', 'owl.jpg', 'parrot.jpg', 'hot_dog.jpg']);
    lib.run(['tag', lib.folder]);
    const modelDirs = { embedded: MODELS_DIR, user: lib.home };
    // Two connections to the library are two processes to SQLite: the app's sync and phototag xmp enable.
    const app = Library.open({ dbPath: lib.db, modelDirs });
    const cli = Library.open({ dbPath: lib.db, modelDirs });
    try {
      cli.xmp.configure({ enabled: true, threshold: 0.3 });
      const passes = await Promise.all([app.xmp.flush(), cli.xmp.flush()]);
      const done = passes.map((pass) => pass.written + pass.unchanged + pass.failed.length);
      assert.equal(done[0]! + done[1]!, 4, `written by each: ${done.join(' and ')}`);
      assert.equal(cli.xmp.status().pending, 0);
      for (const file of ['dog.jpg', 'owl.jpg', 'parrot.jpg', 'hot_dog.jpg'])
        assert.ok(existsSync(lib.path(`${file}.xmp`)));
    } finally {
      await Promise.all([app.close(), cli.close()]);
    }
  });

  it('writes into the photo files when asked, keeping the original, and leaves a read-only file as it was', () => {
    const lib = library(['dog.jpg', 'parrot.jpg']);
    exiftool('-q', '-overwrite_original', '-XMP-dc:Subject=Holiday', '-XMP-xmp:Rating=5', lib.path('dog.jpg'));
    const dogBefore = readFileSync(lib.path('dog.jpg'));
    const parrotBefore = readFileSync(lib.path('parrot.jpg'));
    lib.run(['tag', lib.folder]);
    chmodSync(lib.path('parrot.jpg'), 0o444);

    const result = lib.run(['xmp', 'enable', '--threshold', '0.3', '--into-files'], 1);
    assert.match(
      result.stderr,
      new RegExp(`failed: Cannot write into ${lib.path('parrot.jpg')}: the file is read-only`),
    );
    assert.ok(readFileSync(lib.path('parrot.jpg')).equals(parrotBefore), 'the read-only file is unchanged');
    assert.ok(!existsSync(lib.path('parrot.jpg_original')));

    const inFile = exiftoolTags(lib.path('dog.jpg'), 'XMP-dc:Subject', 'XMP-lr:HierarchicalSubject', 'XMP-xmp:Rating');
    assert.equal(inFile['XMP-dc:Subject']![0], 'Holiday');
    assert.ok(inFile['XMP-dc:Subject']!.includes('Dog'), inFile['XMP-dc:Subject']!.join(', '));
    assert.ok(inFile['XMP-lr:HierarchicalSubject']!.includes('Phototag|Dog'));
    assert.deepEqual(inFile['XMP-xmp:Rating'], ['5']);
    assert.ok(readFileSync(lib.path('dog.jpg_original')).equals(dogBefore), 'ExifTool kept the original');
    assert.ok(existsSync(lib.path('dog.jpg.xmp')), 'the sidecar is written too');

    // Re-read after the write (the file changed), its own keywords stay the model's, the others' the file's.
    lib.run(['tag', lib.folder]);
    const dog = lib.show('dog.jpg');
    assert.deepEqual(
      [...dog.labels, ...dog.categories].filter((tag) => tag.source === 'file').map((tag) => tag.name),
      ['Holiday'],
    );
  });

  it('reads and writes into photos whose XMP packet ends in a NUL byte, as kite_and_cold.jpg and eagle.jpg do', () => {
    const lib = library(['kite_and_cold.jpg', 'eagle.jpg']);
    lib.run(['tag', lib.folder]);
    const kite = lib.show('kite_and_cold.jpg');
    assert.deepEqual(
      kite.labels.filter((tag) => tag.source === 'file').map((tag) => tag.name),
      ['beach', 'mi', 'south haven', 'vacation'],
    );
    const written = lib.run(['xmp', 'enable', '--threshold', '0.3', '--into-files']).stdout;
    assert.match(written, /XMP written for 2 photos, 0 unchanged, 0 failed\./);
    assert.ok(exiftoolTags(lib.path('eagle.jpg'), 'XMP-dc:Subject')['XMP-dc:Subject']!.includes('Bird'));
    const kiteSubjects = exiftoolTags(lib.path('kite_and_cold.jpg'), 'XMP-dc:Subject')['XMP-dc:Subject']!;
    assert.deepEqual(kiteSubjects.slice(0, 4), ['beach', 'mi', 'south haven', 'vacation']);
  });

  it('a malformed sidecar is named in a warning, left as it was, and the run goes on with its photo', () => {
    const lib = library(['dog.jpg', 'parrot.jpg', 'hot_dog.jpg', 'cat_720p.jpg', 'face.jpg', 'pets.jpg', 'eagle.jpg']);
    const secret = join(tempDir(), 'secret.txt');
    writeFileSync(secret, 'Topsecret');
    const packet = (doctype: string, keyword: string) =>
      `<?xml version="1.0"?>${doctype}<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF ` +
      'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" ' +
      `xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>${keyword}</rdf:li></rdf:Bag>` +
      '</dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>';
    const laughs = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
    const hostile: Record<string, [string | Buffer, RegExp]> = {
      'dog.jpg.xmp': ['this is not XML at all', /it is not well-formed XML/],
      'parrot.jpg.xmp': [Buffer.from([0xff, 0xd8, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0x00]), /it is not UTF-8 text/],
      'hot_dog.jpg.xmp': [
        packet(`<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://${secret}">]>`, '&xxe;'),
        /it is not well-formed XML \(.*xxe/,
      ],
      'cat_720p.jpg.xmp': [packet(`<!DOCTYPE x [<!ENTITY l0 "lol">${laughs}]>`, '&l9;'), /not well-formed XML/],
      'face.jpg.xmp': [packet('', 'Big').replace('<x:', `<!--${' '.repeat(2 * 1024 * 1024)}--><x:`), /over 1 MiB/],
      'pets.jpg.xmp': [
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(packet('', 'Café'), 'utf16le')]),
        /it is not UTF-8 text/,
      ],
    };
    for (const [name, [content]] of Object.entries(hostile)) writeFileSync(lib.path(name), content);
    spawnSync('mkfifo', [lib.path('eagle.jpg.xmp')]);
    hostile['eagle.jpg.xmp'] = ['', /it is not a regular file/];

    const tagged = lib.run(['tag', lib.folder]);
    assert.match(tagged.stdout, /7 photos found, 7 tagged, 0 failed/);
    for (const [name, [, reason]] of Object.entries(hostile)) {
      const warning = tagged.stderr.split('\n').find((line) => line.includes(lib.path(name)));
      assert.ok(warning, `no warning names ${name}:\n${tagged.stderr}`);
      assert.match(warning, /^warning: Cannot read /);
      assert.match(warning, reason);
    }
    for (const name of Object.keys(hostile)) {
      const shown = lib.show(name.replace(/\.xmp$/, ''));
      assert.ok(
        shown.labels.some((tag) => tag.source === 'model'),
        `${name}: its photo is tagged`,
      );
      assert.deepEqual(
        shown.labels.filter((tag) => tag.source === 'file'),
        [],
        `${name}: nothing of it is a keyword`,
      );
    }

    const before = Object.keys(hostile)
      .filter((name) => name !== 'eagle.jpg.xmp')
      .map((name) => [name, readFileSync(lib.path(name))] as const);
    const enabled = lib.run(['xmp', 'enable', '--threshold', '0.3'], 1);
    assert.match(enabled.stdout, /XMP written for 0 photos, 0 unchanged, 7 failed\./);
    for (const [name, [, reason]] of Object.entries(hostile)) {
      assert.match(enabled.stderr, new RegExp(`failed: Cannot read ${lib.path(name)}: .*`), name);
      assert.match(
        enabled.stderr.split('\n').find((line) => line.includes(lib.path(name)))!,
        reason,
      );
    }
    for (const [name, bytes] of before) assert.ok(readFileSync(lib.path(name)).equals(bytes), `${name} is unchanged`);
  });

  it('into the files: a JPEG Phototag could not read is reported and left as it was, a PNG or BMP keeps its tags in its sidecar', async () => {
    const lib = library(['dog.jpg', 'cat.bmp']);
    writeFileSync(lib.path('truncated.jpg'), readFileSync(photo('kite_and_cold.jpg')).subarray(0, 60_000));
    await sharp(photo('hot_dog.jpg')).png().toFile(lib.path('hot_dog.png'));
    lib.run(['tag', lib.folder], 1);
    lib.run(['label', lib.path('truncated.jpg'), '--add', 'Kite']);
    const truncated = readFileSync(lib.path('truncated.jpg'));

    const result = lib.run(['xmp', 'enable', '--threshold', '0.3', '--into-files'], 1);
    assert.match(
      result.stderr,
      new RegExp(
        `failed: Cannot write into ${lib.path('truncated.jpg')}: Phototag could not read it as a photo, so it is left as it was`,
      ),
    );
    assert.ok(readFileSync(lib.path('truncated.jpg')).equals(truncated), 'the truncated JPEG is unchanged');
    assert.ok(!existsSync(lib.path('truncated.jpg_original')));
    assert.match(result.stdout, /XMP written for 3 photos, 0 unchanged, 1 failed\./);
    assert.match(
      result.stdout,
      /2 photos \(BMP, PNG\) have their tags in their sidecars only: Phototag writes into JPEG, TIFF/,
    );
    assert.ok(existsSync(lib.path('cat.bmp.xmp')) && existsSync(lib.path('hot_dog.png.xmp')));
    assert.ok(!existsSync(lib.path('hot_dog.png_original')));
  });

  it('into a HEIC: what other programs wrote in its XMP stays, and a second write changes nothing', () => {
    const lib = library([]);
    execFileSync('heif-enc', ['-q', '80', '-o', lib.path('cat.heic'), photo('cat_720p.jpg')]);
    exiftool('-q', '-overwrite_original', '-XMP-xmp:Rating=5', '-XMP-dc:Subject=Holiday', lib.path('cat.heic'));
    lib.run(['tag', lib.folder]);

    assert.match(
      lib.run(['xmp', 'enable', '--threshold', '0.3', '--into-files', '--overwrite-original']).stdout,
      /XMP written for 1 photo, 0 unchanged, 0 failed\./,
    );
    const inFile = exiftoolTags(lib.path('cat.heic'), 'XMP-xmp:Rating', 'XMP-dc:Subject');
    assert.deepEqual(inFile['XMP-xmp:Rating'], ['5']);
    assert.equal(inFile['XMP-dc:Subject']![0], 'Holiday');
    assert.ok(inFile['XMP-dc:Subject']!.includes('Cat'), inFile['XMP-dc:Subject']!.join(', '));
    assert.ok(!existsSync(lib.path('cat.heic_original')), 'no original kept when asked not to');

    const mtime = statSync(lib.path('cat.heic')).mtimeMs;
    assert.match(lib.run(['xmp', 'write', lib.folder]).stdout, /XMP written for 0 photos, 1 unchanged, 0 failed\./);
    assert.equal(statSync(lib.path('cat.heic')).mtimeMs, mtime, 'the HEIC is not written again');
  });

  it('a sidecar another app edits, adds or deletes is read again at the next scan, its photo not tagged again', () => {
    const lib = library(['dog.jpg', 'parrot.jpg']);
    exiftool('-q', '-XMP-dc:Subject=Rex', '-XMP-dc:Subject=Holiday', lib.path('parrot.jpg.xmp'));
    lib.run(['tag', lib.folder]);
    lib.run(['label', lib.path('parrot.jpg'), '--add', 'Pirate']);
    assert.deepEqual(namesFrom(lib.show('parrot.jpg').labels, 'file'), ['Holiday', 'Rex']);
    const modelTags = (file: string) => {
      const shown = lib.show(file);
      return [...shown.labels, ...shown.categories].filter((tag) => tag.source === 'model');
    };
    const model = { dog: modelTags('dog.jpg'), parrot: modelTags('parrot.jpg') };
    const photoTimes = ['dog.jpg', 'parrot.jpg'].map((file) => statSync(lib.path(file)).mtimeMs);

    // As digiKam would: a keyword taken out of the parrot's sidecar and another put in; Lightroom's sidecar for the
    // dog. Neither photo changes.
    exiftool(
      '-q',
      '-overwrite_original',
      '-XMP-dc:Subject-=Holiday',
      '-XMP-dc:Subject+=Beach',
      lib.path('parrot.jpg.xmp'),
    );
    exiftool('-q', '-XMP-dc:Subject=Good boy', lib.path('dog.xmp'));
    const rescan = lib.run(['tag', lib.folder]);
    assert.match(rescan.stdout, /2 photos found, 0 tagged, 0 failed/);
    assert.equal(REREAD.exec(rescan.stdout)?.[1], '2', rescan.stdout);
    const parrot = lib.show('parrot.jpg');
    assert.deepEqual(namesFrom(parrot.labels, 'file'), ['Beach', 'Rex']);
    assert.deepEqual(namesFrom(parrot.labels, 'user'), ['Pirate'], "the user's correction stays");
    assert.deepEqual(namesFrom(lib.show('dog.jpg').labels, 'file'), ['Good boy']);
    assert.deepEqual({ dog: modelTags('dog.jpg'), parrot: modelTags('parrot.jpg') }, model, 'the model tags stay');

    rmSync(lib.path('parrot.jpg.xmp'));
    const afterDelete = lib.run(['tag', lib.folder]);
    assert.match(afterDelete.stdout, /2 photos found, 0 tagged, 0 failed/);
    assert.equal(REREAD.exec(afterDelete.stdout)?.[1], '1', afterDelete.stdout);
    assert.deepEqual(namesFrom(lib.show('parrot.jpg').labels, 'file'), [], 'its keywords leave with the sidecar');
    assert.deepEqual(namesFrom(lib.show('parrot.jpg').labels, 'user'), ['Pirate']);

    assert.doesNotMatch(lib.run(['tag', lib.folder]).stdout, REREAD, 'nothing changed, nothing is read again');
    ['dog.jpg', 'parrot.jpg'].forEach((file, i) => assert.equal(statSync(lib.path(file)).mtimeMs, photoTimes[i]));
  });

  it("Phototag's own sidecar writes are not read again, and another app's edit before one is not lost", () => {
    const lib = library(['dog.jpg', 'parrot.jpg']);
    exiftool('-q', '-XMP-dc:Subject=Holiday', lib.path('parrot.jpg.xmp'));
    lib.run(['tag', lib.folder]);
    assert.match(lib.run(['xmp', 'enable', '--threshold', '0.3']).stdout, /XMP written for 2 photos/);
    assert.doesNotMatch(lib.run(['tag', lib.folder]).stdout, REREAD, 'after writing on');
    lib.run(['label', lib.path('dog.jpg'), '--add', 'Rex']);
    assert.match(exiftoolTags(lib.path('dog.jpg.xmp'), 'XMP-dc:Subject')['XMP-dc:Subject']!.join(), /Rex/);
    assert.match(lib.run(['xmp', 'write', lib.folder]).stdout, /XMP written for 0 photos, 2 unchanged/);
    assert.doesNotMatch(lib.run(['tag', lib.folder]).stdout, REREAD, 'after a correction was written');

    // Another app adds a keyword; Phototag then writes the sidecar for a correction before any scan, keeping it.
    exiftool('-q', '-overwrite_original', '-XMP-dc:Subject+=Beach', lib.path('parrot.jpg.xmp'));
    lib.run(['label', lib.path('parrot.jpg'), '--add', 'Pirate']);
    assert.ok(exiftoolTags(lib.path('parrot.jpg.xmp'), 'XMP-dc:Subject')['XMP-dc:Subject']!.includes('Pirate'));
    const rescan = lib.run(['tag', lib.folder]);
    assert.equal(REREAD.exec(rescan.stdout)?.[1], '1', rescan.stdout);
    assert.deepEqual(namesFrom(lib.show('parrot.jpg').labels, 'file'), ['Beach', 'Holiday']);
    assert.doesNotMatch(lib.run(['tag', lib.folder]).stdout, REREAD);
  });

  it("a library from before sidecars' stamps upgrades in place: its first scan reads the sidecars once, tagging nothing", () => {
    const lib = library(['dog.jpg', 'parrot.jpg']);
    exiftool('-q', '-XMP-dc:Subject=Holiday', lib.path('parrot.jpg.xmp'));
    lib.run(['tag', lib.folder]);
    const db = openDatabase(lib.db);
    beforeSidecarStamps(db);
    db.close();
    // Edited by another app while the older Phototag held the library.
    exiftool('-q', '-overwrite_original', '-XMP-dc:Subject+=Beach', lib.path('parrot.jpg.xmp'));

    const upgraded = lib.run(['tag', lib.folder]);
    assert.match(upgraded.stdout, /2 photos found, 0 tagged, 0 failed/);
    assert.equal(REREAD.exec(upgraded.stdout)?.[1], '1', 'only the photo with a sidecar');
    assert.deepEqual(namesFrom(lib.show('parrot.jpg').labels, 'file'), ['Beach', 'Holiday']);
    assert.doesNotMatch(lib.run(['tag', lib.folder]).stdout, REREAD);
  });

  it('a sidecar that cannot be opened is named in a warning with the reason in plain words', async () => {
    const folder = tempDir();
    chmodSync(folder, 0o755);
    copyFileSync(photo('dog.jpg'), join(folder, 'dog.jpg'));
    const sidecar = join(folder, 'dog.jpg.xmp');
    writeFileSync(sidecar, '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>');
    chmodSync(sidecar, 0o000);
    const facts = pathToFileURL(join(ROOT, 'src-main/pipeline/photo-facts.ts')).href;
    const script = `import { readKeywords } from ${JSON.stringify(facts)};
      console.log(JSON.stringify(await readKeywords(${JSON.stringify(join(folder, 'dog.jpg'))})));`;
    // Root opens any file whatever its mode: the photo is read as "nobody" then.
    const read =
      process.getuid?.() === 0
        ? (JSON.parse(runAsNobody(script)) as FileKeywords)
        : await readKeywords(join(folder, 'dog.jpg'));
    assert.deepEqual(read.problems, [`Cannot read ${sidecar}: permission denied.`]);
  });
});

describe('XMP: keywords are not lost to a race, a file that cannot be read now, or a move', () => {
  /** Runs phototag on the library as "nobody", its files made nobody's: root reads a file whatever its mode. */
  const asNobody = (lib: ReturnType<typeof library>, args: string[]) => {
    execFileSync('chown', ['-R', '65534:65534', lib.home]);
    return phototag(lib.home, [...args, '--db', lib.db], { user: { uid: 65534, gid: 65534 } });
  };
  const fileTags = (lib: ReturnType<typeof library>, file: string) => {
    const shown = lib.show(file);
    return namesFrom([...shown.labels, ...shown.categories], 'file');
  };
  const asRoot = { skip: process.getuid?.() !== 0 && 'changing files to "nobody" needs root' };

  it('keywords tagging read before a re-read stored newer ones are read again at the next scan', async () => {
    const folder = tempDir();
    const dog = join(folder, 'dog.jpg');
    copyFileSync(photo('dog.jpg'), dog);
    const home = tempDir();
    const modelDirs = { embedded: MODELS_DIR, user: join(home, 'models') };
    const lib = Library.open({ dbPath: join(home, 'library.sqlite'), modelDirs });
    try {
      const libraryFolder = await lib.addFolder(folder);
      await lib.scan(libraryFolder);
      // As the pipeline prepares the new photo: claimed, its keywords read (it has none yet).
      const [claimed] = lib.repo.claimPending(1);
      const read = await readKeywords(dog);
      // Another app writes its sidecar, and a scan (or the watcher) reads it, while the photo is being tagged.
      exiftool('-q', '-XMP-dc:Subject=Rex', `${dog}.xmp`);
      assert.equal((await lib.scan(libraryFolder)).rereadKeywords, 1);
      // The tagging lands last, with the keywords it read before.
      const metadata = { fingerprint: 'f', format: 'jpeg', width: 1, height: 1, takenAt: null, camera: null };
      const saved = lib.repo.saveTagged(
        claimed!,
        { ...metadata, orientation: null, fileTags: [], sidecar: read.sidecar },
        { id: lib.activeModel().manifest.id, version: lib.activeModel().manifest.version },
        { labels: [], categories: [] },
      );
      assert.ok(saved);

      assert.equal((await lib.scan(libraryFolder)).rereadKeywords, 1, 'the sidecar on disk is not the one read');
      const fileLabels = lib.repo.corrections.labelsOf(claimed!.id).filter((tag) => tag.source === 'file');
      assert.deepEqual(
        fileLabels.map((tag) => tag.name),
        ['Rex'],
      );
      assert.equal((await lib.scan(libraryFolder)).rereadKeywords, 0);
    } finally {
      await lib.close();
    }
  });

  /** A library of dog.jpg, scanned, and the file tags of its photo. */
  const scannedDog = async () => {
    const folder = tempDir();
    const dog = join(folder, 'dog.jpg');
    copyFileSync(photo('dog.jpg'), dog);
    const home = tempDir();
    const lib = Library.open({ dbPath: join(home, 'library.sqlite'), modelDirs: { embedded: MODELS_DIR, user: home } });
    const libraryFolder = await lib.addFolder(folder);
    await lib.scan(libraryFolder);
    const fileLabels = () =>
      lib.repo.corrections
        .labelsOf(lib.repo.photoByPath(dog)!.id)
        .filter((tag) => tag.source === 'file')
        .map((tag) => tag.name);
    /** Stores keywords read of the sidecar when the row held `stored`, as a re-read does. */
    const store = (read: FileKeywords, stored: string | null) => {
      const { size, mtimeMs } = statSync(dog);
      const tags = read.keywords.map((keyword) => lib.resolveTag(keyword, true));
      const file = { path: dog, size, mtimeMs, sidecar: read.sidecar };
      return lib.repo.setFileKeywords([{ file, tags, sidecar: read.sidecar, stored }]);
    };
    return { lib, dog, libraryFolder, fileLabels, store };
  };

  it("a re-read stored after another that began later keeps the later one's keywords", async () => {
    const { lib, dog, libraryFolder, fileLabels, store } = await scannedDog();
    try {
      exiftool('-q', '-XMP-dc:Subject=Beach', `${dog}.xmp`);
      // A scan's batch reads the sidecar, as rereadKeywords does: the stamp the row holds, then the keywords.
      const stored = lib.repo.sidecarStampAt(dog)!;
      const read = await readKeywords(dog);
      // The user saves it again, and the watcher's re-read stores the newer sidecar's keywords first.
      exiftool('-q', '-overwrite_original', '-XMP-dc:Subject=Forest walk', `${dog}.xmp`);
      assert.equal((await lib.scan(libraryFolder)).rereadKeywords, 1);
      // The scan's batch is stored last.
      const again = store(read, stored);
      assert.deepEqual(fileLabels(), ['Forest walk']);
      assert.deepEqual(
        again.map((file) => file.path),
        [dog],
        'read again, as the stamp now stored is not of the sidecar read',
      );
      assert.equal((await lib.scan(libraryFolder)).rereadKeywords, 0, "the stored stamp is the sidecar's on disk");
    } finally {
      await lib.close();
    }
  });

  it('a re-read that an older read landed before reads the sidecar again', async () => {
    const { lib, dog, libraryFolder, fileLabels, store } = await scannedDog();
    try {
      exiftool('-q', '-XMP-dc:Subject=Beach', `${dog}.xmp`);
      const stored = lib.repo.sidecarStampAt(dog)!;
      const older = await readKeywords(dog);
      // Not XMP: no keywords, and a warning, which comes once the scan's re-read has read it.
      writeFileSync(`${dog}.xmp`, '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF');
      const landFirst = (message: string) => {
        if (!message.includes(`${dog}.xmp`)) return;
        lib.off('warning', landFirst);
        // The read of the sidecar before (the watcher's, slower) lands between the scan's read and its store.
        assert.deepEqual(store(older, stored), []);
      };
      lib.on('warning', landFirst);
      assert.equal((await lib.scan(libraryFolder)).rereadKeywords, 1);
      assert.deepEqual(fileLabels(), [], 'the sidecar on disk has no keywords');
      assert.equal((await lib.scan(libraryFolder)).rereadKeywords, 0, "the stored stamp is the sidecar's on disk");
    } finally {
      await lib.close();
    }
  });

  it(
    'a photo that cannot be read while its sidecar changed keeps its keywords, read again once it can be',
    asRoot,
    () => {
      const lib = library(['owl.jpg']);
      exiftool('-q', '-XMP-dc:Subject=Rex', lib.path('owl.jpg.xmp'));
      lib.run(['tag', lib.folder]);
      const before = fileTags(lib, 'owl.jpg');
      assert.ok(before.includes('Rex') && before.includes('praia'), before.join(', '));

      exiftool('-q', '-overwrite_original', '-XMP-dc:Subject+=Perch', lib.path('owl.jpg.xmp'));
      chmodSync(lib.path('owl.jpg'), 0o000);
      const unread = asNobody(lib, ['tag', lib.folder]);
      assert.match(unread.stderr, /Cannot read the keywords in .*owl\.jpg: permission denied\./, unread.stderr);
      assert.deepEqual(fileTags(lib, 'owl.jpg'), before, "the photo's own keywords are not dropped");

      chmodSync(lib.path('owl.jpg'), 0o644);
      assert.match(lib.run(['tag', lib.folder]).stdout, REREAD);
      assert.deepEqual(fileTags(lib, 'owl.jpg'), [...before, 'Perch'].sort());
    },
  );

  it('a sidecar that cannot be read keeps its keywords, read again once it can be', asRoot, () => {
    const lib = library(['dog.jpg']);
    exiftool('-q', '-XMP-dc:Subject=Rex', lib.path('dog.jpg.xmp'));
    lib.run(['tag', lib.folder]);
    assert.deepEqual(fileTags(lib, 'dog.jpg'), ['Rex']);

    exiftool('-q', '-overwrite_original', '-XMP-dc:Subject+=Good boy', lib.path('dog.jpg.xmp'));
    // chmod changes no modification time: only a stamp left unrecorded makes the next scan read it again.
    chmodSync(lib.path('dog.jpg.xmp'), 0o000);
    const unread = asNobody(lib, ['tag', lib.folder]);
    assert.match(unread.stderr, /Cannot read .*dog\.jpg\.xmp: permission denied\./, unread.stderr);
    assert.deepEqual(fileTags(lib, 'dog.jpg'), ['Rex']);

    chmodSync(lib.path('dog.jpg.xmp'), 0o644);
    assert.match(lib.run(['tag', lib.folder]).stdout, REREAD);
    assert.deepEqual(fileTags(lib, 'dog.jpg'), ['Good boy', 'Rex']);
  });

  it('a sidecar that cannot be read for now is read again at each scan and warned about once', asRoot, () => {
    const home = tempDir();
    const folder = join(home, 'photos');
    mkdirSync(folder);
    copyFileSync(photo('dog.jpg'), join(folder, 'dog.jpg'));
    const sidecar = join(folder, 'dog.jpg.xmp');
    exiftool('-q', '-XMP-dc:Subject=Rex', sidecar);
    execFileSync('chown', ['-R', '65534:65534', home]);
    const library = pathToFileURL(join(ROOT, 'src-main/library/library.ts')).href;
    // Root reads a file whatever its mode: the library runs as "nobody", who owns the files.
    const script = `import { chmodSync, writeFileSync } from 'node:fs';
      import { Library } from ${JSON.stringify(library)};
      const lib = Library.open({ dbPath: ${JSON.stringify(join(home, 'library.sqlite'))},
        modelDirs: { embedded: ${JSON.stringify(MODELS_DIR)}, user: ${JSON.stringify(home)} } });
      const warnings = [];
      lib.on('warning', (message) => warnings.push(message));
      const folder = await lib.addFolder(${JSON.stringify(folder)});
      await lib.scan(folder);
      writeFileSync(${JSON.stringify(sidecar)}, '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>');
      chmodSync(${JSON.stringify(sidecar)}, 0o000);
      const passes = [];
      for (let pass = 0; pass < 2; pass++) passes.push((await lib.scan(folder)).rereadKeywords);
      const unread = [...warnings];
      chmodSync(${JSON.stringify(sidecar)}, 0o644);
      passes.push((await lib.scan(folder)).rereadKeywords, (await lib.scan(folder)).rereadKeywords);
      await lib.close();
      console.log(JSON.stringify({ passes, unread, warnings }));`;
    const { passes, unread, warnings } = JSON.parse(runAsNobody(script)) as Record<string, unknown[]>;
    assert.deepEqual(passes, [1, 1, 1, 0], 'read again at each scan until it can be');
    assert.deepEqual(unread, [`Cannot read ${sidecar}: permission denied.`]);
    assert.deepEqual(warnings, unread, 'no warning once it is read');
  });

  it('a photo tagged while its sidecar cannot be read has its keywords read once it can be', asRoot, () => {
    const lib = library([]);
    copyFileSync(photo('dog.jpg'), lib.path('dog.jpg'));
    exiftool('-q', '-XMP-dc:Subject=Rex', lib.path('dog.jpg.xmp'));
    chmodSync(lib.path('dog.jpg.xmp'), 0o000);
    const unread = asNobody(lib, ['tag', lib.folder]);
    assert.match(unread.stdout, /1 photos found, 1 tagged/, unread.stderr);
    assert.deepEqual(fileTags(lib, 'dog.jpg'), []);

    chmodSync(lib.path('dog.jpg.xmp'), 0o644);
    assert.match(lib.run(['tag', lib.folder]).stdout, REREAD);
    assert.deepEqual(fileTags(lib, 'dog.jpg'), ['Rex']);
  });

  it('a photo moved beside another sidecar takes its keywords, not those of the place it left', () => {
    const lib = library(['dog.jpg']);
    exiftool('-q', '-XMP-dc:Subject=Rex', lib.path('dog.jpg.xmp'));
    lib.run(['tag', lib.folder]);
    assert.deepEqual(fileTags(lib, 'dog.jpg'), ['Rex']);

    mkdirSync(lib.path('moved'));
    renameSync(lib.path('dog.jpg'), lib.path('moved/dog.jpg'));
    rmSync(lib.path('dog.jpg.xmp'));
    exiftool('-q', '-XMP-dc:Subject=Good boy', lib.path('moved/dog.jpg.xmp'));
    lib.run(['tag', lib.folder]);
    assert.deepEqual(fileTags(lib, 'moved/dog.jpg'), ['Good boy']);
    assert.doesNotMatch(lib.run(['tag', lib.folder]).stdout, REREAD, 'the stamp recorded is the new place sidecar');
  });
});
