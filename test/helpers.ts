import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { packageRoot } from '../src-main/app-paths.js';

export const ROOT = packageRoot();
export const MODELS_DIR = join(ROOT, 'models');
export const PHOTOS_DIR = join(ROOT, 'test', 'fixtures', 'photos');
export const photo = (name: string) => join(PHOTOS_DIR, name);

/** A fresh folder under the system temp dir, removed when the test file finishes. */
export function tempDir(prefix = 'phototag-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
