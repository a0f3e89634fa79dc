/**
 * Where everything sits in the photo grid: sections (a month each in the date orders, with a header) of rows of
 * tiles, in content coordinates (pixels from the top of the whole grid), and how a scroll position maps onto them
 * when the grid is taller than a browser lets an element scroll.
 */

/**
 * The tallest scroll range used. Chromium stops an element's scroll height at 2^25 px and Firefox just under
 * 2^24.1; a taller grid (a million photos is about 30 million px) is scrolled through this range, scaled.
 */
export const MAX_SCROLL_HEIGHT = 2 ** 24;

export interface GridMetrics {
  columns: number;
  tileSize: number;
  gap: number;
  /** Space above the first section and below the last. */
  pad: number;
  /** A section's header above its first row; 0 when sections have none. */
  header: number;
}

export interface PlacedSection {
  count: number;
  /** The index of its first photo. */
  start: number;
}

export type GridItem =
  | { kind: 'header'; section: number; top: number; rowIndex: number }
  | { kind: 'row'; section: number; row: number; top: number; rowIndex: number; from: number; to: number };

export class GridLayout {
  /** The top of each section: its header, then its rows. */
  private readonly tops: Float64Array;
  /** How many grid rows (headers included) come before each section, for aria-rowindex. */
  private readonly rowsBefore: Float64Array;
  readonly height: number;
  readonly rowCount: number;
  readonly rowHeight: number;

  constructor(
    readonly sections: readonly PlacedSection[],
    readonly metrics: GridMetrics,
  ) {
    this.rowHeight = metrics.tileSize + metrics.gap;
    this.tops = new Float64Array(sections.length);
    this.rowsBefore = new Float64Array(sections.length);
    let y = metrics.pad;
    let rows = 0;
    sections.forEach((section, i) => {
      this.tops[i] = y;
      this.rowsBefore[i] = rows;
      y += metrics.header + this.rowsOf(i) * this.rowHeight;
      rows += (metrics.header > 0 ? 1 : 0) + this.rowsOf(i);
    });
    this.height = sections.length > 0 ? y - metrics.gap + metrics.pad : 0;
    this.rowCount = rows;
  }

  private rowsOf(section: number): number {
    return Math.ceil(this.sections[section]!.count / this.metrics.columns);
  }

  /** The section whose area holds content position `y` (the last one starting at or above it). */
  sectionAtY(y: number): number {
    let [low, high] = [0, this.sections.length - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.tops[middle]! <= y) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  sectionTop(section: number): number {
    return this.tops[section] ?? 0;
  }

  /** The section holding photo `index`. */
  sectionOf(index: number): number {
    let [low, high] = [0, this.sections.length - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.sections[middle]!.start <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The top of the row holding photo `index`. */
  topOf(index: number): number {
    const s = this.sectionOf(index);
    const row = Math.floor((index - this.sections[s]!.start) / this.metrics.columns);
    return this.tops[s]! + this.metrics.header + row * this.rowHeight;
  }

  /** Headers and rows that reach into [top, bottom), in order. */
  itemsBetween(top: number, bottom: number): GridItem[] {
    const items: GridItem[] = [];
    if (this.sections.length === 0) return items;
    const { columns, header } = this.metrics;
    for (let s = this.sectionAtY(top); s < this.sections.length && this.tops[s]! < bottom; s++) {
      const section = this.sections[s]!;
      const rowsTop = this.tops[s]! + header;
      if (header > 0 && rowsTop > top) {
        items.push({ kind: 'header', section: s, top: this.tops[s]!, rowIndex: this.rowsBefore[s]! });
      }
      const first = Math.max(0, Math.floor((top - rowsTop) / this.rowHeight));
      const last = Math.min(this.rowsOf(s), Math.ceil((bottom - rowsTop) / this.rowHeight));
      for (let row = first; row < last; row++) {
        const from = section.start + row * columns;
        items.push({
          kind: 'row',
          section: s,
          row,
          top: rowsTop + row * this.rowHeight,
          rowIndex: this.rowsBefore[s]! + (header > 0 ? 1 : 0) + row,
          from,
          to: Math.min(section.start + section.count, from + columns),
        });
      }
    }
    return items;
  }

  /**
   * The photo `rows` rows below (above, when negative) photo `index`, in the same column where that row is long
   * enough: moving down from a month's last row goes on into the next month's first.
   */
  moveRows(index: number, rows: number): number {
    const { columns } = this.metrics;
    let s = this.sectionOf(index);
    let row = Math.floor((index - this.sections[s]!.start) / columns);
    const column = (index - this.sections[s]!.start) % columns;
    for (let step = 0; step < Math.abs(rows); step++) {
      if (rows > 0 && row + 1 < this.rowsOf(s)) row++;
      else if (rows > 0 && s + 1 < this.sections.length) [s, row] = [s + 1, 0];
      else if (rows < 0 && row > 0) row--;
      else if (rows < 0 && s > 0) [s, row] = [s - 1, this.rowsOf(s - 1) - 1];
    }
    const section = this.sections[s]!;
    return Math.min(section.start + section.count - 1, section.start + row * columns + column);
  }
}

/**
 * How the scroll range maps onto the content: a grid that fits is scrolled as it is (scale 1); a taller one gets
 * a scroll range of MAX_SCROLL_HEIGHT, each of its pixels standing for `scale` of the content's, so the top of
 * the range shows the first photo and its bottom the last.
 */
export function scrollMapping(contentHeight: number, viewport: number): { range: number; scale: number } {
  if (contentHeight <= MAX_SCROLL_HEIGHT || viewport >= MAX_SCROLL_HEIGHT) return { range: contentHeight, scale: 1 };
  return { range: MAX_SCROLL_HEIGHT, scale: (contentHeight - viewport) / (MAX_SCROLL_HEIGHT - viewport) };
}
