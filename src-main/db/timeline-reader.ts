import type { PhotoFilter, PhotoSort, Timeline } from '../api/contract.js';
import { WorkerClient } from '../worker-client.js';
import type { SuggestedPhotos } from './browse-repository.js';

export interface TimelineRequest {
  filter: PhotoFilter;
  sort: PhotoSort;
  suggested: SuggestedPhotos;
}

/** The timelines of one library that take a pass over photos, counted in a worker thread (timeline-worker.ts). */
export class TimelineReader {
  private readonly worker: WorkerClient<TimelineRequest>;

  constructor(options: { dbPath: string; nativeBinding?: string }) {
    this.worker = new WorkerClient(import.meta.url, 'timeline-worker', options, 'The timeline reader');
  }

  /** BrowseRepository.timeline, from the library as last committed. */
  timeline(filter: PhotoFilter, sort: PhotoSort, suggested: SuggestedPhotos): Promise<Timeline> {
    return this.worker.request({ filter, sort, suggested });
  }

  dispose(): Promise<void> {
    return this.worker.dispose();
  }
}
