import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chooseModel, listModels, readManifest } from '../../src-main/models/model-catalog.js';
import { phototag, phototagOnTerminal } from '../cli.js';
import { MODELS_DIR, tempDir } from '../helpers.js';

const SPECIALISTS = ['inat-bird', 'inat-insect'];

/** A per-user models folder holding an installed specialist that outranks every primary model. */
function userDirWithEagerSpecialist(): string {
  const user = tempDir();
  const dir = join(user, 'eager-specialist');
  mkdirSync(dir);
  const manifest = JSON.parse(readFileSync(join(MODELS_DIR, 'inat-bird', 'manifest.json'), 'utf8')) as object;
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ ...manifest, id: 'eager-specialist', defaultPriority: 1000 }),
  );
  copyFileSync(join(MODELS_DIR, 'inat-bird', 'model.onnx'), join(dir, 'model.onnx'));
  return user;
}

describe('specialist models', () => {
  it('are read from their manifests, and older manifests stay primary models with a leading background', () => {
    for (const id of SPECIALISTS) {
      const manifest = readManifest(join(MODELS_DIR, id));
      assert.equal(manifest.role, 'specialist', id);
      assert.equal(manifest.output.backgroundClass, 'last', id);
    }
    const embedded = readManifest(join(MODELS_DIR, 'mobilenet-v2-imagenet'));
    assert.equal(embedded.role, 'primary');
    assert.equal(embedded.output.backgroundClass, 'first', '"backgroundClass": true still means the first output');
    assert.equal(readManifest(join(MODELS_DIR, 'resnet20-cifar10')).output.backgroundClass, false);
  });

  it('are never chosen as the model a library tags with, whatever their priority', () => {
    const models = listModels({ embedded: MODELS_DIR, user: userDirWithEagerSpecialist() });
    assert.ok(models.some((model) => model.manifest.id === 'eager-specialist' && model.installed));
    assert.equal(chooseModel(models).manifest.id, 'mobilenet-v2-imagenet');
    for (const id of [...SPECIALISTS, 'eager-specialist']) {
      assert.throws(
        () => chooseModel(models, id),
        new RegExp(`^Error: The model "${id}" is a specialist: .* Primary models: mobilenet-v2-imagenet, `),
      );
    }
  });

  it('are refused by "phototag models use" with the reason', () => {
    const home = tempDir();
    const result = phototag(home, ['models', 'use', 'inat-bird']);
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /^phototag: The model "inat-bird" is a specialist: it only adds detail to what a primary model finds, so it cannot be the model a library tags with\. Primary models: .*mobilenet-v2-imagenet/,
    );
    const listed = JSON.parse(phototag(home, ['models', 'list', '--json']).stdout) as { id: string; active: boolean }[];
    assert.equal(listed.find((model) => model.active)?.id, 'mobilenet-v2-imagenet', 'the library kept its model');
  });
});

describe('demonstration models', () => {
  const DEMOS = ['resnet20-cifar10', 'resnet56-cifar10'];

  it('say so in their manifests and in "phototag models list"', () => {
    for (const id of DEMOS) assert.match(readManifest(join(MODELS_DIR, id)).demo!, /10 CIFAR-10 classes.* 32x32/, id);
    assert.equal(readManifest(join(MODELS_DIR, 'mobilenet-v2-imagenet')).demo, undefined);
    const home = tempDir();
    const listed = JSON.parse(phototag(home, ['models', 'list', '--json']).stdout) as {
      id: string;
      demo?: string;
      demoMark?: string;
    }[];
    assert.deepEqual(
      listed.filter((model) => model.demo).map((model) => [model.id, model.demoMark]),
      DEMOS.map((id) => [id, 'Demo: knows 10 classes at 32x32']),
    );
    const text = phototag(home, ['models', 'list']).stdout;
    for (const id of DEMOS) {
      assert.match(text, new RegExp(`^! ${id} +embedded .*\\(CIFAR-10\\) \\(Demo: knows 10 classes at 32x32\\)$`, 'm'));
    }
    assert.match(text, /^! \(demo\) A demonstration model: it knows only the 10 CIFAR-10 classes/m);
  });

  it("become the library's model only when the user says yes on a terminal, or gives --yes", () => {
    const home = tempDir();
    const active = () =>
      (JSON.parse(phototag(home, ['models', 'list', '--json']).stdout) as { id: string; active: boolean }[]).find(
        (model) => model.active,
      )?.id;
    const unasked = phototag(home, ['models', 'use', 'resnet20-cifar10']);
    assert.equal(unasked.status, 1);
    assert.match(unasked.stderr, /^phototag: A demonstration model: .* Run it again with --yes to go ahead\.\n$/);
    const declined = phototagOnTerminal(home, ['models', 'use', 'resnet20-cifar10'], 'n\n');
    assert.equal(declined.status, 1);
    assert.match(declined.shown, /Tag this library with resnet20-cifar10 all the same\? \[y\/N\]/);
    assert.equal(active(), 'mobilenet-v2-imagenet');
    const agreed = phototagOnTerminal(home, ['models', 'use', 'resnet20-cifar10'], 'y\n');
    assert.equal(agreed.status, 0, agreed.shown);
    assert.equal(active(), 'resnet20-cifar10');
    assert.equal(phototag(home, ['models', 'use', 'resnet56-cifar10', '--yes']).status, 0);
    assert.equal(active(), 'resnet56-cifar10');
    assert.equal(
      phototag(home, ['models', 'use', 'mobilenet-v2-imagenet']).status,
      0,
      'other models are not asked about',
    );
  });
});
