import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers.js';

const sources = (dir: string) =>
  readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|svelte)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));

describe('architecture boundaries', () => {
  it('only the Electron shell imports electron; the engine runs in plain Node', () => {
    const offenders = sources('src-main')
      .filter((file) => !relative(ROOT, file).startsWith(join('src-main', 'shell')))
      .filter((file) => /from ['"]electron['"]/.test(readFileSync(file, 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('the renderer reaches the engine only through the API contract, never Node or the engine itself', () => {
    const offenders = sources('src-renderer').filter((file) => {
      const text = readFileSync(file, 'utf8');
      const imports = [...text.matchAll(/from ['"]([^'"]+)['"]/g)].map((match) => match[1]!);
      return imports.some(
        (spec) =>
          spec.startsWith('node:') || (spec.includes('src-main') && !/src-main\/api\/contract(\.js)?$/.test(spec)),
      );
    });
    assert.deepEqual(offenders, []);
  });

  it('the sandboxed preload is one bundle that loads nothing but electron', () => {
    const bundle = readFileSync(join(ROOT, 'dist', 'main', 'preload.cjs'), 'utf8');
    const required = [...bundle.matchAll(/require\(["']([^"']+)["']\)/g)].map((match) => match[1]);
    assert.deepEqual([...new Set(required)], ['electron']);
    assert.match(bundle, /exposeInMainWorld\(["']phototag["']/);
  });
});
