import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inTime, LATE, stillRunning } from '../../src-main/library/in-time.js';

describe('waiting for work at most until a deadline', () => {
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
});
