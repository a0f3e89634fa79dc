import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { Classifier } from '../../src-main/classifier/classifier.js';
import { classifyPhotos } from '../../src-main/classifier/classify-photos.js';
import * as ort from '../../src-main/classifier/onnxruntime.js';
import type { Score } from '../../src-main/classifier/scoring.js';
import { decodePhoto, shorterSideFor, toModelInput } from '../../src-main/imaging/decode.js';
import { findModel, listModels, readManifest } from '../../src-main/models/model-catalog.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { fileFacts, python, sameModel } from '../model-tooling.js';

const BUILD = join(MODELS_DIR, 'build');

const argmax = (row: number[]) => row.indexOf(Math.max(...row));
const top5 = (row: number[]) => [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 5);
/** The dragonfly and damselfly (Odonata) genera among the iNaturalist insects. */
const ODONATA = new RegExp(
  '^insect:(' +
    'Aeshna|Anax|Archilestes|Argia|Arigomphus|Austrolestes|Basiaeschna|Boyeria|Brachymesia|Brechmorhoga|' +
    'Calopteryx|Celithemis|Chromagrion|Coenagrion|Cordulegaster|Cordulia|Crocothemis|Didymops|Diplacodes|' +
    'Dorocordulia|Dromogomphus|Dythemis|Enallagma|Epiaeschna|Epitheca|Erpetogomphus|Erythemis|Erythrodiplax|' +
    'Gomphaeschna|Gomphus|Hagenius|Hetaerina|Ischnura|Ladona|Lestes|Leucorrhinia|Libellula|Macrodiplax|Macromia|' +
    'Micrathyria|Nannothemis|Nehalennia|Orthemis|Orthetrum|Pachydiplax|Paltothemis|Pantala|Perithemis|Plathemis|' +
    'Platycnemis|Progomphus|Pseudoleon|Pyrrhosoma|Rhionaeschna|Stylurus|Sympetrum|Telebasis|Tramea|Trithemis|' +
    'Xanthocnemis) ',
);

/** Runs model `id` and the numpy reference of its TFLite original on the same photos: they must agree. */
async function compareWithReference(id: string, tflite: string, files: string[]) {
  const dir = join(MODELS_DIR, id);
  const manifest = readManifest(dir);
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
  const reference = JSON.parse(
    python(
      'test/reference/mobilenet_v2_reference.py',
      '--tflite',
      join(BUILD, 'upstream', tflite),
      '--input',
      tensorFile,
      '--batch',
      String(files.length),
    ),
  ) as { probabilities: number[][] };

  const width = onnx.length / files.length;
  files.forEach((file, i) => {
    const ours = [...onnx.subarray(i * width, (i + 1) * width)];
    const theirs = reference.probabilities[i]!;
    assert.equal(theirs.length, width, `${file}: as many outputs as the TFLite model`);
    assert.equal(argmax(ours), argmax(theirs), `${file}: same top-1 class`);
    const maxDiff = Math.max(...ours.map((p, k) => Math.abs(p - theirs[k]!)));
    assert.ok(maxDiff < 0.05, `${file}: probabilities differ by up to ${maxDiff}`);
    const shared = top5(ours).filter((k) => top5(theirs).includes(k)).length;
    assert.ok(shared >= 4, `${file}: ${shared} of 5 top classes shared`);
  });
}

/**
 * Model `id` built into `out` is the committed one, by meaning and not bytes (another python3-onnx or numpy may write
 * the same graph differently), and the committed manifest pins the committed file's size and sha256.
 */
function assertRebuilt(out: string, id: string) {
  const committed = join(MODELS_DIR, id, 'model.onnx');
  assert.equal(sameModel(join(out, id, 'model.onnx'), committed), '', id);
  const { size, sha256 } = readManifest(join(MODELS_DIR, id));
  assert.deepEqual(fileFacts(committed), { size, sha256 }, `${id}: the manifest pins the committed model.onnx`);
}

/**
 * The manifest a build wrote into `out`, which pins the file it wrote, with that file's size and sha256 put as the
 * committed manifest's: the rest is the converter's to write the same, whatever bytes this python3-onnx gives.
 */
function builtManifestText(out: string, id: string): string {
  const built = fileFacts(join(out, id, 'model.onnx'));
  const { size, sha256 } = readManifest(join(out, id));
  assert.deepEqual({ size, sha256 }, built, `${id}: a build's manifest pins the file it wrote`);
  const committed = readManifest(join(MODELS_DIR, id));
  return readFileSync(join(out, id, 'manifest.json'), 'utf8')
    .replace(`"size": ${built.size},`, `"size": ${committed.size},`)
    .replace(`"sha256": "${built.sha256}"`, `"sha256": "${committed.sha256}"`);
}

