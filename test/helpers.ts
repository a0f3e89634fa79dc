import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src-main/app-paths.js';

export const ROOT = packageRoot();
export const MODELS_DIR = join(ROOT, 'models');
export const PHOTOS_DIR = join(ROOT, 'test', 'fixtures', 'photos');
export const photo = (name: string) => join(PHOTOS_DIR, name);

const tempDirs: string[] = [];
process.on('exit', () => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh folder under the system temp dir, removed when the test process exits (safe to call from hooks). */
export function tempDir(prefix = 'phototag-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
