import type { Worker } from 'node:worker_threads';
import type { ModelRef } from '../db/photo-repository.js';
import { startWorker } from '../start-worker.js';
import type { Scored } from './feature-index.js';
import type { LearnedLabel, SimilarityRequest, SimilarityResults, Suggestion } from './similarity-answers.js';

export type { LearnedLabel, Scored, Suggestion };

type Waiter = { resolve: (result: never) => void; reject: (error: Error) => void };

/**
 * Similar photos, near-duplicates and learned own labels of one library, answered by a worker thread that holds
 * the features (see similarity-worker.ts). Started on first use; every question names the library model whose
 * features it is about, so a model switch never mixes two models' vectors.
 */
export class SimilarityIndex {
  private nextId = 0;
  private readonly pending = new Map<number, Waiter>();
  private readonly worker: Worker;

  constructor(options: { dbPath: string; nativeBinding?: string }) {
    this.worker = startWorker(import.meta.url, 'similarity-worker', options);
    this.worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result as never);
    });
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`The similarity worker stopped (exit code ${code}).`)));
  }

  private request<T extends SimilarityRequest['type']>(
    request: Extract<SimilarityRequest, { type: T }>,
  ): Promise<SimilarityResults[T]> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (result: never) => void, reject });
      this.worker.postMessage({ id, request });
    });
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

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  async dispose(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
