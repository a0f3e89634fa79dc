import { createPackageWithOptions } from '@electron/asar';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { bindingAbi, stagedBindingDir } from '../../src-main/shell/electron-native.js';
import { MODELS_DIR, ROOT, tempDir } from '../helpers.js';
import { modelFolders, packagedLayoutProblems } from '../packaging-layout.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ELECTRON_VERSION = (require('electron/package.json') as { version: string }).version;

/**
 * Electron's binary cannot be downloaded here, so the packaging runs against a stand-in Electron folder
 * (electronDist): an `electron` executable carrying Electron's fuse wire (version 1, eight fuses at Electron's
 * defaults), which electron-builder renames and flips the fuses of, as it does the real one.
 */
function standInElectron(): string {
  const dir = tempDir('phototag-electron-');
  const wire = Buffer.concat([Buffer.from(FUSE_SENTINEL), Buffer.from([1, 8]), Buffer.from('10110001')]);
  writeFileSync(join(dir, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\n# stand-in\n'), wire]));
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'LICENSE'), 'MIT');
  writeFileSync(join(dir, 'version'), ELECTRON_VERSION);
  mkdirSync(join(dir, 'resources'));
  mkdirSync(join(dir, 'locales'));
  return dir;
}

/** The fuse wire of a packaged Electron executable: one '0' or '1' per fuse. */
function fuseWire(executable: string): string {
  const bytes = readFileSync(executable);
  const at = bytes.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
  return bytes.toString('latin1', at + 2, at + 2 + bytes[at + 1]!);
}

/** The paths app.asar must hold: the main process, every worker entry, the preload and the page. */
function shippedCode(): string[] {
  const workers = readdirSync(join(ROOT, 'src-main'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('-worker.ts'))
    .map((path) => `dist/main/src-main/${path.split('\\').join('/').replace(/\.ts$/, '.js')}`);
  assert.ok(workers.length >= 2, 'the tagger and decoder workers are found');
  return [
    'package.json',
    'dist/main/src-main/shell/main.js',
    'dist/main/preload.cjs',
    'dist/renderer/index.html',
    ...workers,
  ];
}

describe(
  'the packaged desktop app (electron-builder --linux dir, offline)',
  { skip: process.platform !== 'linux' && 'packages the Linux build' },
  () => {
    const out = tempDir('phototag-release-');
    const resources = join(out, 'linux-unpacked', 'resources');
    const nodeBinding = join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    let stagedStandIn = false;

    before(async () => {
      for (const built of ['dist/main/src-main/shell/main.js', 'dist/main/preload.cjs', 'dist/renderer/index.html'])
        assert.ok(existsSync(join(ROOT, built)), `${built} is missing: run \`npm run build\` first`);
      // `npm run dist` stages the Electron build of better-sqlite3 (it needs Electron's headers or a prebuilt
      // download); where none is staged, Node's stands in: the layout is what is checked, not the binary.
      if (!existsSync(join(stagedBindingDir(), 'better_sqlite3.node'))) {
        mkdirSync(stagedBindingDir(), { recursive: true });
        copyFileSync(nodeBinding, join(stagedBindingDir(), 'better_sqlite3.node'));
        stagedStandIn = true;
      }
      await run(
        process.execPath,
        [
          require.resolve('electron-builder/cli.js'),
          '--linux',
          'dir',
          '--projectDir',
          ROOT,
          `-c.electronDist=${standInElectron()}`,
          `-c.electronVersion=${ELECTRON_VERSION}`,
          `-c.directories.output=${out}`,
        ],
        {
          cwd: ROOT,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
    });
    after(() => {
      if (stagedStandIn) rmSync(stagedBindingDir(), { recursive: true, force: true });
    });

    it('holds the code in app.asar, every native file in app.asar.unpacked, the models and the binding beside it', () => {
      assert.deepEqual(
        packagedLayoutProblems(resources, { code: shippedCode(), models: modelFolders(MODELS_DIR) }),
        [],
      );
    });

    it("flips Electron's fuses: no running as Node, no NODE_OPTIONS or --inspect, only the checked asar", () => {
      // RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect, EmbeddedAsarIntegrity, OnlyLoadAppFromAsar,
      // BrowserProcessSpecificV8Snapshot, GrantFileProtocolExtraPrivileges.
      assert.equal(fuseWire(join(out, 'linux-unpacked', 'phototag')), '00001100');
    });

    it('leaves node_modules/better-sqlite3 built for Node, so the CLI and the tests still load it', async () => {
      assert.equal(bindingAbi(nodeBinding), Number(process.versions.modules));
      const { stdout } = await run(
        process.execPath,
        [
          '-e',
          "const db = new (require('better-sqlite3'))(':memory:'); console.log(db.prepare('select 40 + 2 as n').get().n)",
        ],
        { cwd: ROOT },
      );
      assert.equal(stdout.trim(), '42');
    });
  },
);

describe('the packaged layout check', () => {
  it('catches a native module packed inside the asar, missing code, models and binding', async () => {
    const app = join(tempDir(), 'app');
    mkdirSync(join(app, 'node_modules', 'native'), { recursive: true });
    writeFileSync(join(app, 'package.json'), '{}');
    writeFileSync(join(app, 'node_modules', 'native', 'addon.node'), 'not really');
    writeFileSync(join(app, 'node_modules', 'native', 'decoder.wasm'), 'not really');
    const resources = tempDir();
    await createPackageWithOptions(app, join(resources, 'app.asar'), { unpack: '*.wasm' });
    assert.deepEqual(
      packagedLayoutProblems(resources, {
        code: ['package.json', 'dist/main/src-main/shell/main.js'],
        models: ['mobilenet-v2-imagenet'],
      }),
      [
        'app.asar lacks dist/main/src-main/shell/main.js',
        'node_modules/native/addon.node is packed inside app.asar, where it cannot be loaded',
        'resources/models/mobilenet-v2-imagenet/manifest.json is missing',
        "resources/native lacks better-sqlite3's build for Electron",
      ],
    );
  });
});
