/**
 * Worker-thread entry: owns the onnxruntime sessions of every tagger, so preprocessing and inference never block the
 * thread that answers the UI. Spoken to only by TaggerWorker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ClassifierOptions } from '../classifier/classifier.js';
import { PhotoTagger } from './photo-tagger.js';
import type { TaggerPlan } from './tagger-plan.js';
import type { WorkerReply, WorkerRequest } from './tagger-worker-client.js';

const port = parentPort!;
const { plan, options } = workerData as { plan: TaggerPlan; options: ClassifierOptions };
const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const ready = PhotoTagger.load(plan, options).then(
  (tagger) => {
    reply({ type: 'loaded', info: tagger.info });
    return tagger;
  },
  (error: unknown) => {
    reply({ type: 'failed', message: (error as Error).message });
    return undefined;
  },
);

port.on('message', (request: WorkerRequest) => {
  void ready.then(async (tagger) => {
    if (!tagger) return;
    try {
      if (request.type === 'classify') {
        reply({ type: 'classified', id: request.id, results: await tagger.classify(request.inputs) });
      } else {
        reply({ type: 'tagged', id: request.id, results: await tagger.tag(request.photos) });
      }
    } catch (error) {
      reply({ type: 'error', id: request.id, message: (error as Error).message });
    }
  });
});
