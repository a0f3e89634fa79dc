import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import {
  bindingAbi,
  bindingBuildSteps,
  bindingProblem,
  isBuildOutput,
  isRunDirectly,
  scriptUrl,
  toolchainProblem,
} from '../../src-main/shell/electron-native.js';
import { tempDir } from '../helpers.js';

const require = createRequire(import.meta.url);
const nodeBinding = join(
  require.resolve('better-sqlite3/package.json'),
  '..',
  'build',
  'Release',
  'better_sqlite3.node',
);

/** A copy of Node's better-sqlite3 binding that declares another ABI, as one built for Electron 45 does (150). */
function bindingBuiltFor(abi: number): string {
  const bytes = readFileSync(nodeBinding);
  const from = Buffer.from(`node_register_module_v${process.versions.modules}`);
  const to = Buffer.from(`node_register_module_v${abi}`);
  assert.equal(from.length, to.length, 'the stand-in keeps the binary the same size');
  for (let at = bytes.indexOf(from); at !== -1; at = bytes.indexOf(from, at + 1)) to.copy(bytes, at);
  const file = join(tempDir(), 'better_sqlite3.node');
  writeFileSync(file, bytes);
  return file;
}

const posixOnly = process.platform === 'win32' && 'the stand-in tools are shell scripts';

/** A folder of stand-in tools for PATH, each printing its version as the real one does. */
function toolsFolder(versions: Record<string, string>): string {
  const bin = tempDir();
  for (const [name, version] of Object.entries(versions))
    writeFileSync(join(bin, name), `#!/bin/sh\necho '${version}'\n`, { mode: 0o755 });
  return bin;
}

describe('the run-directly check of the binding builder', () => {
  it('recognizes its script through a path with spaces, %, # and non-ASCII characters, and through a link', () => {
    const dir = join(tempDir(), 'My Photos 100% #1 Jürgen');
    mkdirSync(dir);
    const script = join(dir, 'electron-native.js');
    writeFileSync(script, '');
    const link = join(tempDir(), 'linked.js');
    symlinkSync(script, link);
    const moduleUrl = pathToFileURL(script).href;
    assert.notEqual(moduleUrl, `file://${script}`, 'the naive comparison would miss this script');
    assert.equal(isRunDirectly(moduleUrl, script), true);
    assert.equal(isRunDirectly(moduleUrl, link), true);
  });

  it('is false for another script, a missing one, or none', () => {
    const script = join(tempDir(), 'electron-native.js');
    writeFileSync(script, '');
    assert.equal(isRunDirectly(pathToFileURL(script).href, join(tempDir(), 'other.js')), false);
    assert.equal(isRunDirectly(pathToFileURL(script).href, undefined), false);
  });

  it('makes the URL Node gives a module on Windows from a Windows path', () => {
    assert.equal(
      scriptUrl('C:\\Users\\Jürgen M\\phototag\\dist\\main\\src-main\\shell\\electron-native.js', true),
      'file:///C:/Users/J%C3%BCrgen%20M/phototag/dist/main/src-main/shell/electron-native.js',
    );
  });
});

describe('the ABI check of the better-sqlite3 binding', () => {
  it("reads the ABI a binding was built for without loading it: Node's own build", () => {
    assert.equal(bindingAbi(nodeBinding), Number(process.versions.modules));
    assert.equal(bindingProblem(nodeBinding, process.versions.modules, 'rebuild it'), undefined);
  });

  it('refuses a binding of another ABI, naming the file, both ABIs and the fix', () => {
    const file = bindingBuiltFor(150);
    assert.equal(bindingAbi(file), 150);
    assert.equal(
      bindingProblem(file, process.versions.modules, 'rebuild it'),
      `${file} was built for ABI 150, but this Electron needs ABI ${process.versions.modules}: rebuild it.`,
    );
  });

  it('says how to get a binding that is missing', () => {
    const file = join(tempDir(), 'better_sqlite3.node');
    assert.equal(
      bindingProblem(file, '150', 'run `npm start`'),
      `better-sqlite3's build for Electron is missing (${file}): run \`npm start\`.`,
    );
  });
});

describe('building the binding for Electron', () => {
  it('runs prebuild-install and the pinned node-gyp through Node itself, with no shell', () => {
    const steps = bindingBuildSteps('45.5.0', 'x64');
    assert.deepEqual(steps.fetch.slice(1), ['--runtime=electron', '--target=45.5.0', '--arch=x64']);
    assert.match(execFileSync(process.execPath, [steps.fetch[0]!, '--version'], { encoding: 'utf8' }), /\d+\.\d+/);
    const pinned = (require('../../package.json') as { devDependencies: Record<string, string> }).devDependencies;
    assert.equal(
      execFileSync(process.execPath, [steps.compile[0]!, '--version'], { encoding: 'utf8' }).trim(),
      `v${pinned['node-gyp']}`,
    );
  });

  it("leaves out only the Node build's output when copying better-sqlite3", () => {
    const source = join(tempDir(), 'better-sqlite3');
    assert.equal(isBuildOutput(source, join(source, 'build')), true);
    assert.equal(isBuildOutput(source, join(source, 'build', 'Release', 'better_sqlite3.node')), true);
    assert.equal(isBuildOutput(source, join(source, 'build-tools.js')), false);
    assert.equal(isBuildOutput(source, join(source, 'src', 'build')), false);
  });

  it('accepts Python with g++ 11 or newer, and refuses an older g++', { skip: posixOnly }, () => {
    const bin = toolsFolder({ python3: 'Python 3.12.3', 'g++': '12.2.0' });
    assert.equal(toolchainProblem('linux', { PATH: bin }), undefined);
    const old = toolsFolder({ python3: 'Python 3.12.3', 'g++': '10.2.1' });
    assert.match(toolchainProblem('linux', { PATH: old }) ?? '', /needs a C\+\+20 compiler, g\+\+ 11 or newer/);
  });

  it('says exactly what to install where Python and the compiler are missing', () => {
    const env = { PATH: tempDir() };
    const linux = toolchainProblem('linux', env);
    assert.match(linux ?? '', /needs Python 3 .* and a C\+\+20 compiler, g\+\+ 11 or newer .*: install them and run/);
    assert.match(toolchainProblem('darwin', env) ?? '', /Xcode's command-line tools \(`xcode-select --install`\)/);
    assert.match(toolchainProblem('win32', env) ?? '', /Visual Studio 2022 .* "Desktop development with C\+\+"/);
  });
});
