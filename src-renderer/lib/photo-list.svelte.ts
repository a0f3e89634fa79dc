import {
  MAX_PAGE,
  type PhotoCursor,
  type PhotoFilter,
  type PhotoSort,
  type PhotoTile,
  type TimelineSection,
} from '../../src-main/api/contract';
import type { ApiClient } from './api-client';

export const PAGE_SIZE = 150;
/** Pages kept, the least recently loaded dropped first: scrolling through a million photos keeps memory flat. */
const KEPT_PAGES = 80;

/** A timeline section and the index of its first photo in the whole list. */
export interface ListSection extends TimelineSection {
  start: number;
}

interface Page {
  photos: PhotoTile[];
  next: PhotoCursor | null;
}

/**
 * The photos matching the current filter in the chosen order, as one list of indexes: the timeline (photos per
 * month) says how many there are and where each month starts, and pages of a month are loaded as the grid comes
 * near them, each from the month's cursor or the page before it (keyset paging: any page costs the same at the
 * millionth photo as at the first). A new filter's first page is asked for beside its timeline and shown as soon
 * as it comes (a tag's timeline counts every photo of the tag, which takes a while at a million photos): until
 * the timeline places it, the list is that page alone. `version` changes whenever a page or the timeline arrives;
 * readers of tileAt() depend on it.
 */
export class PhotoList {
  total = $state(0);
  /** The timeline for the current filter has arrived (before it, the list may hold its first page alone). */
  ready = $state(false);
  version = $state(0);
  error = $state<string | null>(null);
  sections = $state.raw<ListSection[]>([]);
  /** The order the sections and their photos are in. */
  sort = $state<PhotoSort>('newest');

