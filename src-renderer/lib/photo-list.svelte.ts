import { MAX_PAGE, type PhotoFilter, type PhotoTile } from '../../src-main/api/contract';
import type { ApiClient } from './api-client';

export const PAGE_SIZE = 150;

/**
 * The photos matching the current filter, loaded a page at a time as the grid scrolls: only what is near the
 * viewport is ever fetched, so a 100,000-photo library costs a few pages. `version` changes whenever a page
 * arrives; readers of tileAt() depend on it.
 */
export class PhotoList {
  total = $state(0);
  /** The first answer for the current filter has arrived. */
  ready = $state(false);
  version = $state(0);
  error = $state<string | null>(null);

  private filter: PhotoFilter | undefined;
  private generation = 0;
  private pages = new Map<number, PhotoTile[]>();
  /** Pages from before the last change, shown until their fresh copies arrive, so nothing flickers. */
  private stale = new Map<number, PhotoTile[]>();
  private inFlight = new Set<number>();
  private wanted: [number, number] = [0, 0];

  constructor(private readonly client: ApiClient) {}

  /** A new filter: start over from the first page. */
  setFilter(filter: PhotoFilter): void {
    this.filter = filter;
    this.generation++;
    this.pages.clear();
    this.stale.clear();
    this.inFlight.clear();
    this.ready = false;
    this.version++;
    void this.load(0);
  }

  /** The library changed: re-fetch what is on screen, keep showing the old copies meanwhile. */
  refresh(): void {
    if (!this.filter) return;
    this.generation++;
    for (const [index, page] of this.pages) this.stale.set(index, page);
    this.pages.clear();
    this.inFlight.clear();
    this.ensureRange(...this.wanted);
    if (this.wanted[1] <= 0) void this.load(0);
  }

  /** The filter the list shows (what "select all" means); undefined until the first one is set. */
  get shown(): PhotoFilter | undefined {
    return this.filter;
  }

  tileAt(index: number): PhotoTile | undefined {
    const page = Math.floor(index / PAGE_SIZE);
    return (this.pages.get(page) ?? this.stale.get(page))?.[index % PAGE_SIZE];
  }

  /** Indexes [start, end) are about to be seen: load their pages if they are not here yet. */
  ensureRange(start: number, end: number): void {
    this.wanted = [start, end];
    const last = Math.min(end, Math.max(this.total, 1)) - 1;
    for (let page = Math.floor(start / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++) void this.load(page);
  }

  /** The tile at `index`, fetching its page when needed. */
  async fetchTile(index: number): Promise<PhotoTile | undefined> {
    const tile = this.tileAt(index);
    if (tile || !this.filter) return tile;
    const page = Math.floor(index / PAGE_SIZE);
    await this.load(page);
    return this.tileAt(index);
  }

  /** The ids of the photos at indexes start to end (both included), from loaded pages or asked for in pages. */
  async idsBetween(start: number, end: number): Promise<number[]> {
    const [from, to] = start <= end ? [start, end] : [end, start];
    const ids: number[] = [];
    for (let offset = from; offset <= to && this.filter;) {
      const tile = this.tileAt(offset);
      if (tile) {
        ids.push(tile.id);
        offset++;
        continue;
      }
      const limit = Math.min(MAX_PAGE, to - offset + 1);
      const { photos } = await this.client.call('queryPhotos', { filter: this.filter, offset, limit });
      if (photos.length === 0) break;
      ids.push(...photos.map((photo) => photo.id));
      offset += photos.length;
    }
    return ids;
  }

  private async load(page: number): Promise<void> {
    if (!this.filter || this.pages.has(page) || this.inFlight.has(page)) return;
    const generation = this.generation;
    this.inFlight.add(page);
    try {
      const result = await this.client.call('queryPhotos', {
        filter: this.filter,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      if (generation !== this.generation) return;
      this.pages.set(page, result.photos);
      this.stale.delete(page);
      this.total = result.total;
      this.ready = true;
      this.error = null;
      // Old copies of pages beyond the new end would show photos that are no longer there.
      for (const index of this.stale.keys()) if (index * PAGE_SIZE >= result.total) this.stale.delete(index);
      this.version++;
    } catch (error) {
      if (generation === this.generation) this.error = (error as Error).message;
    } finally {
      if (generation === this.generation) this.inFlight.delete(page);
    }
  }
}
