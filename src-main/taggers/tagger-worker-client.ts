// Before any worker starts: a worker's own process.env is a copy that its onnxruntime never reads.
import '../classifier/telemetry-off.js';
import type { ClassifierInfo, ClassifierOptions, ImageClassifier } from '../classifier/classifier.js';
import type { Classification } from '../classifier/scoring.js';
import type { ModelEntry } from '../models/model-catalog.js';
import { WorkerClient } from '../worker-client.js';
import type { PhotoPixels, PhotoTags } from './photo-tagger.js';
import { classifierOnly, type TaggerPlan } from './tagger-plan.js';

export type WorkerRequest = { type: 'classify'; inputs: Float32Array[] } | { type: 'tag'; photos: PhotoPixels[] };

/** What the worker says once, before it answers any request: its taggers loaded, or why they could not be. */
export type WorkerNotice = { type: 'loaded'; info: ClassifierInfo } | { type: 'failed'; message: string };

/** What the pipeline needs from the taggers, wherever they run. */
export interface ImageTagger extends ImageClassifier {
  /** Every tagger each photo asks for, over its decoded pixels; one result per photo, in order. */
  tag(photos: PhotoPixels[]): Promise<PhotoTags[]>;
}

/** Every tagger of a library in a worker thread: the calling thread's event loop stays free. */
export class TaggerWorker implements ImageTagger {
  private constructor(
    private readonly client: WorkerClient<WorkerRequest>,
    readonly info: ClassifierInfo,
  ) {}

  /** Starts the worker and waits for its taggers to load; fails with the reason they could not. */
  static start(plan: TaggerPlan, options: ClassifierOptions): Promise<TaggerWorker> {
    const client = new WorkerClient<WorkerRequest>(
      import.meta.url,
      'tagger-worker',
      { plan, options },
      'The tagger worker',
    );
    const { worker } = client;
    return new Promise((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`The tagger worker stopped while loading (exit code ${code}).`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (notice: WorkerNotice) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (notice.type === 'loaded') resolve(new TaggerWorker(client, notice.info));
        else {
          reject(new Error(notice.type === 'failed' ? notice.message : 'The tagger worker answered out of turn.'));
          void client.dispose();
        }
      });
    });
  }

  /** The library model alone in a worker (tests, the benchmark): a plan without secondary taggers. */
  static classifier(entry: ModelEntry, options: ClassifierOptions): Promise<TaggerWorker> {
    return TaggerWorker.start(classifierOnly(entry), options);
  }

  classify(inputs: Float32Array[]): Promise<Classification[]> {
    return this.client.request(
      { type: 'classify', inputs },
      inputs.map((input) => input.buffer as ArrayBuffer),
    );
  }

  tag(photos: PhotoPixels[]): Promise<PhotoTags[]> {
    // The pixels move to the worker; the caller keeps nothing of them.
    return this.client.request(
      { type: 'tag', photos },
      photos.map((photo) => photo.data.buffer as ArrayBuffer),
    );
  }

  dispose(): Promise<void> {
    return this.client.dispose();
  }
}
