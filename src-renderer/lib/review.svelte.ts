import { MAX_SELECTION, type PhotoDetail, type ReviewItem, type Tag } from '../../src-main/api/contract';
import type { ApiClient } from './api-client';
import type { CorrectionsState } from './corrections.svelte';

/**
 * One pass of the review mode: the least certain photo nobody reviewed yet, its tags, and how many are left.
 * Confirming moves on; rejecting stays on the photo (its next label may be the right one); skipping sets the photo
 * apart for this session. Actions run one after another in the order they were asked for, so a quick series of
 * keys applies each to the photo it was meant for.
 */
export class ReviewSession {
  item = $state<ReviewItem | null>(null);
  detail = $state<PhotoDetail | null>(null);
  /** Photos still to review, the one shown included while it is not reviewed. */
  left = $state<number | null>(null);
  finished = $state(false);
  problem = $state<string | null>(null);
  /** The next photo, so its image can load ahead. */
  upcoming = $state<ReviewItem | null>(null);
  /** The photo shown has a correction from this pass. */
  reviewed = $state(false);
  private readonly skipped: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ApiClient,
    private readonly corrections: CorrectionsState,
  ) {}

  /** The next photo of the queue (the first, to begin with). */
  start(): Promise<void> {
    return this.run(() => this.load());
  }

  /** The labels shown for review, at most 5: the model's and the user's answers, not the keywords the file carries. */
  get labels(): PhotoDetail['labels'] {
    return this.detail?.labels.filter((label) => label.source !== 'file').slice(0, 5) ?? [];
  }

  /** Confirms the label at `rank` of those shown (the top one when absent), then moves on. */
  confirm(rank?: number): Promise<void> {
    return this.run(async () => {
      const labels = this.labels;
      const label = rank === undefined ? labels.find((candidate) => candidate.source === 'model') : labels[rank];
      if (!this.detail || !label) return;
      if (await this.correct({ type: 'confirm', tag: { kind: 'label', id: label.id, name: label.name } })) {
        await this.load();
      }
    });
  }

  /** Rejects the top label of the model and stays, showing what is left. */
  reject(): Promise<void> {
    return this.run(async () => {
      const label = this.detail?.labels.find((candidate) => candidate.source === 'model');
      if (!this.detail || !label) return;
      if (await this.correct({ type: 'reject', tag: { kind: 'label', id: label.id, name: label.name } })) {
        await this.reloadShown();
      }
    });
  }

  /** Adds a tag (an own label, a class, a category) and stays. */
  add(tag: Tag): Promise<void> {
    return this.run(async () => {
      if (this.detail && (await this.correct({ type: 'add', tag }))) await this.reloadShown();
    });
  }

  /** On to the next photo; one not reviewed is set apart for the rest of this pass. */
  skip(): Promise<void> {
    return this.run(async () => {
      if (this.item && !this.reviewed) this.skipped.push(this.item.id);
      // A pass that skips thousands comes back to the oldest of them rather than asking for too much.
      if (this.skipped.length > MAX_SELECTION) this.skipped.shift();
      await this.load();
    });
  }

  /** Takes back the latest correction; the photo it touched comes back to the front of the queue. */
  undo(): Promise<void> {
    return this.run(async () => {
      const photos = await this.corrections.undo();
      if (photos.length > 0) await this.load();
    });
  }

  private run(action: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(action).catch((error: Error) => {
      this.problem = error.message;
    });
    return this.queue;
  }

  private async correct(action: Parameters<CorrectionsState['apply']>[1]): Promise<boolean> {
    return this.corrections.apply({ ids: [this.detail!.id] }, action);
  }

  private async load(): Promise<void> {
    const queue = await this.client.call('reviewQueue', { exclude: this.skipped, limit: 2 });
    const [item, upcoming] = queue.photos;
    this.left = queue.left;
    this.upcoming = upcoming ?? null;
    this.reviewed = false;
    this.problem = null;
    if (!item) {
      this.item = null;
      this.detail = null;
      this.finished = true;
      return;
    }
    const detail = await this.client.call('photo', { id: item.id });
    this.item = item;
    this.detail = detail;
    this.finished = false;
  }

  private async reloadShown(): Promise<void> {
    const id = this.detail!.id;
    const [detail, queue] = await Promise.all([
      this.client.call('photo', { id }),
      this.client.call('reviewQueue', { exclude: this.skipped, limit: 2 }),
    ]);
    this.detail = detail;
    this.left = queue.left;
    this.upcoming = queue.photos[0] ?? null;
    this.reviewed = true;
  }
}
