/** What inTime gives for work that has not settled in time. */
export const LATE = Symbol('late');

/**
 * How long work given up on may take to end once a process is done, before it leaves without it (see killIfHeld).
 */
const EXIT_WAIT_MS = 5_000;

/** What a process that leaves work given up on says (see killIfHeld). */
export const LEAVING_HELD_WORK =
  'leaving without waiting any longer for work that has not ended (a file call to a network share whose server is gone?)';

/** The work inTime stopped waiting for that has not settled since (see stillRunning). */
const givenUp = new Set<Promise<unknown>>();

/**
 * `work`'s value, or LATE if it has not settled by `deadline` (a performance.now() time); nothing more is kept of it,
 * unlike inTime.
 */
export function byDeadline<T>(work: Promise<T>, deadline: number): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>(
    (resolve) => (timer = setTimeout(() => resolve(LATE), deadline - performance.now())),
  );
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * `work`'s value, or LATE if it has not settled by `deadline` (a performance.now() time); its rejection after that
 * is heard by nobody, and it counts as still running (see stillRunning) until it settles. For work that may wait on
 * a file call (a look, a walk, a tagging run's reads and its last batch, a sidecar write): a model load given up on
 * goes through byDeadline.
 */
export async function inTime<T>(work: Promise<T>, deadline: number): Promise<T | typeof LATE> {
  work.catch(() => undefined);
  const answer = await byDeadline(work, deadline);
  if (answer === LATE) {
    givenUp.add(work);
    const settled = () => givenUp.delete(work);
    work.then(settled, settled);
  }
  return answer;
}

/** How much of the work given up on (see inTime) still runs once it has had until `deadline` to settle. */
export async function stillRunning(deadline: number): Promise<number> {
  // What is given up on meanwhile is waited for too.
  while (givenUp.size > 0 && performance.now() < deadline) await byDeadline(Promise.allSettled(givenUp), deadline);
  return givenUp.size;
}

/** How much of the work given up on (see inTime) runs now: a process that cannot wait kills itself if any does. */
export function heldNow(): number {
  return givenUp.size;
}

/**
 * Kills this process, once `before` has run (to say why, to flush what must reach the disk), when work given up on
 * (see inTime) still runs `waitMs` from now; returns as soon as none does. Node cannot exit while one of its pool's
 * threads waits on a file call that never returns (a hard-mounted share whose server is gone): it joins those
 * threads as it exits. A shell reports the status as 137 (128 + SIGKILL); Windows as 1.
 */
export async function killIfHeld(before: () => Promise<void> | void, waitMs = EXIT_WAIT_MS): Promise<void> {
  if ((await stillRunning(performance.now() + waitMs)) === 0) return;
  try {
    await before();
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
}
