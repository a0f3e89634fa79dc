/**
 * better-sqlite3 for Electron, beside the one for Node. Electron's ABI differs from Node's, so the desktop app needs
 * its own build of the native binding; keeping it in a separate folder (and handing its path to better-sqlite3's
 * `nativeBinding` option) lets `npm start` and `npm test` work in the same checkout without rebuilding back and
 * forth. A packaged app carries the same build in resources/native (`--stage` puts it where electron-builder takes
 * it from), so node_modules is never rebuilt for Electron.
 *
 * Run by `npm start` and `npm run dist` before Electron: fetches better-sqlite3's prebuilt binary for this Electron
 * version (prebuild-install), or compiles it against Electron's headers (node-gyp) when no prebuilt binary exists.
 * Nothing here imports electron: the checks run in plain Node, in the tests too.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../app-paths.js';
import { platformProblem, sandboxProblem } from './shell-rules.js';

const require = createRequire(import.meta.url);
const BINDING_FILE = 'better_sqlite3.node';

export function electronVersion(): string {
  return (require('electron/package.json') as { version: string }).version;
}

/** Where the Electron build of better-sqlite3's binding lives in a checkout, for this Electron version. */
export function electronNativeBinding(version = electronVersion()): string {
  return join(
    packageRoot(),
    '.electron-native',
    `electron-${version}-${process.platform}-${process.arch}`,
    BINDING_FILE,
  );
}

/** Where electron-builder's extraResources takes the binding from (electron-builder.yml names the same folder). */
export const stagedBindingDir = () => join(packageRoot(), '.electron-native', 'package');

/** Where a packaged app finds the binding: resources/native, beside app.asar. */
export const packagedNativeBinding = (resourcesPath: string) => join(resourcesPath, 'native', BINDING_FILE);

/**
 * The ABI (NODE_MODULE_VERSION) a native module was built for, read from the registration symbol its build exports
 * (`node_register_module_v115`), without loading it: loading a binding of another ABI is what must not happen.
 * Undefined for a Node-API module, which has no such symbol and loads in any runtime.
 */
