/**
 * Worker-thread entry: owns the onnxruntime sessions of every tagger, so preprocessing and inference never block the
 * thread that answers the UI. Spoken to only by TaggerWorker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ClassifierOptions } from '../classifier/classifier.js';
import { PhotoTagger } from './photo-tagger.js';
import type { TaggerPlan } from './tagger-plan.js';
import type { WorkerNotice, WorkerRequest } from './tagger-worker-client.js';
import { answerRequests } from '../worker-client.js';

const port = parentPort!;
const { plan, options } = workerData as { plan: TaggerPlan; options: ClassifierOptions };
const notify = (notice: WorkerNotice) => port.postMessage(notice);

const ready = PhotoTagger.load(plan, options).then(
  (tagger) => {
    notify({ type: 'loaded', info: tagger.info });
    return tagger;
  },
  (error: unknown) => {
    notify({ type: 'failed', message: (error as Error).message });
    return undefined;
  },
);

answerRequests<WorkerRequest>(async (request) => {
  const tagger = await ready;
  // Once loading failed, TaggerWorker.start has said why and stops this worker: nothing is asked of it.
  if (!tagger) throw new Error('The taggers could not be loaded.');
  return request.type === 'classify' ? tagger.classify(request.inputs) : tagger.tag(request.photos);
});
