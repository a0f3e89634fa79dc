/**
 * What a packaged desktop app must hold, as a list of problems (empty when the layout is right), so the packaging
 * check can assert it and a test can show it catches a wrong layout.
 */
import { getRawHeader } from '@electron/asar';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Whatever the OS or a runtime loads itself, by path: it cannot be read from inside an asar. */
export const NATIVE_FILE = /\.(node|so(\.\d+)*|dll|dylib|wasm)$/;

interface AsarEntry {
  files?: Record<string, AsarEntry>;
  unpacked?: boolean;
}

/** Every file the asar lists, by its path inside it, and whether its bytes live in app.asar.unpacked. */
export function asarFiles(asar: string): Map<string, boolean> {
  const files = new Map<string, boolean>();
  const walk = (entry: AsarEntry, path: string) => {
    if (!entry.files) return void files.set(path, entry.unpacked === true);
    for (const [name, child] of Object.entries(entry.files)) walk(child, path ? `${path}/${name}` : name);
  };
  walk(getRawHeader(asar).header as AsarEntry, '');
  return files;
}

export interface ExpectedLayout {
  /** Paths inside app.asar that must be there: the main process, the workers, the preload, the page. */
  code: string[];
  /** Model folders expected under resources/models, each with its manifest. */
  models: string[];
}

export function packagedLayoutProblems(resources: string, expected: ExpectedLayout): string[] {
  const asar = join(resources, 'app.asar');
  if (!existsSync(asar)) return [`${asar} is missing`];
  const files = asarFiles(asar);
  const problems = expected.code.filter((path) => !files.has(path)).map((path) => `app.asar lacks ${path}`);
  for (const [path, unpacked] of files) {
    if (!NATIVE_FILE.test(path)) continue;
    if (!unpacked) problems.push(`${path} is packed inside app.asar, where it cannot be loaded`);
    else if (!existsSync(join(resources, 'app.asar.unpacked', path)))
      problems.push(`${path} is marked unpacked but app.asar.unpacked lacks it`);
  }
  for (const path of files.keys()) {
    if (/^(test|models|src-main|src-renderer)\//.test(path) || path.endsWith('.ts'))
      problems.push(`app.asar holds ${path}, which does not ship`);
    if (path.startsWith('node_modules/better-sqlite3/build/'))
      problems.push(`app.asar holds ${path}: the app must load only the Electron build in resources/native`);
  }
  for (const model of expected.models)
    if (!existsSync(join(resources, 'models', model, 'manifest.json')))
      problems.push(`resources/models/${model}/manifest.json is missing`);
  if (existsSync(join(resources, 'models', 'build'))) problems.push('resources/models holds the model converters');
  if (!existsSync(join(resources, 'native', 'better_sqlite3.node')))
    problems.push("resources/native lacks better-sqlite3's build for Electron");
  return problems;
}

/** The model folders of a checkout's models/ (those with a manifest). */
export const modelFolders = (modelsDir: string) =>
  readdirSync(modelsDir).filter((name) => existsSync(join(modelsDir, name, 'manifest.json')));
