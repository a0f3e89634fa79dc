import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Classifier, type ImageClassifier } from '../../src-main/classifier/classifier.js';
import { TaggerWorker } from '../../src-main/taggers/tagger-worker-client.js';
import { classifyPhotos, type PhotoResult } from '../../src-main/classifier/classify-photos.js';
import type { Classification } from '../../src-main/classifier/scoring.js';
import { findModel, listModels, type ModelEntry } from '../../src-main/models/model-catalog.js';
import { MODELS_DIR, photo, tempDir } from '../helpers.js';
import { writeHostileFiles } from '../hostile-files.js';

const models = listModels({ embedded: MODELS_DIR, user: join(MODELS_DIR, 'no-user-models') });

function ok(result: PhotoResult | undefined): Classification {
  assert.ok(result?.ok, result && !result.ok ? result.error : 'no result');
  return result.result;
}

/** What a person sees in each fixture photo: an acceptable top-1 class, and the top category. */
const IMAGENET_EXPECTATIONS: [file: string, classes: RegExp, category: string][] = [
  ['cat.bmp', /^(Egyptian|Tabby|Tiger) cat$/, 'Cat'],
  ['cat_720p.jpg', /^(Egyptian|Tabby|Tiger) cat$/, 'Cat'],
  ['cat_1080p.jpg', /^(Egyptian|Tabby|Tiger) cat$/, 'Cat'],
  ['hot_dog.jpg', /^Hotdog$/, 'Food'],
  ['parrot.jpg', /^Macaw$/, 'Bird'],
  ['bird.bmp', /^Chickadee$/, 'Bird'],
  ['eagle.jpg', /^Bald eagle$/, 'Bird'],
  ['dragonfly.bmp', /^Dragonfly$/, 'Insect'],
  ['sunflower.bmp', /^Daisy$/, 'Plant|Flower'],
  ['pets.jpg', /greyhound|terrier|whippet/i, 'Dog'],
  ['dog.jpg', /malamute|husky|Eskimo dog|collie|shepherd|spitz|retriever|setter/i, 'Dog'],
];

describe('the embedded MobileNetV2 on real photos', () => {
  let classifier: Classifier;
  const entry = findModel(models, 'mobilenet-v2-imagenet');
  before(async () => {
    classifier = await Classifier.load(entry, { modelsDir: MODELS_DIR, threads: 1 });
  });
  after(() => classifier.dispose());

  it('tags each photo the way a person sees it', async () => {
    const results = await classifyPhotos(
      classifier,
      entry.manifest,
      IMAGENET_EXPECTATIONS.map(([file]) => photo(file)),
    );
    IMAGENET_EXPECTATIONS.forEach(([file, classes, category], i) => {
      const result = ok(results[i]);
      assert.match(result.labels[0]!.name, classes, `${file}: ${JSON.stringify(result.labels.slice(0, 3))}`);
      assert.match(
        result.categories[0]!.name,
        new RegExp(`^(${category})$`),
        `${file}: ${JSON.stringify(result.categories)}`,
      );
      assert.equal(result.labels.length, 5);
      assert.ok(result.labels.every((label, k) => k === 0 || label.score <= result.labels[k - 1]!.score));
    });
  });

  it('gives WordNet ids and short display names, and categories that add up their classes', async () => {
    const [result] = await classifyPhotos(classifier, entry.manifest, [photo('parrot.jpg')]);
    const top = ok(result).labels[0]!;
    assert.deepEqual([top.id, top.name], ['n01818515', 'Macaw']);
    assert.ok(top.score > 0.9);
    const bird = ok(result).categories.find((category) => category.id === 'bird')!;
    assert.ok(bird.score >= top.score, 'a category scores at least its best class');
  });

  it('reads the beach in a kite-flying photo', async () => {
    const [result] = await classifyPhotos(classifier, entry.manifest, [photo('kite_and_cold.jpg')]);
    const beach = ok(result).categories.find((category) => category.id === 'beach-sea');
    assert.ok(beach && beach.score > 0.5, JSON.stringify(ok(result).categories));
  });

  it('exposes the pooled feature vector', async () => {
    const [result] = await classifyPhotos(classifier, entry.manifest, [photo('cat.bmp')]);
    assert.equal(ok(result).features?.length, 1280);
    assert.ok(ok(result).features!.some((x) => x > 0));
  });

  it('classifies a batch exactly as it classifies photos one by one', async () => {
    const files = ['cat.bmp', 'hot_dog.jpg', 'parrot.jpg'].map(photo);
    const batch = await classifyPhotos(classifier, entry.manifest, files);
    for (const [i, file] of files.entries()) {
      const [single] = await classifyPhotos(classifier, entry.manifest, [file]);
      assert.deepEqual(ok(single).labels, ok(batch[i]).labels);
    }
  });

  it('reports the execution provider it runs on and why others were passed over', () => {
    const { provider } = classifier.info;
    assert.equal(provider.attempts.at(-1)!.name, provider.used);
    assert.equal(provider.attempts.at(-1)!.reason, undefined);
    for (const attempt of provider.attempts.slice(0, -1)) assert.ok(attempt.reason, `${attempt.name} has a reason`);
    assert.ok(['cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'].includes(provider.used));
    assert.equal(classifier.info.threads, 1);
  });

  it('gives each bad photo a clear error and still classifies the photos after it', async () => {
    const dir = tempDir();
    const reasons = writeHostileFiles(dir);
    const files = [...Object.keys(reasons), photo('parrot.jpg')];
    const results = await classifyPhotos(classifier, entry.manifest, [...files, readFileSync(photo('hot_dog.jpg'))]);
    Object.values(reasons).forEach((reason, i) => {
      const result = results[i]!;
      assert.equal(result.ok, false, files[i]);
      if (!result.ok) assert.match(result.error, reason, files[i]);
    });
    assert.equal(ok(results.at(-2)).labels[0]!.name, 'Macaw');
    assert.equal(ok(results.at(-1)).labels[0]!.name, 'Hotdog');
  });
});

