import { parentPort, type Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';

type Waiter = { resolve: (result: never) => void; reject: (error: Error) => void };

/** What a worker answering requests (answerRequests) sends back for request `id`. */
type Reply = { id: number; result?: unknown; error?: string };

/**
 * Asks a worker thread started from `entry` (beside `caller`, see startWorker) and hears its answers in any order:
 * each request goes out with an id, and its answer or error comes back with it (answerRequests). A message without
 * an id is the worker's own notice (its models loaded, say): left to whoever listens to `worker`.
 */
export class WorkerClient<Request> {
  private nextId = 0;
  private readonly pending = new Map<number, Waiter>();
  /** Why the worker no longer answers (it failed, stopped or was closed): later requests fail with it at once. */
  private stoppedBy: Error | undefined;
  readonly worker: Worker;

  /** `what` names the worker in the error its requests fail with when it stops ("the timeline reader"). */
  constructor(
    caller: string,
    entry: string,
    workerData: unknown,
    private readonly what: string,
  ) {
    this.worker = startWorker(caller, entry, workerData);
    this.worker.on('message', (message: Reply) => {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result as never);
    });
    this.worker.on('error', (error) => this.stop(error));
    this.worker.on('exit', (code) => this.stop(new Error(`${what} stopped (exit code ${code}).`)));
  }

  /** Whether the worker still answers; one that failed or stopped never will again. */
  get running(): boolean {
    return this.stoppedBy === undefined;
  }

  /** Sends the request, moving the buffers in `transfer` to the worker (the caller keeps nothing of them). */
  request<Result>(request: Request, transfer: readonly ArrayBuffer[] = []): Promise<Result> {
    return new Promise((resolve, reject) => {
      if (this.stoppedBy) return reject(this.stoppedBy);
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (result: never) => void, reject });
      try {
        this.worker.postMessage({ id, request }, transfer);
      } catch (error) {
        this.pending.delete(id);
        reject(error as Error);
      }
    });
  }

  /** Fails every request waiting, and every later one, with `error`: none of them will be answered. */
  private stop(error: Error): void {
    this.stoppedBy ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  async dispose(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.stop(new Error(`${this.what} was closed.`));
    await this.worker.terminate();
  }
}

/**
 * The worker's side of WorkerClient: answers each request with what `answer` returns, or the promise it returns
 * settles to (so a request that waits, for a model to load or an inference, does not hold the others up).
 */
export function answerRequests<Request>(answer: (request: Request) => unknown): void {
  const port = parentPort!;
  port.on('message', ({ id, request }: { id: number; request: Request }) => {
    void (async () => {
      let reply: Reply;
      try {
        reply = { id, result: await answer(request) };
      } catch (error) {
        reply = { id, error: (error as Error).message };
      }
      port.postMessage(reply);
    })();
  });
}
