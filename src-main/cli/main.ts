import { main } from './phototag.js';
import { byDeadline, heldNow, killIfHeld, LEAVING_HELD_WORK } from '../library/in-time.js';
import { flushed } from './terminal.js';

/** How long the last line may take to reach the reader when the command leaves work that has not ended. */
const LAST_LINE_WAIT_MS = 1_000;

/**
 * Exits with `code`; or, when work the library gave up on still holds Node's exit (see killIfHeld), kills the
 * command, its library closed already, rather than wait for a share that does not answer for ever.
 */
async function leave(code: number): Promise<never> {
  await killIfHeld(async () => {
    process.stderr.write(`phototag: ${LEAVING_HELD_WORK}.\n`);
    await byDeadline(flushed(process.stderr), performance.now() + LAST_LINE_WAIT_MS);
  });
  process.exit(code);
}

// A reader that goes away (`phototag show --json | head`) ends the command the way SIGPIPE ends other tools: at
// once and quietly, with the status a shell reports for it (128 + 13); killed, if work given up on would hold the
// exit (see leave).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (heldNow() > 0) process.kill(process.pid, 'SIGKILL');
    process.exit(141);
  });
}

const code = await main(process.argv.slice(2));
// Exit explicitly: a lingering handle (a watcher, a worker) must never keep a finished command alive. But only once
// the output has reached the reader: a pipe takes 64 KiB at a time, and exiting drops what it has not taken yet.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
await leave(code);
