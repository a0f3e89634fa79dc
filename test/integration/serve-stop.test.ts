import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { startServe } from '../e2e/serve-process.js';
import { tempDir } from '../helpers.js';

/**
 * How long after serve prints its link it is stopped: at once, then over the second or two its engine takes to
 * load the models in a worker thread. There is no event to wait for here; the moments are the point.
 */
const STOP_AFTER_MS = [0, 300, 600, 900, 1200, 1500];

describe('phototag serve stopped right after it started', () => {
  for (const ms of STOP_AFTER_MS) {
    it(`exits 0, cleanly, when SIGTERM comes ${ms} ms after its link`, async () => {
      const dir = tempDir('phototag-serve-stop-');
      const server = await startServe({ dbPath: join(dir, 'library.sqlite'), home: join(dir, 'home') });
      await delay(ms);
      const code = await server.stop();
      assert.doesNotMatch(server.output(), /terminate called|Napi::Error/);
      assert.equal(code, 0, `serve did not shut down cleanly:\n${server.output()}`);
    });
  }
});
