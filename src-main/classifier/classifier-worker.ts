/**
 * Worker-thread entry: owns one onnxruntime session so inference never blocks the thread that answers the UI.
 * Spoken to only by ClassifierWorker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Classifier, type ClassifierOptions } from './classifier.js';
import type { ModelEntry } from '../models/model-catalog.js';
import type { WorkerReply, WorkerRequest } from './classifier-worker-client.js';

const port = parentPort!;
const { entry, options } = workerData as { entry: ModelEntry; options: ClassifierOptions };
const reply = (message: WorkerReply) => port.postMessage(message);

const ready = Classifier.load(entry, options).then(
  (classifier) => {
    reply({ type: 'loaded', info: classifier.info });
    return classifier;
  },
  (error: unknown) => {
    reply({ type: 'failed', message: (error as Error).message });
    return undefined;
  },
);

port.on('message', (request: WorkerRequest) => {
  void ready.then(async (classifier) => {
    if (!classifier) return;
    try {
      const results = await classifier.classify(request.inputs);
      reply({ type: 'classified', id: request.id, results });
    } catch (error) {
      reply({ type: 'error', id: request.id, message: (error as Error).message });
    }
  });
});
