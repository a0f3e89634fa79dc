import type { Worker } from 'node:worker_threads';
import { startWorker } from '../start-worker.js';
import { concurrencyLimit } from './concurrency-limit.js';
import type { ForeignFormat, RawImage } from './foreign-formats.js';
import { ImageFault } from './photo-error.js';
import { PhotoFile } from './photo-file.js';

export interface ForeignRequest {
  format: ForeignFormat;
  minShorterSide: number;
  /** An open photo's descriptor (threads of a process share them), or bytes the caller already holds. */
  source: { fd: number; size: number } | { bytes: Uint8Array };
}

export type ForeignReply =
  { image: Omit<RawImage, 'data'> & { data: Uint8Array } } | { error: { message: string; fault: boolean } };

/**
 * Foreign decodes at once, each in its own worker: HEIC's WebAssembly and BMP's JavaScript would otherwise block the
 * thread that answers the UI for seconds. Two keep a folder of iPhone photos moving while bounding memory: each one
 * may hold a 200-megapixel image.
 */
const WORKERS = 2;
/**
 * A worker that decoded a HEIC larger than this is retired after it: its WebAssembly memory keeps its high-water
 * mark for good (about 150 MB after a 12-megapixel HEIC, gigabytes after a 200-megapixel one).
 */
const RETIRE_AFTER_PIXELS = 50_000_000;

/** Whether a worker is retired after `reply`: it crashed (no reply), a decoder failed in it, or it grew large. */
function retires(reply: ForeignReply | undefined): boolean {
  if (!reply) return true;
  if ('error' in reply) return !reply.error.fault;
  const { format, fullWidth, fullHeight } = reply.image;
  return format === 'heic' && fullWidth * fullHeight > RETIRE_AFTER_PIXELS;
}

const idle: Worker[] = [];
const lanes = concurrencyLimit(WORKERS);

function spawn(): Worker {
  const worker = startWorker(import.meta.url, 'foreign-decode-worker');
  // One that fails at work rejects its job (see ask); one that fails while idle just leaves the pool.
  worker.on('error', () => undefined);
  worker.on('exit', () => {
    const index = idle.indexOf(worker);
    if (index >= 0) idle.splice(index, 1);
  });
  return worker;
}

/** The worker's reply; rejects only where the worker itself failed (and is gone). */
function ask(worker: Worker, request: ForeignRequest): Promise<ForeignReply> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: ForeignReply) => {
      settle();
      resolve(reply);
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    const onExit = (code: number) => {
      settle();
      reject(new Error(`the image decoder stopped (exit code ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request);
  });
}

/**
 * Decodes a BMP or HEIC in a worker thread and hands its pixels back. An open PhotoFile is read by the worker
 * through its descriptor, so the bytes never pass through this thread.
 */
export function decodeForeignInWorker(
  format: ForeignFormat,
  input: PhotoFile | Buffer,
  minShorterSide: number,
): Promise<RawImage> {
  const source = input instanceof PhotoFile ? { fd: input.fd, size: input.size } : { bytes: input };
  return lanes(async () => {
    const worker = idle.pop() ?? spawn();
    // Only a worker with work keeps the process alive: the CLI exits as soon as it is done.
    worker.ref();
    let reply: ForeignReply | undefined;
    try {
      reply = await ask(worker, { format, minShorterSide, source });
    } finally {
      worker.unref();
      if (retires(reply)) void worker.terminate();
      else idle.push(worker);
    }
    if ('error' in reply) {
      throw reply.error.fault ? new ImageFault(reply.error.message) : new Error(reply.error.message);
    }
    const { data } = reply.image;
    return { ...reply.image, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
  });
}
