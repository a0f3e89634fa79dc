import type { ModelRef } from '../db/photo-repository.js';
import { WorkerClient } from '../worker-client.js';
import type { Scored } from './feature-index.js';
import type { LearnedLabel, SimilarityRequest, SimilarityResults, Suggestion } from './similarity-answers.js';

export type { LearnedLabel, Scored, Suggestion };

/**
 * Similar photos, near-duplicates and learned own labels of one library, answered by a worker thread that holds
 * the features (see similarity-worker.ts). Started on first use; every question names the library model whose
 * features it is about, so a model switch never mixes two models' vectors.
 */
export class SimilarityIndex {
  private readonly worker: WorkerClient<SimilarityRequest>;

  constructor(options: { dbPath: string; nativeBinding?: string }) {
    this.worker = new WorkerClient(import.meta.url, 'similarity-worker', options, 'The similarity worker');
  }

  private request<T extends SimilarityRequest['type']>(
    request: Extract<SimilarityRequest, { type: T }>,
  ): Promise<SimilarityResults[T]> {
    return this.worker.request(request);
  }

  /** The photos that look most like this one, best first, itself left out; none when it has no features. */
  similar(model: ModelRef, photoId: number, limit: number): Promise<Scored[]> {
    return this.request({ type: 'similar', model, photoId, limit });
  }

  /** Groups of photos that are the same picture, as photo ids. */
  duplicates(model: ModelRef): Promise<number[][]> {
    return this.request({ type: 'duplicates', model });
  }

  /** The labels learned from the user's corrections. */
  learned(model: ModelRef): Promise<LearnedLabel[]> {
    return this.request({ type: 'learned', model });
  }

  /** Photos suggested a learned label (or any, with null), most likely first, and how many there are in all. */
  suggestions(
    model: ModelRef,
    labelId: string | null,
    limit: number,
    exclude: number[] = [],
  ): Promise<{ left: number; suggestions: Suggestion[] }> {
    return this.request({ type: 'suggestions', model, labelId, exclude, limit });
  }

  /** The learned labels suggested on each of these photos (or every one, with null), most likely first. */
  photoSuggestions(model: ModelRef, photoIds: number[] | null): Promise<Record<number, Suggestion[]>> {
    return this.request({ type: 'photoSuggestions', model, photoIds });
  }

  /** False once the worker failed or stopped: a new index must take its place. */
  get running(): boolean {
    return this.worker.running;
  }

  dispose(): Promise<void> {
    return this.worker.dispose();
  }
}