describe('the CIFAR-10 ResNets', () => {
  for (const id of ['resnet56-cifar10', 'resnet20-cifar10']) {
    it(`${id} tells cats, birds and dogs apart`, async () => {
      const entry = findModel(models, id);
      const classifier = await Classifier.load(entry, { modelsDir: MODELS_DIR });
      try {
        const expected: [string, string][] = [
          ['cat.bmp', 'cat'],
          ['cat_720p.jpg', 'cat'],
          ['bird.bmp', 'bird'],
          ['parrot.jpg', 'bird'],
          ['eagle.jpg', 'bird'],
          ['dog.jpg', 'dog'],
        ];
        const results = await classifyPhotos(
          classifier,
          entry.manifest,
          expected.map(([file]) => photo(file)),
        );
        expected.forEach(([file, label], i) => {
          const result = ok(results[i]);
          assert.equal(result.labels[0]!.id, label, `${file}: ${JSON.stringify(result.labels)}`);
          assert.equal(result.categories[0]!.id, label, `${file}: ${JSON.stringify(result.categories)}`);
        });
        assert.equal(ok(results[0]).features?.length, 64);
      } finally {
        await classifier.dispose();
      }
    });
  }
});

describe('the classifier in a worker thread', () => {
  let worker: ImageClassifier;
  const entry: ModelEntry = findModel(models, 'mobilenet-v2-imagenet');
  before(async () => {
    worker = await TaggerWorker.classifier(entry, { modelsDir: MODELS_DIR, threads: 1 });
  });
  after(() => worker.dispose());

  it('gives the same answers as in-thread, and leaves the event loop free while it infers', async () => {
    const inline = await Classifier.load(entry, { modelsDir: MODELS_DIR, threads: 1 });
    const files = ['cat.bmp', 'parrot.jpg', 'hot_dog.jpg', 'dragonfly.bmp'].map(photo);
    const expected = await classifyPhotos(inline, entry.manifest, files);
    await inline.dispose();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = Date.now();
    const results = await classifyPhotos(worker, entry.manifest, [...files, ...files, ...files]);
    clearInterval(timer);
    assert.deepEqual(
      results.slice(0, 4).map((r) => ok(r).labels),
      expected.map((r) => ok(r).labels),
    );
    // The loop kept turning while the worker inferred (a blocked loop would count about one tick in total).
    assert.ok(ticks > Math.min(10, (Date.now() - started) / 20), `only ${ticks} ticks`);
  });

  it('says which model failed to load and why', async () => {
    const broken: ModelEntry = { ...entry, modelPath: join(tempDir(), 'missing.onnx') };
    await assert.rejects(
      TaggerWorker.classifier(broken, { modelsDir: MODELS_DIR }),
      /Cannot load the model .*missing\.onnx/,
    );
  });
});
