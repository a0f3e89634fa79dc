import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/**
 * Resolves once `check` holds, asking again every `everyMs`; rejects naming `what` when it still does not after
 * `timeoutMs`, rather than letting the test hang until the runner's own timeout, saying nothing.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 30_000, everyMs = 100 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Writes `content` to `relative` under `folder`, making the folders on the way; returns the file's path. */
export function writeFile(folder: string, relative: string, content = 'x'): string {
  const path = join(folder, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/**
 * Runs an ES module `script` in a child as the user "nobody" (uid 65534), with tsx, from the repository: root reads
 * any folder whatever its mode, so a test of what an unreadable folder does runs as nobody when it runs as root.
 * Returns what the child printed; it must succeed.
 */
export function runAsNobody(script: string): string {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout;
}

/**
 * Takes a library's schema back to where migration 15 left it, before the sidecars' stamps (migration 16) and the own
 * labels' index (17), as an older Phototag left a library; the caller sets user_version further back if it takes more
 * away.
 */
export function beforeSidecarStamps(db: { exec(sql: string): unknown }): void {
  db.exec(`DROP INDEX corrections_own_labels;
    DROP INDEX photos_scan;
    ALTER TABLE photos DROP COLUMN sidecar_stamp;
    CREATE INDEX photos_scan ON photos(path, size, mtime_ms, status);
    PRAGMA user_version = 15;`);
}
