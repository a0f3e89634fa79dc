import type { LibraryCounts, LibrarySummary, Progress, TagList, Warning } from '../../src-main/api/contract';
import type { ApiClient } from './api-client';
import type { FilterState } from './filter.svelte';
import { PhotoList } from './photo-list.svelte';

/**
 * Everything the window shows about the library, kept current from the engine's events: the summary (folders,
 * model, progress), the tag counts at the current threshold, and the filtered photo list.
 */
export class LibraryState {
  summary = $state<LibrarySummary | null>(null);
  tags = $state<TagList | null>(null);
  progress = $state<Progress | null>(null);
  warnings = $state<Warning[]>([]);
  /** Why the engine cannot be reached or answered with an error, as a sentence. */
  problem = $state<string | null>(null);
  /** False while the engine's events do not reach the window (a proxy holding a web page's event stream back). */
  live = $state(true);
  readonly photos: PhotoList;

  private readonly reloadingSummary = coalesced(() => this.loadSummary());
  private readonly reloadingTags = coalesced(() => this.loadTags());
  /**
   * After a change the grid asks again for what it shows and its timeline (counted in the engine's reader thread,
   * for a tag filter a pass over the photos it matches: a second or so at a million photos), and the sidebar for
   * its tag counts (every label's: 70 KB at a million photos, and as much again drawn). While photos keep changing
   * (a run tagging them) they ask at most that share of the time, so tagging goes on at its pace; the counts the
   * header and folders show come with each change.
   */
  private readonly refreshingViews = sparing(async () => {
    this.photos.refresh();
    await Promise.all([this.photos.refreshed(), this.reloadingTags()]);
  }, VIEWS_REFRESH_SHARE);
  private stop: (() => void) | undefined;
  private stopLive: (() => void) | undefined;

  constructor(
    readonly client: ApiClient,
    private readonly filter: FilterState,
  ) {
    this.photos = new PhotoList(client);
  }

  /** Listens to the engine and loads everything once. */
  start(): void {
    this.stop = this.client.onEvent((event) => {
      switch (event.type) {
        case 'progress':
          // A run starting or ending may change more than counts (the execution provider, once tagging started).
          // The grid too, at once: its refreshes are spared while photos keep changing, not when a run ends.
          if (this.progress && this.progress.state !== event.progress.state) {
            void this.refresh();
            this.photos.refresh();
          }
          this.progress = event.progress;
          break;
        case 'warning':
          this.warnings = [event.warning, ...this.warnings].slice(0, 20);
          break;
        case 'changed':
          // The header's counts come along, or are asked for; the tag counts come with the views.
          if (event.counts) this.applyCounts(event.counts);
          else void this.reloadingSummary();
          this.refreshingViews();
          break;
        case 'exportProgress':
        case 'modelDownload':
        case 'xmp':
        case 'menu':
          // The export dialog and the model picker follow their own work, the XMP settings their writing; the
          // window acts on menus.
          break;
      }
    });
    // The header at once. A run may end before the engine's events are heard (while the event stream connects), so
    // the summary is asked for again then; the tag counts wait for it, as the grid does (PhotoList).
    void this.reloadingSummary();
    void this.client.listening.then(() => this.refresh());
    this.stopLive = this.client.onLive((live) => (this.live = live));
  }

  dispose(): void {
    this.stop?.();
    this.stopLive?.();
  }

  /** Summary and tag counts again; calls during a refresh coalesce into one more. */
  async refresh(): Promise<void> {
    await Promise.all([this.reloadingSummary(), this.reloadingTags()]);
  }

  /**
   * How many photos the whole library or one folder holds, from the summary the folder list shows too (the grid's
   * own count may come a moment later); undefined for any other filter.
   */
  get shownTotal(): number | undefined {
    const { summary, filter } = this;
    if (!summary || filter.tags.length > 0 || filter.status !== 'all') return undefined;
    if (filter.folderId === null) return summary.counts.total;
    return summary.folders.find((folder) => folder.id === filter.folderId)?.total;
  }

  /** The counts a change came with: one snapshot, so the header, the folders and the review button agree. */
  private applyCounts(counts: LibraryCounts): void {
    if (this.summary) this.summary = { ...this.summary, ...counts };
  }

  async loadTags(): Promise<void> {
    try {
      this.tags = await this.client.call('tags', { minScore: this.filter.minScore });
    } catch (error) {
      this.problem = (error as Error).message;
    }
  }

  private async loadSummary(): Promise<void> {
    try {
      const summary = await this.client.call('summary', {});
      this.summary = summary;
      this.progress = summary.progress;
      this.warnings = summary.warnings;
      this.problem = null;
    } catch (error) {
      this.problem = (error as Error).message;
    }
  }

  /** Adds a folder; resolves with what became of it when it was not simply added ("already in the library"). */
  async addFolder(path: string): Promise<string | null> {
    const { note } = await this.client.call('addFolder', { path });
    await this.refresh();
    return note;
  }

  async removeFolder(folderId: number): Promise<void> {
    await this.client.call('removeFolder', { folderId });
    if (this.filter.folderId === folderId) this.filter.setFolder(null);
    await this.refresh();
  }

  /** Scans a folder now; resolves once it is scanned, the folder list showing what the scan found. */
  async rescanFolder(folderId: number): Promise<void> {
    try {
      await this.client.call('rescanFolder', { folderId });
    } finally {
      // A rescan that failed ends too: the list stops saying the folder is scanned, whatever the events said.
      await this.refresh();
    }
  }

  async setPaused(paused: boolean): Promise<void> {
    const { progress } = await this.client.call(paused ? 'pause' : 'resume', {});
    this.progress = progress;
  }
}

/** The most of the time the grid's and the tag counts' refreshes after changes may take. */
const VIEWS_REFRESH_SHARE = 0.05;

/**
 * Runs `work` when called, but coalesced and spaced: after a run that took t, the next waits until the runs took
 * at most `share` of the time since; calls meanwhile make one run then.
 */
function sparing(work: () => Promise<void>, share: number): () => void {
  let state: 'idle' | 'waiting' | 'running' = 'idle';
  let again = false;
  let next = 0;
  const schedule = () => {
    state = 'waiting';
    setTimeout(run, Math.max(0, next - performance.now()));
  };
  const run = () => {
    state = 'running';
    const started = performance.now();
    void work().finally(() => {
      const ended = performance.now();
      next = ended + (ended - started) * (1 / share - 1);
      if (again) {
        again = false;
        schedule();
      } else state = 'idle';
    });
  };
  // A call while a run waits is answered by that run; one while it runs, by one more after it.
  return () => {
    if (state === 'idle') schedule();
    else if (state === 'running') again = true;
  };
}

/** Runs `work` when called; calls while it runs coalesce into one more run after it. */
function coalesced(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await work();
      } while (again);
    })().finally(() => (running = undefined));
    return running;
  };
}