export function bindingAbi(file: string): number | undefined {
  const match = /node_register_module_v(\d+)/.exec(readFileSync(file).toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

/**
 * Why the running Electron cannot use this binding, as a sentence that says how to fix it; undefined when it can.
 * The main process refuses rather than falls back to node_modules' build, which is Node's and cannot load either.
 */
export function bindingProblem(file: string, abi: string, remedy: string): string | undefined {
  if (!existsSync(file)) return `better-sqlite3's build for Electron is missing (${file}): ${remedy}.`;
  const built = bindingAbi(file);
  if (built === undefined || String(built) === abi) return undefined;
  return `${file} was built for ABI ${built}, but this Electron needs ABI ${abi}: ${remedy}.`;
}

/** The remedy `bindingProblem` names in a checkout, where `npm start` builds the binding. */
export const checkoutRemedy = (file: string) => `delete ${dirname(file)} and run \`npm start\` again, which builds it`;

/**
 * Whether the module at `moduleUrl` (its import.meta.url) is the script Node was started with (`argv1`). Node makes
 * import.meta.url from the real path, percent-encoded (spaces, `%`, `#`, non-ASCII) and, on Windows, with a drive
 * letter and forward slashes; so the same is made from argv[1].
 */
export function isRunDirectly(moduleUrl: string, argv1: string | undefined): boolean {
  if (!argv1) return false;
  try {
    return scriptUrl(realpathSync(argv1)) === moduleUrl;
  } catch {
    return false;
  }
}

/** The file URL Node gives a module at this real path (`windows` as on that platform, for the tests). */
export const scriptUrl = (realPath: string, windows = process.platform === 'win32') =>
  pathToFileURL(realPath, { windows }).href;

/** Whether a path inside better-sqlite3's package folder is its Node build output, which the Electron build must not reuse. */
export function isBuildOutput(packageDir: string, path: string): boolean {
  const inside = relative(packageDir, path);
  return inside === 'build' || inside.startsWith(`build${sep}`);
}

/**
 * The two ways to get the binding, each as arguments to Node itself: a `.cmd` shim (`.bin/prebuild-install`, npx)
 * cannot be run without a shell on Windows since Node 20.12.2 (CVE-2024-27980), and Node runs the tools' own scripts
 * everywhere. node-gyp is the one package.json pins, not whatever npx would fetch.
 */
export function bindingBuildSteps(version: string, arch: string): { fetch: string[]; compile: string[] } {
  const electron = ['--runtime=electron', `--target=${version}`, `--arch=${arch}`];
  return {
    fetch: [require.resolve('prebuild-install/bin.js'), ...electron],
    compile: [
      require.resolve('node-gyp/bin/node-gyp.js'),
      'rebuild',
      '--release',
      ...electron,
      '--dist-url=https://electronjs.org/headers',
    ],
  };
}

/** The output of a command, or undefined when it cannot be run or fails (how a missing tool shows). */
function probe(command: string, args: string[], env: NodeJS.ProcessEnv): string | undefined {
  try {
    return execFileSync(command, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return undefined;
  }
}

const major = (version: string | undefined) => Number(/(\d+)/.exec(version ?? '')?.[1] ?? 0);

/** What compiling better-sqlite3 (C++20) needs that this platform's toolchain lacks, for the message. */
function missingCompiler(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | undefined {
  switch (platform) {
    case 'win32': {
      const vswhere = join(
        env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)',
        'Microsoft Visual Studio',
        'Installer',
        'vswhere.exe',
      );
      const found = probe(
        vswhere,
        [
          '-version',
          '[17.0,)',
          '-requires',
          'Microsoft.VisualStudio.Component.VC.Tools.x86.x64',
          '-property',
          'installationPath',
        ],
        env,
      );
      return found?.trim() ? undefined : 'Visual Studio 2022 (or its Build Tools) with "Desktop development with C++"';
    }
    case 'darwin':
      return probe('xcode-select', ['-p'], env) ? undefined : "Xcode's command-line tools (`xcode-select --install`)";
    default: {
      if (major(probe(env.CXX ?? 'g++', ['-dumpfullversion'], env)) >= 11) return undefined;
      if (major(probe('clang++', ['-dumpversion'], env)) >= 14) return undefined;
      return 'a C++20 compiler, g++ 11 or newer (Debian/Ubuntu: `sudo apt install build-essential`)';
    }
  }
}

/** What must be installed before better-sqlite3 can be compiled for Electron, as a sentence; undefined when nothing. */
export function toolchainProblem(platform = process.platform, env = process.env): string | undefined {
  const pythons = platform === 'win32' ? ['py', 'python', 'python3'] : ['python3', 'python'];
  const missing = [
    pythons.some((python) => probe(python, ['--version'], env))
      ? undefined
      : 'Python 3 (python.org, or your package manager)',
    missingCompiler(platform, env),
  ].filter((what) => what !== undefined);
  if (missing.length === 0) return undefined;
  return `No prebuilt better-sqlite3 exists for this Electron, and compiling it needs ${missing.join(' and ')}: install ${missing.length > 1 ? 'them' : 'it'} and run the command again.`;
}

function build(target: string, version: string): void {
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  const work = join(dirname(target), 'better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  cpSync(source, work, { recursive: true, filter: (path) => !isBuildOutput(source, path) });
  const steps = bindingBuildSteps(version, process.arch);
  try {
    execFileSync(process.execPath, steps.fetch, { cwd: work, stdio: 'inherit' });
  } catch {
    const problem = toolchainProblem();
    if (problem) throw new Error(problem);
    process.stderr.write('No prebuilt better-sqlite3 for this Electron; compiling it against Electron headers.\n');
    execFileSync(process.execPath, steps.compile, { cwd: work, stdio: 'inherit' });
  }
  cpSync(join(work, 'build', 'Release', BINDING_FILE), target);
  rmSync(work, { recursive: true, force: true });
}

/** `npm start` on Ubuntu 24.04 and later: says ahead how to let `electron .` keep its sandbox (see sandboxProblem). */
function warnOfSandbox(): void {
  if (process.platform !== 'linux') return;
  const helper = join(dirname(require.resolve('electron')), 'dist', 'chrome-sandbox');
  const restricted = '/proc/sys/kernel/apparmor_restrict_unprivileged_userns';
  const problem = sandboxProblem(
    helper,
    existsSync(restricted) && readFileSync(restricted, 'utf8').trim() === '1',
    existsSync(helper) ? statSync(helper) : undefined,
  );
  if (problem) process.stderr.write(`${problem}\n`);
}

/**
 * Builds the binding unless it exists; with `--stage` (`npm run dist`), also copies it where electron-builder
 * packages it from.
 */
function main(args: string[]): void {
  const stage = args.includes('--stage');
  const unsupported = platformProblem(process.platform, process.arch);
  if (stage && unsupported) throw new Error(`${unsupported} Package it on a machine that can run it.`);
  const version = electronVersion();
  const target = electronNativeBinding(version);
  if (!existsSync(target)) {
    mkdirSync(dirname(target), { recursive: true });
    build(target, version);
    process.stdout.write(`better-sqlite3 for Electron ${version}: ${target}\n`);
  }
  if (!stage) return warnOfSandbox();
  rmSync(stagedBindingDir(), { recursive: true, force: true });
  mkdirSync(stagedBindingDir(), { recursive: true });
  cpSync(target, join(stagedBindingDir(), BINDING_FILE));
}

if (isRunDirectly(import.meta.url, process.argv[1])) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
