import { z } from 'zod';
import {
  DEFAULT_MIN_SCORE,
  PHOTO_SORTS,
  photoFilterSchema,
  type PhotoFilter,
  type PhotoSort,
  type TagRef,
} from '../../src-main/api/contract';

const STORAGE_KEY = 'phototag.filter';

const storedSchema = z.object({
  filter: photoFilterSchema,
  /** Display names of the chosen tags, so chips read well before the tag list arrives. */
  names: z.record(z.string(), z.string()).default({}),
  sort: z.enum(PHOTO_SORTS).default('newest'),
});

export const tagKey = (tag: TagRef) => `${tag.kind}:${tag.id}`;

/**
 * What the grid shows: tags (all or any of them must match), folder, confidence threshold, status, and in which
 * order. Survives a restart.
 */
export class FilterState {
  tags = $state<TagRef[]>([]);
  match = $state<PhotoFilter['match']>('all');
  sort = $state<PhotoSort>('newest');
  folderId = $state<number | null>(null);
  minScore = $state(DEFAULT_MIN_SCORE);
  status = $state<PhotoFilter['status']>('all');
  suggested = $state<PhotoFilter['suggested']>('exclude');
  private names = $state<Record<string, string>>({});

  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {
    const saved = this.load();
    if (saved) {
      this.tags = saved.filter.tags;
      this.match = saved.filter.match;
      this.sort = saved.sort;
      this.folderId = saved.filter.folderId;
      this.minScore = saved.filter.minScore;
      this.status = saved.filter.status;
      this.suggested = saved.filter.suggested;
      this.names = saved.names;
    }
  }

  /** A plain copy for requests; reading it makes an effect depend on every part of the filter. */
  get current(): PhotoFilter {
    return {
      tags: this.tags.map((tag) => ({ kind: tag.kind, id: tag.id })),
      match: this.match,
      folderId: this.folderId,
      minScore: this.minScore,
      status: this.status,
      suggested: this.suggested,
    };
  }

  get isEmpty(): boolean {
    return this.tags.length === 0 && this.folderId === null && this.status === 'all';
  }

  /**
   * What the grid shows, for its heading: "All photos", "Dog", "Dog + Beach & sea", "Dog or Labrador",
   * "Holidays folder", "Dog in Holidays", "Failed".
   */
  title(folderName: string | undefined): string {
    const status = { all: '', untagged: 'Untagged', failed: 'Failed' }[this.status];
    const tags = this.tags.map((tag) => this.nameOf(tag)).join(this.match === 'any' ? ' or ' : ' + ');
    const what = [status, tags].filter(Boolean).join(', ');
    if (folderName === undefined) return what || 'All photos';
    return what ? `${what} in ${folderName}` : `${folderName} folder`;
  }

  nameOf(tag: TagRef): string {
    return this.names[tagKey(tag)] ?? tag.id;
  }

  has(tag: TagRef): boolean {
    return this.tags.some((chosen) => chosen.kind === tag.kind && chosen.id === tag.id);
  }

  addTag(tag: TagRef & { name: string }): void {
    if (!this.has(tag)) this.tags = [...this.tags, { kind: tag.kind, id: tag.id }];
    this.names = { ...this.names, [tagKey(tag)]: tag.name };
    this.save();
  }

  removeTag(tag: TagRef): void {
    this.tags = this.tags.filter((chosen) => !(chosen.kind === tag.kind && chosen.id === tag.id));
    this.save();
  }

  toggleTag(tag: TagRef & { name: string }): void {
    if (this.has(tag)) this.removeTag(tag);
    else this.addTag(tag);
  }

  setMatch(match: PhotoFilter['match']): void {
    this.match = match;
    this.save();
  }

  setSort(sort: PhotoSort): void {
    this.sort = sort;
    this.save();
  }

  setFolder(folderId: number | null): void {
    this.folderId = folderId;
    this.save();
  }

  setStatus(status: PhotoFilter['status']): void {
    this.status = status;
    this.save();
  }

  setSuggested(suggested: PhotoFilter['suggested']): void {
    this.suggested = suggested;
    this.save();
  }

  setMinScore(minScore: number): void {
    this.minScore = Math.min(1, Math.max(0, minScore));
    this.save();
  }

  clear(): void {
    this.tags = [];
    this.folderId = null;
    this.status = 'all';
    this.suggested = 'exclude';
    this.save();
  }

  private load(): z.infer<typeof storedSchema> | undefined {
    try {
      const raw = this.storage?.getItem(STORAGE_KEY);
      if (!raw) return undefined;
      const parsed = storedSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private save(): void {
    const names = Object.fromEntries(this.tags.map((tag) => [tagKey(tag), this.names[tagKey(tag)] ?? tag.id] as const));
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify({ filter: this.current, names, sort: this.sort }));
    } catch {
      // Storage full or disabled: the filter simply does not survive a restart.
    }
  }
}
