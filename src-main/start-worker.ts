import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread whose entry module is `name` beside `caller` (the caller's import.meta.url): `.ts` under
 * tsx, `.js` once compiled.
 */
export function startWorker(caller: string, name: string, workerData?: unknown): Worker {
  const extension = extname(fileURLToPath(caller));
  const entry = new URL(`./${name}${extension}`, caller);
  if (extension !== '.ts') return new Worker(entry, { workerData });
  // Running from sources (tests, development): Node 20 does not hand tsx's --import hooks to workers, so the
  // worker registers tsx itself before loading its entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}