describe('the converted MobileNetV2', () => {
  it('agrees with an independent numpy computation of the quantized TFLite graph', () =>
    compareWithReference('mobilenet-v2-imagenet', 'coral-mobilenet-v2/mobilenet_v2_1.0_224_quant.tflite', [
      'cat.bmp',
      'hot_dog.jpg',
      'parrot.jpg',
      'dragonfly.bmp',
      'kite_and_cold.jpg',
    ]));

  it('is the model its converter builds, as are the iNaturalist specialists, manifests included', () => {
    const out = tempDir();
    python(join(BUILD, 'convert_mobilenet_v2.py'), '--out', out);
    for (const id of ['mobilenet-v2-imagenet', 'inat-bird', 'inat-insect']) {
      assertRebuilt(out, id);
      assert.equal(
        builtManifestText(out, id),
        readFileSync(join(MODELS_DIR, id, 'manifest.json'), 'utf8'),
        `${id}: a fresh build writes the committed manifest`,
      );
    }
  });
});

describe('the converted iNaturalist species models', () => {
  const models = listModels({ embedded: MODELS_DIR, user: join(MODELS_DIR, 'no-user-models') });

  it('agree with the numpy computation of their quantized TFLite graphs, FULLY_CONNECTED included', async () => {
    await compareWithReference('inat-bird', 'coral-inat-species/mobilenet_v2_1.0_224_inat_bird_quant.tflite', [
      'parrot.jpg',
      'bird.bmp',
      'eagle.jpg',
      'owl.jpg',
      'cat.bmp',
    ]);
    await compareWithReference('inat-insect', 'coral-inat-species/mobilenet_v2_1.0_224_inat_insect_quant.tflite', [
      'dragonfly.bmp',
      'sunflower.bmp',
      'parrot.jpg',
      'hot_dog.jpg',
      'cat.bmp',
    ]);
  });

  /** The species a specialist gives each photo, best first, through the project's own classifier. */
  async function species(id: string, files: string[], t: TestContext): Promise<Score[][]> {
    const entry = findModel(models, id);
    const classifier = await Classifier.load(entry, { modelsDir: MODELS_DIR, threads: 1 });
    try {
      const results = await classifyPhotos(classifier, entry.manifest, files.map(photo));
      return results.map((result, i) => {
        assert.ok(result?.ok, `${files[i]}: ${result && !result.ok ? result.error : 'no result'}`);
        t.diagnostic(
          `${id} ${files[i]}: ${result.result.labels.map((l) => `${l.name} (${l.id}) ${l.score.toFixed(3)}`).join(', ')}`,
        );
        assert.deepEqual(result.result.categories, [], 'species label sets have no categories');
        return result.result.labels;
      });
    } finally {
      await classifier.dispose();
    }
  }

  it('name a bird species on the bird photos', async (t) => {
    const [parrot, bird, cat] = await species('inat-bird', ['parrot.jpg', 'bird.bmp', 'cat.bmp'], t);
    // What the model was seen to say, and what a person sees: a Scarlet Macaw and a Black-capped Chickadee.
    assert.match(parrot![0]!.id, /^bird:Ara /, 'parrot.jpg is a macaw');
    assert.match(bird![0]!.id, /^bird:Poecile /, 'bird.bmp is a chickadee');
    // On a cat, most of the probability goes to the background output (the last one), which is not a label.
    assert.ok(cat![0]!.score < 0.5, `cat.bmp is no bird: ${cat![0]!.name} ${cat![0]!.score}`);
  });

  it('name a dragonfly or damselfly (Odonata) on the dragonfly photo', async (t) => {
    const [dragonfly] = await species('inat-insect', ['dragonfly.bmp'], t);
    assert.match(dragonfly![0]!.id, ODONATA, dragonfly![0]!.name);
  });
});

describe('the converted CIFAR-10 ResNets', () => {
  it('are the models their converter builds from the checkpoints', () => {
    const out = tempDir();
    python(join(BUILD, 'convert_resnet_cifar.py'), '--out', out);
    for (const id of ['resnet20-cifar10', 'resnet56-cifar10']) assertRebuilt(out, id);
  });
});

describe('the label sets', () => {
  it('are what WordNet 3.0 and the build script give', () => {
    assert.doesNotThrow(() => python(join(BUILD, 'build_label_sets.py'), '--check'));
  });
});
