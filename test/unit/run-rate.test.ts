import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunRate } from '../../src-main/pipeline/run-rate.js';

/** A rate that has seen `count` photos finish, `everyMs` apart, the first at 0. */
function finished(count: number, everyMs: number): RunRate {
  const rate = new RunRate();
  for (let i = 0; i < count; i++) rate.record(i * everyMs);
  return rate;
}

describe('the rate a run shows', () => {
  it('shows no rate for a batch that finished at once: never "8000.0 photos/s" at the start of a run', () => {
    assert.equal(finished(8, 0).perSecond(1), 0);
    assert.equal(finished(8, 0.125).perSecond(1), 0);
  });

  it('shows no rate from too few photos, however long they took', () => {
    assert.equal(finished(4, 500).perSecond(2000), 0);
  });

  it('measures photos a second once enough photos finished over enough time', () => {
    assert.equal(finished(10, 200).perSecond(2000), 5);
  });

  it('follows the last ten seconds only', () => {
    const rate = finished(10, 100);
    for (let at = 20_000; at < 22_000; at += 400) rate.record(at);
    assert.equal(rate.perSecond(22_000), 2.5);
  });

  it('gives the time left only once the rate has held for three seconds', () => {
    assert.equal(finished(10, 200).secondsLeft(100, 2000), null);
    assert.equal(finished(16, 200).secondsLeft(100, 3200), 20);
    assert.equal(finished(16, 200).secondsLeft(0, 3200), null);
  });
});
