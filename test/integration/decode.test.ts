import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodePhoto, makeThumbnail, PhotoError, toModelInput } from '../../src-main/imaging/decode.js';
import { readManifest } from '../../src-main/models/model-catalog.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { writeHostileFiles } from '../hostile-files.js';

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
    for (const [file, reason] of Object.entries(reasons)) {
      await assert.rejects(decodePhoto(file, 256), (error: Error) => {
        assert.ok(error instanceof PhotoError, `${file}: ${error.message}`);
        assert.match(error.message, reason, file);
        assert.ok(error.message.startsWith(`Cannot read ${file}: `));
        return true;
      });
    }
  });
});
