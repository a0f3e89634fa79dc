import type { PhotoFilter, PhotoSort, Timeline } from '../api/contract.js';
import { WorkerClient } from '../worker-client.js';
import type { SuggestedPhotos } from './browse-repository.js';

export interface TimelineRequest {
  filter: PhotoFilter;
  sort: PhotoSort;
  suggested: SuggestedPhotos;
}

/** The timelines of one library, counted in a worker thread (timeline-worker.ts) off the engine's thread. */
export class TimelineReader {
  private readonly worker: WorkerClient<TimelineRequest>;

  constructor(options: { dbPath: string; nativeBinding?: string }) {
    this.worker = new WorkerClient(import.meta.url, 'timeline-worker', options, 'The timeline reader');
  }

  /** BrowseRepository.timeline, from the library as last committed. */
  timeline(filter: PhotoFilter, sort: PhotoSort, suggested: SuggestedPhotos): Promise<Timeline> {
    return this.worker.request({ filter, sort, suggested });
  }

  /** False once the worker failed or stopped: a new reader must take its place. */
  get running(): boolean {
    return this.worker.running;
  }

  dispose(): Promise<void> {
    return this.worker.dispose();
  }
}
