import type { Worker } from 'node:worker_threads';
// Before any worker starts: a worker's own process.env is a copy that its onnxruntime never reads.
import '../classifier/telemetry-off.js';
import type { ClassifierInfo, ClassifierOptions, ImageClassifier } from '../classifier/classifier.js';
import type { Classification } from '../classifier/scoring.js';
import type { ModelEntry } from '../models/model-catalog.js';
import { startWorker } from '../start-worker.js';
import type { PhotoPixels, PhotoTags } from './photo-tagger.js';
import { classifierOnly, type TaggerPlan } from './tagger-plan.js';

export type WorkerRequest =
  { type: 'classify'; id: number; inputs: Float32Array[] } | { type: 'tag'; id: number; photos: PhotoPixels[] };

export type WorkerReply =
  | { type: 'loaded'; info: ClassifierInfo }
  | { type: 'failed'; message: string }
  | { type: 'classified'; id: number; results: Classification[] }
  | { type: 'tagged'; id: number; results: PhotoTags[] }
  | { type: 'error'; id: number; message: string };

/** What the pipeline needs from the taggers, wherever they run. */
export interface ImageTagger extends ImageClassifier {
  /** Every tagger each photo asks for, over its decoded pixels; one result per photo, in order. */
  tag(photos: PhotoPixels[]): Promise<PhotoTags[]>;
}

type Waiter = { resolve: (results: never) => void; reject: (error: Error) => void };

/** Every tagger of a library in a worker thread: the calling thread's event loop stays free. */
export class TaggerWorker implements ImageTagger {
  private nextId = 0;
  private readonly pending = new Map<number, Waiter>();

  private constructor(
    private readonly worker: Worker,
    readonly info: ClassifierInfo,
  ) {
    worker.on('message', (message: WorkerReply) => {
      if (message.type === 'loaded' || message.type === 'failed') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'error') waiter?.reject(new Error(message.message));
      else waiter?.resolve(message.results as never);
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`The tagger worker stopped (exit code ${code}).`)));
  }

  static start(plan: TaggerPlan, options: ClassifierOptions): Promise<TaggerWorker> {
    const worker = startWorker(import.meta.url, 'tagger-worker', { plan, options });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`The tagger worker stopped while loading (exit code ${code}).`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (message: WorkerReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (message.type === 'loaded') resolve(new TaggerWorker(worker, message.info));
        else {
          reject(new Error(message.type === 'failed' ? message.message : 'The tagger worker answered out of turn.'));
          void worker.terminate();
        }
      });
    });
  }

  /** The library model alone in a worker (tests, the benchmark): a plan without secondary taggers. */
  static classifier(entry: ModelEntry, options: ClassifierOptions): Promise<TaggerWorker> {
    return TaggerWorker.start(classifierOnly(entry), options);
  }

  classify(inputs: Float32Array[]): Promise<Classification[]> {
    return this.request(
      { type: 'classify', id: this.nextId++, inputs },
      inputs.map((input) => input.buffer as ArrayBuffer),
    );
  }

  tag(photos: PhotoPixels[]): Promise<PhotoTags[]> {
    // The pixels move to the worker; the caller keeps nothing of them.
    return this.request(
      { type: 'tag', id: this.nextId++, photos },
      photos.map((photo) => photo.data.buffer as ArrayBuffer),
    );
  }

  private request<T>(request: WorkerRequest, transfer: ArrayBuffer[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.set(request.id, { resolve: resolve as (results: never) => void, reject });
      this.worker.postMessage(request, transfer);
    });
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
