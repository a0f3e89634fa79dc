import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { inTime, LATE, stillRunning } from '../../src-main/library/in-time.js';
import { ROOT } from '../helpers.js';

/** Runs `body` in a child with in-time.ts's functions at hand; what it ended with and printed. */
function child(body: string) {
  const module = pathToFileURL(join(ROOT, 'src-main/library/in-time.ts')).href;
  const script = `import { inTime, killIfHeld } from ${JSON.stringify(module)};\n${body}`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, signal: run.signal, stdout: run.stdout };
}

describe('waiting for work at most until a deadline', () => {
  // The first test finds no work given up on: the module's record is the process's, and these tests run in order.
  it('gives the value of work that settles in time, and its failure', async () => {
    assert.equal(await inTime(Promise.resolve(7), performance.now() + 1_000), 7);
    await assert.rejects(inTime(Promise.reject(new Error('gone')), performance.now() + 1_000), /gone/);
    assert.equal(await stillRunning(performance.now()), 0);
  });

  it('gives LATE for work that has not settled, and counts it as still running until it does', async () => {
    let answer!: (value: string) => void;
    const slow = new Promise<string>((resolve) => (answer = resolve));
    let fail!: (error: Error) => void;
    const failing = new Promise<string>((_resolve, reject) => (fail = reject));
    assert.equal(await inTime(slow, performance.now() + 20), LATE);
    assert.equal(await inTime(failing, performance.now() + 20), LATE);
    const start = performance.now();
    assert.equal(await stillRunning(performance.now() + 50), 2);
    assert.ok(performance.now() - start >= 45, 'it waited until the deadline');
    // Settling lets the wait end before its deadline; a failure nobody hears is no unhandled rejection.
    setTimeout(() => answer('late'), 20);
    fail(new Error('gone after the deadline'));
    assert.equal(await stillRunning(performance.now() + 10_000), 0);
    assert.ok(performance.now() - start < 5_000);
  });

  it('waits for work given up on while it waits', async () => {
    let first!: () => void;
    let second!: () => void;
    assert.equal(await inTime(new Promise<void>((resolve) => (first = resolve)), performance.now() + 10), LATE);
    const waiting = stillRunning(performance.now() + 10_000);
    // Given up on as the first settles: the wait goes on for it.
    void inTime(new Promise<void>((resolve) => (second = resolve)), performance.now() + 10);
    await new Promise((wake) => setTimeout(wake, 50));
    first();
    setTimeout(() => second(), 100);
    assert.equal(await waiting, 0);
  });

  it('kills the process, once told why, when work given up on still runs; else lets it exit', () => {
    const held = child(`await inTime(new Promise(() => {}), performance.now() + 10);
      await killIfHeld(() => console.log('leaving'), 100);
      process.exit(3);`);
    assert.deepEqual(held, { status: null, signal: 'SIGKILL', stdout: 'leaving\n' });
    // Killed even when telling why fails.
    const failing = child(`await inTime(new Promise(() => {}), performance.now() + 10);
      await killIfHeld(() => { throw new Error('cannot say'); }, 100).catch(() => undefined);
      process.exit(3);`);
    assert.equal(failing.signal, 'SIGKILL');
    const free = child(`await inTime(new Promise((done) => setTimeout(done, 50)), performance.now() + 10);
      await killIfHeld(() => console.log('leaving'), 5_000);
      process.exit(3);`);
    assert.deepEqual(free, { status: 3, signal: null, stdout: '' });
  });
});
