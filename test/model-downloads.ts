import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODELS_DIR } from './helpers.js';

/** A real model made by the project (ResNet-20), which the tests offer for download under other ids. */
export const downloadPayload = readFileSync(join(MODELS_DIR, 'resnet20-cifar10', 'model.onnx'));

/** A host that never resolves (.invalid, RFC 2606): a download from it fails as it does offline. */
export const OFFLINE_URL = 'http://phototag-test.invalid/model.onnx';

/**
 * A download-only model "Test download <id>" in the per-user models folder `userDir`, fetched from `url`: described
 * as the shipped ResNet-20, without its demo mark.
 */
export function describeDownload(userDir: string, id: string, url: string): void {
  const { demo: _demo, ...manifest } = JSON.parse(
    readFileSync(join(MODELS_DIR, 'resnet20-cifar10', 'manifest.json'), 'utf8'),
  ) as Record<string, unknown>;
  mkdirSync(join(userDir, id), { recursive: true });
  writeFileSync(
    join(userDir, id, 'manifest.json'),
    JSON.stringify({
      ...manifest,
      id,
      name: `Test download ${id}`,
      size: downloadPayload.length,
      sha256: createHash('sha256').update(downloadPayload).digest('hex'),
      download: { url },
    }),
  );
}
