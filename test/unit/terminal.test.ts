import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineWidth, progressText } from '../../src-main/cli/terminal.js';
import type { Progress } from '../../src-main/pipeline/tagging-pipeline.js';

const running: Progress = {
  found: 2000,
  queued: 1000,
  done: 990,
  failed: 10,
  photosPerSecond: 12.5,
  etaSeconds: 80,
  state: 'running',
};

describe('the progress line', () => {
  it('shows the bar and the counts on a terminal that reports 0 columns, taken as 80 wide', () => {
    assert.equal(lineWidth(0), 79);
    assert.equal(lineWidth(undefined), 79);
    assert.equal(lineWidth(120), 119);
    const line = progressText(running, lineWidth(0));
    assert.match(line, /^\[#{12}-{12}\] 1000\/2000 {2}10 failed {2}12\.5 photos\/s {2}ETA 1m20s$/);
    assert.ok(line.length <= 79);
  });

  it('drops the bar before the counts on a narrow terminal', () => {
    assert.equal(progressText(running, 50), '1000/2000  10 failed  12.5 photos/s  ETA 1m20s');
  });
});
