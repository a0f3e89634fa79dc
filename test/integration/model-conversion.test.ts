import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as ort from '../../src-main/classifier/onnxruntime.js';
import { decodePhoto, shorterSideFor, toModelInput } from '../../src-main/imaging/decode.js';
import { readManifest } from '../../src-main/models/model-catalog.js';
import { MODELS_DIR, photo, ROOT, tempDir } from '../helpers.js';

// Offline model tooling runs on Debian's Python (python3-numpy, python3-onnx, python3-torch, wordnet-base).
const PYTHON = '/usr/bin/python3';
const BUILD = join(MODELS_DIR, 'build');
const python = (...args: string[]) => execFileSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const argmax = (row: number[]) => row.indexOf(Math.max(...row));
const top5 = (row: number[]) => [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 5);

describe('the converted MobileNetV2', () => {
  it('agrees with an independent numpy computation of the quantized TFLite graph', async () => {
    const dir = MODELS_DIR + '/mobilenet-v2-imagenet';
    const manifest = readManifest(dir);
    const files = ['cat.bmp', 'hot_dog.jpg', 'parrot.jpg', 'dragonfly.bmp', 'kite_and_cold.jpg'];
    const inputs = await Promise.all(
      files.map(async (file) =>
        toModelInput(await decodePhoto(photo(file), shorterSideFor(manifest.input)), manifest.input),
      ),
    );
    const batch = new Float32Array(inputs.length * inputs[0]!.length);
    inputs.forEach((input, i) => batch.set(input, i * input.length));
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const output = await session.run({ input: new ort.Tensor('float32', batch, [files.length, 224, 224, 3]) });
    await session.release();
    const onnx = output.probabilities!.data as Float32Array;

    const tensorFile = join(tempDir(), 'input.f32');
    writeFileSync(tensorFile, Buffer.from(batch.buffer));
    const tflite = join(BUILD, 'upstream', 'coral-mobilenet-v2', 'mobilenet_v2_1.0_224_quant.tflite');
    const reference = JSON.parse(
      python(
        'test/reference/mobilenet_v2_reference.py',
        '--tflite',
        tflite,
        '--input',
        tensorFile,
        '--batch',
        String(files.length),
      ),
    ) as { probabilities: number[][] };

    files.forEach((file, i) => {
      const ours = [...onnx.subarray(i * 1001, (i + 1) * 1001)];
      const theirs = reference.probabilities[i]!;
      assert.equal(argmax(ours), argmax(theirs), `${file}: same top-1 class`);
      const maxDiff = Math.max(...ours.map((p, k) => Math.abs(p - theirs[k]!)));
      assert.ok(maxDiff < 0.05, `${file}: probabilities differ by up to ${maxDiff}`);
      const shared = top5(ours).filter((k) => top5(theirs).includes(k)).length;
      assert.ok(shared >= 4, `${file}: ${shared} of 5 top classes shared`);
    });
  });

  it('is rebuilt byte for byte by its converter', () => {
    const out = tempDir();
    python(join(BUILD, 'convert_mobilenet_v2.py'), '--out', out);
    const committed = readManifest(join(MODELS_DIR, 'mobilenet-v2-imagenet'));
    assert.equal(sha256(join(out, 'model.onnx')), committed.sha256);
    assert.equal(sha256(join(MODELS_DIR, 'mobilenet-v2-imagenet', 'model.onnx')), committed.sha256);
  });
});

describe('the converted CIFAR-10 ResNets', () => {
  it('are rebuilt byte for byte from the checkpoints', () => {
    const out = tempDir();
    python(join(BUILD, 'convert_resnet_cifar.py'), '--out', out);
    for (const id of ['resnet20-cifar10', 'resnet56-cifar10']) {
      const committed = readManifest(join(MODELS_DIR, id));
      assert.equal(sha256(join(out, id, 'model.onnx')), committed.sha256, id);
      assert.equal(sha256(join(MODELS_DIR, id, 'model.onnx')), committed.sha256, id);
    }
  });
});

describe('the label sets', () => {
  it('are what WordNet 3.0 and the build script give', () => {
    assert.doesNotThrow(() => python(join(BUILD, 'build_label_sets.py'), '--check'));
  });
});
