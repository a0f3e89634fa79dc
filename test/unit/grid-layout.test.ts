import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GridLayout, MAX_SCROLL_HEIGHT, scrollMapping } from '../../src-renderer/lib/grid-layout.js';

/** Months of 5, 1 and 7 photos in rows of 3: rows 2, 1 and 3, each under a header. */
const sections = [
  { count: 5, start: 0 },
  { count: 1, start: 5 },
  { count: 7, start: 6 },
];
const layout = new GridLayout(sections, { columns: 3, tileSize: 100, gap: 10, pad: 20, header: 40 });

describe('the photo grid layout', () => {
  it('stacks each month under its header, rows of tiles at the row pitch', () => {
    assert.deepEqual(
      [0, 1, 2].map((s) => layout.sectionTop(s)),
      [20, 20 + 40 + 2 * 110, 20 + 2 * 40 + 3 * 110],
    );
    assert.equal(layout.height, 20 + 3 * 40 + 6 * 110 - 10 + 20);
    assert.equal(layout.rowCount, 3 + 6);
    assert.equal(layout.topOf(4), 20 + 40 + 110);
    assert.equal(layout.topOf(5), layout.sectionTop(1) + 40);
  });

  it('lists the headers and rows that reach into a window, with the photos of each row', () => {
    const items = layout.itemsBetween(layout.sectionTop(1) + 20, layout.sectionTop(2) + 45);
    assert.deepEqual(
      items.map((item) => (item.kind === 'header' ? `header ${item.section}` : `row ${item.from}-${item.to}`)),
      ['header 1', 'row 5-6', 'header 2', 'row 6-9'],
    );
  });

  it('moves down a column into the next month, keeping the column where the row is long enough', () => {
    assert.equal(layout.moveRows(1, 1), 4);
    assert.equal(layout.moveRows(4, 1), 5, 'the one photo of the next month');
    assert.equal(layout.moveRows(2, 2), 5);
    assert.equal(layout.moveRows(5, 1), 6);
    assert.equal(layout.moveRows(8, -1), 5);
    assert.equal(layout.moveRows(12, 100), 12);
    assert.equal(layout.moveRows(12, -100), 0);
  });

  it('scrolls a grid taller than a browser allows through a scaled range that still ends at its last row', () => {
    assert.deepEqual(scrollMapping(10_000, 800), { range: 10_000, scale: 1 });
    const tall = 34_000_000;
    const { range, scale } = scrollMapping(tall, 800);
    assert.equal(range, MAX_SCROLL_HEIGHT);
    assert.ok(range < 2 ** 25, "under Chromium's cap");
    assert.equal((range - 800) * scale, tall - 800, 'the end of the range shows the end of the grid');
  });
});