  private filter: PhotoFilter | undefined;
  /** Bumped by every new filter and every refresh: what a request asked before it is not placed. */
  private generation = 0;
  /**
   * Bumped by every new filter alone: a refresh (several a second while tagging) must not throw away the first
   * page, or the grid would wait for the timeline after all.
   */
  private filters = 0;
  /** Pages by section key and page number within the section ("2024-05/2"). */
  private pages = new Map<string, Page>();
  /** Pages from before the last change, shown until their fresh copies arrive, so nothing flickers. */
  private stale = new Map<string, Page>();
  private inFlight = new Map<string, Promise<void>>();
  private wanted: [number, number] = [0, 0];
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly client: ApiClient) {}

  /** A new filter or order: start over from the top. */
  setFilter(filter: PhotoFilter, sort: PhotoSort): void {
    this.filter = filter;
    this.sort = sort;
    this.generation++;
    this.filters++;
    this.pages.clear();
    this.stale.clear();
    this.inFlight.clear();
    this.ready = false;
    // The last filter's sections would have pages of this one asked for by that one's counts.
    this.sections = [];
    this.total = 0;
    this.version++;
    // Asked once the engine's events are heard (the first filter waits for the event stream to open, 2 s at most):
    // a change before that would not refresh them.
    const filters = this.filters;
    void this.client.listening.then(() => {
      if (filters !== this.filters) return;
      void this.loadTimeline();
      void this.loadFirstPage();
    });
  }

  /** The library changed: count again and re-fetch what is on screen, showing the old copies meanwhile. */
  refresh(): void {
    if (!this.filter) return;
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        this.generation++;
        for (const [key, page] of this.pages) this.stale.set(key, page);
        this.pages.clear();
        this.inFlight.clear();
        await this.loadTimeline();
      } while (this.again);
    })().finally(() => (this.refreshing = undefined));
  }

  /** Resolves when the refresh under way, if any, has its timeline. */
  refreshed(): Promise<void> {
    return this.refreshing ?? Promise.resolve();
  }

  /** The filter the list shows (what "select all" means); undefined until the first one is set. */
  get shown(): PhotoFilter | undefined {
    return this.filter;
  }

  /** The section holding the photo at `index` (the last one starting at or before it). */
  sectionAt(index: number): number {
    const sections = this.sections;
    let [low, high] = [0, sections.length - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (sections[middle]!.start <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  tileAt(index: number): PhotoTile | undefined {
    const where = this.locate(index);
    if (!where) return undefined;
    const key = pageKey(where.section, where.page);
    return (this.pages.get(key) ?? this.stale.get(key))?.photos[where.offset % PAGE_SIZE];
  }

  /** Every tile loaded now, in no particular order. */
  *loadedTiles(): Iterable<PhotoTile> {
    for (const page of this.pages.values()) yield* page.photos;
  }

  /** Indexes [start, end) are about to be seen: load their pages if they are not here yet. */
  ensureRange(start: number, end: number): void {
    this.wanted = [start, end];
    for (const page of this.pagesIn(start, end)) void this.load(page.section, page.page);
  }

  /** The tile at `index`, fetching its page when needed. */
  async fetchTile(index: number): Promise<PhotoTile | undefined> {
    const where = this.locate(index);
    if (where) await this.load(where.section, where.page);
    return this.tileAt(index);
  }

  /** The ids of the photos at indexes start to end (both included), from loaded pages or asked for in pages. */
  async idsBetween(start: number, end: number): Promise<number[]> {
    const [from, to] = start <= end ? [start, end] : [end, start];
    for (const page of this.pagesIn(from, to + 1)) await this.load(page.section, page.page);
    const ids: number[] = [];
    for (let index = from; index <= to; index++) {
      const tile = this.tileAt(index);
      if (tile) ids.push(tile.id);
    }
    return ids;
  }

  /** Where the photo at `index` is: its section, its offset in it, and the page of the section holding it. */
  private locate(index: number): { section: ListSection; offset: number; page: number } | undefined {
    if (index < 0 || index >= this.total) return undefined;
    const section = this.sections[this.sectionAt(index)]!;
    const offset = index - section.start;
    return { section, offset, page: Math.floor(offset / PAGE_SIZE) };
  }

  /** The pages holding indexes [start, end). */
  private *pagesIn(start: number, end: number): Iterable<{ section: ListSection; page: number }> {
    const last = Math.min(end, this.total) - 1;
    if (last < start || this.sections.length === 0) return;
    for (let s = this.sectionAt(Math.max(0, start)); s < this.sections.length; s++) {
      const section = this.sections[s]!;
      if (section.start > last) break;
      const first = Math.floor((Math.max(start, section.start) - section.start) / PAGE_SIZE);
      const final = Math.floor((Math.min(last, section.start + section.count - 1) - section.start) / PAGE_SIZE);
      for (let page = first; page <= final; page++) yield { section, page };
    }
  }

  private async loadTimeline(): Promise<void> {
    if (!this.filter) return;
    const generation = this.generation;
    try {
      const timeline = await this.client.call('timeline', { filter: this.filter, sort: this.sort });
      if (generation !== this.generation) return;
      let start = 0;
      this.sections = timeline.sections.map((section) => {
        const placed = { ...section, start };
        start += section.count;
        return placed;
      });
      this.total = timeline.total;
      this.placeFirstPage();
      this.ready = true;
      this.error = null;
      this.version++;
      const [from, to] = this.wanted;
      this.ensureRange(from, Math.max(to, Math.min(this.total, PAGE_SIZE)));
    } catch (error) {
      if (generation === this.generation) this.error = (error as Error).message;
    }
  }

  /** A new filter's first page: the whole list until the timeline comes (see placeFirstPage). */
  private async loadFirstPage(): Promise<void> {
    if (!this.filter) return;
    const filters = this.filters;
    try {
      const page = await this.client.call('queryPhotos', {
        filter: this.filter,
        sort: this.sort,
        after: null,
        offset: 0,
        limit: PAGE_SIZE,
      });
      if (filters !== this.filters || this.ready) return;
      this.sections = [{ key: FIRST_PAGE, month: null, count: page.photos.length, after: null, start: 0 }];
      this.total = page.photos.length;
      this.pages.set(pageKey(this.sections[0]!, 0), page);
      this.version++;
    } catch (error) {
      if (filters === this.filters) this.error = (error as Error).message;
    }
  }

  /**
   * The timeline came after the first page: the page's photos are shown in their sections' first pages until
   * those pages arrive, so nothing on screen blinks. A refresh since it came has made it stale.
   */
  private placeFirstPage(): void {
    const key = pageKey({ key: FIRST_PAGE }, 0);
    const first = this.pages.get(key) ?? this.stale.get(key);
    if (!first) return;
    this.pages.delete(key);
    this.stale.delete(key);
    for (const section of this.sections) {
      if (section.start >= first.photos.length) break;
      const photos = first.photos.slice(section.start, section.start + section.count);
      this.stale.set(pageKey(section, 0), { photos, next: null });
    }
  }

  /**
   * A page of a section: after the page before it when that one is here (its cursor), else after the section's
   * cursor, skipping the pages before it; never more than the section holds.
   */
  private load(section: ListSection, page: number): Promise<void> {
    const key = pageKey(section, page);
    if (!this.filter || this.pages.has(key)) return Promise.resolve();
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const previous = page > 0 ? this.pages.get(pageKey(section, page - 1))?.next : undefined;
    const request = {
      filter: this.filter,
      sort: this.sort,
      after: previous ?? section.after,
      offset: previous ? 0 : page * PAGE_SIZE,
      limit: Math.min(PAGE_SIZE, MAX_PAGE, section.count - page * PAGE_SIZE),
    };
    const loading = (async () => {
      try {
        const result = await this.client.call('queryPhotos', request);
        if (generation !== this.generation) return;
        this.pages.set(key, result);
        this.stale.delete(key);
        for (const old of this.pages.keys()) {
          if (this.pages.size <= KEPT_PAGES) break;
          this.pages.delete(old);
        }
        this.error = null;
        this.version++;
      } catch (error) {
        if (generation === this.generation) this.error = (error as Error).message;
      } finally {
        if (generation === this.generation) this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, loading);
    return loading;
  }
}

/** The key of the section that holds a new filter's first page until its timeline comes. */
const FIRST_PAGE = 'first page';

const pageKey = (section: Pick<TimelineSection, 'key'>, page: number) => `${section.key}/${page}`;
