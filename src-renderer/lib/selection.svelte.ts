import { SvelteSet } from 'svelte/reactivity';
import { MAX_SELECTION, type PhotoFilter, type PhotoSelection } from '../../src-main/api/contract';

/**
 * The grid's multi-selection. Photos chosen one by one (or by range) are a set of ids; "select all" is every photo
 * the filter matches, less those deselected afterwards, so selecting 100,000 photos costs nothing until a
 * correction sends the filter itself to the engine.
 */
export class SelectionState {
  /** Every photo the filter matches is selected, except `ids`. */
  all = $state(false);
  readonly ids = new SvelteSet<number>();
  /** Where a Shift+click range starts: the index of the last photo clicked. */
  anchor: number | null = null;

  has(id: number): boolean {
    return this.all !== this.ids.has(id);
  }

  /** How many photos are selected, out of `total` matching the filter. */
  size(total: number): number {
    return this.all ? total - this.ids.size : this.ids.size;
  }

  get active(): boolean {
    return this.all || this.ids.size > 0;
  }

  toggle(id: number, index: number): void {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.anchor = index;
  }

  /** Adds a range (Shift+click): the ids between the anchor and the photo clicked. */
  addRange(ids: number[], index: number): boolean {
    if (!this.all && this.ids.size + ids.length > MAX_SELECTION) return false;
    for (const id of ids) {
      if (this.all) this.ids.delete(id);
      else this.ids.add(id);
    }
    this.anchor = index;
    return true;
  }

  selectAll(): void {
    this.ids.clear();
    this.all = true;
  }

  clear(): void {
    this.ids.clear();
    this.all = false;
    this.anchor = null;
  }

  /** The selection as a correction request names it. */
  request(filter: PhotoFilter): PhotoSelection {
    return this.all ? { filter, except: [...this.ids] } : { ids: [...this.ids] };
  }
}
