import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chooseModel, listModels, readManifest } from '../../src-main/models/model-catalog.js';
import { phototag } from '../cli.js';
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
