import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  decodePhoto,
  makeThumbnail,
  PhotoError,
  toModelInput,
  type DecodedPhoto,
} from '../../src-main/imaging/decode.js';
import { Library } from '../../src-main/library/library.js';
import { readManifest } from '../../src-main/models/model-catalog.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { SPECIAL_FILES, writeHostileFiles, writeHostileFormats, writeSpecialFile } from '../hostile-files.js';

async function assertRefused(file: string, reason: RegExp): Promise<void> {
  await assert.rejects(decodePhoto(file, 256), (error: Error) => {
    assert.ok(error instanceof PhotoError, `${file}: ${error.message}`);
    assert.match(error.message, reason, file);
    assert.ok(error.message.startsWith(`Cannot read ${file}: `));
    return true;
  });
}

/** Four shapes: landscape, portrait, square (a turn changes no size), and one that shrinks to a near square. */
const SHAPES = [
  [300, 200],
  [200, 300],
  [200, 200],
  [513, 512],
] as const;

/** A JPEG without EXIF, or with this orientation in it, whatever the value (sharp writes only 1-8). */
async function jpegWithOrientation(width: number, height: number, orientation: number | undefined): Promise<Buffer> {
  const image = sharp(photo('cat_720p.jpg')).resize(width, height, { fit: 'fill' });
  if (orientation === undefined) return image.jpeg().toBuffer();
  const jpeg = await image.withMetadata({ orientation: 1 }).jpeg().toBuffer();
  setOrientation(jpeg, orientation);
  return jpeg;
}

/** Where the TIFF header of a JPEG's EXIF segment starts. */
function exifAt(jpeg: Buffer): number {
  const at = jpeg.indexOf('Exif\0\0', 0, 'latin1');
  assert.ok(at > 0, 'the JPEG has EXIF');
  return at + 6;
}

/** Writes `orientation` into the IFD0 orientation entry of a JPEG's EXIF. */
function setOrientation(jpeg: Buffer, orientation: number): void {
  const tiff = exifAt(jpeg);
  const le = jpeg.readUInt16BE(tiff) === 0x4949;
  const [u16, u32] = le
    ? [(at: number) => jpeg.readUInt16LE(at), (at: number) => jpeg.readUInt32LE(at)]
    : [(at: number) => jpeg.readUInt16BE(at), (at: number) => jpeg.readUInt32BE(at)];
  const ifd0 = tiff + u32(tiff + 4);
  for (let i = 0, entry = ifd0 + 2; i < u16(ifd0); i++, entry += 12) {
    if (u16(entry) !== 0x0112) continue;
    if (le) jpeg.writeUInt16LE(orientation, entry + 8);
    else jpeg.writeUInt16BE(orientation, entry + 8);
    return;
  }
  assert.fail('the EXIF has an orientation entry');
}

/** Decodes a JPEG from its bytes and from a file of them: the same pixels, sizes, orientation and format. */
async function assertSameFromBytes(bytes: Buffer, file: string): Promise<DecodedPhoto> {
  writeFileSync(file, bytes);
  const [fromFile, fromBytes] = [await decodePhoto(file, 256), await decodePhoto(bytes, 256)];
  const facts = (decoded: DecodedPhoto) => [
    ...[decoded.width, decoded.height, decoded.originalWidth, decoded.originalHeight],
    ...[decoded.orientation, decoded.format],
  ];
  assert.deepEqual(facts(fromBytes), facts(fromFile), file);
  assert.ok(fromBytes.data.equals(fromFile.data), file);
  return fromBytes;
}

