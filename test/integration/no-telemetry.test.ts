import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { PHOTOTAG } from '../cli.js';
import { photo, ROOT, tempDir } from '../helpers.js';
import { assertBuilt } from '../e2e/serve-process.js';

/** Every switch onnxruntime reads to stay quiet: the child runs as a user's shell would, with none of them set. */
const QUIET_SWITCHES = ['CI', 'ORT_DISABLE_TELEMETRY', 'ORT_RUNNING_UNIT_TESTS'];

/** A temp folder holding one photo, and a HOME (with its XDG cache) where nothing else lives. */
function userSetup() {
  const dir = tempDir('phototag-telemetry-');
  const home = join(dir, 'home');
  const folder = join(dir, 'photos');
  mkdirSync(home);
  mkdirSync(folder);
  copyFileSync(photo('dog.jpg'), join(folder, 'dog.jpg'));
  return { dir, home, folder };
}

/** Runs node with `args` as an ordinary user outside CI would, with HOME in `home`. */
function runAsUser(dir: string, home: string, args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    PHOTOTAG_HOME: join(dir, 'phototag'),
  };
  for (const name of QUIET_SWITCHES) delete env[name];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
}

/** Anything onnxruntime's telemetry would leave: its queue lives under .cache/Microsoft/DeveloperTools/.onnxruntime. */
const telemetryTraces = (home: string) =>
  readdirSync(home, { recursive: true, encoding: 'utf8' }).filter((path) => /microsoft|onnxruntime/i.test(path));

describe('privacy: onnxruntime queues and sends nothing', () => {
  it('tagging a photo with the CLI leaves no telemetry under HOME', () => {
    assertBuilt();
    const { dir, home, folder } = userSetup();
    runAsUser(dir, home, [PHOTOTAG, 'tag', folder]);
    assert.deepEqual(telemetryTraces(home), []);
  });

  it('doctor, which loads onnxruntime on the main thread, leaves no telemetry under HOME', () => {
    assertBuilt();
    const { dir, home } = userSetup();
    runAsUser(dir, home, [PHOTOTAG, 'doctor']);
    assert.deepEqual(telemetryTraces(home), []);
  });

  it('the engine alone, as the desktop app runs it (inference in a worker), leaves no telemetry under HOME', () => {
    const { dir, home, folder } = userSetup();
    const library = pathToFileURL(join(ROOT, 'src-main', 'library', 'library.ts')).href;
    const script = `
      import { Library } from ${JSON.stringify(library)};
      const library = Library.open({ dbPath: ${JSON.stringify(join(dir, 'library.sqlite'))} });
      await library.scan(await library.addFolder(${JSON.stringify(folder)}));
      await library.tag();
      await library.close();`;
    runAsUser(dir, home, ['--import', 'tsx', '--input-type=module', '--eval', script]);
    assert.deepEqual(telemetryTraces(home), []);
  });
});
