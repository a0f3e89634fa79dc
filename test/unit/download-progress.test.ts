import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downloadProgress } from '../../src-renderer/lib/format.js';

describe("a model download's progress, as the model picker shows it", () => {
  it('says the bytes done of the total and the share, rounded down so that 100% means complete', () => {
    assert.equal(downloadProgress(546_489, 1_092_978, null), '534 KB of 1.0 MB · 50%');
    assert.equal(downloadProgress(46_806_736, 46_806_737, null), '45 MB of 45 MB · 99%');
    assert.equal(downloadProgress(46_806_737, 46_806_737, null), '45 MB of 45 MB · 100%');
  });

  it('adds the rate once it was measured', () => {
    assert.equal(downloadProgress(12_582_912, 46_806_737, 2_202_009), '12 MB of 45 MB · 26% · 2.1 MB/s');
  });
});
