import { main } from './phototag.js';
import { flushed } from './terminal.js';

// A reader that goes away (`phototag show --json | head`) ends the command the way SIGPIPE ends other tools: at
// once and quietly, with the status a shell reports for it (128 + 13).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}

const code = await main(process.argv.slice(2));
// Exit explicitly: a lingering handle (a watcher, a worker) must never keep a finished command alive. But only once
// the output has reached the reader: a pipe takes 64 KiB at a time, and exiting drops what it has not taken yet.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
