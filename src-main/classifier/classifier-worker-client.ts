import type { Worker } from 'node:worker_threads';
import { startWorker } from '../start-worker.js';
// Before any worker starts: a worker's own process.env is a copy that its onnxruntime never reads.
import './telemetry-off.js';
import type { ClassifierInfo, ClassifierOptions, ImageClassifier } from './classifier.js';
import type { Classification } from './scoring.js';
import type { ModelEntry } from '../models/model-catalog.js';

export interface WorkerRequest {
  id: number;
  inputs: Float32Array[];
}

export type WorkerReply =
  | { type: 'loaded'; info: ClassifierInfo }
  | { type: 'failed'; message: string }
  | { type: 'classified'; id: number; results: Classification[] }
  | { type: 'error'; id: number; message: string };

/** A Classifier running in a worker thread: same interface, and the calling thread's event loop stays free. */
export class ClassifierWorker implements ImageClassifier {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Classification[]) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly info: ClassifierInfo,
  ) {
    worker.on('message', (message: WorkerReply) => {
      if (message.type !== 'classified' && message.type !== 'error') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'classified') waiter?.resolve(message.results);
      else waiter?.reject(new Error(message.message));
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`The classifier worker stopped (exit code ${code}).`)));
  }

  static start(entry: ModelEntry, options: ClassifierOptions): Promise<ClassifierWorker> {
    const worker = startWorker(import.meta.url, 'classifier-worker', { entry, options });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new Error(`The classifier worker stopped while loading (exit code ${code}).`));
      worker.once('error', reject);
      worker.once('exit', onExit);
      worker.once('message', (message: WorkerReply) => {
        worker.off('error', reject);
        worker.off('exit', onExit);
        if (message.type === 'loaded') resolve(new ClassifierWorker(worker, message.info));
        else {
          reject(
            new Error(message.type === 'failed' ? message.message : 'The classifier worker answered out of turn.'),
          );
          void worker.terminate();
        }
      });
    });
  }

  classify(inputs: Float32Array[]): Promise<Classification[]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: WorkerRequest = { id, inputs };
      this.worker.postMessage(
        request,
        inputs.map((input) => input.buffer as ArrayBuffer),
      );
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
