import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concurrencyLimit } from '../../src-main/imaging/concurrency-limit.js';

/** Lets every promise that can settle now settle (one turn of the event loop). */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('a concurrency limit', () => {
  it('runs at most its limit of tasks at once, and the others in order as places free up', async () => {
    const limit = concurrencyLimit(2);
    const started: number[] = [];
    const finish: ((value: number) => void)[] = [];
    const fail: ((error: Error) => void)[] = [];
    const results = [0, 1, 2, 3, 4].map((i) =>
      limit(
        () =>
          new Promise<number>((resolve, reject) => {
            started.push(i);
            finish[i] = resolve;
            fail[i] = reject;
          }),
      ),
    );
    const outcomes = Promise.allSettled(results);
    await settled();
    assert.deepEqual(started, [0, 1]);
    finish[1]!(1);
    await settled();
    assert.deepEqual(started, [0, 1, 2]);
    fail[0]!(new Error('a failed task frees its place too'));
    await settled();
    assert.deepEqual(started, [0, 1, 2, 3]);
    finish[2]!(2);
    finish[3]!(3);
    await settled();
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    finish[4]!(4);
    assert.deepEqual(
      (await outcomes).map((outcome) => outcome.status),
      ['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    // Free again: a new task starts at once.
    assert.equal(await limit(() => Promise.resolve('next')), 'next');
  });
});