describe('decoding photos', () => {
  it('shrinks on load to what the model needs and keeps the original size', async () => {
    const decoded = await decodePhoto(photo('cat_1080p.jpg'), 256);
    assert.equal(Math.min(decoded.width, decoded.height), 256);
    assert.equal(decoded.originalWidth, 1920);
    assert.equal(decoded.originalHeight, 1080);
    assert.equal(decoded.data.length, decoded.width * decoded.height * 3);
  });

  it('applies EXIF orientation before anything else', async () => {
    const dir = tempDir();
    const file = join(dir, 'rotated.jpg');
    // Stored landscape with orientation 6: a viewer shows it portrait.
    await sharp(photo('cat_720p.jpg')).withMetadata({ orientation: 6 }).toFile(file);
    const decoded = await decodePhoto(file, 256);
    assert.ok(decoded.height > decoded.width);
    assert.equal(decoded.originalWidth, 720);
    assert.equal(decoded.originalHeight, 1280);
  });

  it("takes a JPEG's size and orientation from its bytes as libvips does from its file", async () => {
    const dir = tempDir();
    // 0 and 9 lie outside EXIF's 1-8: libvips reads them as 1.
    for (const orientation of [undefined, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      for (const [width, height] of SHAPES) {
        const bytes = await jpegWithOrientation(width, height, orientation);
        await assertSameFromBytes(bytes, join(dir, `${width}x${height}-${orientation}.jpg`));
      }
    }
  });

  it('asks libvips when a decode belies the orientation read from the bytes', async () => {
    const dir = tempDir();
    // TIFF's magic number made 43: exifr still reads the orientation (6, sideways), libvips reads no EXIF at all,
    // so the decode comes out unturned and only libvips' own header gives the right size and orientation.
    for (const [width, height] of SHAPES.filter(([width, height]) => width !== height)) {
      const bytes = await jpegWithOrientation(width, height, 6);
      bytes.writeUInt16BE(bytes.readUInt16BE(exifAt(bytes)) === 0x4949 ? 0x2b00 : 0x002b, exifAt(bytes) + 2);
      const fromBytes = await assertSameFromBytes(bytes, join(dir, `${width}x${height}-magic.jpg`));
      assert.deepEqual([fromBytes.originalWidth, fromBytes.orientation], [width, undefined]);
    }
  });

  it('flattens transparency onto white and converts grey to RGB', async () => {
    const dir = tempDir();
    const file = join(dir, 'alpha.png');
    await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toFile(file);
    const decoded = await decodePhoto(file, 16);
    assert.deepEqual([...decoded.data.subarray(0, 3)], [255, 255, 255]);
    const grey = join(dir, 'grey.png');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#808080' } })
      .greyscale()
      .png()
      .toFile(grey);
    assert.equal((await decodePhoto(grey, 16)).data.length, 16 * 16 * 3);
  });

  it('lays out and normalises the model input as the manifest says', async () => {
    const decoded = await decodePhoto(photo('parrot.jpg'), 256);
    const nhwc = readManifest(join(MODELS_DIR, 'mobilenet-v2-imagenet')).input;
    const tensor = await toModelInput(decoded, nhwc);
    assert.equal(tensor.length, 224 * 224 * 3);
    assert.ok(tensor.every((x) => x >= -1 && x <= 127 / 128));
    const nchw = { ...nhwc, layout: 'NCHW' as const };
    const planar = await toModelInput(decoded, nchw);
    const area = 224 * 224;
    for (const i of [0, 777, area - 1]) {
      for (let c = 0; c < 3; c++) assert.equal(planar[c * area + i], tensor[i * 3 + c]);
    }
    const bgr = await toModelInput(decoded, { ...nhwc, colorOrder: 'BGR' });
    assert.equal(bgr[0], tensor[2]);
  });

  it('crops the model input from the middle of the photo, resized or decoded at its size already', async () => {
    const input = readManifest(join(MODELS_DIR, 'mobilenet-v2-imagenet')).input;
    for (const side of [256, 300]) {
      const decoded = await decodePhoto(photo('cat_1080p.jpg'), side);
      const raw = { raw: { width: decoded.width, height: decoded.height, channels: 3 as const } };
      const [width, height] = [Math.round((decoded.width * 256) / decoded.height), 256];
      const middle = await sharp(decoded.data, raw)
        .resize({ width, height, fit: 'fill' })
        .extract({ left: (width - 224) >> 1, top: (height - 224) >> 1, width: 224, height: 224 })
        .raw()
        .toBuffer();
      const expected = Float32Array.from(
        middle,
        (value, i) => value * (input.scale / input.std[i % 3]!) - input.mean[i % 3]! / input.std[i % 3]!,
      );
      const tensor = await toModelInput(decoded, input);
      assert.ok(Buffer.from(tensor.buffer).equals(Buffer.from(expected.buffer)), `decoded at ${side}`);
    }
  });

  it('makes a JPEG thumbnail from the same pixels', async () => {
    const decoded = await decodePhoto(photo('kite_and_cold.jpg'), 256);
    const meta = await sharp(await makeThumbnail(decoded, 200)).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(Math.max(meta.width!, meta.height!), 200);
  });

  it('gives each bad file a clear reason', async () => {
    const dir = tempDir();
    const reasons = writeHostileFiles(dir);
    reasons[join(dir, 'vanished.jpg')] = /no longer exists/;
    reasons[dir] = /folder/;
    for (const [file, reason] of Object.entries(reasons)) await assertRefused(file, reason);
  });

  it('gives a truncated and a corrupt JPEG the same reason every time, however many photos decode at once', async () => {
    const dir = tempDir();
    writeHostileFiles(dir);
    const expected = {
      [join(dir, 'truncated.jpg')]: 'the image is truncated (the file ends too early)',
      [join(dir, 'corrupt.jpg')]: 'the image is corrupt (its data is damaged)',
    };
    const seen = new Map(Object.keys(expected).map((file) => [file, new Set<string>()]));
    // libvips' warnings are shared by the whole process: a decode finishing beside another may take its words.
    const together = [...Object.keys(expected), photo('dog.jpg'), photo('cat_1080p.jpg'), photo('parrot.jpg')];
    for (let round = 0; round < 50; round++) {
      await Promise.all(
        together.map((file) => decodePhoto(file, 256).catch((error: Error) => seen.get(file)!.add(error.message))),
      );
    }
    for (const [file, reason] of Object.entries(expected)) {
      assert.deepEqual([...seen.get(file)!], [`Cannot read ${file}: ${reason}.`]);
    }
  });

  it('tells a truncated JPEG, PNG, GIF and WebP from its bytes', async () => {
    const dir = tempDir();
    const whole = await sharp(photo('dog.jpg')).resize(64).toBuffer();
    for (const [format, bytes] of Object.entries({
      png: await sharp(whole).png().toBuffer(),
      gif: await sharp(whole).gif().toBuffer(),
      webp: await sharp(whole).webp().toBuffer(),
      jpg: readFileSync(photo('eagle.jpg')),
    })) {
      const file = join(dir, `cut.${format}`);
      writeFileSync(file, bytes.subarray(0, bytes.length - 40));
      await assertRefused(file, /: the image is truncated \(the file ends too early\)\.$/);
    }
  });

  it('gives malformed bitmaps and HEIC files declaring too many pixels their precise reason', async () => {
    for (const [file, reason] of Object.entries(writeHostileFormats(tempDir()))) await assertRefused(file, reason);
  });

  it(
    'reads only regular files: a named pipe, a device and a pseudo file reporting 0 bytes are refused',
    // A named pipe or /dev/zero read like a file never ends: the timeout makes that a failure, not a hang.
    { skip: process.platform === 'win32' && 'Windows has no named pipes or /dev', timeout: 60_000 },
    async () => {
      const dir = tempDir();
      for (const [name, reason] of Object.entries(SPECIAL_FILES)) {
        writeSpecialFile(name, join(dir, name));
        await assertRefused(join(dir, name), reason);
      }
    },
  );

  it('decodes HEIC in a worker thread: this thread never loads the WebAssembly decoder', async () => {
    const file = join(tempDir(), 'cat.heic');
    execFileSync('heif-enc', ['-q', '80', '-o', file, photo('cat_720p.jpg')]);
    for (const input of [file, readFileSync(file)]) {
      const decoded = await decodePhoto(input, 256);
      assert.deepEqual([decoded.format, decoded.originalWidth, decoded.originalHeight], ['heic', 1280, 720]);
      assert.equal(Math.min(decoded.width, decoded.height), 256);
    }
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.ok(!loaded.some((path) => path.includes('heic-decode') || path.includes('libheif')), loaded.join('\n'));
  });

  it('shrinks a bitmap on load and keeps its full size', async () => {
    const decoded = await decodePhoto(photo('grace_hopper.bmp'), 100);
    assert.deepEqual([decoded.originalWidth, decoded.originalHeight, decoded.format], [512, 600, 'bmp']);
    assert.equal(Math.min(decoded.width, decoded.height), 100);
  });
});

describe('failed photos', () => {
  it('a reason stored under older failure rules is replaced the next time the library tags', async () => {
    const dir = tempDir();
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    writeHostileFiles(folder);
    const truncated = join(folder, 'truncated.jpg');
    const open = () =>
      Library.open({
        dbPath: join(dir, 'library.sqlite'),
        modelDirs: { embedded: MODELS_DIR, user: join(dir, 'models') },
        secondaryTaggers: false,
      });
    const tagOnce = async (change?: (library: Library) => void) => {
      const library = open();
      try {
        change?.(library);
        await library.scan(await library.addFolder(folder));
        await library.tag();
        return library.repo.photoByPath(truncated)!.error;
      } finally {
        await library.close();
      }
    };
    const reason = `Cannot read ${truncated}: the image is truncated (the file ends too early).`;
    assert.equal(await tagOnce(), reason);
    const stale = `Cannot read ${truncated}: the image is corrupt (Warning treated as error due to failOn setting).`;
    const fromAnOlderPhototag = (library: Library) => {
      library.db.prepare('UPDATE photos SET error = ? WHERE path = ?').run(stale, truncated);
      library.db.prepare("DELETE FROM settings WHERE key = 'failure-rules'").run();
    };
    assert.equal(await tagOnce(fromAnOlderPhototag), reason);
  });
});
