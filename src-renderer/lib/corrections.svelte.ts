import type { CorrectionAction, LabelSuggestions, PhotoSelection } from '../../src-main/api/contract';
import type { ApiClient } from './api-client';
import type { LibraryState } from './library.svelte';

/** How long the toast after a correction stays, with its Undo button. */
const TOAST_MS = 8000;

export interface Toast {
  message: string;
  /** Offer Undo: the toast follows a correction. */
  undo: boolean;
  /** Something went wrong: shown as an alert. */
  error: boolean;
  /** Tells two toasts with the same text apart, so each restarts the timer. */
  serial: number;
}

/**
 * Corrections from every view (photo view, grid selection, review): each applies through the API as one undoable
 * step, says what it did in a toast with Undo, and refreshes the counts and the grid at once rather than when the
 * coalesced "changed" event comes. `revision` changes after every correction or undo, so a view showing one photo
 * reloads it.
 */
export class CorrectionsState {
  toast = $state<Toast | null>(null);
  revision = $state(0);
  busy = $state(false);
  private serial = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly library: LibraryState,
  ) {}

  get canUndo(): boolean {
    return this.library.summary?.canUndo ?? false;
  }

  /** Applies one correction; resolves true when it was stored. */
  async apply(photos: PhotoSelection, action: CorrectionAction): Promise<boolean> {
    this.busy = true;
    try {
      const result = await this.client.call('correct', { photos, action });
      this.show(result.message, { undo: true });
      return true;
    } catch (error) {
      this.show((error as Error).message, { error: true });
      return false;
    } finally {
      this.busy = false;
      this.changed();
    }
  }

  /** Takes back the latest correction step; resolves with the photos it touched. */
  async undo(): Promise<number[]> {
    if (this.busy) return [];
    this.busy = true;
    try {
      const result = await this.client.call('undo', {});
      this.show(result.message, {});
      return result.photoIds;
    } catch (error) {
      this.show((error as Error).message, { error: true });
      return [];
    } finally {
      this.busy = false;
      this.changed();
    }
  }

  suggest(query: string, limit = 8): Promise<LabelSuggestions> {
    return this.client.call('labelSuggestions', { query, limit });
  }

  dismiss(): void {
    clearTimeout(this.timer);
    this.toast = null;
  }

  show(message: string, options: { undo?: boolean; error?: boolean }): void {
    clearTimeout(this.timer);
    this.toast = { message, undo: options.undo ?? false, error: options.error ?? false, serial: ++this.serial };
    this.timer = setTimeout(() => (this.toast = null), TOAST_MS);
  }

  private changed(): void {
    this.revision++;
    void this.library.refresh();
    this.library.photos.refresh();
  }
}
