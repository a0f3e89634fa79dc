/**
 * better-sqlite3 for Electron, beside the one for Node. Electron's ABI differs from Node's, so the desktop app needs
 * its own build of the native binding; keeping it in a separate folder (and handing its path to better-sqlite3's
 * `nativeBinding` option) lets `npm start` and `npm test` work in the same checkout without rebuilding back and
 * forth. Packaged apps don't need this: electron-builder rebuilds node_modules for Electron.
 *
 * Run by `npm start` before Electron starts: fetches better-sqlite3's prebuilt binary for this Electron version
 * (prebuild-install), or compiles it against Electron's headers (node-gyp) when no prebuilt binary exists.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../app-paths.js';

const require = createRequire(import.meta.url);

export function electronVersion(): string {
  return (require('electron/package.json') as { version: string }).version;
}

/** Where the Electron build of better-sqlite3's binding lives for this Electron version. */
export function electronNativeBinding(version = electronVersion()): string {
  return join(
    packageRoot(),
    '.electron-native',
    `electron-${version}-${process.platform}-${process.arch}`,
    'better_sqlite3.node',
  );
}

function build(target: string, version: string): void {
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  const work = join(dirname(target), 'better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  cpSync(source, work, { recursive: true, filter: (path) => !path.includes(`${source}/build`) });
  const bin = (name: string) => join(packageRoot(), 'node_modules', '.bin', name);
  const electron = ['--runtime=electron', `--target=${version}`, `--arch=${process.arch}`];
  try {
    execFileSync(bin('prebuild-install'), electron, { cwd: work, stdio: 'inherit' });
  } catch {
    process.stderr.write('No prebuilt better-sqlite3 for this Electron; compiling it against Electron headers.\n');
    execFileSync(
      'npx',
      ['--yes', 'node-gyp', 'rebuild', '--release', ...electron, '--dist-url=https://electronjs.org/headers'],
      {
        cwd: work,
        stdio: 'inherit',
      },
    );
  }
  cpSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target);
  rmSync(work, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const version = electronVersion();
  const target = electronNativeBinding(version);
  if (!existsSync(target)) {
    mkdirSync(dirname(target), { recursive: true });
    build(target, version);
    process.stdout.write(`better-sqlite3 for Electron ${version}: ${target}\n`);
  }
}
